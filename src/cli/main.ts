import { Command, CommanderError } from 'commander';

/**
 * The `mephisto` command: a thin shell. Each subcommand lives beside the library it drives and is
 * registered here; none of them holds logic of its own beyond flags and file I/O.
 */
type Registration = (program: Command) => void;

const commands: Record<string, () => Promise<Registration>> = {
  codegen: () => import('../../codegen/cli.js').then((m) => m.registerCodegenCommand),
  schemas: () => import('./schemas.js').then((m) => m.registerSchemasCommand),
  worker: () => import('./worker.js').then((m) => m.registerWorkerCommand),
  tables: () => import('./tables.js').then((m) => m.registerTablesCommand),
};

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('mephisto')
    .description('Typed stream processing for TypeScript on Kafka')
    .exitOverride()
    .showHelpAfterError();

  // Only the named subcommand's module is loaded (the generator's alone costs a second of start-up);
  // help and unknown commands load them all.
  const wanted = argv[2];
  const selected = wanted !== undefined && Object.hasOwn(commands, wanted) ? [commands[wanted]!] : Object.values(commands);
  for (const register of await Promise.all(selected.map((load) => load()))) register(program);

  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
}
