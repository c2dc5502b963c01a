// What the core sees of a request: lower-cased header names mapped to all their values (the shape
// kong.request.get_headers returns), plus the few values that cost the handler an extra PDK call
// each and are therefore read only when the config needs them (see requestNeeds in decide.ts).
export type HeaderMap = Readonly<Record<string, ReadonlyArray<string | true>>>;

export interface RequestView {
  headers: HeaderMap;
  /** Upper-case method, or null when not read. */
  method: string | null;
  /** Kong's normalised path (kong.request.get_path), or null when not read. */
  path: string | null;
  /** The raw query string (kong.request.get_raw_query), or null when not read. */
  rawQuery: string | null;
  /** What Kong knows of the request URI, read only for requests carrying DPoP (see requestNeeds). */
  target?: RequestTarget | null;
  /** Whether another plugin already authenticated a credential (kong.client.get_credential), when read. */
  alreadyAuthenticated: boolean;
}

/**
 * The parts of the URI the client addressed, for a DPoP proof's htu: scheme, host and port as
 * kong.request.get_forwarded_* report them (null when dpop.external_base_url replaces them) and
 * the raw path with query (kong.request.get_path_with_query).
 */
export interface RequestTarget {
  scheme: string | null;
  host: string | null;
  port: number | string | null;
  pathWithQuery: string | null;
}

/** Own-property lookup, so hostile header names such as __proto__ never reach the prototype. */
export function headerValues(headers: HeaderMap, name: string): ReadonlyArray<string | true> {
  return Object.hasOwn(headers, name) ? headers[name] : [];
}
