// Kong's checks on a plugin's dumped schema before it installs it as a plugin subschema
// (kong/db/schema/metaschema.lua `MetaSubSchema`, plugin_loader.lua, Schema.new_subschema):
// one-key field maps, valid types with their required companions, only known attributes with
// values of the right type, `default` valid for its own field, type-restricted attributes.
// Messages are `<path>: <Kong's message>`, the path naming fields and attributes with dots.
import { SUPPORTED_ENTITY_CHECKS } from './entity-checks';
import { flattenErrorTree } from './error-paths';
import { MSG } from './messages';
import { PLUGIN_ENTITY_FIELD_TYPES } from './plugin-entity-fields';
import type { ErrorTree, FieldDef } from './types';
import { asArray, isPlainObject } from './values';
import { validateField } from './validate';

/** Kong's `Schema.valid_types` (`function` is valid for Kong but unusable from JSON). */
const VALID_TYPES = ['array', 'set', 'string', 'number', 'boolean', 'integer', 'foreign', 'map', 'record', 'function', 'json'];

const REQUIRED_COMPANIONS: Record<string, string[]> = {
  array: ['elements'],
  set: ['elements'],
  map: ['keys', 'values'],
  record: ['fields'],
  json: ['json_schema'],
};

/** Attributes restricted to some field types (metaschema `attribute_types`). */
const ATTRIBUTE_TYPES: Record<string, string[]> = {
  between: ['integer', 'number'],
  len_eq: ['array', 'set', 'string', 'map'],
  match: ['string'],
  one_of: ['string', 'number', 'integer'],
  contains: ['array', 'set'],
  is_regex: ['string'],
  timestamp: ['number', 'integer'],
  uuid: ['string'],
  unique: ['string', 'number', 'integer', 'foreign'],
  unique_across_ws: ['string', 'number', 'integer', 'foreign'],
  abstract: ['string', 'number', 'integer', 'record', 'array', 'set', 'map'],
  json_schema: ['json'],
  transient: ['string', 'number', 'integer', 'array', 'set', 'boolean'],
};

const BOOL: FieldDef = { type: 'boolean' };
const STR: FieldDef = { type: 'string' };
const INT: FieldDef = { type: 'integer' };
const ANY: FieldDef = { type: 'any' };
const MATCH_LIST: FieldDef = {
  type: 'array',
  elements: { type: 'record', fields: [{ pattern: { type: 'string', required: true } }, { err: { type: 'string' } }] },
};

/** The value each accepted attribute must have (metaschema `field_schema` and `validators`). */
const ATTRIBUTE_SPECS: Record<string, FieldDef> = {
  required: BOOL,
  reference: STR,
  description: { type: 'string', len_min: 10, len_max: 500 },
  examples: { type: 'array', elements: ANY },
  auto: BOOL,
  unique: BOOL,
  unique_across_ws: BOOL,
  on_delete: { type: 'string', one_of: ['restrict', 'cascade', 'null'] },
  abstract: BOOL,
  generate_admin_api: BOOL,
  immutable: BOOL,
  err: STR,
  encrypted: BOOL,
  referenceable: BOOL,
  json_schema: {
    type: 'record',
    fields: [
      { namespace: STR }, { parent_subschema_key: STR }, { optional: BOOL }, { inline: ANY }, { default: ANY },
    ],
  },
  transient: BOOL,
  deprecation: {
    type: 'record',
    fields: [
      { message: { type: 'string', required: true } },
      { removal_in_version: { type: 'string', required: true } },
      { old_default: ANY },
      { replaced_with: { type: 'array', elements: { type: 'record', fields: [{ path: { type: 'array', len_min: 1, required: true, elements: STR } }] } } },
    ],
  },
  between: { type: 'array', elements: { type: 'number' }, len_eq: 2 },
  eq: ANY,
  ne: ANY,
  gt: { type: 'number' },
  len_eq: INT,
  len_min: INT,
  len_max: INT,
  match: STR,
  not_match: STR,
  match_all: MATCH_LIST,
  match_none: MATCH_LIST,
  match_any: { type: 'record', fields: [{ patterns: { type: 'array', elements: STR, required: true } }, { err: STR }] },
  starts_with: STR,
  one_of: { type: 'array', elements: ANY },
  not_one_of: { type: 'array', elements: ANY },
  contains: ANY,
  is_regex: BOOL,
  timestamp: BOOL,
  uuid: BOOL,
  custom_validator: { type: 'function' },
  mutually_exclusive_subsets: { type: 'array', elements: { type: 'array', elements: STR } },
};

