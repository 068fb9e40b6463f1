/**
 * `npm run bench:codegen`: how fast the generator is, and what decoding through a generated class
 * costs next to raw avsc.
 *
 * 1. Generation: 200 synthesized schemas of realistic size (records of 8-24 fields: primitives,
 *    nullable unions, inline enums and nested records, arrays and maps, decimals, timestamps,
 *    uuids, references to types of other files), through the whole `mephisto codegen` path
 *    (read the files, resolve, emit, write atomically), in a fresh process' wall time.
 * 2. Decoding: the same bytes decoded by `Model.decode` and by avsc `fromBuffer` on the same
 *    schema, interleaved rounds, best round of each; the ratio is generated / raw.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { AvroTypes } from '../src/avro/index.js';
import { readInput, writeAtomically } from '../codegen/cli.js';
import { generate, type GeneratedFile } from '../codegen/index.js';
import { Order } from '../generated/index.js';
import { Unions } from '../test/codegen/generated-fixtures/number/spec/unions/Unions.js';
import { randomValue } from '../test/avro/helpers.js';
import { row, writeResults, type BenchRow } from './results.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------
// Synthesized schemas

function synthesize(count: number): { path: string; text: string }[] {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const files: { path: string; text: string }[] = [];
  const defined: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const namespace = `com.bench.domain${i % 20}`;
    const name = `Entity${i}`;
    const fields: unknown[] = [
      { name: 'id', type: { type: 'string', logicalType: 'uuid' }, doc: 'Primary key.' },
      { name: 'createdAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    ];
    const extra = 6 + Math.floor(random() * 17);
    for (let f = 0; f < extra; f += 1) {
      const field = `field${f}`;
      const kind = pick(['string', 'int', 'long', 'double', 'boolean', 'nullable', 'enum', 'decimal', 'array', 'map', 'nested', 'ref']);
      switch (kind) {
        case 'nullable':
          fields.push({ name: field, type: ['null', pick(['string', 'long', 'double'])], default: null });
          break;
        case 'enum':
          fields.push({ name: field, type: { type: 'enum', name: `${name}Kind${f}`, symbols: ['A', 'B', 'C', 'D'], default: 'A' }, default: 'B' });
          break;
        case 'decimal':
          fields.push({ name: field, type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } });
          break;
        case 'array':
          fields.push({ name: field, type: { type: 'array', items: pick(['string', 'int', 'double']) }, default: [] });
          break;
        case 'map':
          fields.push({ name: field, type: { type: 'map', values: pick(['string', 'long']) } });
          break;
        case 'nested':
          fields.push({
            name: field,
            type: { type: 'record', name: `${name}Part${f}`, fields: [{ name: 'label', type: 'string' }, { name: 'amount', type: 'double' }, { name: 'note', type: ['null', 'string'], default: null }] },
          });
          break;
        case 'ref':
          if (defined.length > 0) {
            fields.push({ name: field, type: ['null', pick(defined)], default: null });
            break;
          }
          fields.push({ name: field, type: 'string' });
          break;
        default:
          fields.push({ name: field, type: kind, doc: `The ${kind} ${field}.` });
      }
    }
    const schema = { type: 'record', name, namespace, doc: `Synthesized entity ${i}.`, fields };
    files.push({ path: `${namespace.replaceAll('.', '/')}/${name}.avsc`, text: JSON.stringify(schema, null, 2) });
    defined.push(`${namespace}.${name}`);
  }
  return files;
}

function generationBench(rows: BenchRow[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'mephisto-bench-codegen-'));
  try {
    const schemas = join(dir, 'schemas');
    const files = synthesize(200);
    for (const file of files) {
      mkdirSync(dirname(join(schemas, file.path)), { recursive: true });
      writeFileSync(join(schemas, file.path), file.text);
    }
    const walls: number[] = [];
    const cpus: number[] = [];
    for (let run = 0; run < 3; run += 1) {
      const started = performance.now();
      // GNU time reports the child's CPU time (user + system), steadier than wall on a shared machine.
      const result = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', process.execPath, join(repo, 'bin/mephisto.js'), 'codegen', '--schemas', schemas, '--out', join(dir, 'generated')], {
        cwd: repo,
        encoding: 'utf8',
      });
      walls.push(performance.now() - started);
      if (result.status !== 0) throw new Error(`codegen failed: ${result.stderr}`);
      const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(result.stderr);
      if (cpu) cpus.push((Number(cpu[1]) + Number(cpu[2])) * 1000);
    }
    cpus.sort((a, b) => a - b);
    if (cpus.length === 3) {
      console.log(`generate 200 schemas (whole command): CPU user+sys median ${cpus[1]!.toFixed(0)} ms`);
      rows.push(row('codegen', 'generate 200 schemas, whole command in a fresh process, user+sys CPU, median of 3', 'cpuMs', Math.round(cpus[1]!), 'ms'));
    }
    // The same work in this process, without start-up: the pure `generate` (after one warm-up run)
    // and the atomic write of its output.
    const input = readInput({ schemas });
    generate(input);
    const pure: number[] = [];
    let output: GeneratedFile[] = [];
    for (let run = 0; run < 3; run += 1) {
      const started = performance.now();
      output = generate(input);
      pure.push(performance.now() - started);
    }
    pure.sort((a, b) => a - b);
    const writeStarted = performance.now();
    writeAtomically(join(dir, 'in-process'), output);
    const write = performance.now() - writeStarted;
    const bytes = output.reduce((n, file) => n + file.content.length, 0);
    console.log(`generate() in process: median ${pure[1]!.toFixed(0)} ms; write ${output.length} files (${(bytes / 1e6).toFixed(1)} MB): ${write.toFixed(0)} ms`);
    rows.push(row('codegen', 'generate 200 schemas, generate() in process, warm, median of 3', 'wallMs', Math.round(pure[1]!), 'ms'));
    rows.push(row('codegen', 'generate 200 schemas, atomic write of the output', 'wallMs', Math.round(write), 'ms'));
    rows.push(row('codegen', 'generate 200 schemas, output', 'files', output.length, 'files'));
    walls.sort((a, b) => a - b);
    const median = walls[1]!;
    console.log(`generate 200 schemas (whole command, fresh process): median ${median.toFixed(0)} ms of ${walls.map((w) => w.toFixed(0)).join(', ')}`);
    rows.push(row('codegen', 'generate 200 schemas, whole command in a fresh process, median of 3', 'wallMs', Math.round(median), 'ms'));
    rows.push(row('codegen', 'generate 200 schemas, whole command in a fresh process, median of 3', 'targetWallMs', 3000, 'ms'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

function opsPerSecond(decode: (buffer: Buffer) => unknown, buffers: readonly Buffer[], milliseconds: number): number {
  let count = 0;
  let sink = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < milliseconds) {
    for (const buffer of buffers) {
      if (decode(buffer) !== undefined) sink += 1;
    }
    count += buffers.length;
    elapsed = performance.now() - started;
  }
  if (sink !== count) throw new Error('a decode returned undefined');
  return (count / elapsed) * 1000;
}

function decodeBench(rows: BenchRow[], name: string, model: { type: avro.Type; schema: unknown; decode(b: Buffer): unknown }): void {
  const buffers = Array.from({ length: 500 }, () => model.type.toBuffer(randomValue(model.type)));
  // Raw avsc on the same schema: the same logical types (decimal.js, Date...), no class binding.
  const raw = new AvroTypes([model.schema as never]).get((model.type as avro.Type & { name: string }).name);
  // Plain avsc, no logical types at all (decimals stay Buffers, timestamps numbers): for reference.
  const plain = avro.Type.forSchema(model.schema as avro.Schema, { wrapUnions: 'auto' });
  const decoders = {
    generated: (b: Buffer) => model.decode(b),
    raw: (b: Buffer) => raw.fromBuffer(b),
    plain: (b: Buffer) => plain.fromBuffer(b),
  };
  const best = { generated: 0, raw: 0, plain: 0 };
  const ratios: number[] = [];
  for (const decode of Object.values(decoders)) opsPerSecond(decode, buffers, 300); // warm-up
  // Interleaved rounds (alternating which goes first); the ratio is the median of the rounds'
  // generated/raw ratios, each measured back to back, so a noisy neighbour skews both alike.
  for (let round = 0; round < 9; round += 1) {
    const order = (round % 2 === 0 ? ['generated', 'raw', 'plain'] : ['raw', 'generated', 'plain']) as (keyof typeof best)[];
    const measured = { generated: 0, raw: 0, plain: 0 };
    for (const key of order) {
      measured[key] = opsPerSecond(decoders[key], buffers, 300);
      best[key] = Math.max(best[key], measured[key]);
    }
    ratios.push(measured.generated / measured.raw);
  }
  ratios.sort((a, b) => a - b);
  const ratio = ratios[Math.floor(ratios.length / 2)]!;
  console.log(
    `decode ${name}: generated ${Math.round(best.generated)}/s, raw avsc ${Math.round(best.raw)}/s (ratio ${ratio.toFixed(3)}), ` +
      `plain avsc without logical types ${Math.round(best.plain)}/s`,
  );
  rows.push(row('codegen', `decode ${name}, generated class, best of 9 rounds`, 'recordsPerSec', Math.round(best.generated), 'records/s'));
  rows.push(row('codegen', `decode ${name}, raw avsc fromBuffer with the same logical types, best of 9 rounds`, 'recordsPerSec', Math.round(best.raw), 'records/s'));
  rows.push(row('codegen', `decode ${name}, generated class / raw avsc, median of 9 interleaved rounds`, 'ratio', Number(ratio.toFixed(3)), 'x'));
  rows.push(row('codegen', `decode ${name}, plain avsc fromBuffer without logical types, best of 9 rounds`, 'recordsPerSec', Math.round(best.plain), 'records/s'));
}

const rows: BenchRow[] = [];
generationBench(rows);
decodeBench(rows, 'com.acme.orders.Order', Order);
decodeBench(rows, 'spec.unions.Unions', Unions);
rows.push(row('codegen', 'all cases', 'loadAverage1m', Number(loadavg()[0]!.toFixed(2)), 'load'));
console.log(`wrote ${writeResults('codegen', rows)}`);
