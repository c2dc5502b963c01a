// Admin API reads the double answers beyond its own entities, so decK (`deck gateway dump` / `sync`,
// go-database-reconciler's dump.Get) works against it: the collections it lists with `?size=1000`
// that the double never holds answer Kong's empty page, and `POST /config` takes Kong's
// `multipart/form-data` form (`curl -F config=@kong.yml`).

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