/** Attributes checked separately below. */
const STRUCTURAL = new Set(['type', 'default', 'elements', 'keys', 'values', 'fields', 'entity_checks', 'shorthand_fields']);

const KONG_ENTITY_CHECKS = [
  'at_least_one_of', 'conditional_at_least_one_of', 'only_one_of', 'distinct', 'conditional',
  'custom_entity_check', 'mutually_required', 'mutually_exclusive', 'mutually_exclusive_sets',
];

class Report {
  readonly messages: string[] = [];

  add(path: string, message: string): void {
    this.messages.push(`${path}: ${message}`);
  }

  addTree(path: string, tree: ErrorTree): void {
    for (const e of flattenErrorTree(tree, path)) this.add(e.type === 'field' ? e.field : path, e.message);
  }
}

/** Validator attributes (metaschema `validators`): what a conditional's if_match/then_match may hold besides required/elements/keys/values. */
const VALIDATOR_NAMES = [
  'between', 'eq', 'ne', 'gt', 'len_eq', 'len_min', 'len_max', 'match', 'not_match', 'match_all', 'match_none', 'match_any',
  'starts_with', 'one_of', 'not_one_of', 'contains', 'is_regex', 'timestamp', 'uuid', 'custom_validator', 'mutually_exclusive_subsets',
];

const NAMES: FieldDef = { type: 'array', elements: STR };
type ArgSpec = FieldDef | 'match' | 'function';

/** The argument record of each entity checker (metaschema `entity_checkers`); a bare FieldDef is a list of field names. */
const ENTITY_CHECK_ARGS: Record<string, ArgSpec | Record<string, ArgSpec>> = {
  at_least_one_of: NAMES,
  only_one_of: NAMES,
  distinct: NAMES,
  mutually_required: NAMES,
  mutually_exclusive: NAMES,
  conditional_at_least_one_of: {
    if_field: STR, if_match: 'match', then_at_least_one_of: NAMES, then_err: STR,
    else_match: 'match', else_then_at_least_one_of: NAMES, else_then_err: STR,
  },
  conditional: { if_field: STR, if_match: 'match', then_field: STR, then_match: 'match', then_err: STR },
  custom_entity_check: { field_sources: NAMES, fn: 'function', run_with_missing_fields: BOOL, run_with_invalid_fields: BOOL },
  mutually_exclusive_sets: { set1: NAMES, set2: NAMES },
};

/** A conditional's if_match/then_match/else_match (metaschema `conditional_validators`). */
function checkMatch(path: string, match: unknown, report: Report): void {
  if (!isPlainObject(match)) {
    report.add(path, MSG.RECORD);
    return;
  }
  for (const [attr, value] of Object.entries(match)) {
    if (value === null) continue;
    if (attr === 'required') {
      const err = validateField(BOOL, value);
      if (err !== undefined) report.addTree(`${path}.${attr}`, err);
    } else if (attr === 'elements' || attr === 'keys' || attr === 'values') {
      checkField(`${path}.${attr}`, value, report);
    } else if (VALIDATOR_NAMES.includes(attr)) {
      const err = validateField(ATTRIBUTE_SPECS[attr]!, value);
      if (err !== undefined) report.addTree(`${path}.${attr}`, err);
    } else {
      report.add(`${path}.${attr}`, MSG.UNKNOWN);
    }
  }
}

