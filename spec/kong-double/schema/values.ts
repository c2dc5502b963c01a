// Small helpers for JSON values seen as Lua tables.
import type { FieldDef, FieldEntry, JsonObject } from './types';

export function isTable(v: unknown): v is JsonObject | unknown[] {
  return v !== null && typeof v === 'object';
}

export function isPlainObject(v: unknown): v is JsonObject {
  return isTable(v) && !Array.isArray(v);
}

/** Kong's `is_sequence`: a JSON array, or an empty object (Lua cannot tell `{}` from `[]`). */
export function isSequence(v: unknown): boolean {
  return Array.isArray(v) || (isPlainObject(v) && Object.keys(v).length === 0);
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** A table used as a record: a JSON array becomes `{ "1": …, "2": … }` (Lua's integer keys). */
export function asRecordInput(v: JsonObject | unknown[]): JsonObject {
  if (!Array.isArray(v)) return v;
  const out: JsonObject = {};
  v.forEach((x, i) => {
    out[String(i + 1)] = x;
  });
  return out;
}

/** Lua `pairs` over a table: [key, value] with 1-based keys for arrays. */
export function tableEntries(v: JsonObject | unknown[]): Array<[string | number, unknown]> {
  return Array.isArray(v) ? v.map((x, i) => [i + 1, x] as [number, unknown]) : Object.entries(v);
}

export function deepCopy<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => deepCopy(x)) as T;
  if (isPlainObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[k] = deepCopy(x);
    return out as T;
  }
  return v;
}

/** `[name, definition]` pairs of a `fields` array (each entry is a one-key map). */
export function eachField(fields: unknown): Array<[string, FieldDef]> {
  const out: Array<[string, FieldDef]> = [];
  for (const entry of asArray(fields)) {
    if (!isPlainObject(entry)) continue;
    const name = Object.keys(entry)[0];
    if (name !== undefined && isPlainObject(entry[name])) out.push([name, entry[name] as FieldDef]);
  }
  return out;
}

export function recordFields(field: FieldDef): FieldEntry[] {
  return asArray(field.fields) as FieldEntry[];
}

/** Kong's `is_nonempty`: not nil/null, not an empty table, not ''. */
export function isNonEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (isTable(v)) return Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0;
  return true;
}

/** Kong's `get_field`: `a.b.c` into nested tables. */
export function getPath(t: unknown, name: string): unknown {
  let cur = t;
  for (const part of name.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Kong's `set_field`: creates intermediate tables. */
export function setPath(t: JsonObject, name: string, value: unknown): void {
  const parts = name.split('.');
  let cur = t;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(cur[part])) cur[part] = {};
    cur = cur[part] as JsonObject;
  }
  cur[parts[parts.length - 1]!] = value;
}
