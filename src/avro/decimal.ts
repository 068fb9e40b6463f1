import decimalModule from 'decimal.js';
import type { Decimal as DecimalInstance } from 'decimal.js';

/**
 * decimal.js's `Decimal`, the value of Avro decimals. Its ES module build has only a default export
 * while its types describe the CommonJS one, so under NodeNext TypeScript sees the default import as
 * the module object: this re-export gives the class its right type once, for everyone.
 */
export const Decimal = decimalModule as unknown as typeof import('decimal.js').Decimal;
export type Decimal = DecimalInstance;
