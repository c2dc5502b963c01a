// Kong's cross-field `entity_checks` (kong/db/schema/init.lua `entity_checkers`, `run_entity_check`;
// the same in 3.4 and 3.9). They may sit on any record: a plugin's `config` record (what
// okta-jwt-pluginserver dumps) or a record nested in it. Field names may be dotted paths.
import { MSG, quotedList } from './messages';
import type { ErrorObject, FieldDef, JsonObject } from './types';
import { asArray, eachField, getPath, isNonEmpty, isPlainObject, setPath } from './values';
import { isReference, validateField } from './validate';

/** What a checker answers: true, or Kong's list/field argument for its message and an optional custom message. */
type Verdict = true | { err?: string; custom?: string };

type Checker = {
  /** Runs even when some listed fields are nil (Kong: `run_with_missing_fields`). */
  withMissing?: boolean;
  /** Runs even when a listed field already has an error (Kong: `run_with_invalid_fields`). */
  withInvalid?: boolean;
  /** Kong's `field_sources`: the argument keys naming the fields the check reads. */
  sources?: string[];
  /** Kong's `required_fields` (only `conditional` and `custom_entity_check` have a usable one). */
  required?: string[];
  /** Kong's message for a failure without a custom one (`validation_errors[NAME]`, given `err`). */
  message: (err: string) => string;
  fn: (input: JsonObject, arg: JsonObject & unknown[], record: FieldDef, errors: ErrorObject) => Verdict;
};

const names = (arg: unknown) => asArray(arg).map(String);
const nonEmpty = (input: JsonObject, list: unknown) => names(list).filter((n) => isNonEmpty(getPath(input, n)));

/** Lua's `string.format(template, value)` for the `%s` and `%%` a custom entity-check message may hold. */
function luaFormat(template: string, value: string): string {
  let used = false;
  return template.replace(/%([%s])/g, (_, ch: string) => {
    if (ch === '%') return '%';
    if (used) throw new Error(`bad argument to 'format' (no value) in "${template}"`);
    used = true;
    return value;
  });
}

/** Whether `value` passes `match`, the match inheriting the attributes of the schema field it tests (Kong sets __index). */
function passes(record: FieldDef, field: string, match: unknown, value: unknown): boolean {
  return validateField({ ...schemaField(record, field), ...(isPlainObject(match) ? match : {}) } as FieldDef, value) === undefined;
}

