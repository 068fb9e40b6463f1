/**
 * Global setup of the default test run (`npm test`), which leaves out test/kafka: says so at the end,
 * and how to run that suite, so that a green run is not mistaken for one that exercised Kafka.
 */
export default function announceKafkaSuiteNotRun(): () => void {
  return () => {
    process.stdout.write(
      '\nKafka suite (test/kafka) not run: it needs a real Kafka broker and Schema Registry.\n' +
        'Run it with `npm run test:kafka` (starts both from Maven Central jars; needs Java 17+ and Maven).\n',
    );
  };
}
