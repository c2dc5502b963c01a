// nginx appends the request's context to every error.log line written while it serves a request
// (ngx_http_log_error_handler): the request line as sent (path and query string), the Host header
// and the first Referer header (`referrer: "…"`). A kong.log line of a request carrying a token in
// any of them would write the token to the log, whatever parameter it came in. So before any
// kong.log line the handler asks a LogGate, which reads the request line (one PDK call, only on
// paths that are about to log; Host and Referer come with the headers already read) and refuses
// when any of them may hold a credential.
import type { PluginConfig } from '../config/types';
import { scanQueryToken } from '../extract/query-token';
import type { HeaderMultiMap, Pdk } from '../handler/pdk';
import { headerValues } from '../vocabulary/request';

/** The smallest JWS protected header, {"alg":""}, is 14 base64url characters. */
const MIN_HEADER_SEGMENT = 14;

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/** The character at `i` (a %XX escape decoded) and how many characters it took. */
function charAt(text: string, i: number): [code: number, width: number] {
  if (text.charCodeAt(i) === 0x25 /* % */) {
    const high = hexDigit(text.charCodeAt(i + 1));
    const low = hexDigit(text.charCodeAt(i + 2));
    if (high >= 0 && low >= 0) return [high * 16 + low, 3];
  }
  return [text.charCodeAt(i), 1];
}

function isBase64Url(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f;
}

/**
 * True when `text` holds something JWT-shaped: a base64url run of at least 14 characters (the
 * header), a dot, a base64url run (empty in a JWE with "dir"), a dot; percent-encoded characters
 * count as what they encode. One pass, no regex.
 */
export function holdsJwtShape(text: string): boolean {
  let dots = 0;
  let run = 0;
  for (let i = 0; i < text.length; ) {
    const [c, width] = charAt(text, i);
    i += width;
    if (isBase64Url(c)) {
      run++;
    } else if (c === 0x2e && (dots === 1 || run >= MIN_HEADER_SEGMENT)) {
      if (++dots === 2) return true;
      run = 0;
    } else {
      dots = 0;
      run = 0;
    }
  }
  return false;
}

/** A URI (the request target or a Referer) that is JWT-shaped or names the token query parameter. */
function uriMayHoldToken(uri: string, config: PluginConfig): boolean {
  if (holdsJwtShape(uri)) return true;
  const name = config.tokenSources.queryParam;
  const q = uri.indexOf('?');
  if (name === null || q < 0) return false;
  const scan = scanQueryToken(uri.slice(q + 1), name);
  return scan.values.length > 0 || scan.ambiguous;
}

function stringValues(headers: HeaderMultiMap, name: string): string[] {
  return headerValues(headers, name).filter((v): v is string => typeof v === 'string');
}

/**
 * Whether the request line, Host or Referer may hold a credential (see the file comment). nginx
 * logs only the first Referer; every one is checked, as nothing is lost by it.
 */
export function requestLineMayHoldToken(pathWithQuery: string, headers: HeaderMultiMap, config: PluginConfig): boolean {
  return uriMayHoldToken(pathWithQuery, config) || stringValues(headers, 'host').some(holdsJwtShape) || stringValues(headers, 'referer').some((r) => uriMayHoldToken(r, config));
}

/** Decides once per request whether kong.log lines may be written; reads the request line only when asked. */
export class LogGate {
  private verdict: Promise<boolean> | null = null;
  /** The request target when the handler already read it (DPoP's htu): no second read. */
  private knownTarget: string | null | undefined;

  constructor(private readonly kong: Pdk, private readonly config: PluginConfig, private readonly headers: HeaderMultiMap) {}

  /** The handler already saw a credential in the request line: no read needed. */
  markUnsafe(): void {
    this.verdict = Promise.resolve(false);
  }

  useTarget(pathWithQuery: string | null): void {
    this.knownTarget = pathWithQuery;
  }

  mayLog(): Promise<boolean> {
    this.verdict ??= this.check();
    return this.verdict;
  }

  private async check(): Promise<boolean> {
    const target = this.knownTarget !== undefined ? this.knownTarget : await this.kong.request.getPathWithQuery();
    return !requestLineMayHoldToken(target ?? '', this.headers, this.config);
  }
}
