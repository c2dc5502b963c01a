// Admin API reads the double answers beyond its own entities, so decK (`deck gateway dump` / `sync`,
// go-database-reconciler's dump.Get and defaulter) works against it: the collections it lists with
// `?size=1000` that the double never holds answer Kong's empty page, the core entity schemas give
// their defaults, and `POST /config` takes Kong's `multipart/form-data` form (`curl -F config=@kong.yml`).

/** Collections of Kong OSS 3.9 the double keeps empty (decK lists every one of them). */
const EMPTY_COLLECTIONS = new Set([
  'upstreams', 'certificates', 'ca_certificates', 'snis', 'vaults', 'keys', 'key-sets', 'consumer_groups',
  'key-auths', 'hmac-auths', 'jwts', 'basic-auths', 'oauth2', 'tags',
]);

/** Kong's page for a collection without entities, or undefined when the path is not such a list. */
export function emptyCollection(method: string, parts: string[]): { data: never[]; next: null } | undefined {
  return method === 'GET' && parts.length === 1 && EMPTY_COLLECTIONS.has(parts[0]!) ? { data: [], next: null } : undefined;
}

/**
 * The text fields of a multipart/form-data body (RFC 7578), by name. Files count as text: kong.yml is.
 * Undefined when the content type carries no boundary.
 */
export function multipartFields(raw: Buffer, contentType: string): Record<string, string> | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!boundary) return undefined;
  const delimiter = `--${boundary[1] ?? boundary[2]}`;
  const text = raw.toString('utf8');
  const fields: Record<string, string> = {};
  for (const part of text.split(delimiter).slice(1)) {
    if (part.startsWith('--')) break; // the closing delimiter
    const end = part.indexOf('\r\n\r\n');
    if (end < 0) continue;
    const name = /content-disposition:[^\r\n]*;\s*name="([^"]*)"/i.exec(part.slice(0, end))?.[1];
    if (name !== undefined) fields[name] = part.slice(end + 4).replace(/\r\n$/, '');
  }
  return fields;
}

type FieldSchema = Record<string, { type: string; default?: unknown; required?: boolean }>;

const text = { type: 'string' };
const list = (d?: unknown) => ({ type: 'array', ...(d === undefined ? {} : { default: d }) });
const int = (d: number) => ({ type: 'integer', default: d });
const bool = (d: boolean) => ({ type: 'boolean', default: d });

/**
 * GET /schemas/{entity}: the fields and defaults of what the double stores (entities.ts), which decK's
 * defaulter reads during `deck gateway sync`. Entities the double keeps empty have no fields.
 */
const ENTITY_SCHEMAS: Record<string, FieldSchema[]> = {
  services: [{ id: text }, { name: text }, { protocol: { type: 'string', default: 'http' } }, { host: { ...text, required: true } }, { port: int(80) },
    { path: text }, { retries: int(5) }, { connect_timeout: int(60000) }, { read_timeout: int(60000) }, { write_timeout: int(60000) },
    { enabled: bool(true) }, { tags: list() }],
  routes: [{ id: text }, { name: text }, { protocols: list(['http', 'https']) }, { methods: list() }, { hosts: list() }, { paths: list() },
    { https_redirect_status_code: int(426) }, { regex_priority: int(0) }, { strip_path: bool(true) }, { path_handling: { type: 'string', default: 'v0' } },
    { preserve_host: bool(false) }, { request_buffering: bool(true) }, { response_buffering: bool(true) }, { service: { type: 'foreign' } }, { tags: list() }],
  consumers: [{ id: text }, { username: text }, { custom_id: text }, { tags: list() }],
  upstreams: [],
  targets: [],
};

/** Field types of the entities above by name (no name has two types across them). */
const FIELD_TYPES = new Map(Object.values(ENTITY_SCHEMAS).flat().flatMap((f) => Object.entries(f)).map(([name, field]) => [name, field.type]));

/**
 * Kong reads form fields by the entity schema (kong/api/arguments.lua `infer_value`): "true"/"false"
 * for a boolean field are booleans, a number for an integer field is a number, "" is null; other
 * values stay text (and fail the schema). `curl --data strip_path=false` therefore stores false.
 */
export function inferFormFields(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([name, value]) => {
    const type = FIELD_TYPES.get(name);
    if (typeof value !== 'string' || type === undefined) return [name, value];
    if (value === '') return [name, null];
    if (type === 'integer' && value.trim() !== '' && Number.isFinite(Number(value))) return [name, Number(value)];
    if (type === 'boolean' && (value === 'true' || value === 'false')) return [name, value === 'true'];
    return [name, value];
  }));
}

export function entitySchema(method: string, parts: string[]): { fields: FieldSchema[] } | undefined {
  const fields = method === 'GET' && parts.length === 2 && parts[0] === 'schemas' ? ENTITY_SCHEMAS[parts[1]!] : undefined;
  return fields && { fields };
}
