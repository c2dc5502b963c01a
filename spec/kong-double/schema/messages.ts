// Kong's validation message texts (kong/db/schema/init.lua `validation_errors`, Kong 3.4–3.9).

export const MSG = {
  ARRAY: 'expected an array',
  SET: 'expected a set',
  MAP: 'expected a map',
  RECORD: 'expected a record',
  STRING: 'expected a string',
  NUMBER: 'expected a number',
  BOOLEAN: 'expected a boolean',
  INTEGER: 'expected an integer',
  FUNCTION: 'expected a function',
  EQ: (v: string) => `value must be ${v}`,
  NE: (v: string) => `value must not be ${v}`,
  GT: (v: string) => `value must be greater than ${v}`,
  BETWEEN: (a: string, b: string) => `value should be between ${a} and ${b}`,
  LEN_EQ: (n: string) => `length must be ${n}`,
  LEN_MIN: (n: string) => `length must be at least ${n}`,
  LEN_MAX: (n: string) => `length must be at most ${n}`,
  INVALID_VALUE: (v: string) => `invalid value: ${v}`,
  STARTS_WITH: (v: string) => `should start with: ${v}`,
  CONTAINS: (v: string) => `expected to contain: ${v}`,
  ONE_OF: (list: string) => `expected one of: ${list}`,
  NOT_ONE_OF: (list: string) => `must not be one of: ${list}`,
  IS_REGEX: (v: string) => `not a valid regex: ${v}`,
  TIMESTAMP: 'expected a valid timestamp',
  UUID: 'expected a valid UUID',
  VALIDATION: (v: string) => `failed validating: ${v}`,
  REQUIRED: 'required field missing',
  UNKNOWN: 'unknown field',
  REQUIRED_FOR_ENTITY_CHECK: 'field required for entity check',
  CONDITIONAL: (f: string) => `failed conditional validation given value of field '${f}'`,
  AT_LEAST_ONE_OF: (l: string) => `at least one of these fields must be non-empty: ${l}`,
  ONLY_ONE_OF: (l: string) => `exactly one of these fields must be non-empty: ${l}`,
  DISTINCT: (l: string) => `values of these fields must be distinct: ${l}`,
  MUTUALLY_REQUIRED: (l: string) => `all or none of these fields must be set: ${l}`,
  MUTUALLY_EXCLUSIVE: (l: string) => `only one or none of these fields must be set: ${l}`,
  MUTUALLY_EXCLUSIVE_SETS: (l: string) => `these sets are mutually exclusive: ${l}`,
  SUBSCHEMA_ABSTRACT_FIELD: 'error in schema definition: abstract field was not specialized',
  SCHEMA_TYPE: (t: string) => `invalid type: ${t}`,
  MISSING_PK: 'missing primary key',
  PLUGIN_NOT_ENABLED: (name: string) => `plugin '${name}' not enabled; add it to the 'plugins' configuration property`,
} as const;

/** Kong's `quoted_list`: `'a', 'b'`, nested lists as `('a', 'b')`. */
export function quotedList(words: unknown[]): string {
  return words.map((w) => (Array.isArray(w) ? `(${quotedList(w)})` : `'${String(w)}'`)).join(', ');
}
