// Walks an error tree into `{ field: "config.keys.2.kid", message }` entries, the way Kong's
// `flatten_errors` (kong/db/errors.lua) does for `POST /config?flatten_errors=1`: array positions
// are Lua's 1-based indexes, `@entity` messages become entity errors. Kong drains each table's keys
// from a sorted list by popping, so it emits them in *descending* key order; `order: 'ascending'`
// gives the readable order used elsewhere.
import type { ErrorTree } from './types';

export type FlatError = { type: 'field'; field: string; message: string } | { type: 'entity'; message: string };

function join(ns: string, key: string): string {
  return ns === '' ? key : `${ns}.${key}`;
}

function keysOf(tree: Exclude<ErrorTree, string>): Array<[string, ErrorTree]> {
  if (Array.isArray(tree)) {
    const out: Array<[number, ErrorTree]> = [];
    tree.forEach((v, i) => {
      if (v !== null && v !== undefined) out.push([i + 1, v]);
    });
    out.sort((a, b) => a[0] - b[0]);
    return out.map(([k, v]) => [String(k), v]);
  }
  return Object.entries(tree).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function entityMessages(tree: ErrorTree, out: FlatError[]): void {
  if (typeof tree === 'string') out.push({ type: 'entity', message: tree });
  else if (Array.isArray(tree)) for (const m of tree) if (m !== null) entityMessages(m, out);
}

export function flattenErrorTree(tree: ErrorTree, ns = '', order: 'kong-drain' | 'ascending' = 'ascending', out: FlatError[] = []): FlatError[] {
  if (typeof tree === 'string') {
    out.push({ type: 'field', field: ns, message: tree });
    return out;
  }
  const entries = keysOf(tree);
  if (order === 'kong-drain') entries.reverse();
  for (const [key, err] of entries) {
    if (key === '@entity') entityMessages(err, out);
    else if (typeof err === 'string') out.push({ type: 'field', field: join(ns, key), message: err });
    else flattenErrorTree(err, join(ns, key), order, out);
  }
  return out;
}
