// A JS plugin's dumped schema as Kong installs it (Entity.new_subschema: `config` and the records
// reachable through record fields become required unless they say `required: false`), and the
// plugin-level operations built on it: config and whole-entity validation, the select-context
// form Kong sends in StartInstance, and the `GET /schemas/plugins/{name}` body.
import { randomUUID } from 'node:crypto';
import { MSG } from './messages';
import { PLUGIN_ENTITY_FIELDS } from './plugin-entity-fields';
import type { DumpedSchema, EntityErrors, ErrorTree, FieldDef, FieldEntry, JsonObject } from './types';
import { fillAndValidate, fillRecord, validateRecord } from './validate';
import { deepCopy, eachField, isPlainObject } from './values';

/** Kong's `make_records_required`, on a copy. */
function makeRecordsRequired(field: FieldDef): FieldDef {
  const out: FieldDef = { ...field };
  if (out.required === undefined) out.required = true;
  if (Array.isArray(out.fields)) {
    out.fields = out.fields.map((entry: unknown) => {
      const [name, def] = eachField([entry])[0] ?? [];
      if (name === undefined || def === undefined) return entry;
      return { [name]: def.type === 'record' ? makeRecordsRequired(def) : def };
    });
  }
  return out;
}

/** The plugin's `config` record as Kong holds it (required, nested records required). */
export function configRecord(schema: DumpedSchema): FieldDef {
  const def = eachField(schema.fields).find(([name]) => name === 'config')?.[1];
  return makeRecordsRequired(def ?? { type: 'record', fields: [] });
}

export type ConfigResult = { ok: true; config: JsonObject } | { ok: false; errors: ErrorTree };

/**
 * Validates a plugin's `config` value as Kong does inside a plugin entity. On success `config` is
 * Kong's stored form: defaults applied, sets de-duplicated, unset optional fields `null`.
 * An absent config (`undefined`) is treated as `{}`, as Kong does; `null` is "required field missing".
 */
export function validatePluginConfig(schema: DumpedSchema, input: unknown): ConfigResult {
  const { value, error } = fillAndValidate(configRecord(schema), deepCopy(input));
  if (error !== undefined) return { ok: false, errors: error };
  return { ok: true, config: value as JsonObject };
}

export type EntityResult = { ok: true; entity: JsonObject } | { ok: false; errors: EntityErrors };

export interface EntityOptions {
  /** Unix seconds for created_at/updated_at (default: now). */
  now?: number;
  /** Id for an entity given without one (default: a random UUID). */
  newId?: () => string;
}

/**
 * Validates a whole plugin entity (`{ name, config, protocols, enabled, route, … }`) as the Admin API
 * and `/schemas/plugins/validate` do. On success returns the stored entity (as `GET /plugins` shows
 * it: every field present, unset ones `null`).
 */
export function validatePluginEntity(schema: DumpedSchema, input: unknown, opts: EntityOptions = {}): EntityResult {
  if (!isPlainObject(input)) return { ok: false, errors: { '@entity': [MSG.RECORD] } };
  const data = deepCopy(input);
  // The subschema key decides everything else: without a known name Kong reports only that.
  if (data.name === undefined || data.name === null) return { ok: false, errors: { name: MSG.REQUIRED } };
  if (data.name !== schema.name) {
    const shown = typeof data.name === 'string' ? data.name : Array.isArray(data.name) ? String(data.name[0]) : String(data.name);
    return { ok: false, errors: { name: MSG.PLUGIN_NOT_ENABLED(shown) } };
  }
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (data.id === undefined) data.id = (opts.newId ?? randomUUID)();
  if (data.created_at === undefined || data.created_at === null) data.created_at = now;
  data.updated_at = now;
  const fields: FieldEntry[] = PLUGIN_ENTITY_FIELDS.map((e) => ('config' in e ? { config: configRecord(schema) } : e));
  const record: FieldDef = { type: 'record', fields };
  const filled = fillRecord(fields, data);
  const errors = validateRecord(record, filled);
  if (errors !== undefined) return { ok: false, errors };
  for (const key of ['route', 'service', 'consumer']) {
    const ref = filled[key];
    if (isPlainObject(ref)) filled[key] = { id: ref.id };
  }
  return { ok: true, entity: filled };
}

/**
 * Kong's select-context form of a stored config (what StartInstance carries): `null` fields are
 * dropped at every record level, explicit empty arrays and maps stay.
 * (Nulls can only be record fields: array elements and map values are never null in a valid config.)
 */
export function toStartInstanceConfig(config: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === null || v === undefined) continue;
    out[k] = dropNulls(v);
  }
  return out;
}

function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (isPlainObject(v)) return toStartInstanceConfig(v);
  return v;
}

/** `schema_to_jsonable`: an empty table in an attribute value is a JSON array for Kong's encoder. */
function jsonable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsonable);
  if (isPlainObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 0) return [];
    return Object.fromEntries(keys.map((k) => [k, jsonable(v[k])]));
  }
  return v;
}

/**
 * `GET /schemas/plugins/{name}` for a JS plugin. Kong 3.4 and 3.9 answer with the plugin's
 * subschema only (`fields: [{ config }]`, `entity_checks: []`), not the whole plugin entity.
 */
export function schemaEndpointBody(schema: DumpedSchema): JsonObject {
  const fields = eachField(schema.fields).map(([name, def]) => ({
    [name]: jsonable(name === 'config' ? configRecord(schema) : def),
  }));
  return { fields, entity_checks: jsonable(schema.entity_checks ?? []) };
}
