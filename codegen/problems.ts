import type { Location } from './model.js';

/** One thing wrong with the input, and where: reported all together, never one at a time. */
export interface SchemaProblem extends Location {
  readonly message: string;
}

export function formatProblem(problem: SchemaProblem): string {
  return `${problem.file}: ${problem.path}: ${problem.message}`;
}

/** Collects problems while a pass goes on, so that one run reports every one of them. */
export class Problems {
  readonly list: SchemaProblem[] = [];

  add(location: Location, message: string): void {
    this.list.push({ file: location.file, path: location.path, message });
  }

  get empty(): boolean {
    return this.list.length === 0;
  }
}

/** Extends a JSON path: `$.fields[2]` + `type` → `$.fields[2].type`; numbers become `[n]`. */
export function at(location: Location, ...segments: readonly (string | number)[]): Location {
  let path = location.path;
  for (const segment of segments) {
    path += typeof segment === 'number' ? `[${segment}]` : /^[A-Za-z_$][\w$]*$/.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
  }
  return { file: location.file, path };
}
