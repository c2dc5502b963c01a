// Stage 1: find exactly one bearer token in the configured header (RFC 6750 §2.1).
import { headerValues, type HeaderMap } from '../vocabulary/request';

export type Extraction =
  /** `dpop`: sent with the DPoP scheme (RFC 9449 §7.1), recognised only when DPoP is on. */
  | { kind: 'token'; token: string; dpop?: true }
  /** No credentials for this scheme: answer with a bare challenge (RFC 6750 §3.1). */
  | { kind: 'absent' }
  /** Credentials present but not usable as one bearer token: 400 invalid_request. */
  | { kind: 'invalid_request'; description: string };

// credentials = auth-scheme 1*SP token68; the scheme is case-insensitive (RFC 9110 §11.1).
// `s`: `.` must match every character, or a line separator (U+2028 from UTF-8 bytes) after a long
// run of spaces would make `([ \t]*)(.*)$` backtrack quadratically.
const SCHEME = /^(bearer|dpop)(?=$|[ \t])([ \t]*)(.*)$/is;

/**
 * Strips leading and trailing SP/HTAB by index. Not a regex: `[ \t]+$` retries from every space of
 * a long run, which is quadratic (8,000 spaces cost 52 ms a request).
 */
function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value[start] === ' ' || value[start] === '\t')) start++;
  while (end > start && (value[end - 1] === ' ' || value[end - 1] === '\t')) end--;
  return value.slice(start, end);
}

/** The common case, `Bearer <token68>` in one value: the general parser below agrees on all it matches. */
const PLAIN_BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

export function extractBearerToken(headers: HeaderMap, headerName: string, acceptDpop = false): Extraction {
  const raw = headerValues(headers, headerName);
  if (raw.length === 1 && typeof raw[0] === 'string') {
    const plain = PLAIN_BEARER.exec(raw[0]);
    if (plain !== null) return { kind: 'token', token: plain[1] };
  }
  const values = raw.filter((v) => v !== true && trimOws(v) !== '');
  if (values.length === 0) return { kind: 'absent' };
  if (values.length > 1) return { kind: 'invalid_request', description: 'More than one credential was sent' };

  const match = SCHEME.exec(trimOws(values[0] as string));
  const dpop = match !== null && match[1].toLowerCase() === 'dpop';
  if (match === null || (dpop && !acceptDpop)) return { kind: 'absent' };
  const [, , separator, token] = match;
  if (token === '') return { kind: 'invalid_request', description: 'The bearer token is empty' };
  if (separator.includes('\t') || /[ \t]/.test(token)) return { kind: 'invalid_request', description: 'The authorization header must hold exactly one bearer token' };
  return dpop ? { kind: 'token', token, dpop } : { kind: 'token', token };
}
