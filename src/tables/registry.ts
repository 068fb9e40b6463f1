import type { AppInternals } from '../app/hooks.js';
import { TablesWebView } from './http.js';
import type { Table } from './table.js';

const registered = new WeakMap<AppInternals, Table<any, any, any>[]>();

/**
 * Called by Table's constructor: keeps the tables of an app, for the HTTP view and
 * `mephisto tables`; the first table of an app also registers the HTTP view's component.
 */
export function registerTable(internals: AppInternals, table: Table<any, any, any>): void {
  let list = registered.get(internals);
  if (list === undefined) {
    registered.set(internals, (list = []));
    internals.registerComponent(new TablesWebView(internals));
  }
  list.push(table);
}

/** The tables declared on an app, in declaration order. */
export function tablesOf(internals: AppInternals): readonly Table<any, any, any>[] {
  return registered.get(internals) ?? [];
}
