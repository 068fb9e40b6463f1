// The generator as a library: `mephisto codegen` is a thin shell over `generate`.
export { generate, type GenerateInput, type GenerateOptions, type GeneratedFile } from './generate.js';
export { resolveSchemas, type SourceFile } from './resolve.js';
export type { SchemaProblem } from './problems.js';
export type * from './model.js';
