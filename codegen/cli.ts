import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { isSchemaError, type SchemaError } from '../src/errors.js';
import { header as GENERATED_HEADER } from './emit/scope.js';
import { generate, type GeneratedFile, type GenerateOptions } from './generate.js';
import type { SourceFile } from './resolve.js';
import { pullForCodegen, type RegistryCodegenFlags } from './registry-source.js';

/**
 * `mephisto codegen`: flags and file I/O around the pure `generate`.
 *
 * Exit codes: 0 done (or up to date with --check), 1 --check found stale, missing or extra files,
 * 2 bad input (every problem listed, each with its file and place; nothing written).
 */
export function registerCodegenCommand(program: Command): void {
  program
    .command('codegen')
    .description('Generate TypeScript models and topic bindings from Avro schemas')
    .option('--schemas <dir>', 'directory of .avsc files (read recursively) and topics.json', 'schemas')
    .option('--out <dir>', 'output directory (replaced as a whole)', 'generated')
    .option('--manifest <file>', 'topic manifest (default: <schemas>/topics.json when it exists)')
    .option('--long <mode>', 'TypeScript type of Avro long: number (an error past 2^53) or bigint', 'number')
    .option('--check', 'regenerate in memory and exit 1 if --out differs (stale, missing or extra files)')
    .option('--watch', 'regenerate whenever a schema changes; report errors without exiting')
    .option('--registry <url>', 'first pull subjects from this schema registry into --schemas (and the manifest)')
    .option('--subject <pattern...>', 'with --registry: subjects to pull, as globs (default: every subject)')
    .option('--version <n>', 'with --registry: this version of each subject instead of the latest')
    .action(async (flags: CodegenFlags & RegistryCodegenFlags) => {
      process.exitCode = (await pullForCodegen(flags, consoleIO)) || (await runCodegen(flags));
    });
}

export interface CodegenFlags {
  readonly schemas: string;
  readonly out: string;
  readonly manifest?: string;
  readonly long: string;
  readonly check?: boolean;
  readonly watch?: boolean;
}

export interface CodegenIO {
  readonly log: (line: string) => void;
  readonly error: (line: string) => void;
}

const consoleIO: CodegenIO = { log: (line) => console.log(line), error: (line) => console.error(line) };

export async function runCodegen(flags: CodegenFlags, io: CodegenIO = consoleIO): Promise<number> {
  if (flags.long !== 'number' && flags.long !== 'bigint') {
    io.error(`--long: expected "number" or "bigint", got "${flags.long}"`);
    return 2;
  }
  if (flags.check && flags.watch) {
    io.error('--check and --watch cannot be used together');
    return 2;
  }
  const options: GenerateOptions = { long: flags.long };
  if (flags.watch) return watch(flags, options, io);
  return runOnce(flags, options, io);
}

function runOnce(flags: CodegenFlags, options: GenerateOptions, io: CodegenIO): number {
  let files: GeneratedFile[];
  try {
    files = generate(readInput(flags), options);
    if (!flags.check) assertReplaceable(flags, files);
  } catch (error) {
    if (isSchemaError(error)) {
      reportProblems(error, io);
      return 2;
    }
    if (error instanceof InputError) {
      io.error(error.message);
      return 2;
    }
    throw error;
  }
  if (flags.check) return check(flags.out, files, io);
  writeAtomically(flags.out, files);
  io.log(`mephisto codegen: wrote ${files.length} files to ${flags.out}`);
  return 0;
}

function reportProblems(error: SchemaError, io: CodegenIO): void {
  io.error(`mephisto codegen: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}; nothing written`);
  for (const problem of error.problems) io.error(`  ${problem.file}: ${problem.path}: ${problem.message}`);
}

class InputError extends Error {}

/** Every `.avsc` under the schema directory (sorted, `/`-separated paths) and the manifest. */
export function readInput(flags: Pick<CodegenFlags, 'schemas' | 'manifest'>): { schemas: SourceFile[]; manifest?: SourceFile } {
  const root = resolve(flags.schemas);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new InputError(`--schemas: ${flags.schemas} is not a directory; pass the directory that holds your .avsc files`);
  }
  const schemas = listFiles(root)
    .filter((path) => path.endsWith('.avsc'))
    .map((path) => ({ path: toPosix(relative(root, path)), text: readFileSync(path, 'utf8') }));
  const manifestPath = flags.manifest === undefined ? join(root, 'topics.json') : resolve(flags.manifest);
  if (flags.manifest !== undefined && !existsSync(manifestPath)) throw new InputError(`--manifest: ${flags.manifest} does not exist`);
  const manifest = existsSync(manifestPath)
    ? { path: toPosix(relative(root, manifestPath)), text: readFileSync(manifestPath, 'utf8') }
    : undefined;
  return manifest === undefined ? { schemas } : { schemas, manifest };
}

/** Every file under `dir`, in name order; symbolic links are followed (a link back up is not). */
function listFiles(dir: string, visiting: ReadonlySet<string> = new Set([realpathSync(dir)])): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    let isDirectory = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = statSync(path, { throwIfNoEntry: false });
      if (target === undefined) throw new InputError(`${path} is a symbolic link to nothing (${readlinkSync(path)})`);
      isDirectory = target.isDirectory();
      isFile = target.isFile();
    }
    if (isDirectory) {
      const real = realpathSync(path);
      if (visiting.has(real)) continue; // a cycle
      out.push(...listFiles(path, new Set([...visiting, real])));
    } else if (isFile) {
      out.push(path);
    }
  }
  return out;
}

