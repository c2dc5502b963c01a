// Minimal stand-in for the schema helper's module (spec/kong-double/schema/), used only while that
// module does not exist. Covers defaults, required, basic types, one_of, between, len_min and unknown
// fields with Kong's message texts; declarative error bodies are simplified.
type Field = Record<string, unknown> & { type?: string };
type Tree = Record<string, unknown>;

export function checkPluginSchema(schema: unknown): string[] {
  const s = schema as { fields?: unknown };
  return s && Array.isArray(s.fields) ? [] : ['schema: fields missing'];
}

function configFields(schema: { fields: unknown[] }): Array<[string, Field]> {
  for (const f of schema.fields) {
    const entry = f as Record<string, Field>;
    if (entry.config) return fieldList(entry.config.fields as unknown[]);
  }
  return [];
}

function fieldList(fields: unknown[] | undefined): Array<[string, Field]> {
  return (fields ?? []).map((f) => Object.entries(f as Record<string, Field>)[0]!);
}

function checkValue(def: Field, v: unknown): { value?: unknown; error?: unknown } {
  switch (def.type) {
    case 'string':
      if (typeof v !== 'string') return { error: 'expected a string' };
      if (v.length < ((def.len_min as number | undefined) ?? 1)) return { error: `length must be at least ${(def.len_min as number | undefined) ?? 1}` };
      if (Array.isArray(def.one_of) && !def.one_of.includes(v)) return { error: `expected one of: ${def.one_of.join(', ')}` };
      return { value: v };
    case 'number':
    case 'integer': {
      if (typeof v !== 'number') return { error: def.type === 'integer' ? 'expected an integer' : 'expected a number' };
      if (def.type === 'integer' && !Number.isInteger(v)) return { error: 'expected an integer' };
      const b = def.between as [number, number] | undefined;
      if (b && (v < b[0] || v > b[1])) return { error: `value should be between ${b[0]} and ${b[1]}` };
      return { value: v };
    }
    case 'boolean':
      return typeof v === 'boolean' ? { value: v } : { error: 'expected a boolean' };
    case 'array':
    case 'set': {
      if (!Array.isArray(v)) return { error: def.type === 'set' ? 'expected a set' : 'expected an array' };
      if (typeof def.len_min === 'number' && v.length < def.len_min) return { error: `length must be at least ${def.len_min}` };
      const errs: unknown[] = [];
      const out: unknown[] = [];
      v.forEach((e, i) => {
        const r = checkValue(def.elements as Field, e);
        if (r.error !== undefined) errs[i] = r.error;
        else if (def.type !== 'set' || !out.some((x) => JSON.stringify(x) === JSON.stringify(r.value))) out.push(r.value);
      });
      return errs.length ? { error: Array.from(errs, (e) => e ?? null) } : { value: out };
    }
    case 'map': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: 'expected a map' };
      for (const x of Object.values(v)) {
        const r = checkValue(def.values as Field, x);
        if (r.error !== undefined) return { error: r.error };
      }
      return { value: v };
    }
    case 'record':
      return validateRecord(fieldList(def.fields as unknown[]), v);
    default:
      return { value: v };
  }
}

function validateRecord(fields: Array<[string, Field]>, input: unknown): { value?: Tree; error?: Tree } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { error: { '@entity': ['expected a record'] } };
  const given = input as Tree;
  const out: Tree = {};
  const errors: Tree = {};
  for (const key of Object.keys(given)) if (!fields.some(([n]) => n === key)) errors[key] = 'unknown field';
  for (const [name, def] of fields) {
    let v = given[name];
    if (v === undefined || v === null) {
      if (def.default !== undefined) v = structuredClone(def.default);
      else if (def.type === 'record' && def.required !== false) v = {};
    }
    if (v === undefined || v === null) {
      if (def.required === true) errors[name] = 'required field missing';
      else out[name] = null;
      continue;
    }
    const r = checkValue(def, v);
    if (r.error !== undefined) errors[name] = r.error;
    else out[name] = r.value;
  }
  return Object.keys(errors).length ? { error: errors } : { value: out };
}

export function validatePluginConfig(schema: { name: string; fields: unknown[] }, input: unknown) {
  const r = validateRecord(configFields(schema), input ?? {});
  return r.error ? { ok: false as const, errors: r.error } : { ok: true as const, config: r.value! };
}

export function toStartInstanceConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === null) continue;
    out[k] = v && typeof v === 'object' && !Array.isArray(v) ? toStartInstanceConfig(v as Record<string, unknown>) : v;
  }
  return out;
}

export function schemaViolationBody(errors: Tree) {
  return { code: 2, name: 'schema violation', fields: { config: errors }, message: `schema violation (config: ${JSON.stringify(errors)})` };
}

/** Same shape as the schema module's DeclarativeEntityError. */
export interface DeclarativeEntityError {
  /** Where the entity sits in the declarative document, e.g. ['services', 0, 'routes', 4, 'plugins', 0]. */
  path: Array<string | number>;
  entityType: string;
  entityName?: string;
  entity: object;
  /** The entity's nested error tree, e.g. {config: {issuer: 'required field missing'}}. */
  errors: Tree;
}

function flattenTree(tree: unknown, prefix: string, out: Array<{ field: string; type: string; message: string }>): void {
  if (typeof tree === 'string') out.push({ field: prefix, type: 'field', message: tree });
  else if (Array.isArray(tree)) tree.forEach((t, i) => t != null && flattenTree(t, `${prefix}.${i + 1}`, out));
  else if (tree && typeof tree === 'object') for (const [k, v] of Object.entries(tree)) flattenTree(v, prefix ? `${prefix}.${k}` : k, out);
}

export function declarativeErrorBody(entityErrors: DeclarativeEntityError[], flatten: boolean) {
  const fields: Tree = {};
  for (const e of entityErrors) {
    let node: Record<string | number, unknown> = fields;
    e.path.forEach((key, i) => {
      if (i === e.path.length - 1) node[key] = e.errors;
      else {
        const nextIsIndex = typeof e.path[i + 1] === 'number';
        node[key] ??= nextIsIndex ? [] : {};
        node = node[key] as Record<string | number, unknown>;
      }
    });
    for (const v of Object.values(fields)) if (Array.isArray(v)) for (let j = 0; j < v.length; j++) v[j] ??= null;
  }
  const body: Record<string, unknown> = { code: 14, name: 'invalid declarative configuration', fields: flatten ? {} : fields, message: `declarative config is invalid: ${JSON.stringify(flatten ? {} : fields)}` };
  if (flatten) {
    body.flattened_errors = entityErrors.map((e) => {
      const errors: Array<{ field: string; type: string; message: string }> = [];
      flattenTree(e.errors, '', errors);
      return { entity_type: e.entityType, entity_name: e.entityName, entity: e.entity, errors };
    });
  }
  return body;
}
