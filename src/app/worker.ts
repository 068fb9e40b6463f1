/**
 * Running an app as a worker process: start it, wait for SIGINT/SIGTERM (or a crash), stop it
 * gracefully (in-flight events finish, offsets are committed), and return the exit code. Used by
 * `app.main()` and by `mephisto worker <module>`.
 */
import type { App } from './app.js';

export async function runWorker(app: App, signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): Promise<number> {
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled !== undefined) return; // a second signal while stopping: keep stopping
    signalled = signal;
    void app.stop();
  };
  for (const signal of signals) process.on(signal, onSignal);
  try {
    await app.start();
    app.internals.logger.info(`Worker ${app.id} running; stop with Ctrl-C (SIGINT) or SIGTERM`);
    await app.stopped();
    app.internals.logger.info(`Worker ${app.id} stopped${signalled === undefined ? '' : ` on ${signalled}`}`);
    return 0;
  } catch (error) {
    app.internals.logger.error(`Worker ${app.id} failed: ${error instanceof Error ? error.message : String(error)}`);
    await app.stop().catch(() => {});
    return 1;
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
  }
}
