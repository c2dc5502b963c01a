// Stage 1 across sources: the bearer header, and — only when configured — a cookie and a query
// parameter. RFC 6750 §2: a client must not send the token in more than one place.
import type { TokenSources } from '../config/types';
import { headerValues, type HeaderMap } from '../core/request';
import { extractBearerToken, type Extraction } from './bearer-token';

/** The values of every cookie called `name` across all Cookie header lines. */
function cookieValues(headers: HeaderMap, name: string): string[] {
  const found: string[] = [];
  for (const line of headerValues(headers, 'cookie')) {
    if (line === true) continue;
    for (const pair of line.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
      const value = pair.slice(eq + 1).trim();
      found.push(value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value);
    }
  }
  return found;
}

/** A bare token from a cookie or query value: empty values count as absent. */
function bareToken(values: ReadonlyArray<string | true>): Extraction {
  const present = values.filter((v): v is string => typeof v === 'string' && v !== '');
  if (present.length === 0) return { kind: 'absent' };
  if (present.length > 1) return { kind: 'invalid_request', description: 'More than one credential was sent' };
  return { kind: 'token', token: present[0] };
}

/**
 * `queryValue` is what kong.request.get_query_arg returned for the configured parameter (null when
 * absent, true for a bare flag); the handler reads it only when a query parameter is configured.
 */
export function extractToken(headers: HeaderMap, tokenHeader: string, sources: TokenSources, queryValue: string | true | null): Extraction {
  const found = [extractBearerToken(headers, tokenHeader)];
  if (sources.cookie !== null) found.push(bareToken(cookieValues(headers, sources.cookie)));
  if (sources.queryParam !== null) found.push(bareToken(queryValue === null ? [] : [queryValue]));

  const invalid = found.find((e) => e.kind === 'invalid_request');
  if (invalid !== undefined) return invalid;
  const tokens = found.filter((e) => e.kind === 'token');
  if (tokens.length > 1) return { kind: 'invalid_request', description: 'More than one credential was sent' };
  return tokens[0] ?? { kind: 'absent' };
}
