import avro from 'avsc';
import { Decimal } from './decimal.js';

/**
 * The Avro logical types mephisto maps to richer JavaScript values. Each one is exact both ways:
 * decoding then encoding gives back the same bytes, and a value that cannot be written without loss
 * is rejected with a message saying why, never rounded.
 *
 * | logical type            | value                                   |
 * |-------------------------|-----------------------------------------|
 * | decimal (bytes, fixed)  | decimal.js `Decimal`                    |
 * | timestamp-millis        | `Date`                                  |
 * | date                    | `string`, ISO calendar date `YYYY-MM-DD`|
 * | time-micros             | `number` of microseconds after midnight |
 *
 * The others (uuid, time-millis, timestamp-micros, local-timestamp-*) keep their underlying
 * type's value (`string`, `number`, or `bigint` for longs in bigint mode), and an unknown or
 * invalid logical type falls back to its underlying type, as the specification says.
 */

type Tap = unknown;
type Schema = Record<string, unknown>;

const LogicalTypeBase = avro.types.LogicalType as unknown as new (schema: unknown, opts?: unknown) => LogicalBase;
interface LogicalBase {
  readonly underlyingType: avro.Type;
  _fromValue(value: unknown): unknown;
  _toValue(value: unknown): unknown;
  _resolve(type: avro.Type): ((value: unknown) => unknown) | undefined;
  _update(resolver: { _read: (tap: Tap) => unknown }, type: avro.Type, opts: unknown): void;
  random(): unknown;
}

/** Makes resolution (schema evolution) read through the underlying type's own resolver. */
function updateThroughUnderlying(this: LogicalBase, resolver: { _read: (tap: Tap) => unknown }, writer: avro.Type, opts: unknown): void {
  const inner = this.underlyingType.createResolver(unwrapLogical(writer), opts as never) as unknown as {
    _read: (tap: Tap) => unknown;
  };
  resolver._read = (tap: Tap) => this._fromValue(inner._read(tap));
}

function unwrapLogical(type: avro.Type): avro.Type {
  return avro.Type.isType(type, 'logical') ? (type as unknown as LogicalBase).underlyingType : type;
}

// ---------------------------------------------------------------------------------------------
// decimal

/** Whether a decimal schema is valid; an invalid one falls back to its underlying type. */
export function decimalParams(schema: Schema): { precision: number; scale: number } | undefined {
  const { precision, scale = 0 } = schema as { precision?: unknown; scale?: unknown };
  if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < 1) return undefined;
  if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > precision) return undefined;
  if (schema.type === 'fixed') {
    const size = schema.size;
    if (typeof size !== 'number' || precision > Math.floor(Math.log10(2) * (8 * size - 1))) return undefined;
  }
  if (schema.type !== 'bytes' && schema.type !== 'fixed') return undefined;
  return { precision, scale };
}

export class DecimalType extends LogicalTypeBase {
  readonly precision: number;
  readonly scale: number;
  readonly size: number | undefined;

  constructor(schema: Schema, opts?: unknown) {
    super(schema, opts);
    const params = decimalParams(schema);
    if (params === undefined) throw new Error('invalid decimal');
    this.precision = params.precision;
    this.scale = params.scale;
    this.size = schema.type === 'fixed' ? (schema.size as number) : undefined;
  }

  override _fromValue(buffer: unknown): Decimal {
    if (Decimal.isDecimal(buffer)) return buffer as Decimal;
    const bytes = buffer as Buffer;
    if (bytes.length === 0) return new Decimal(0);
    if (bytes.length <= 6) {
      // Up to 48 bits: exact as a number, and several times faster than going through a bigint.
      const unscaled = bytes.readIntBE(0, bytes.length);
      return new Decimal(scaled(String(Math.abs(unscaled)), unscaled < 0, this.scale));
    }
    let unscaled = BigInt(`0x${bytes.toString('hex')}`);
    if ((bytes[0]! & 0x80) !== 0) unscaled -= 1n << BigInt(bytes.length * 8);
    return new Decimal(withScale(unscaled, this.scale));
  }

  override _toValue(value: unknown): Buffer | undefined {
    if (!Decimal.isDecimal(value)) return undefined;
    const decimal = value as Decimal;
    if (!decimal.isFinite()) return undefined;
    if (decimal.decimalPlaces() > this.scale) return undefined;
    const digits = decimal.toFixed(this.scale).replace('.', '').replace(/^-/, '').replace(/^0+(?=\d)/, '');
    if (digits.length > this.precision) return undefined;
    const unscaled = BigInt(decimal.toFixed(this.scale).replace('.', ''));
    return twosComplement(unscaled, this.size);
  }

  override _resolve(): undefined {
    return undefined;
  }

  override _update(resolver: { _read: (tap: Tap) => unknown }, type: avro.Type, opts: unknown): void {
    // Decimals match only with the same precision and scale (Avro spec, schema resolution): read
    // with another scale, the unscaled digits would silently mean another number (12.34 -> 1.234).
    if (type instanceof DecimalType && (type.scale !== this.scale || type.precision !== this.precision)) {
      throw new Error(
        `decimal(${this.precision}, ${this.scale}) cannot read decimal(${type.precision}, ${type.scale}): decimals resolve only with the same precision and scale`,
      );
    }
    updateThroughUnderlying.call(this, resolver, type, opts);
  }

  /** A random value within precision and scale (avsc's would be random bytes, often too many digits). */
  override random(): Decimal {
    const digits = 1 + Math.floor(Math.random() * this.precision);
    let text = '';
    for (let i = 0; i < digits; i += 1) text += String(Math.floor(Math.random() * 10));
    const unscaled = BigInt(text) * (Math.random() < 0.5 ? -1n : 1n);
    return new Decimal(withScale(unscaled, this.scale));
  }
}

