import type { NamedType } from './model.js';

/**
 * Naming rules of the generated code.
 *
 * - Avro names are `[A-Za-z_][A-Za-z0-9_]*`, so they are valid JavaScript identifiers unless they
 *   are reserved words, and they never contain `$`: everything mephisto adds to a class (`$type`,
 *   `$encode` when a field is named `encode`...) or imports under a private name starts with `$`.
 * - A type whose simple name is a reserved word, a TypeScript built-in type name, or a global the
 *   generated code uses (`Buffer`, `Date`...) gets a `_` suffix as its identifier: record `class`
 *   is class `class_`, record `Date` is class `Date_`. Its Avro full name is unchanged.
 * - Fields keep their Avro names as property names (`order.class`, `order.default` are valid).
 */
const reservedWords = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if import in instanceof new null return super switch this throw true try typeof var void while with ' +
    'implements interface let package private protected public static yield await ' +
    'any unknown never string number boolean bigint symbol object undefined type of as satisfies keyof infer is ' +
    'asserts declare abstract readonly namespace module require global arguments eval constructor prototype ' +
    'Buffer Date Decimal Object Array JSON Error Symbol Number String Boolean BigInt Math Promise Function Map Set ' +
    'Record Partial Readonly NaN Infinity globalThis modelName AvroType AvroSchemaJSON Init Json'
  ).split(' '),
);

export function safeIdentifier(name: string): string {
  return reservedWords.has(name) ? `${name}_` : name;
}

/** The identifier a named type is exported under from its own module. */
export function typeIdentifier(type: Pick<NamedType, 'name'>): string {
  return safeIdentifier(type.name);
}

/** Files at the root of `generated/` that a null-namespace type's module must not take. */
const rootFiles = new Set(['index', 'topics']);

/** The module of a named type, relative to the output directory: `com/acme/orders/Order.ts`. */
export function modulePath(type: Pick<NamedType, 'name' | 'namespace'>): string {
  if (type.namespace === '') return `${rootFiles.has(type.name.toLowerCase()) ? `${type.name}_` : type.name}.ts`;
  return `${type.namespace.split('.').join('/')}/${type.name}.ts`;
}

/** A relative import specifier from one output module to another, with the `.js` NodeNext wants. */
export function importSpecifier(from: string, to: string): string {
  const fromParts = from.split('/').slice(0, -1);
  const toParts = to.split('/');
  let common = 0;
  while (common < fromParts.length && common < toParts.length - 1 && fromParts[common] === toParts[common]) common += 1;
  const up = fromParts.length - common;
  const rest = toParts.slice(common).join('/').replace(/\.ts$/, '.js');
  return up === 0 ? `./${rest}` : `${'../'.repeat(up)}${rest}`;
}

/** A qualified identifier for a full name, used when simple names clash: `com_acme_Order`. */
export function qualifiedIdentifier(fullName: string): string {
  return safeIdentifier(fullName.replaceAll('.', '_'));
}

/**
 * Local names in one module: the module's own identifiers first, then each imported type under its
 * own identifier, or its qualified one when that is taken.
 */
export class LocalNames {
  readonly #taken = new Set<string>();
  readonly #byFullName = new Map<string, string>();

  constructor(own: readonly string[]) {
    for (const name of own) this.#taken.add(name);
  }

  claim(fullName: string, identifier: string): string {
    const existing = this.#byFullName.get(fullName);
    if (existing !== undefined) return existing;
    let local = this.#taken.has(identifier) ? qualifiedIdentifier(fullName) : identifier;
    while (this.#taken.has(local)) local = `${local}_`;
    this.#taken.add(local);
    this.#byFullName.set(fullName, local);
    return local;
  }

  get(fullName: string): string | undefined {
    return this.#byFullName.get(fullName);
  }
}

/** A topic's name as a camelCase identifier: `order-summaries` → `orderSummaries`. */
export function topicIdentifier(topic: string): string {
  const words = topic.split(/[^A-Za-z0-9]+/).filter((word) => word !== '');
  let identifier = words.map((word, i) => (i === 0 ? word : word[0]!.toUpperCase() + word.slice(1))).join('');
  if (identifier === '' || /^[0-9]/.test(identifier)) identifier = `topic_${identifier}`;
  return identifier === 'topics' ? 'topics_' : safeIdentifier(identifier);
}

/** Makes text safe inside a `/** ... *\/` comment: a doc holding `*\/` must not end the comment. */
export function docComment(doc: string): string[] {
  const safe = doc.replaceAll('*/', '*\\/').replaceAll('\r\n', '\n');
  return ['/**', ...safe.split('\n').map((line) => (line === '' ? ' *' : ` * ${line.replace(/\s+$/, '')}`)), ' */'];
}
