// Kong's cross-field `entity_checks` (kong/db/schema/init.lua `entity_checkers`, `run_entity_check`).
// A JS plugin cannot put them on `config` itself, but a nested record field may declare them.
// Field names may be dotted paths into nested records.
import { MSG, quotedList } from './messages';
import type { ErrorObject, FieldDef, JsonObject } from './types';
import { asArray, eachField, getPath, isNonEmpty, isPlainObject, setPath } from './values';
import { validateField } from './validate';

type Checker = {
  /** Runs even when some listed fields are nil (Kong: `run_with_missing_fields`). */
  withMissing?: boolean;
  /** Runs even when a listed field already has an error (Kong: `run_with_invalid_fields`). */
  withInvalid?: boolean;
  /** Which fields the check reads, and which of them must be present. */
  sources?: (arg: JsonObject) => { fields: string[]; required: string[] };
  fn: (input: JsonObject, arg: unknown, record: FieldDef, errors: ErrorObject) => true | { err?: string; custom?: string };
};

const names = (arg: unknown) => asArray(arg).map(String);

const CHECKERS: Record<string, Checker> = {
  at_least_one_of: {
    withMissing: true,
    withInvalid: true,
    fn: (input, arg) => (names(arg).some((n) => isNonEmpty(getPath(input, n))) ? true : { err: MSG.AT_LEAST_ONE_OF(quotedList(names(arg))) }),
  },
  only_one_of: {
    withInvalid: true,
    fn: (input, arg) => (names(arg).filter((n) => isNonEmpty(getPath(input, n))).length === 1 ? true : { err: MSG.ONLY_ONE_OF(quotedList(names(arg))) }),
  },
  distinct: {
    withInvalid: true,
    fn: (input, arg) => {
      const seen = new Set<unknown>();
      for (const n of names(arg)) {
        const v = getPath(input, n);
        if (!isNonEmpty(v)) continue;
        if (seen.has(v)) return { err: MSG.DISTINCT(quotedList(names(arg))) };
        seen.add(v);
      }
      return true;
    },
  },
  mutually_required: {
    withMissing: true,
    fn: (input, arg) => {
      const set = names(arg).filter((n) => isNonEmpty(getPath(input, n))).length;
      return set === 0 || set === names(arg).length ? true : { err: MSG.MUTUALLY_REQUIRED(quotedList(names(arg))) };
    },
  },
  mutually_exclusive: {
    withMissing: true,
    fn: (input, arg) => (names(arg).filter((n) => isNonEmpty(getPath(input, n))).length <= 1 ? true : { err: MSG.MUTUALLY_EXCLUSIVE(quotedList(names(arg))) }),
  },
  conditional: {
    withInvalid: true,
    sources: (arg) => ({ fields: [String(arg.if_field), String(arg.then_field)], required: [String(arg.if_field)] }),
    fn: (input, rawArg, record, errors) => {
      const arg = rawArg as { if_field: string; then_field: string; if_match?: JsonObject; then_match?: JsonObject; then_err?: string };
      const ifValue = getPath(input, arg.if_field);
      const thenValue = getPath(input, arg.then_field) ?? null;
      // if_match/then_match inherit the attributes of the field they test.
      const ifField = { ...schemaField(record, arg.if_field), ...(arg.if_match ?? {}) } as FieldDef;
      if (validateField(ifField, ifValue) !== undefined) return true;
      const thenMatch = arg.then_match ?? {};
      if (thenMatch.required === true && thenValue === null) {
        setPath(errors as JsonObject, arg.then_field, MSG.REQUIRED);
        return { err: MSG.CONDITIONAL(arg.if_field) };
      }
      const thenErr = validateField({ ...schemaField(record, arg.then_field), ...thenMatch } as FieldDef, thenValue);
      if (thenErr === undefined) return true;
      setPath(errors as JsonObject, arg.then_field, thenErr);
      return { err: MSG.CONDITIONAL(arg.if_field), custom: arg.then_err?.replace('%s', arg.if_field) };
    },
  },
};

/** Kong's `get_schema_field`: a (dotted) field definition of a record. */
function schemaField(record: FieldDef, name: string): FieldDef | undefined {
  let cur: FieldDef | undefined = record;
  for (const part of name.split('.')) {
    cur = cur ? new Map(eachField(cur.fields)).get(part) : undefined;
  }
  return cur;
}

/** Names of the entity checkers this module evaluates (checkPluginSchema rejects the others). */
export const SUPPORTED_ENTITY_CHECKS = Object.keys(CHECKERS);

function addEntityError(errors: ErrorObject, msg: string): void {
  const list = Array.isArray(errors['@entity']) ? errors['@entity'] : [];
  list.push(msg);
  errors['@entity'] = list;
}

/** Runs `record.entity_checks` against a filled, field-validated record; adds to `errors`. */
export function runEntityChecks(record: FieldDef, input: JsonObject, errors: ErrorObject): void {
  for (const check of asArray(record.entity_checks)) {
    if (!isPlainObject(check)) continue;
    const name = Object.keys(check)[0];
    const arg = name === undefined ? undefined : check[name];
    const checker = name === undefined ? undefined : CHECKERS[name];
    if (!checker || arg === undefined || arg === null) continue;
    const { fields, required } = checker.sources && isPlainObject(arg) ? checker.sources(arg) : { fields: names(arg), required: names(arg) };
    const missing: string[] = [];
    let allNil = true;
    let allOk = true;
    for (const f of fields) {
      const v = getPath(input, f);
      if (v === undefined) {
        if (!checker.withMissing && required.includes(f)) missing.push(f);
      } else {
        allNil = false;
      }
      if (errors[f] !== undefined) allOk = false;
    }
    if (!allOk && !checker.withInvalid) continue;
    if (allNil && !checker.withMissing) continue;
    if (missing.length > 0) {
      for (const f of missing) setPath(errors as JsonObject, f, MSG.REQUIRED_FOR_ENTITY_CHECK);
      continue;
    }
    const res = checker.fn(input, arg, record, errors);
    if (res !== true) addEntityError(errors, res.custom ?? res.err ?? MSG.CONDITIONAL(name!));
  }
}
