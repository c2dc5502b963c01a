// The config constraints Kong enforces from the plugin's schema before the plugin ever sees a
// config (Admin API 400 "schema violation", POST /config 400): unknown fields, required fields,
// types, between, one_of, len_min, and the reserved header names (the schema's only match_none).
// Lua `match` patterns are left to Kong (the plugin re-checks the ones that matter when the
// instance starts: issuer form, header names).
import { configFields, reservedHeaderError } from '../plugin/config/schema';

type Spec = Record<string, unknown>;
type Fields = Array<Record<string, Spec>>;

export interface Violation {
  field: string;
  message: string;
}

function typeMismatch(spec: Spec, value: unknown): string | null {
  switch (spec.type) {
    case 'string':
      return typeof value === 'string' ? (value === '' ? 'must not be empty' : null) : 'expected a string';
    case 'integer':
      return Number.isInteger(value) ? null : 'expected an integer';
    case 'number':
      return typeof value === 'number' ? null : 'expected a number';
    case 'boolean':
      return typeof value === 'boolean' ? null : 'expected a boolean';
    case 'array':
    case 'set':
      return Array.isArray(value) ? null : `expected an ${spec.type === 'set' ? 'set' : 'array'}`;
    case 'record':
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? null : 'expected a record';
    default:
      return null;
  }
}

function checkValue(spec: Spec, value: unknown, field: string, out: Violation[]): void {
  const mismatch = typeMismatch(spec, value);
  if (mismatch !== null) {
    out.push({ field, message: mismatch });
    return;
  }
  const between = spec.between as [number, number] | undefined;
  if (between && typeof value === 'number' && (value < between[0] || value > between[1])) {
    out.push({ field, message: `value should be between ${between[0]} and ${between[1]}` });
  }
  const oneOf = spec.one_of as unknown[] | undefined;
  if (oneOf && !oneOf.includes(value)) out.push({ field, message: `expected one of: ${oneOf.join(', ')}` });
  const reserved = spec.match_none !== undefined && typeof value === 'string' ? reservedHeaderError(value) : null;
  if (reserved !== null) out.push({ field, message: reserved });
  if (Array.isArray(value)) {
    if (typeof spec.len_min === 'number' && value.length < spec.len_min) out.push({ field, message: `length must be at least ${spec.len_min}` });
    const elements = spec.elements as Spec | undefined;
    if (elements) value.forEach((item, i) => checkValue(elements, item, `${field}[${i + 1}]`, out));
  } else if (spec.type === 'record') {
    checkRecord(spec.fields as Fields, value as Record<string, unknown>, `${field}.`, out);
  }
}

function checkRecord(fields: Fields, raw: Record<string, unknown>, prefix: string, out: Violation[]): void {
  const known = new Set(fields.map((entry) => Object.keys(entry)[0]));
  for (const name of Object.keys(raw)) if (!known.has(name)) out.push({ field: `${prefix}${name}`, message: 'unknown field' });
  for (const entry of fields) {
    const [name, spec] = Object.entries(entry)[0];
    const value = Object.hasOwn(raw, name) ? raw[name] : undefined;
    if (value === undefined || value === null) {
      if (spec.required === true && spec.default === undefined && spec.type !== 'record') out.push({ field: `${prefix}${name}`, message: 'required field missing' });
      continue;
    }
    checkValue(spec, value, `${prefix}${name}`, out);
  }
}

/** Violations of the schema's declarative constraints, with the field path as Kong names it. */
export function schemaViolations(raw: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  checkRecord(configFields as Fields, raw, '', out);
  return out;
}
