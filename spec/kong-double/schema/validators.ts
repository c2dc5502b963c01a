// Kong's per-field validators (`Schema.validators`), run in Kong's fixed order after the type check;
// the first failure wins and a field's `err` attribute replaces its message.
import { luaPatternMatches } from './lua-pattern';
import { luaFormatInt, luaToString } from './lua-text';
import { MSG } from './messages';
import type { FieldDef } from './types';
import { asArray, isPlainObject } from './values';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Lua `#value`: bytes of a string, elements of an array; maps also count their keys. */
function luaLength(value: unknown, field: FieldDef): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (Array.isArray(value)) return value.length;
  if (isPlainObject(value) && field.type === 'map') return Object.keys(value).length;
  return 0;
}

function byteStartsWith(value: string, prefix: string): boolean {
  return Buffer.from(value, 'utf8').subarray(0, Buffer.byteLength(prefix)).equals(Buffer.from(prefix, 'utf8'));
}

type MatchRule = { pattern?: unknown; err?: unknown };
type Validator = (value: unknown, arg: unknown, field: FieldDef) => string | true | undefined;

const str = (v: unknown) => v as string;
const num = (v: unknown) => v as number;

/** Each returns true (pass), a message, or undefined (fail with the generic message). */
const VALIDATORS: Array<[string, Validator]> = [
  ['eq', (v, wanted) => (v === wanted ? true : MSG.EQ(wanted === null ? 'null' : luaToString(wanted)))],
  ['ne', (v, wanted) => (v !== wanted ? true : MSG.NE(wanted === null ? 'null' : luaToString(v)))],
  ['not_one_of', (v, opts) => (asArray(opts).includes(v) ? MSG.NOT_ONE_OF(asArray(opts).map(luaToString).join(', ')) : true)],
  ['one_of', (v, opts) => (asArray(opts).includes(v) ? true : MSG.ONE_OF(asArray(opts).map(luaToString).join(', ')))],
  ['gt', (v, limit) => (num(v) > num(limit) ? true : MSG.GT(luaToString(limit)))],
  ['timestamp', (v) => (num(v) > 0 ? true : undefined)],
  ['uuid', (v) => (str(v).length === 36 && UUID_RE.test(str(v)) ? true : undefined)],
  ['is_regex', (v) => isRegex(str(v)) || undefined],
  ['between', (v, lim) => {
    const [lo, hi] = asArray(lim) as [number, number];
    return num(v) < lo || num(v) > hi ? MSG.BETWEEN(luaFormatInt(lo), luaFormatInt(hi)) : true;
  }],
  ['len_eq', (v, n, f) => (luaLength(v, f) === num(n) ? true : MSG.LEN_EQ(luaFormatInt(num(n))))],
  ['len_min', (v, n, f) => (luaLength(v, f) >= num(n) ? true : MSG.LEN_MIN(luaFormatInt(num(n))))],
  ['len_max', (v, n, f) => (luaLength(v, f) <= num(n) ? true : MSG.LEN_MAX(luaFormatInt(num(n))))],
  ['starts_with', (v, prefix) => (byteStartsWith(str(v), str(prefix)) ? true : MSG.STARTS_WITH(str(prefix)))],
  ['not_match', (v, p) => (luaPatternMatches(str(v), str(p)) ? MSG.INVALID_VALUE(str(v)) : true)],
  ['match_none', (v, list) => {
    const hit = (asArray(list) as MatchRule[]).find((r) => luaPatternMatches(str(v), str(r.pattern)));
    return hit ? (typeof hit.err === 'string' ? hit.err : MSG.INVALID_VALUE(str(v))) : true;
  }],
  ['match', (v, p) => (luaPatternMatches(str(v), str(p)) ? true : MSG.INVALID_VALUE(str(v)))],
  ['match_all', (v, list) => {
    const miss = (asArray(list) as MatchRule[]).find((r) => !luaPatternMatches(str(v), str(r.pattern)));
    return miss ? (typeof miss.err === 'string' ? miss.err : MSG.INVALID_VALUE(str(v))) : true;
  }],
  ['match_any', (v, arg) => {
    const a = (isPlainObject(arg) ? arg : {}) as { patterns?: unknown; err?: unknown };
    if (asArray(a.patterns).some((p) => luaPatternMatches(str(v), str(p)))) return true;
    return typeof a.err === 'string' ? a.err : MSG.INVALID_VALUE(str(v));
  }],
  ['contains', (v, wanted) => (asArray(v).includes(wanted) ? true : MSG.CONTAINS(luaToString(wanted)))],
  // Only the double's own entity fields carry JS functions here (JSON schemas cannot).
  ['custom_validator', (v, fn) => (typeof fn === 'function' ? (fn as (x: unknown) => string | true)(v) : true)],
  ['mutually_exclusive_subsets', (v, subsets) => mutuallyExclusiveSubsets(asArray(v), asArray(subsets) as unknown[][])],
];

/** Kong's generic message for validators that fail without one (`timestamp`, `uuid`, `is_regex`). */
const FALLBACK: Record<string, (v: unknown) => string> = {
  timestamp: () => MSG.TIMESTAMP,
  uuid: () => MSG.UUID,
  is_regex: (v) => MSG.IS_REGEX(luaToString(v)),
};

/** Kong checks `is_regex` by compiling with PCRE; JS RegExp syntax is the closest available here. */
function isRegex(v: string): boolean {
  try {
    new RegExp(v);
    return true;
  } catch {
    return false;
  }
}

function mutuallyExclusiveSubsets(value: unknown[], subsets: unknown[][]): string | true {
  const owner = new Map<unknown, unknown[]>();
  for (const subset of subsets) for (const el of subset) owner.set(el, subset);
  const memberOf: unknown[][] = [];
  for (const v of value) {
    const s = owner.get(v);
    if (s && !memberOf.includes(s)) memberOf.push(s);
  }
  if (memberOf.length <= 1) return true;
  return MSG.MUTUALLY_EXCLUSIVE_SETS(memberOf.map((s) => `(${s.map((w) => `'${String(w)}'`).join(', ')})`).join(', '));
}

/** Runs the validators present on `field` against an already type-checked value. */
export function runValidators(field: FieldDef, value: unknown): string | undefined {
  for (const [name, validate] of VALIDATORS) {
    const arg = field[name];
    if (arg === undefined) continue;
    const res = validate(value, arg, field);
    if (res === true) continue;
    const err = res ?? (FALLBACK[name] ?? ((v: unknown) => MSG.VALIDATION(luaToString(v))))(value);
    return typeof field.err === 'string' ? field.err : err;
  }
  return undefined;
}
