/**
 * The mephisto contender: the two workloads written with the public API only, as a user would.
 * The input is the generated `Click` model's binding under the benchmark's topic name; values are
 * Confluent-framed Avro resolved through the registry into `Click` instances.
 *
 *   stateless  an agent filters out bots, maps each click to a page visit and yields it to the
 *              output topic (JSON values; sinks send no key, as in Faust), its sink
 *   count      an agent counts clicks per url into a table (level store, changelog
 *              `<app>-url-counts-changelog` with JSON counts)
 *
 * Started by bench/peers/main.ts with the PEERS_* environment (see ../settings.ts).
 */
import { App, codecs, defineTopic } from 'mephisto';
import { Click } from '../../../generated/com/acme/clicks/Click.js';
import { countTable, logMemoryIfAsked, settingsFromEnv, type PageVisit } from '../settings.js';

const settings = settingsFromEnv();
logMemoryIfAsked();

const app = new App(settings.appId, {
  broker: `kafka://${settings.brokers}`,
  registry: settings.registry,
  store: `level://${settings.dataDir}`,
  dataDir: settings.dataDir,
  logLevel: 'warn',
});

const clicks = app.topic(
  defineTopic({ name: settings.input, key: codecs.string, value: codecs.model(Click), partitions: settings.partitions }),
);

if (settings.workload === 'stateless') {
  const visits = app.topic(
    defineTopic({ name: settings.output, key: codecs.string /* sinks send no key, as Faust's do */, value: codecs.json<PageVisit>(), partitions: settings.partitions }),
  );
  app.agent(
    clicks,
    async function* enrich(stream) {
      const humans = stream.filter((click) => click.device !== 'BOT');
      for await (const click of humans) {
        yield {
          url: click.url,
          userId: click.userId,
          device: click.device,
          seconds: click.durationMs / 1000,
          timestamp: click.timestamp.getTime(),
        } satisfies PageVisit;
      }
    },
    { sink: [visits] },
  );
} else {
  const counts = app.table(countTable, { key: codecs.string, value: codecs.json<number>(), default: () => 0 });
  app.agent(clicks, async function count(stream) {
    for await (const click of stream) counts.update(click.url, (n) => n + 1);
  });
}

process.exitCode = await app.main();
