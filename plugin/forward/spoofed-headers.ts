// Client-sent copies of the headers okta-jwt writes, in every spelling an upstream may read as the
// same header. Kong passes names with `_` (its nginx runs with underscores_in_headers on), and
// CGI, WSGI, PHP and Rack upstreams fold `_` into `-`, so `X_User_Sub` reads as `X-User-Sub`.
// kong.service.request.clear_header removes only the spelling it is given (case aside), so each
// spelling is returned exactly as kong.request.get_headers keyed it (lower-cased, `_` kept).
import type { HeaderMap } from '../vocabulary/request';

/** A header name as such upstreams read it: lower case, `_` as `-`. */
export function foldedName(name: string): string {
  const lower = name.toLowerCase();
  // Most names have no `_`: no second string for them.
  return lower.includes('_') ? lower.replaceAll('_', '-') : lower;
}

/**
 * The request's header names (get_headers keys) that fold to one of `owned` (folded names), except
 * the exact names in `kept`. One pass over the request's headers.
 */
export function clientSpellings(headers: HeaderMap, owned: ReadonlySet<string>, kept?: ReadonlySet<string>): string[] {
  let found: string[] | undefined;
  // for…in: Kong's header maps have no prototype (msgpack-decode.ts); nothing is allocated for a request without spoofs.
  for (const name in headers) {
    if (owned.has(foldedName(name)) && !kept?.has(name)) (found ??= []).push(name);
  }
  return found ?? [];
}
