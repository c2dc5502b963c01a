// Kong's two validation steps for a record (kong/db/schema/init.lua): `process_auto_fields(…, "insert")`
// fills defaults (nulls for optional fields, nested required records expanded, sets de-duplicated),
// then `validate` checks every given key and the required fields. Nested records repeat both steps.
import { runEntityChecks } from './entity-checks';
import { MSG } from './messages';
import type { ErrorObject, ErrorTree, FieldDef, FieldEntry, JsonObject } from './types';
import { runValidators } from './validators';
import { asArray, asRecordInput, deepCopy, eachField, isPlainObject, isSequence, isTable, recordFields, tableEntries } from './values';

/** Kong's `handle_missing_field`: default, else null when optional, else the expanded required record. */
function missingValue(field: FieldDef): unknown {
  if (field.default !== undefined) return deepCopy(field.default);
  if (field.required !== true) return null;
  if (field.type === 'record') return fillRecord(recordFields(field), {});
  return undefined;
}

/** Kong's `make_set`: de-duplicates keeping first occurrences (tables are never equal to each other). */
function dedupe(values: unknown[]): unknown[] {
  return [...new Set(values)];
}

/** Kong's `adjust_field_for_context` in the insert context. Returns a new value; never mutates. */
function fillField(field: FieldDef, value: unknown): unknown {
  if (field.type === 'record') {
    if (value !== null && (value !== undefined || field.required === true)) {
      const v = value === undefined ? missingValue(field) : value;
      if (isTable(v)) return fillRecord(recordFields(field), asRecordInput(v));
      value = v;
    }
  } else if (isTable(value)) {
    let sub: FieldDef | undefined;
    if (field.type === 'array' || field.type === 'set') {
      sub = field.elements as FieldDef | undefined;
      if (isSequence(value)) value = field.type === 'set' ? dedupe(asArray(value)) : [...asArray(value)];
    } else if (field.type === 'map') {
      sub = field.values as FieldDef | undefined;
    }
    if (sub && isTable(value)) value = mapTable(value, (x) => fillField(sub, x));
  }
  return value === undefined ? missingValue(field) : value;
}

function mapTable(t: JsonObject | unknown[], fn: (v: unknown) => unknown): JsonObject | unknown[] {
  if (Array.isArray(t)) return t.map(fn);
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(t)) out[k] = fn(v);
  return out;
}

/** `process_auto_fields(data, "insert")` for a record's fields. */
export function fillRecord(fields: FieldEntry[], data: JsonObject): JsonObject {
  const out: JsonObject = { ...data };
  for (const [key, field] of eachField(fields)) {
    const v = fillField(field, out[key]);
    if (v === undefined) delete out[key];
    else out[key] = v;
  }
  return out;
}

function validateElements(field: FieldDef, values: unknown[]): ErrorTree | undefined {
  // Kong marks elements required before validating them, so a null element is "required field missing".
  const elements = { ...(field.elements as FieldDef), required: true };
  const errs: Array<ErrorTree | null> = [];
  values.forEach((v, i) => {
    const err = validateField(elements, v);
    if (err !== undefined) errs[i] = err;
  });
  return errs.length > 0 ? Array.from(errs, (e) => e ?? null) : undefined;
}

function validateMap(field: FieldDef, value: JsonObject | unknown[]): ErrorTree | undefined {
  const keys = { ...(field.keys as FieldDef), required: true };
  const values = { ...(field.values as FieldDef), required: true };
  for (const [k, v] of tableEntries(value)) {
    // Kong reports only the first bad key or value, without saying which key it was.
    const err = validateField(keys, k) ?? validateField(values, v);
    if (err !== undefined) return err;
  }
  return undefined;
}

/** Type check for the scalar types; a message when the value has the wrong type. */
function scalarTypeError(type: string, value: unknown): string | undefined {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? undefined : MSG.INTEGER;
    case 'string':
      return typeof value === 'string' ? undefined : MSG.STRING;
    case 'number':
      return typeof value === 'number' ? undefined : MSG.NUMBER;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : MSG.BOOLEAN;
    case 'function':
      return MSG.FUNCTION;
    default:
      return MSG.SCHEMA_TYPE(type);
  }
}

