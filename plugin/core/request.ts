// What the core sees of a request: lower-cased header names mapped to all their values (the shape
// kong.request.get_headers returns), and the method only when the decision needs it.
export type HeaderMap = Readonly<Record<string, ReadonlyArray<string | true>>>;

export interface RequestView {
  headers: HeaderMap;
  /** Upper-case method, or null when the handler did not need to read it. */
  method: string | null;
}

/** Own-property lookup, so hostile header names such as __proto__ never reach the prototype. */
export function headerValues(headers: HeaderMap, name: string): ReadonlyArray<string | true> {
  return Object.hasOwn(headers, name) ? headers[name] : [];
}
