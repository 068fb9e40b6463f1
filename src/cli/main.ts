import { Command, CommanderError } from 'commander';

/**
 * The `mephisto` command: a thin shell. Each subcommand lives beside the library it drives and is
 * registered here; none of them holds logic of its own beyond flags and file I/O.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('mephisto')
    .description('Typed stream processing for TypeScript on Kafka')
    .exitOverride()
    .showHelpAfterError();

  const registrations = await Promise.all([
    import('../../codegen/cli.js').then((m) => m.registerCodegenCommand),
    import('./schemas.js').then((m) => m.registerSchemasCommand),
    import('./worker.js').then((m) => m.registerWorkerCommand),
    import('./tables.js').then((m) => m.registerTablesCommand),
  ]);
  for (const register of registrations) register(program);

  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
}
