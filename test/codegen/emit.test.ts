import { describe, expect, it } from 'vitest';
import { generate, type GenerateOptions } from '../../codegen/index.js';

/** Generates one schema file and returns the module at `path`, line by line (trimmed). */
function emitted(schema: unknown, path: string, options: GenerateOptions = {}): string[] {
  const files = generate({ schemas: [{ path: 'given.avsc', text: JSON.stringify(schema) }] }, options);
  const file = files.find((f) => f.path === path);
  if (file === undefined) throw new Error(`no ${path} in ${files.map((f) => f.path).join(', ')}`);
  return file.content.split('\n').map((line) => line.trim());
}

interface Spec {
  readonly given: unknown;
  readonly path: string;
  readonly want: readonly string[];
  readonly options?: GenerateOptions;
}
type Case = readonly [name: string, spec: Spec];

const record = (name: string, fields: unknown[], extra: object = {}) => ({ type: 'record', name, fields, ...extra });

const table = {
  record: [
    ['fields, required and with defaults', {
      given: record('a.R', [{ name: 'x', type: 'int' }, { name: 'y', type: 'string', default: 'hi' }]),
      path: 'a/R.ts',
      want: ['export interface R {', 'x: number;', 'y: string;', 'export class R {', "static readonly fullName = 'a.R';",
        "declare readonly [modelName]: 'a.R';", 'x: number;', 'y?: string;', 'this.x = init.x;', "this.y = init.y === undefined ? 'hi' : init.y;",
        "get $type(): 'a.R' {", 'static decode(buffer: Buffer): R {', 'encode(): Buffer {', 'toJSON(): R.Json {', 'static fromJSON(json: R.Json): R {',
        'static validate(value: unknown): string[] {', '$bindModel(R, R.type);'],
    }],
    ['TSDoc from docs, made safe', {
      given: record('a.R', [{ name: 'x', type: 'int', doc: 'ends */ here' }], { doc: 'line one\nline */ two' }),
      path: 'a/R.ts',
      want: ['/**', '* line one', '* line *\\/ two', '*/', '* ends *\\/ here'],
    }],
    ['members renamed when a field takes their name', {
      given: record('a.R', [{ name: 'encode', type: 'int' }, { name: 'toJSON', type: 'int' }, { name: 'constructor', type: 'string' }]),
      path: 'a/R.ts',
      want: ['$encode(): Buffer {', '$toJSON(): R.Json {', 'encode: number;', 'constructor: string;', 'this.constructor = init.constructor;'],
    }],
    ['a keyword as a type name', {
      given: record('a.class', [{ name: 'default', type: 'int' }]),
      path: 'a/class.ts',
      want: ['export class class_ {', "static readonly fullName = 'a.class';", 'default: number;'],
    }],
    ['defaults built at run time', {
      given: record('a.R', [{ name: 'b', type: 'bytes', default: '\u00ff' }, { name: 'xs', type: { type: 'array', items: 'int' }, default: [1] }]),
      path: 'a/R.ts',
      want: ["this.b = init.b === undefined ? $defaultValue<Buffer>(R.type, 'b') : init.b;",
        "this.xs = init.xs === undefined ? $defaultValue<number[]>(R.type, 'xs') : init.xs;"],
    }],
  ],
  enum: [
    ['literal union and descriptor', {
      given: { type: 'enum', name: 'a.E', symbols: ['X', 'Y'], default: 'Y', doc: 'An enum.' },
      path: 'a/E.ts',
      want: ["export type E = 'X' | 'Y';", 'export const E = $defineEnum({', "fullName: 'a.E',", "symbols: ['X', 'Y'],", "default: 'Y',", "type: $types.get('a.E'),"],
    }],
  ],
  fixed: [
    ['Buffer with a size', { given: { type: 'fixed', name: 'a.F', size: 16 }, path: 'a/F.ts', want: ['export type F = Buffer;', 'size: 16,'] }],
    ['decimal fixed', {
      given: { type: 'fixed', name: 'a.M', size: 8, logicalType: 'decimal', precision: 18, scale: 4 },
      path: 'a/M.ts',
      want: ['export type M = Decimal;'],
    }],
  ],
  union: [
    ['nullable', { given: record('a.R', [{ name: 'u', type: ['null', 'string'] }]), path: 'a/R.ts', want: ['u: string | null;'] }],
    ['mixed primitives, arrays and maps', {
      given: record('a.R', [{ name: 'u', type: ['null', 'int', 'string', { type: 'array', items: 'long' }, { type: 'map', values: 'boolean' }] }]),
      path: 'a/R.ts',
      want: ['u: number | string | number[] | { [key: string]: boolean } | null;'],
    }],
    ['records narrow as a plain union', {
      given: [record('a.A', []), record('a.B', []), record('a.R', [{ name: 'u', type: ['a.A', 'a.B'] }])],
      path: 'a/R.ts',
      want: ['u: A | B;', "u: { 'a.A': A.Json } | { 'a.B': B.Json };", "import './A.js';", "import type { A } from './A.js';"],
    }],
    ['ambiguous branches stay wrapped', {
      given: record('a.R', [{ name: 'u', type: ['int', 'double', 'null'] }]),
      path: 'a/R.ts',
      want: ['u: { int: number } | { double: number } | null;'],
    }],
  ],
  collections: [
    ['arrays and maps of anything', {
      given: record('a.R', [{ name: 'm', type: { type: 'map', values: { type: 'array', items: ['null', 'int'] } } }]),
      path: 'a/R.ts',
      want: ['m: { [key: string]: Array<number | null> };'],
    }],
  ],
  logical: [
    ['own value types and fallbacks', {
      given: record('a.R', [
        { name: 'd', type: { type: 'bytes', logicalType: 'decimal', precision: 4, scale: 2 } },
        { name: 't', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'day', type: { type: 'int', logicalType: 'date' } },
        { name: 'us', type: { type: 'long', logicalType: 'time-micros' } },
        { name: 'id', type: { type: 'string', logicalType: 'uuid' } },
        { name: 'bad', type: { type: 'bytes', logicalType: 'decimal', precision: 1, scale: 2 } },
      ]),
      path: 'a/R.ts',
      want: ['d: Decimal;', 't: Date;', 'day: string;', 'us: number;', 'id: string;', 'bad: Buffer;'],
    }],
    ['long as bigint', {
      given: record('a.R', [{ name: 'n', type: 'long', default: 5 }, { name: 'us', type: { type: 'long', logicalType: 'timestamp-micros' } }]),
      path: 'a/R.ts',
      options: { long: 'bigint' },
      want: ['n: bigint;', 'us: bigint;', 'this.n = init.n === undefined ? 5n : init.n;', 'n: string;'],
    }],
  ],
  names: [
    ['same simple name in two namespaces', {
      given: [record('a.Foo', []), record('b.Foo', []), record('c.R', [{ name: 'x', type: 'a.Foo' }, { name: 'y', type: 'b.Foo' }])],
      path: 'c/R.ts',
      want: ["import type { Foo } from '../a/Foo.js';", "import type { Foo as b_Foo } from '../b/Foo.js';", 'x: Foo;', 'y: b_Foo;'],
    }],
    ['index exports both, qualified', {
      given: [record('a.Foo', []), record('b.Foo', [])],
      path: 'index.ts',
      want: ["import { Foo as a_Foo } from './a/Foo.js';", "import { Foo as b_Foo } from './b/Foo.js';", "'a.Foo': a_Foo,", "'b.Foo': b_Foo,", '} as const;'],
    }],
  ],
} satisfies Record<string, readonly Case[]> as Record<string, readonly Case[]>;

