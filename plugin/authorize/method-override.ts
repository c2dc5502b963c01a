// Method overrides: many upstream frameworks handle a request as the method named in an
// X-HTTP-Method-Override, X-HTTP-Method or X-Method-Override header (Express method-override, Gorilla,
// ASP.NET Core, Google-style APIs) or in a `_method` parameter of a POST (Rack, Symfony/Laravel, Spring,
// Express, Gorilla), while okta-jwt's rules judge the request-line method: `POST` + `DELETE` override
// would pass a rule that allows POST only. Where rules distinguish methods, method_override decides:
// refuse (400, the default), strip (removed before the request goes upstream), or pass (as before).
//
// Cost: the headers are already read; the query string is read (one PDK call) only for POST requests,
// the one method those frameworks accept overrides on. A `_method` in a form body cannot be seen
// (okta-jwt never reads bodies): docs/access-policies.md says what to do upstream.
import type { PluginConfig } from '../config/types';
import type { RequestView } from '../vocabulary/request';
import { queryWithoutSpellings } from '../forward/credential-spellings';
import { clientSpellings } from '../forward/spoofed-headers';

/** Folded names (lower case, `_` as `-`): CGI-style upstreams read `X_HTTP_Method` as `X-HTTP-Method`. */
export const OVERRIDE_HEADERS: readonly string[] = ['x-http-method-override', 'x-http-method', 'x-method-override'];
const OVERRIDE_HEADER_SET: ReadonlySet<string> = new Set(OVERRIDE_HEADERS);
const OVERRIDE_PARAMETER = '_method';

/** Whether this request's query string must be read: only a POST's, only where overrides are judged. */
export function overrideQueryNeeded(config: PluginConfig, method: string | null): boolean {
  return config.methodOverride !== 'pass' && method === 'POST';
}

export type OverrideOutcome = 'none' | 'refuse' | 'strip_query';

/**
 * What the request's method overrides call for. Headers are stripped with the spoofed headers
 * (decide.ts owns them under `strip`), so only a query parameter needs a rewrite here. The parameter
 * is found in every spelling upstream stacks fold to `_method` (PHP's `.method`, `_method[]`,
 * case-insensitive readers, `;` as a separator), as hide_credentials finds a token's name.
 */
export function methodOverride(request: RequestView, config: PluginConfig): OverrideOutcome {
  const mode = config.methodOverride;
  if (mode === 'pass') return 'none';
  if (mode === 'refuse' && clientSpellings(request.headers, OVERRIDE_HEADER_SET).length > 0) return 'refuse';
  if (request.rawQuery === null || !overrideQueryNeeded(config, request.method)) return 'none';
  if (queryWithoutSpellings(request.rawQuery, OVERRIDE_PARAMETER) === null) return 'none';
  return mode === 'refuse' ? 'refuse' : 'strip_query';
}

/** The query string without any spelling of the `_method` parameter (strip_query). */
export function withoutOverrideParameter(rawQuery: string): string {
  return queryWithoutSpellings(rawQuery, OVERRIDE_PARAMETER) ?? rawQuery;
}
