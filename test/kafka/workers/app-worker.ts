/**
 * A mephisto App on the kafka:// transport, run as a child process by tables-takeover.test.ts and
 * app-eos.test.ts so that it can be killed with SIGKILL. It counts events per key into a
 * level-backed table and, when given an output topic, yields `<value>:done` to it.
 *
 *   tsx app-worker.ts <brokerUrl> <appId> <input> <output|-> <dataDir> <guarantee> [delayMs] [hangAfterCommits]
 *
 * Input values are `<key>:<n>`. On stdout (one line each): `started`; `processed <count>` every 100
 * events; `recovered <partition> <records>` for each table partition restored; and, with
 * `hangAfterCommits`, `mid-transaction` once that many transactions with records were committed
 * and the next one has sent its records and offsets: its commit then never happens (the test
 * kills the worker there).
 */
import { App } from '../../../src/app/app.js';
import type { ProcessingGuarantee } from '../../../src/app/settings.js';
import type { Logger } from '../../../src/logging.js';
import { codecs, defineTopic } from '../../../src/serde/index.js';
import { openTransport } from '../../../src/transport/index.js';
import type { Transaction, Transport } from '../../../src/transport/types.js';
import { withProducers } from '../../transport/decorate.js';

const [brokerUrl, appId, input, output, dataDir, guarantee, delay, hangAfter] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  ProcessingGuarantee,
  string?,
  string?,
];
const delayMs = Number(delay ?? 0);
const hangAfterCommits = hangAfter === undefined ? Infinity : Number(hangAfter);
const say = (line: string) => process.stdout.write(`${line}\n`);

const logger: Logger = {
  debug() {},
  info(message, fields) {
    if (message === 'table partition recovered') say(`recovered ${String(fields?.partition)} ${String(fields?.restored)}`);
  },
  warn(message, fields) {
    process.stderr.write(`[${appId}] WARN ${message} ${JSON.stringify(fields ?? {}, (_, v: unknown) => (v instanceof Error ? v.message : v))}\n`);
  },
  error(message, fields) {
    process.stderr.write(`[${appId}] ERROR ${message} ${JSON.stringify(fields ?? {}, (_, v: unknown) => (v instanceof Error ? v.message : v))}\n`);
  },
};

/** The transport, with transactions whose commit hangs once `hangAfterCommits` were committed. */
function hanging(inner: Transport): Transport {
  let commits = 0;
  const wrapTransaction = (transaction: Transaction): Transaction => {
    let sent = false;
    return {
      send: (topic, records) => ((sent = true), transaction.send(topic, records)),
      sendOffsets: (groupId, offsets) => transaction.sendOffsets(groupId, offsets),
      commit: () => {
        if (sent && commits >= hangAfterCommits) {
          say('mid-transaction');
          return new Promise<void>(() => {});
        }
        if (sent) commits++;
        return transaction.commit();
      },
      abort: () => transaction.abort(),
    };
  };
  return withProducers(inner, (producer) => ({ transaction: async () => wrapTransaction(await producer.transaction()) }));
}

const transport = await openTransport(brokerUrl, { clientId: appId, logger });
const app = new App(appId, {
  broker: hangAfterCommits === Infinity ? transport : hanging(transport),
  store: `level://${dataDir}`,
  dataDir,
  logger,
  commitInterval: 200,
  processingGuarantee: guarantee,
});
const counts = app.table('counts', { key: codecs.string, value: codecs.json<number>(), default: () => 0 });
const source = app.topic(defineTopic({ name: input, key: codecs.string, value: codecs.string, partitions: 4 }));
const sink = output === '-' ? undefined : app.topic(defineTopic({ name: output, key: codecs.string, value: codecs.string, partitions: 2 }));
let processed = 0;
app.agent(
  source,
  async function* (stream) {
    for await (const value of stream) {
      const key = value.slice(0, value.indexOf(':'));
      counts.set(key, counts.get(key) + 1);
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (++processed % 100 === 0) say(`processed ${processed}`);
      if (sink !== undefined) yield `${value}:done`;
    }
  },
  sink === undefined ? {} : { sink: [sink] },
);
await app.start();
say('started');
process.on('SIGTERM', () => {
  void app.stop().then(() => process.exit(0));
});