describe.each(Object.entries(table))('emit %s', (_construct, cases) => {
  it.each(cases)('%s', (_name, { given, path, want, options }) => {
    const lines = emitted(given, path, options);
    for (const line of want) expect(lines, `missing line: ${line}`).toContain(line);
  });
});

describe('generated output', () => {
  it('starts with the constant header and is the same on every run', () => {
    const input = { schemas: [{ path: 'x.avsc', text: JSON.stringify(record('a.R', [{ name: 'x', type: 'int' }])) }] };
    const first = generate(input);
    const second = generate(input);
    expect(second).toEqual(first);
    for (const file of first) expect(file.content.startsWith('// Code generated by mephisto. DO NOT EDIT.\n')).toBe(true);
  });

  it('does not depend on file order', () => {
    const a = { path: 'a.avsc', text: JSON.stringify(record('a.A', [{ name: 'b', type: 'b.B' }])) };
    const b = { path: 'b.avsc', text: JSON.stringify(record('b.B', [{ name: 'x', type: 'int' }])) };
    expect(generate({ schemas: [b, a] })).toEqual(generate({ schemas: [a, b] }));
  });
});

describe('schema attributes the Avro spec does not define', () => {
  it('are kept in the emitted schema (a registry stores and compares them): records, fields, enums, fixed, arrays, maps, primitives', () => {
    const given = {
      type: 'record',
      name: 'a.Tagged',
      'connect.name': 'a.Tagged',
      'connect.version': 3,
      fields: [
        { name: 'code', type: { type: 'string', maxLength: 12, 'avro.java.string': 'String' }, 'x-pii': false },
        { name: 'tags', type: { type: 'array', items: 'string', 'x-max': 5 } },
        { name: 'counts', type: { type: 'map', values: 'long', 'x-keys': 'urls' } },
        { name: 'kind', type: { type: 'enum', name: 'a.Kind', symbols: ['A', 'B'], 'x-owner': 'team-a' } },
        { name: 'hash', type: { type: 'fixed', name: 'a.Hash', size: 4, 'x-algo': 'crc32' } },
        { name: 'id', type: { type: 'string', logicalType: 'uuid', 'x-format': 'v4' } },
      ],
    };
    const files = generate({ schemas: [{ path: 'given.avsc', text: JSON.stringify(given) }] });
    const types = files.find((f) => f.path === 'avro-types.ts')!.content.replace(/\s+/g, '');
    for (const kept of [
      '"connect.name":"a.Tagged","connect.version":3',
      '{"type":"string","maxLength":12,"avro.java.string":"String"},"x-pii":false',
      '{"type":"array","items":"string","x-max":5}',
      '{"type":"map","values":"long","x-keys":"urls"}',
      '"symbols":["A","B"],"x-owner":"team-a"',
      '"size":4,"x-algo":"crc32"',
      '{"type":"string","logicalType":"uuid","x-format":"v4"}',
    ]) {
      expect(types).toContain(kept);
    }
    // deterministic: the same input, the same output
    expect(generate({ schemas: [{ path: 'given.avsc', text: JSON.stringify(given) }] })).toEqual(files);
  });
});
