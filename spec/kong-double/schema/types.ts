// Shapes shared by the schema modules. Values follow Kong's Lua model as seen through JSON:
// `null` is `ngx.null` (explicitly empty), `undefined`/absent is `nil`.

/** One field definition: `{ type: 'string', required: true, ... }`. */
export type FieldDef = { type: string } & Record<string, unknown>;

/** One entry of a `fields` array: a single-key map `{ <name>: FieldDef }`. */
export type FieldEntry = Record<string, FieldDef>;

/**
 * The `Schema` object of a `--dump-all-plugins` entry: `{ name, fields: [{ config: { type: 'record', fields } }] }`.
 * `fields` holds FieldEntry maps; it is typed loosely so any parsed dump can be passed in.
 */
export interface DumpedSchema {
  name: string;
  fields: unknown[];
  [key: string]: unknown;
}

/**
 * Kong's validation error table as JSON shows it: a message, an object keyed by field name (plus
 * `@entity` for entity-check messages), or a sparse array for array elements (`[null, "expected a string"]`).
 */
export type ErrorTree = string | ErrorObject | Array<ErrorTree | null>;
export interface ErrorObject {
  [field: string]: ErrorTree;
}

/** Errors of a whole plugin entity, keyed by top-level field (`config`, `protocols`, `name`, ...). */
export type EntityErrors = ErrorObject;

export type JsonObject = Record<string, unknown>;
