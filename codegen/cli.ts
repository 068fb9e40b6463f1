import type { Command } from 'commander';

export function registerCodegenCommand(program: Command): void {
  program.command('codegen').description('Generate TypeScript from Avro schemas').action(() => {
    throw new Error('not yet');
  });
}