function withScale(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  return scaled((negative ? -unscaled : unscaled).toString(), negative, scale);
}

/** The decimal text of an unscaled integer's digits: `scaled('1234', false, 2)` is `12.34`. */
function scaled(unsignedDigits: string, negative: boolean, scale: number): string {
  const digits = unsignedDigits.padStart(scale + 1, '0');
  const whole = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${whole}` : whole;
}

/** Big-endian two's complement: the shortest form for bytes, sign-extended to `size` for fixed. */
function twosComplement(value: bigint, size: number | undefined): Buffer | undefined {
  let length = 1;
  while (value < -(1n << BigInt(8 * length - 1)) || value >= 1n << BigInt(8 * length - 1)) length += 1;
  if (size !== undefined) {
    if (length > size) return undefined;
    length = size;
  }
  const unsigned = value < 0n ? (1n << BigInt(8 * length)) + value : value;
  return Buffer.from(unsigned.toString(16).padStart(2 * length, '0'), 'hex');
}

// ---------------------------------------------------------------------------------------------
// timestamp-millis

const maxDateMillis = 8.64e15;

export class TimestampMillisType extends LogicalTypeBase {
  readonly bigint: boolean = this.underlyingType.typeName === 'abstract:long';

  override _fromValue(value: unknown): Date {
    if (value instanceof Date) return value;
    const millis = Number(value);
    if (!(Math.abs(millis) <= maxDateMillis)) {
      throw new RangeError(`timestamp-millis ${String(value)} is outside the range of a JavaScript Date (±8.64e15 ms)`);
    }
    return new Date(millis);
  }

  override _toValue(value: unknown): number | bigint | undefined {
    if (!(value instanceof Date)) return undefined;
    const millis = value.getTime();
    if (Number.isNaN(millis)) return undefined;
    return this.bigint ? BigInt(millis) : millis;
  }

  override _resolve(): undefined {
    return undefined;
  }

  override _update(resolver: { _read: (tap: Tap) => unknown }, type: avro.Type, opts: unknown): void {
    updateThroughUnderlying.call(this, resolver, type, opts);
  }

  override random(): Date {
    return new Date(Math.floor(Math.random() * 4e12));
  }
}

// ---------------------------------------------------------------------------------------------
// date

const isoDate = /^([+-]\d{6,}|\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 → proleptic Gregorian `YYYY-MM-DD` (exact for every int). */
export function dateFromDays(days: number): string {
  // Howard Hinnant's civil_from_days.
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const yearText =
    year >= 0 && year <= 9999 ? String(year).padStart(4, '0') : `${year < 0 ? '-' : '+'}${String(Math.abs(year)).padStart(6, '0')}`;
  return `${yearText}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** `YYYY-MM-DD` → days since 1970-01-01, or undefined when it is not a valid calendar date. */
export function daysFromDate(text: string): number | undefined {
  const match = isoDate.exec(text);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1) return undefined;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  if (day > monthDays) return undefined;
  // Hinnant's days_from_civil.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146097 + doe - 719468;
  if (days < -2147483648 || days > 2147483647) return undefined;
  if (dateFromDays(days) !== text) return undefined;
  return days;
}

export class DateType extends LogicalTypeBase {
  override _fromValue(value: unknown): string {
    return typeof value === 'string' ? value : dateFromDays(value as number);
  }

  override _toValue(value: unknown): number | undefined {
    return typeof value === 'string' ? daysFromDate(value) : undefined;
  }

  override _resolve(): undefined {
    return undefined;
  }

  override _update(resolver: { _read: (tap: Tap) => unknown }, type: avro.Type, opts: unknown): void {
    updateThroughUnderlying.call(this, resolver, type, opts);
  }

  override random(): string {
    return dateFromDays(Math.floor(Math.random() * 40000) - 10000);
  }
}

// ---------------------------------------------------------------------------------------------
// time-micros: a long, but always within a day, so a number even in bigint mode

export class TimeMicrosType extends LogicalTypeBase {
  readonly bigint: boolean = this.underlyingType.typeName === 'abstract:long';

  override _fromValue(value: unknown): number {
    return Number(value);
  }

  override _toValue(value: unknown): number | bigint | undefined {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) return undefined;
    return this.bigint ? BigInt(value) : value;
  }

  override _resolve(): undefined {
    return undefined;
  }

  override _update(resolver: { _read: (tap: Tap) => unknown }, type: avro.Type, opts: unknown): void {
    updateThroughUnderlying.call(this, resolver, type, opts);
  }

  override random(): number {
    return Math.floor(Math.random() * 86_400_000_000);
  }
}

/** Logical types with their own value, keyed by name, with the underlying types they accept. */
export const logicalTypes: Readonly<Record<string, { readonly underlying: readonly string[]; readonly type: new (schema: Schema, opts?: unknown) => LogicalBase }>> =
  Object.freeze({
    decimal: { underlying: ['bytes', 'fixed'], type: DecimalType },
    'timestamp-millis': { underlying: ['long'], type: TimestampMillisType },
    date: { underlying: ['int'], type: DateType },
    'time-micros': { underlying: ['long'], type: TimeMicrosType },
  });

/** Whether `schema` is a logical type that mephisto maps to its own value (valid for its underlying type). */
export function ownLogicalType(schema: unknown): string | undefined {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
  const { logicalType, type } = schema as Schema;
  if (typeof logicalType !== 'string') return undefined;
  const entry = logicalTypes[logicalType];
  if (entry === undefined || typeof type !== 'string' || !entry.underlying.includes(type)) return undefined;
  if (logicalType === 'decimal' && decimalParams(schema as Schema) === undefined) return undefined;
  return logicalType;
}
