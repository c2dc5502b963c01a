// Kong's 400 bodies for invalid plugin entities (kong/db/errors.lua): `schema_violation` (code 2,
// Admin API and `POST /schemas/plugins/validate`) and `declarative_config` (code 14, `POST /config`,
// nested or with `?flatten_errors=1`).
import { flattenErrorTree } from './error-paths';
import { luaPrettyWrite } from './lua-text';
import type { EntityErrors, ErrorTree, JsonObject } from './types';
import { isPlainObject } from './values';

function sortedKeys(tree: Exclude<ErrorTree, string>): Array<[string, ErrorTree]> {
  if (Array.isArray(tree)) {
    return tree.flatMap((v, i) => (v === null || v === undefined ? [] : [[String(i + 1), v] as [string, ErrorTree]]));
  }
  return Object.entries(tree).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Kong's schema-violation message: one item per second-level key, sorted (`config.alg: …`),
 * deeper tables written with pl.pretty; "schema violation (x)" or "N schema violations (x; y)".
 */
function schemaViolationMessage(errors: EntityErrors): string {
  const buf: string[] = [];
  const entity = errors['@entity'];
  if (Array.isArray(entity)) for (const m of entity) if (typeof m === 'string') buf.push(m);
  for (const [field, fieldErrors] of sortedKeys(errors)) {
    if (field === '@entity') continue;
    if (typeof fieldErrors === 'string') {
      buf.push(`${field}: ${fieldErrors}`);
      continue;
    }
    for (const [sub, value] of sortedKeys(fieldErrors)) {
      buf.push(`${field}.${sub}: ${typeof value === 'string' ? value : luaPrettyWrite(value)}`);
    }
  }
  return buf.length === 1 ? `schema violation (${buf[0]})` : `${buf.length} schema violations (${buf.join('; ')})`;
}

/** 400 body for a plugin entity's errors (as returned by validatePluginEntity). */
export function entitySchemaViolationBody(errors: EntityErrors): JsonObject {
  return { code: 2, name: 'schema violation', fields: errors, message: schemaViolationMessage(errors) };
}

/** 400 body of `POST /schemas/plugins/validate` (and Admin API writes) for errors in `config`. */
export function schemaViolationBody(errors: ErrorTree): JsonObject {
  return entitySchemaViolationBody({ config: errors });
}

/** One invalid entity of a declarative config. */
export interface DeclarativeEntityError {
  /** Kong's entity type, singular (`plugin`). */
  entityType: string;
  /** Shown as `entity_name` when a non-empty string (Kong: the entity's `name`). */
  entityName?: string;
  /** The entity as the user wrote it. */
  entity: object;
  /** Entity-level errors, e.g. `{ config: { issuer: 'required field missing' } }` (validatePluginEntity's). */
  errors: EntityErrors;
  /**
   * Where the entity sits in the declarative config, 0-based, e.g. `['services', 0, 'routes', 4, 'plugins', 0]`.
   * Needed for the nested form; also orders the flattened list as Kong does. Default: `['plugins', <position in the list>]`.
   */
  path?: Array<string | number>;
}

/** Kong echoes the entity from a Lua table: empty arrays come back as `{}`. */
function asLuaEcho(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? {} : v.map(asLuaEcho);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asLuaEcho(x)]));
  return v;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function flattenedEntry(e: DeclarativeEntityError): JsonObject {
  const entity = e.entity as JsonObject;
  const out: JsonObject = {
    entity_type: e.entityType,
    entity: asLuaEcho(entity),
    errors: flattenErrorTree(e.errors, '', 'kong-drain'),
  };
  const name = e.entityName ?? entity.name;
  if (typeof name === 'string' && name.length > 0) out.entity_name = name;
  if (typeof entity.id === 'string' && UUID_RE.test(entity.id)) out.entity_id = entity.id;
  if (Array.isArray(entity.tags) && entity.tags.length > 0 && entity.tags.every((t) => typeof t === 'string')) out.entity_tags = entity.tags;
  return out;
}

/**
 * Kong's order of flattened errors: top-level sections and their entries are drained in descending
 * order, entities nested inside them are visited in ascending order.
 */
function compareKongOrder(a: Array<string | number>, b: Array<string | number>): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    const descending = i < 2;
    const cmp = typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : 1;
    return descending ? -cmp : cmp;
  }
  // Kong reports nested (child) entities before their parent.
  return b.length - a.length;
}

/** Puts `value` at `path` (0-based indexes) into a tree of objects and sparse arrays. */
function placeAt(root: JsonObject, path: Array<string | number>, value: unknown): void {
  let cur: JsonObject | unknown[] = root;
  path.forEach((key, i) => {
    const last = i === path.length - 1;
    const nextIsIndex = !last && typeof path[i + 1] === 'number';
    const container = cur as Record<string | number, unknown>;
    if (last) container[key] = value;
    else if (container[key] === undefined || container[key] === null) container[key] = nextIsIndex ? [] : {};
    cur = container[key] as JsonObject | unknown[];
  });
}

function fillHoles(v: unknown): unknown {
  if (Array.isArray(v)) return Array.from(v, (x) => (x === undefined ? null : fillHoles(x)));
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillHoles(x)]));
  return v;
}

/** 400 body of `POST /config` (code 14) for invalid entities; `flatten` = `?flatten_errors=1`. */
export function declarativeErrorBody(entities: DeclarativeEntityError[], flatten: boolean): JsonObject {
  const located = entities.map((e, i) => ({ e, path: e.path ?? ['plugins', i] }));
  if (flatten) {
    located.sort((a, b) => compareKongOrder(a.path, b.path));
    // Flattening drains Kong's error table, so `fields` and the message are left empty.
    return {
      code: 14,
      name: 'invalid declarative configuration',
      fields: {},
      message: 'declarative config is invalid: {}',
      flattened_errors: located.map(({ e }) => flattenedEntry(e)),
    };
  }
  const fields: JsonObject = {};
  for (const { e, path } of located) placeAt(fields, path, e.errors);
  const tree = fillHoles(fields) as JsonObject;
  return {
    code: 14,
    name: 'invalid declarative configuration',
    fields: tree,
    message: `declarative config is invalid: ${luaPrettyWrite(tree, '')}`,
  };
}