function checkEntityCheckArg(at: string, name: string, arg: unknown, report: Report): void {
  const spec = ENTITY_CHECK_ARGS[name]!;
  if (typeof spec === 'object' && 'type' in spec) {
    const err = validateField(spec as FieldDef, arg);
    if (err !== undefined) report.addTree(at, err);
    return;
  }
  if (!isPlainObject(arg)) {
    report.add(at, MSG.RECORD);
    return;
  }
  for (const [key, value] of Object.entries(arg)) {
    const want = (spec as Record<string, ArgSpec>)[key];
    if (value === null) continue;
    if (want === undefined) report.add(`${at}.${key}`, MSG.UNKNOWN);
    else if (want === 'match') checkMatch(`${at}.${key}`, value, report);
    else if (want === 'function') report.add(`${at}.${key}`, MSG.FUNCTION);
    else {
      const err = validateField(want, value);
      if (err !== undefined) report.addTree(`${at}.${key}`, err);
    }
  }
}

function checkEntityChecks(path: string, checks: unknown, report: Report): void {
  if (!Array.isArray(checks)) {
    report.add(`${path}.entity_checks`, MSG.ARRAY);
    return;
  }
  checks.forEach((check, i) => {
    const at = `${path}.entity_checks.${i + 1}`;
    const name = isPlainObject(check) ? Object.keys(check)[0] : undefined;
    if (name === undefined || Object.keys(check as object).length !== 1) report.add(at, MSG.ONLY_ONE_OF(KONG_ENTITY_CHECKS.map((n) => `'${n}'`).join(', ')));
    else if (!KONG_ENTITY_CHECKS.includes(name)) report.add(`${at}.${name}`, MSG.UNKNOWN);
    else {
      checkEntityCheckArg(`${at}.${name}`, name, (check as Record<string, unknown>)[name], report);
      if (!SUPPORTED_ENTITY_CHECKS.includes(name)) report.add(`${at}.${name}`, 'valid for Kong but not evaluated by the Kong double (needs a Lua function)');
    }
  });
}

function checkField(path: string, def: unknown, report: Report): void {
  const before = report.messages.length;
  if (!isPlainObject(def)) {
    report.add(path, `'${path.split('.').pop()}' must be a table`);
    return;
  }
  const type = def.type;
  if (type === undefined || type === null) {
    report.add(path, 'missing type declaration');
    return;
  }
  if (typeof type !== 'string' || !VALID_TYPES.includes(type)) {
    report.add(`${path}.type`, typeof type === 'string' ? MSG.ONE_OF(VALID_TYPES.join(', ')) : MSG.STRING);
    return;
  }
  const companions = def.abstract === true && type === 'record' ? [] : REQUIRED_COMPANIONS[type] ?? [];
  for (const attr of companions) {
    if (def[attr] === undefined || def[attr] === null) report.add(path, `field of type '${type}' must declare '${attr}'`);
  }
  for (const [attr, value] of Object.entries(def)) {
    if (value === null) continue; // every attribute is optional (nilable) for Kong
    const allowed = ATTRIBUTE_TYPES[attr];
    if (allowed && !allowed.includes(type)) report.add(path, `field of type '${type}' cannot have attribute '${attr}'`);
    if (STRUCTURAL.has(attr)) continue;
    const spec = ATTRIBUTE_SPECS[attr];
    if (!spec) {
      report.add(`${path}.${attr}`, MSG.UNKNOWN);
      continue;
    }
    const err = validateField(spec, value);
    if (err !== undefined) report.addTree(`${path}.${attr}`, err);
  }
  if (def.unique_across_ws === true && def.unique !== true) {
    report.add(`${path}.unique`, MSG.REQUIRED);
    report.add(path, MSG.CONDITIONAL('unique_across_ws'));
  }
  for (const nested of ['elements', 'keys', 'values']) {
    if (def[nested] === undefined || def[nested] === null) continue;
    if (isPlainObject(def[nested])) checkField(`${path}.${nested}`, def[nested], report);
    else report.add(path, `'${nested}' must be a table`);
  }
  if (def.fields !== undefined && def.fields !== null) checkFields(path, def.fields, report);
  if (def.entity_checks !== undefined && def.entity_checks !== null) checkEntityChecks(path, def.entity_checks, report);
  if (def.shorthand_fields !== undefined && def.shorthand_fields !== null) {
    report.add(`${path}.shorthand_fields`, "shorthand fields need a Lua function ('func'), which a JavaScript schema cannot provide");
  }
  if (def.default !== undefined && def.default !== null && report.messages.length === before) {
    // Kong validates the default against the field's own definition (metaschema `default = { type = "self" }`).
    const err = validateField(def as FieldDef, def.default);
    if (err !== undefined) report.addTree(`${path}.default`, err);
  }
}