const CHECKERS: Record<string, Checker> = {
  at_least_one_of: {
    withMissing: true,
    withInvalid: true,
    message: MSG.AT_LEAST_ONE_OF,
    fn: (input, arg) => (nonEmpty(input, arg).length > 0 ? true : { err: quotedList(names(arg)) }),
  },
  conditional_at_least_one_of: {
    withMissing: true,
    withInvalid: true,
    sources: ['if_field', 'then_at_least_one_of', 'else_then_at_least_one_of'],
    message: MSG.AT_LEAST_ONE_OF,
    fn: (input, arg, record) => {
      const ifField = String(arg.if_field);
      const ifValue = getPath(input, ifField);
      if (ifValue === undefined) return true;
      let list: unknown;
      let custom: unknown;
      if (passes(record, ifField, arg.if_match, ifValue)) {
        [list, custom] = [arg.then_at_least_one_of, arg.then_err];
      } else {
        if (arg.else_match === undefined || !passes(record, ifField, arg.else_match, ifValue)) return true;
        [list, custom] = [arg.else_then_at_least_one_of, arg.else_then_err];
      }
      if (nonEmpty(input, list).length > 0) return true;
      const err = quotedList(names(list));
      return { err, custom: typeof custom === 'string' ? luaFormat(custom, err) : undefined };
    },
  },
  only_one_of: {
    withInvalid: true,
    message: MSG.ONLY_ONE_OF,
    fn: (input, arg) => (nonEmpty(input, arg).length === 1 ? true : { err: quotedList(names(arg)) }),
  },
  distinct: {
    withInvalid: true,
    message: MSG.DISTINCT,
    fn: (input, arg) => {
      const seen = new Set<unknown>();
      for (const n of names(arg)) {
        const v = getPath(input, n);
        if (!isNonEmpty(v)) continue;
        if (seen.has(v)) return { err: quotedList(names(arg)) };
        seen.add(v);
      }
      return true;
    },
  },
  conditional: {
    withInvalid: true,
    sources: ['if_field', 'then_field'],
    required: ['if_field'],
    message: MSG.CONDITIONAL,
    fn: (input, arg, record, errors) => {
      const ifField = String(arg.if_field);
      const thenField = String(arg.then_field);
      const thenValue = getPath(input, thenField) ?? null;
      if (!passes(record, ifField, arg.if_match, getPath(input, ifField))) return true;
      const thenMatch = isPlainObject(arg.then_match) ? arg.then_match : {};
      // Kong tests the declared `required` before merging in the field (then_err is not used here).
      if (thenMatch.required === true && thenValue === null) {
        setPath(errors as JsonObject, thenField, MSG.REQUIRED);
        return { err: ifField };
      }
      const thenErr = validateField({ ...schemaField(record, thenField), ...thenMatch } as FieldDef, thenValue);
      if (thenErr === undefined) return true;
      setPath(errors as JsonObject, thenField, thenErr);
      return { err: ifField, custom: typeof arg.then_err === 'string' ? luaFormat(arg.then_err, ifField) : undefined };
    },
  },
  mutually_required: {
    withMissing: true,
    message: MSG.MUTUALLY_REQUIRED,
    fn: (input, arg) => {
      const set = nonEmpty(input, arg).length;
      return set === 0 || set === names(arg).length ? true : { err: quotedList(names(arg)) };
    },
  },
  mutually_exclusive: {
    withMissing: true,
    message: MSG.MUTUALLY_EXCLUSIVE,
    fn: (input, arg) => (nonEmpty(input, arg).length <= 1 ? true : { err: quotedList(names(arg)) }),
  },
  mutually_exclusive_sets: {
    withMissing: true,
    sources: ['set1', 'set2'],
    message: MSG.MUTUALLY_EXCLUSIVE_SETS,
    fn: (input, arg) => {
      const [one, two] = [nonEmpty(input, arg.set1), nonEmpty(input, arg.set2)];
      return one.length > 0 && two.length > 0 ? { err: `(${quotedList(one)}), (${quotedList(two)})` } : true;
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

/** Names of the entity checkers this module evaluates (checkPluginSchema refuses the others). */
export const SUPPORTED_ENTITY_CHECKS = Object.keys(CHECKERS);

function addEntityError(errors: ErrorObject, msg: string): void {
  const list = Array.isArray(errors['@entity']) ? errors['@entity'] : [];
  list.push(msg);
  errors['@entity'] = list;
}

/** The fields a check reads, and which of them must be present (Kong's `field_sources`/`required_fields`). */
function fieldsOf(checker: Checker, arg: JsonObject | unknown[]): { fields: string[]; required: Set<string> } {
  if (!checker.sources) return { fields: names(arg), required: new Set(names(arg)) };
  const fields: string[] = [];
  const required = new Set<string>();
  for (const source of checker.sources) {
    const v = (arg as JsonObject)[source];
    const listed = typeof v === 'string' ? [v] : names(v);
    fields.push(...listed);
    if (checker.required?.includes(source)) for (const f of listed) required.add(f);
  }
  return { fields, required };
}

/** Runs `record.entity_checks` against a filled, field-validated record; adds to `errors`. */
export function runEntityChecks(record: FieldDef, input: JsonObject, errors: ErrorObject): void {
  for (const check of asArray(record.entity_checks)) {
    if (!isPlainObject(check)) continue;
    const name = Object.keys(check)[0];
    const arg = name === undefined ? undefined : check[name];
    const checker = name === undefined ? undefined : CHECKERS[name];
    if (!checker || arg === undefined || arg === null || typeof arg !== 'object') continue;
    const flags = isPlainObject(arg) ? arg : {};
    const { fields, required } = fieldsOf(checker, arg as JsonObject);
    const missing: string[] = [];
    let allNil = true;
    let allOk = true;
    let reference = false;
    for (const f of fields) {
      const v = getPath(input, f);
      if (v === undefined) {
        if (!checker.withMissing && flags.run_with_missing_fields !== true && required.has(f)) missing.push(f);
      } else {
        allNil = false;
        // A Vault reference is resolved later: Kong skips the check.
        const def = schemaField(record, f);
        if (def?.type === 'string' && def.referenceable === true && typeof v === 'string' && isReference(v)) reference = true;
      }
      if (errors[f] !== undefined) allOk = false;
    }
    if (reference) continue;
    if (!allOk && !checker.withInvalid && flags.run_with_invalid_fields !== true) continue;
    if (allNil && !checker.withMissing) continue;
    if (missing.length > 0) {
      for (const f of missing) setPath(errors as JsonObject, f, MSG.REQUIRED_FOR_ENTITY_CHECK);
      continue;
    }
    const res = checker.fn(input, arg as JsonObject & unknown[], record, errors);
    if (res === true) continue;
    addEntityError(errors, res.custom ?? checker.message(res.err ?? ''));
  }
}
