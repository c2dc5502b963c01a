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
  /** Whether another plugin already authenticated a credential (kong.client.get_credential), when read. */
  alreadyAuthenticated: boolean;
}

/** Own-property lookup, so hostile header names such as __proto__ never reach the prototype. */
export function headerValues(headers: HeaderMap, name: string): ReadonlyArray<string | true> {
  return Object.hasOwn(headers, name) ? headers[name] : [];
}