/** A Vault reference (`{vault://…}`), accepted as-is by `referenceable` string fields. */
export function isReference(v: string): boolean {
  return /^\{vault:\/\/.+\}$/.test(v);
}

/** Kong's `Schema:validate_field`. Returns undefined when the value is valid. */
export function validateField(field: FieldDef, value: unknown): ErrorTree | undefined {
  if (value === null) {
    if (field.ne === null) return typeof field.err === 'string' ? field.err : MSG.NE('null');
    if (field.eq !== undefined && field.eq !== null) return MSG.EQ(String(field.eq));
    return field.required === true ? MSG.REQUIRED : undefined;
  }
  if (field.eq === null) return typeof field.err === 'string' ? field.err : MSG.EQ('null');
  if (field.abstract === true) return MSG.SUBSCHEMA_ABSTRACT_FIELD;

  let effective = field;
  switch (field.type) {
    case 'array':
    case 'set': {
      if (!isSequence(value)) return field.type === 'set' ? MSG.SET : MSG.ARRAY;
      const arr = asArray(value);
      const err = validateElements(field, arr);
      if (err !== undefined) return err;
      value = arr;
      break;
    }
    case 'map': {
      if (!isTable(value)) return MSG.MAP;
      const err = validateMap(field, value);
      if (err !== undefined) return err;
      break;
    }
    case 'record': {
      if (!isTable(value)) return MSG.RECORD;
      const filled = fillRecord(recordFields(field), asRecordInput(value));
      const err = validateRecord(field, filled);
      if (err !== undefined) return err;
      break;
    }
    case 'foreign':
      return validateForeign(value);
    case 'json':
      // Kong validates json fields only with their json_schema (not evaluated by this double).
      return undefined;
    case 'any':
      break;
    case 'string': {
      const err = scalarTypeError('string', value);
      if (err) return err;
      // Strings reject "" unless the schema sets len_min (Kong sets len_min = 1 when absent).
      if (field.len_min === undefined) effective = { ...field, len_min: 1 };
      if (field.referenceable === true && isReference(value as string)) return undefined;
      break;
    }
    default: {
      const err = scalarTypeError(field.type, value);
      if (err) return err;
    }
  }
  return runValidators(effective, value);
}

/** The plugin entity's foreign keys (route/service/consumer): a table whose `id` is a UUID. */
function validateForeign(value: unknown): ErrorTree | undefined {
  const id = isPlainObject(value) ? value.id : undefined;
  if (id === undefined || id === null || id === false) return { id: MSG.MISSING_PK };
  const err = validateField({ type: 'string', uuid: true }, id);
  return err === undefined ? undefined : { id: err };
}

/**
 * Kong's `Schema:validate` for a record whose defaults are already filled: every given key is
 * checked (unknown keys are errors), then required fields, then the record's entity checks.
 */
export function validateRecord(record: FieldDef, input: JsonObject): ErrorObject | undefined {
  const fields = new Map(eachField(record.fields));
  const errors: ErrorObject = {};
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined) continue;
    // Kong never validates a key named updated_at (its `unvalidated_fields`), in any record.
    if (k === 'updated_at') continue;
    const field = fields.get(k);
    if (!field) {
      errors[k] = MSG.UNKNOWN;
      continue;
    }
    const err = validateField(field, v);
    if (err !== undefined) errors[k] = err;
  }
  for (const [name, field] of fields) {
    if (field.required === true && (input[name] === null || input[name] === undefined)) errors[name] = MSG.REQUIRED;
  }
  runEntityChecks(record, input, errors);
  return Object.keys(errors).length > 0 ? errors : undefined;
}

/** Validates a value for a record field as a record nested in an entity (defaults, then checks). */
export function fillAndValidate(record: FieldDef, value: unknown): { value: unknown; error?: ErrorTree } {
  const filled = fillField(record, value);
  const error = filled === undefined ? MSG.REQUIRED : validateField(record, filled);
  return { value: filled, error };
}
