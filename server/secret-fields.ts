// Config values that never leave the plugin server: the fields a plugin's schema marks
// `referenceable` (Kong resolves a vault reference there, so the value is a secret) or `encrypted`
// (Kong Enterprise encrypts it at rest). Read from the schema, so marking a field there is all it
// takes to keep it out of every reply.

interface FieldDef {
  type?: string;
  fields?: Array<Record<string, FieldDef>>;
  elements?: FieldDef;
  values?: FieldDef;
  referenceable?: boolean;
  encrypted?: boolean;
}

/** What a secret's value becomes in a reply (unset values stay unset). */
export const REDACTED = '[redacted]';

/** A copy of `config` (a plugin's config record; `fields` are its schema's fields) with every secret value replaced. */
export function withoutSecrets(fields: unknown, config: unknown): unknown {
  return redact({ type: 'record', fields: Array.isArray(fields) ? fields : [] }, config);
}

function redact(def: FieldDef | undefined, value: unknown): unknown {
  if (def === undefined || value === null || value === undefined) return value;
  if (def.referenceable === true || def.encrypted === true) return REDACTED;
  if (Array.isArray(value)) return def.elements === undefined ? value : value.map((v) => redact(def.elements, v));
  if (typeof value !== 'object') return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (def.type === 'record') {
    for (const entry of def.fields ?? []) {
      for (const [name, child] of Object.entries(entry)) if (name in out) out[name] = redact(child, out[name]);
    }
  } else if (def.type === 'map' && def.values !== undefined) {
    for (const name of Object.keys(out)) out[name] = redact(def.values, out[name]);
  }
  return out;
}
