import { describe, expect, it } from 'vitest';
import { generate } from '../../codegen/index.js';
import { isSchemaError, type SchemaError } from '../../src/errors.js';

type File = { path: string; text: string };
const file = (path: string, json: unknown): File => ({ path, text: typeof json === 'string' ? json : JSON.stringify(json) });
const record = (name: string, fields: unknown[]) => ({ type: 'record', name, fields });

function problems(schemas: File[], manifest?: File): { file: string; path: string; message: string }[] {
  try {
    generate(manifest === undefined ? { schemas } : { schemas, manifest });
  } catch (error) {
    if (isSchemaError(error)) return [...(error as SchemaError).problems];
    throw error;
  }
  throw new Error('expected a SchemaError');
}

type Case = readonly [name: string, spec: { given: File[]; manifest?: File; want: { file: string; path: string; message: RegExp }[] }];

const cases: Case[] = [
  ['unreadable JSON, with line and column', {
    given: [file('bad.avsc', '{\n  "type": "record",\n  "name": oops\n}')],
    want: [{ file: 'bad.avsc', path: '$', message: /unreadable JSON at line 3, column \d+/ }],
  }],
  ['unknown type name', {
    given: [file('r.avsc', record('a.R', [{ name: 'x', type: 'Missing' }]))],
    want: [{ file: 'r.avsc', path: '$.fields[0].type', message: /unknown type name "Missing" \(looked for a\.Missing\)/ }],
  }],
  ['duplicate full name across files', {
    given: [file('one.avsc', record('a.R', [])), file('two.avsc', record('a.R', []))],
    want: [{ file: 'two.avsc', path: '$.name', message: /duplicate full name a\.R: already defined in one\.avsc at \$/ }],
  }],
  ['a duplicate definition\'s body is checked too (every problem in one run)', {
    given: [
      file('one.avsc', record('a.R', [])),
      file('two.avsc', record('a.R', [{ name: 'x', type: 'Missing' }, { name: 'n', type: 'int', default: 'x' }, { name: 'e', type: { type: 'enum', name: 'a.E', symbols: ['A', 'A'] } }])),
    ],
    want: [
      { file: 'two.avsc', path: '$.fields[0].type', message: /unknown type name "Missing"/ },
      { file: 'two.avsc', path: '$.fields[1].default', message: /field "n": expected an int.*got "x"/ },
      { file: 'two.avsc', path: '$.fields[2].type.symbols[1]', message: /duplicate enum symbol "A"/ },
      { file: 'two.avsc', path: '$.name', message: /duplicate full name a\.R: already defined in one\.avsc at \$/ },
    ],
  }],
  ['an attribute named __proto__, at any depth (in the generated literal it would set a prototype)', {
    // as JSON text: a JavaScript literal's __proto__ would set a prototype, not a key
    given: [file('p.avsc', '{"type":"record","name":"a.P","fields":[{"name":"x","type":"int","x-meta":{"list":[{"__proto__":1}]}}],"__proto__":{"polluted":true}}')],
    want: [
      { file: 'p.avsc', path: '$.__proto__', message: /attribute named "__proto__" cannot be kept/ },
      { file: 'p.avsc', path: '$.fields[0]["x-meta"].list[0].__proto__', message: /attribute named "__proto__" cannot be kept/ },
    ],
  }],
  ['invalid default', {
    given: [file('r.avsc', record('a.R', [{ name: 'n', type: 'int', default: 'x' }, { name: 'u', type: ['null', 'string'], default: 'y' }]))],
    want: [
      { file: 'r.avsc', path: '$.fields[0].default', message: /field "n": expected an int.*got "x"/ },
      { file: 'r.avsc', path: '$.fields[1].default', message: /first branch.*put the default's branch first/ },
    ],
  }],
  ['invalid names', {
    given: [file('r.avsc', record('a.9R', [])), file('s.avsc', record('a.S', [{ name: 'my-field', type: 'int' }, { name: '__proto__', type: 'int' }]))],
    want: [
      { file: 'r.avsc', path: '$.name', message: /invalid name "a\.9R"/ },
      { file: 's.avsc', path: '$.fields[0].name', message: /invalid field name "my-field"/ },
      { file: 's.avsc', path: '$.fields[1].name', message: /"__proto__" cannot be a JavaScript property/ },
    ],
  }],
  ['bad enums, fixed and unions', {
    given: [file('x.avsc', [
      { type: 'enum', name: 'a.E', symbols: ['A', 'A', 'toString'], default: 'Z' },
      { type: 'fixed', name: 'a.F', size: -1 },
      record('a.U', [{ name: 'u', type: ['int', 'int'] }, { name: 'v', type: ['null', ['int']] }]),
    ])],
    want: [
      { file: 'x.avsc', path: '$[0].symbols[1]', message: /duplicate enum symbol "A"/ },
      { file: 'x.avsc', path: '$[0].symbols[2]', message: /"toString" is a property of every JavaScript object/ },
      { file: 'x.avsc', path: '$[0].default', message: /must be one of its symbols/ },
      { file: 'x.avsc', path: '$[1].size', message: /non-negative integer/ },
      { file: 'x.avsc', path: '$[2].fields[0].type[1]', message: /two branches of type int/ },
      { file: 'x.avsc', path: '$[2].fields[1].type[1]', message: /cannot directly contain another union/ },
    ],
  }],
  ['a file that is not a named type', {
    given: [file('p.avsc', '"string"')],
    want: [{ file: 'p.avsc', path: '$', message: /must hold a named type/ }],
  }],
  ['bad topic manifest references', {
    given: [file('r.avsc', record('a.Order', []))],
    manifest: file('topics.json', { topics: { orders: { key: 'string', value: 'Order', partitions: 0 }, 'bad topic': { key: 'string', value: 'a.Order' }, t: { key: 'nope', value: 'a.Order', extra: 1 } } }),
    want: [
      { file: 'topics.json', path: '$.topics["bad topic"]', message: /invalid topic name/ },
      { file: 'topics.json', path: '$.topics.orders.value', message: /unknown type "Order"; did you mean a\.Order\?/ },
      { file: 'topics.json', path: '$.topics.orders.partitions', message: /positive integer, got 0/ },
      { file: 'topics.json', path: '$.topics.t.extra', message: /unknown topic setting "extra"/ },
      { file: 'topics.json', path: '$.topics.t.key', message: /unknown type "nope"/ },
    ],
  }],
  ['types whose modules would be the same file', {
    given: [file('i.avsc', record('index', [])), file('j.avsc', record('index_', [])), file('f.avsc', record('a.Foo', [])), file('g.avsc', record('a.foo', []))],
    want: [
      { file: 'j.avsc', path: '$', message: /index_ and index \(i\.avsc\) would both be generated as index_\.ts/ },
      { file: 'g.avsc', path: '$', message: /a\.foo and a\.Foo \(f\.avsc\) would both be generated as a\/foo\.ts \(file names are compared without case\)/ },
    ],
  }],
  ['topics that would share an identifier in topics.ts', {
    given: [file('r.avsc', record('a.Order', []))],
    manifest: file('topics.json', { topics: { 'order-summaries': { key: 'string', value: 'a.Order' }, order_summaries: { key: 'string', value: 'a.Order' } } }),
    want: [{ file: 'topics.json', path: '$.topics.order_summaries', message: /topics "order-summaries" and "order_summaries" would both be exported as `orderSummaries`/ }],
  }],
];

describe('input errors name the file and the place, all of them in one run', () => {
  it.each(cases)('%s', (_name, { given, manifest, want }) => {
    const found = problems(given, manifest);
    expect(found).toHaveLength(want.length);
    for (const expected of want) {
      expect(found.some((p) => p.file === expected.file && p.path === expected.path && expected.message.test(p.message)),
        `${expected.file} ${expected.path} ${expected.message} in ${JSON.stringify(found, null, 1)}`).toBe(true);
    }
  });
});

describe('resolution', () => {
  it('references resolve in any file order, across files and cycles', () => {
    const files = generate({
      schemas: [
        file('b.avsc', record('x.B', [{ name: 'a', type: ['null', 'x.A'] }])),
        file('a.avsc', record('x.A', [{ name: 'b', type: ['null', 'B'] }, { name: 'self', type: { type: 'array', items: 'A' } }])),
      ],
    });
    expect(files.map((f) => f.path)).toEqual(['avro-types.ts', 'index.ts', 'x/A.ts', 'x/B.ts']);
  });

  it('a simple name falls back to the null namespace, as in Java', () => {
    const files = generate({ schemas: [file('g.avsc', record('G', [])), file('r.avsc', record('x.R', [{ name: 'g', type: 'G' }]))] });
    expect(files.find((f) => f.path === 'x/R.ts')!.content).toContain("import type { G } from '../G.js';");
  });
});