function checkFields(path: string, fields: unknown, report: Report): void {
  const at = path === '' ? 'fields' : `${path}.fields`;
  if (!Array.isArray(fields)) {
    report.add(at, isPlainObject(fields) && Object.keys(fields).length === 0 ? MSG.ARRAY : "'fields' must be a table");
    return;
  }
  fields.forEach((entry, i) => {
    if (!isPlainObject(entry)) {
      report.add(`${at}.${i + 1}`, 'each entry in fields must be a sub-table');
      return;
    }
    const keys = Object.keys(entry);
    if (keys.length === 0) report.add(`${at}.${i + 1}`, 'field entry table is empty');
    else if (keys.length > 1) report.add(`${at}.${i + 1}`, `${MSG.LEN_EQ('1')} (one field per entry; got ${keys.join(', ')})`);
    else checkField(path === '' ? keys[0]! : `${path}.${keys[0]}`, entry[keys[0]!], report);
  });
}

/** Kong's checks on a dumped plugin schema; an empty array means Kong would accept it. */
export function checkPluginSchema(schema: unknown): string[] {
  const report = new Report();
  if (!isPlainObject(schema)) return ['schema: expected a record'];
  if (typeof schema.name !== 'string' || schema.name === '') report.add('name', schema.name === undefined ? MSG.REQUIRED : MSG.STRING);
  for (const key of Object.keys(schema)) {
    if (key === 'name' || key === 'fields' || key === 'entity_checks') continue;
    report.add(key, key === 'shorthand_fields' || key === 'transformations' || key === 'check'
      ? 'needs Lua functions, which a JavaScript schema cannot provide'
      : MSG.UNKNOWN);
  }
  if (schema.fields === undefined || schema.fields === null) {
    report.add('fields', "'fields' must be a table");
    return report.messages;
  }
  checkFields('', schema.fields, report);
  if (schema.entity_checks !== undefined && schema.entity_checks !== null) checkEntityChecks('schema', schema.entity_checks, report);
  // Schema.new_subschema: every field must specialise a plugin-entity field with the same type.
  const pluginName = typeof schema.name === 'string' ? schema.name : '?';
  for (const entry of asArray(schema.fields)) {
    if (!isPlainObject(entry) || Object.keys(entry).length !== 1) continue;
    const fname = Object.keys(entry)[0]!;
    const def = entry[fname];
    const parentType = PLUGIN_ENTITY_FIELD_TYPES[fname];
    if (parentType === undefined) report.add(fname, `error in definition of '${pluginName}': ${fname}: cannot create a new field`);
    else if (isPlainObject(def) && def.type !== parentType && !(parentType === 'record' && def.type === 'json')) {
      report.add(fname, `error in definition of '${pluginName}': ${fname}: cannot change type in a specialized field`);
    }
  }
  return report.messages;
}
