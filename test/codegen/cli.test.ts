import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { check, readInput, runCodegen } from '../../codegen/cli.js';
import { generate } from '../../codegen/index.js';
import { main } from '../../src/cli/main.js';

const repo = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mephisto-codegen-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function capture() {
  const lines: { out: string[]; err: string[] } = { out: [], err: [] };
  return { io: { log: (l: string) => lines.out.push(l), error: (l: string) => lines.err.push(l) }, lines };
}

function copySchemas(): { schemas: string; out: string } {
  const dir = tempDir();
  cpSync(join(repo, 'schemas'), join(dir, 'schemas'), { recursive: true });
  return { schemas: join(dir, 'schemas'), out: join(dir, 'generated') };
}

const listAll = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();

describe('mephisto codegen', () => {
  it('writes the output, then --check passes; it names stale, missing and extra files with exit 1', async () => {
    const { schemas, out } = copySchemas();
    const { io, lines } = capture();
    expect(await runCodegen({ schemas, out, long: 'number' }, io)).toBe(0);
    expect(existsSync(join(out, 'com/acme/orders/Order.ts'))).toBe(true);
    expect(await runCodegen({ schemas, out, long: 'number', check: true }, io)).toBe(0);

    writeFileSync(join(out, 'com/acme/orders/Order.ts'), '// edited\n');
    rmSync(join(out, 'topics.ts'));
    writeFileSync(join(out, 'Stray.ts'), '');
    lines.err.length = 0;
    expect(await runCodegen({ schemas, out, long: 'number', check: true }, io)).toBe(1);
    expect(lines.err.join('\n')).toMatch(/stale: .*Order\.ts/);
    expect(lines.err.join('\n')).toMatch(/missing: .*topics\.ts/);
    expect(lines.err.join('\n')).toMatch(/extra: .*Stray\.ts/);

    expect(await runCodegen({ schemas, out, long: 'number' }, io)).toBe(0);
    expect(existsSync(join(out, 'Stray.ts'))).toBe(false);
    expect(await runCodegen({ schemas, out, long: 'number', check: true }, io)).toBe(0);
  });

  it('bad input: exit 2, every problem with its file and place, and nothing in --out changes', async () => {
    const { schemas, out } = copySchemas();
    const { io, lines } = capture();
    expect(await runCodegen({ schemas, out, long: 'number' }, io)).toBe(0);
    const before = listAll(out).map((path) => [path, readFileSync(path, 'utf8')]);

    writeFileSync(join(schemas, 'broken.avsc'), '{ "type": "record", "name": "x.Broken", "fields": [{ "name": "a", "type": "Nope" }] }');
    writeFileSync(join(schemas, 'com/acme/orders/Dup.avsc'), JSON.stringify({ type: 'enum', name: 'com.acme.orders.OrderStatus', symbols: ['A'] }));
    writeFileSync(join(schemas, 'unreadable.avsc'), '{ "type": ');
    expect(await runCodegen({ schemas, out, long: 'number' }, io)).toBe(2);
    const report = lines.err.join('\n');
    // The second OrderStatus (in Dup.avsc, read first) also makes Order's default invalid: 4 problems.
    expect(report).toContain('4 problems; nothing written');
    expect(report).toMatch(/broken\.avsc: \$\.fields\[0\]\.type: unknown type name "Nope"/);
    expect(report).toMatch(/com\/acme\/orders\/(Dup|Order)\.avsc: .*duplicate full name com\.acme\.orders\.OrderStatus/);
    expect(report).toMatch(/unreadable\.avsc: \$: unreadable JSON at line 1/);
    expect(listAll(out).map((path) => [path, readFileSync(path, 'utf8')])).toEqual(before);
  });

  it('runs through the mephisto command line: flags, exit codes', async () => {
    const { schemas, out } = copySchemas();
    const saved = process.exitCode;
    try {
      expect(await main(['node', 'mephisto', 'codegen', '--schemas', schemas, '--out', out, '--long', 'bigint'])).toBe(0);
      expect(readFileSync(join(out, 'com/acme/analytics/PageViews.ts'), 'utf8')).toContain('views: bigint;');
      process.exitCode = undefined;
      expect(await main(['node', 'mephisto', 'codegen', '--schemas', schemas, '--out', out, '--check'])).toBe(1);
      process.exitCode = undefined;
      expect(await main(['node', 'mephisto', 'codegen', '--schemas', schemas, '--out', out, '--long', 'huge'])).toBe(2);
      process.exitCode = undefined;
      expect(await main(['node', 'mephisto', 'codegen', '--schemas', join(schemas, 'nope'), '--out', out])).toBe(2);
    } finally {
      process.exitCode = saved;
    }
  });

  it('--watch regenerates on change and reports errors without exiting', async () => {
    const { schemas, out } = copySchemas();
    const child = spawn(process.execPath, [join(repo, 'bin/mephisto.js'), 'codegen', '--watch', '--schemas', schemas, '--out', out], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const until = async (condition: () => boolean, what: string) => {
      for (let i = 0; i < 900 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 100));
      if (!condition()) throw new Error(`--watch: never saw ${what}; output:\n${output}`);
    };
    try {
      await until(() => output.includes('watching for changes'), 'the first generation');
      writeFileSync(join(schemas, 'broken.avsc'), '{ "type": "record", "name": "x.B", "fields": [{ "name": "a", "type": "Nope" }] }');
      await until(() => output.includes('unknown type name "Nope"'), 'the error report');
      expect(child.exitCode).toBeNull();
      writeFileSync(join(schemas, 'broken.avsc'), '{ "type": "record", "name": "x.B", "fields": [{ "name": "a", "type": "int" }] }');
      await until(() => existsSync(join(out, 'x/B.ts')), 'the fixed schema generated');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 300_000);
});

describe('committed output is up to date (what `mephisto codegen --check` checks in CI)', () => {
  const sets = [
    ['schemas', 'generated', 'number'],
    ['test/codegen/fixtures/spec', 'test/codegen/generated-fixtures/number', 'number'],
    ['test/codegen/fixtures/spec', 'test/codegen/generated-fixtures/bigint', 'bigint'],
  ] as const;

  it.each(sets)('%s → %s (long as %s)', (schemas, out, long) => {
    const files = generate(readInput({ schemas: join(repo, schemas) }), { long });
    const { io, lines } = capture();
    expect(check(join(repo, out), files, io), lines.err.join('\n')).toBe(0);
  });

  it('whole-output snapshots of generated/', async () => {
    const files = generate(readInput({ schemas: join(repo, 'schemas') }));
    for (const file of files) {
      await expect(file.content).toMatchFileSnapshot(join('__snapshots__', 'generated', `${file.path}.snap`));
    }
  });
});

describe('mkdir helper', () => {
  it('the output directory may not exist yet', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'schemas'));
    writeFileSync(join(dir, 'schemas', 'a.avsc'), JSON.stringify({ type: 'enum', name: 'A', symbols: ['X'] }));
    const { io } = capture();
    expect(await runCodegen({ schemas: join(dir, 'schemas'), out: join(dir, 'deep', 'out'), long: 'number' }, io)).toBe(0);
    expect(readFileSync(join(dir, 'deep', 'out', 'A.ts'), 'utf8')).toContain("export type A = 'X';");
  });
});