const toPosix = (path: string) => path.split(sep).join('/');

/** Compares the output directory with what would be generated; names every difference. */
export function check(out: string, files: readonly GeneratedFile[], io: CodegenIO): number {
  const root = resolve(out);
  const existing = existsSync(root) ? listFiles(root).map((path) => toPosix(relative(root, path))) : [];
  const wanted = new Map(files.map((file) => [file.path, file.content]));
  const problems: string[] = [];
  for (const [path, content] of wanted) {
    const full = join(root, path);
    if (!existsSync(full)) problems.push(`missing: ${join(out, path)}`);
    else if (readFileSync(full, 'utf8') !== content) problems.push(`stale: ${join(out, path)}`);
  }
  for (const path of existing) if (!wanted.has(path)) problems.push(`extra: ${join(out, path)}`);
  if (problems.length === 0) {
    io.log(`mephisto codegen --check: ${out} is up to date (${files.length} files)`);
    return 0;
  }
  io.error(`mephisto codegen --check: ${out} is out of date; run \`npx mephisto codegen\`:`);
  for (const problem of problems.sort()) io.error(`  ${problem}`);
  return 1;
}

/**
 * The output directory is replaced as a whole: refuse one that holds anything mephisto did not
 * generate (the schemas, the manifest, a user's own files), which the swap would delete.
 */
export function assertReplaceable(flags: Pick<CodegenFlags, 'out' | 'schemas' | 'manifest'>, files: readonly GeneratedFile[]): void {
  const root = resolve(flags.out);
  const inside = (path: string) => path === root || path.startsWith(root + sep);
  for (const [flag, path] of [['--schemas', flags.schemas], ['--manifest', flags.manifest]] as const) {
    if (path !== undefined && inside(resolve(path))) {
      throw new InputError(`--out: ${flags.out} holds ${flag} ${path}, and the output directory is replaced as a whole on every run; give the generated code a directory of its own`);
    }
  }
  if (!existsSync(root)) return;
  if (!statSync(root).isDirectory()) throw new InputError(`--out: ${flags.out} is a file, not a directory`);
  // ours: what this run writes (replaced anyway, even if edited by hand) and what an earlier run wrote
  const written = new Set(files.map((file) => file.path));
  const foreign = listFiles(root).filter(
    (path) => !written.has(toPosix(relative(root, path))) && !(path.endsWith('.ts') && readFileSync(path, 'utf8').startsWith(GENERATED_HEADER)),
  );
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 5).map((path) => toPosix(relative(process.cwd(), path)));
    throw new InputError(
      `--out: ${flags.out} holds files mephisto did not generate (${shown.join(', ')}${foreign.length > 5 ? `, and ${foreign.length - 5} more` : ''}), ` +
        'and the output directory is replaced as a whole on every run; move them out, or give the generated code a directory of its own',
    );
  }
}

/**
 * Writes the whole output into a fresh sibling directory, then swaps it in with renames, so the
 * output directory is always either the old or the new generation, never half of each.
 */
export function writeAtomically(out: string, files: readonly GeneratedFile[]): void {
  const root = resolve(out);
  const parent = dirname(root);
  mkdirSync(parent, { recursive: true });
  const suffix = randomBytes(4).toString('hex');
  const staging = join(parent, `.${basename(root)}.new-${suffix}`);
  const previous = join(parent, `.${basename(root)}.old-${suffix}`);
  try {
    for (const file of files) {
      const path = join(staging, file.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file.content);
    }
    mkdirSync(staging, { recursive: true });
    if (existsSync(root)) renameSync(root, previous);
    renameSync(staging, root);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (existsSync(previous) && !existsSync(root)) renameSync(previous, root);
    throw error;
  }
  rmSync(previous, { recursive: true, force: true });
}

async function watch(flags: CodegenFlags, options: GenerateOptions, io: CodegenIO): Promise<number> {
  const { watch: watchFiles } = await import('chokidar');
  let timer: NodeJS.Timeout | undefined;
  const run = () => {
    try {
      const status = runOnce(flags, options, io);
      if (status === 0) io.log('mephisto codegen: watching for changes (Ctrl-C to stop)');
    } catch (error) {
      io.error(`mephisto codegen: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const watched = [resolve(flags.schemas), ...(flags.manifest === undefined ? [] : [resolve(flags.manifest)])];
  // Our own writes (an --out inside --schemas, or its staging and old copies beside it) are no change.
  const out = resolve(flags.out);
  const siblings = join(dirname(out), `.${basename(out)}.`); // writeAtomically's staging and old copies
  const ownOutput = (path: string) => {
    const full = resolve(path);
    return full === out || full.startsWith(out + sep) || full.startsWith(siblings);
  };
  const watcher = watchFiles(watched, { ignoreInitial: true, ignored: ownOutput });
  // Watch first, then generate: a change made while the first generation runs is not missed.
  await new Promise<void>((ready) => watcher.once('ready', () => ready()));
  watcher.on('all', () => {
    clearTimeout(timer);
    timer = setTimeout(run, 100);
  });
  run();
  watcher.on('error', (error) => io.error(`mephisto codegen: watch error: ${String(error)}`));
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void watcher.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
