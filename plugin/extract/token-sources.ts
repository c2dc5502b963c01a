// Stage 1 across sources: the bearer header, and — only when configured — a cookie and a query
// parameter. RFC 6750 §2: a client must not send the token in more than one place.
import type { TokenSources } from '../config/types';
import { headerValues, type HeaderMap } from '../vocabulary/request';
import { extractBearerToken, type Extraction } from './bearer-token';
import { scanQueryToken } from './query-token';

export type TokenSource = 'header' | 'cookie' | 'query';

/** A found token with where it came from (hide_credentials removes it from there). */
export type SourcedExtraction = Exclude<Extraction, { kind: 'token' }> | { kind: 'token'; token: string; source: TokenSource; dpop?: true };

/** Every `name=value` pair of every Cookie header line, trimmed, in order. */
function cookiePairs(headers: HeaderMap): Array<{ name: string; value: string }> {
  const pairs: Array<{ name: string; value: string }> = [];
  for (const line of headerValues(headers, 'cookie')) {
    if (line === true) continue;
    for (const raw of line.split(';')) {
      const pair = raw.trim();
      const eq = pair.indexOf('=');
      if (eq < 0) pairs.push({ name: '', value: '' });
      else pairs.push({ name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim() });
    }
  }
  return pairs;
}

/** The values of every cookie called `name` across all Cookie header lines. */
function cookieValues(headers: HeaderMap, name: string): string[] {
  return cookiePairs(headers)
    .filter((c) => c.name === name)
    .map(({ value }) => (value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value));
}

/** A bare token from cookie or query values: empty values count as absent. */
function bareToken(values: ReadonlyArray<string | true>): Extraction {
  const present = values.filter((v): v is string => typeof v === 'string' && v !== '');
  if (present.length === 0) return { kind: 'absent' };
  if (present.length > 1) return { kind: 'invalid_request', description: 'More than one credential was sent' };
  return { kind: 'token', token: present[0] };
}

/** The query parameter: a repeat, even an empty one, or a `;`-separated copy is refused (any ambiguity). */
function queryToken(rawQuery: string, name: string): Extraction {
  const { values, ambiguous } = scanQueryToken(rawQuery, name);
  if (ambiguous) return { kind: 'invalid_request', description: 'The token query parameter is ambiguous' };
  if (values.length > 1) return { kind: 'invalid_request', description: 'More than one credential was sent' };
  return bareToken(values);
}

/**
 * `rawQuery` is kong.request.get_raw_query (null when not read); the handler reads it only when
 * a query parameter is configured.
 */
export function extractToken(headers: HeaderMap, tokenHeader: string, sources: TokenSources, rawQuery: string | null, acceptDpop = false): SourcedExtraction {
  if (sources.cookie === null && sources.queryParam === null) {
    // The default: the header is the only source (no list to build per request).
    const extraction = extractBearerToken(headers, tokenHeader, acceptDpop);
    return extraction.kind === 'token' ? sourced(extraction, 'header') : extraction;
  }
  const found: Array<[TokenSource, Extraction]> = [['header', extractBearerToken(headers, tokenHeader, acceptDpop)]];
  if (sources.cookie !== null) found.push(['cookie', bareToken(cookieValues(headers, sources.cookie))]);
  if (sources.queryParam !== null) found.push(['query', queryToken(rawQuery ?? '', sources.queryParam)]);

  const invalid = found.find(([, e]) => e.kind === 'invalid_request');
  if (invalid !== undefined) return invalid[1] as SourcedExtraction;
  const tokens = found.filter(([, e]) => e.kind === 'token');
  if (tokens.length > 1) return { kind: 'invalid_request', description: 'More than one credential was sent' };
  if (tokens.length === 0) return { kind: 'absent' };
  const [source, extraction] = tokens[0];
  return sourced(extraction as TokenExtraction, source);
}

type TokenExtraction = Extract<Extraction, { kind: 'token' }>;

/** The found token with where it came from; built field by field (an object spread costs more per request). */
function sourced(extraction: TokenExtraction, source: TokenSource): SourcedExtraction {
  return extraction.dpop ? { kind: 'token', token: extraction.token, source, dpop: true } : { kind: 'token', token: extraction.token, source };
}
