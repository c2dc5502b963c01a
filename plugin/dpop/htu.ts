// The htu comparison of RFC 9449 §4.3 (check 9): the proof's htu against the URI of the request,
// both without query and fragment, after RFC 3986's syntax- and scheme-based normalisation
// (§6.2.2–6.2.3) and nothing more. Parsed by RFC 3986's generic syntax, not by WHATWG URL: WHATWG
// reads `\` as `/` and strips tab and newlines before resolving dot segments, so `/x/..\..\admin`
// would name `/admin`. Here:
// - scheme and host are lower-cased, a default or empty port dropped, an empty path is `/`;
// - dot segments are removed where they are literally `.` or `..` between slashes (§5.2.4);
// - percent-encoding: hex upper-cased, escapes of unreserved characters decoded (after dot removal, so
//   `%2E%2E` stays a segment named `..`, never a step up);
// - `\`, `#` and control characters are compared as sent: upstreams fold a raw `\` to `/`, end the
//   path at `#` and strip tab, CR and LF, but leave their escapes alone, so a raw one and its escape
//   name different resources;
// - other characters a URI may not hold raw (space, `"`, `<`, `>`, `` ` ``, `{`, `}`, `|`, `^`, non-ASCII)
//   are compared as their UTF-8 percent-encoding, as URL libraries send them.
// A host outside RFC 3986's reg-name and IP-literal syntax, userinfo or a non-http(s) scheme: no htu.
import type { DpopSettings } from '../config/types';
import type { RequestTarget } from '../vocabulary/request';

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
/**
 * Characters kept as they are in a path: RFC 3986 pchar and `/`, `%` (escapes are handled on their
 * own), and the ones upstreams end or fold a path on: `\`, `#` (only a request path can hold a raw
 * one) and controls.
 */
const KEPT_RAW = /[A-Za-z0-9\-._~!$&'()*+,;=:@/%\\#\x00-\x1f\x7f]/;
const HOST = /^(?:[a-z0-9\-._~!$&'()*+,;=]+|\[[0-9a-f:.]+\])$/;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443' };

function isHex(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

/** RFC 3986 §5.2.4 on literal `.` and `..` segments only; the path starts with `/`. */
function removeDotSegments(path: string): string {
  if (!path.includes('.')) return path;
  const segments = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i];
    const last = i === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..' && out.length > 0) out.pop();
      if (last) out.push('');
    } else {
      out.push(segment);
    }
  }
  return '/' + out.join('/');
}

/** One pass: `%xx` → `%XX` or the unreserved character, characters not allowed raw → their escapes. */
function normaliseEncoding(path: string): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch === '%' && i + 2 < path.length && isHex(path.charCodeAt(i + 1)) && isHex(path.charCodeAt(i + 2))) {
      const hex = path.slice(i + 1, i + 3).toUpperCase();
      const decoded = String.fromCharCode(parseInt(hex, 16));
      out += UNRESERVED.test(decoded) ? decoded : `%${hex}`;
      i += 2;
    } else if (KEPT_RAW.test(ch)) {
      out += ch;
    } else {
      // A lone surrogate cannot be encoded: such a path has no htu.
      const code = path.codePointAt(i)!;
      const char = String.fromCodePoint(code);
      if (code >= 0xd800 && code <= 0xdfff) throw new URIError('lone surrogate');
      out += Buffer.from(char, 'utf8').toString('hex').toUpperCase().replace(/../g, '%$&');
      i += char.length - 1;
    }
  }
  return out;
}

function normalisePath(path: string): string | null {
  try {
    return normaliseEncoding(removeDotSegments(path === '' ? '/' : path));
  } catch {
    return null;
  }
}

/** `scheme://authority` normalised, or null when it is no http(s) origin without userinfo. */
function normaliseOrigin(scheme: string, authority: string): string | null {
  const lowerScheme = scheme.toLowerCase();
  if (!Object.hasOwn(DEFAULT_PORTS, lowerScheme) || authority.includes('@')) return null;
  const colon = authority.lastIndexOf(':');
  const hasPort = colon >= 0 && colon > authority.lastIndexOf(']');
  const host = (hasPort ? authority.slice(0, colon) : authority).toLowerCase();
  let port = hasPort ? authority.slice(colon + 1) : '';
  if (!HOST.test(host) || !/^\d{0,5}$/.test(port) || (port !== '' && Number(port) > 65535)) return null;
  if (port !== '') port = String(Number(port));
  return `${lowerScheme}://${host}${port === '' || port === DEFAULT_PORTS[lowerScheme] ? '' : `:${port}`}`;
}

/** The comparable form of an http(s) URI without query and fragment, or null when it is not one. */
export function normaliseHtu(uri: string): string | null {
  if (uri.length > 8192) return null;
  // RFC 3986 Appendix B, anchored: scheme ":" "//" authority path, then "?" query / "#" fragment.
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/.exec(uri);
  if (match === null) return null;
  const origin = normaliseOrigin(match[1], match[2]);
  const path = normalisePath(match[3]);
  return origin === null || path === null ? null : origin + path;
}

/**
 * The URI the client addressed, normalised, or null when it cannot be told. The path is the raw
 * request path (Kong's get_path_with_query up to the `?`), taken as sent: a raw `#` in it stays in
 * the path (Kong keeps it there too), so no proof's htu can name it. Kong's normalised path also
 * merges slashes, which RFC 3986 does not, so a client's htu would not match it.
 */
export function requestHtu(target: RequestTarget, settings: DpopSettings): string | null {
  const raw = target.pathWithQuery;
  if (raw === null || !raw.startsWith('/') || raw.length > 8192) return null;
  const query = raw.indexOf('?');
  const path = normalisePath(query < 0 ? raw : raw.slice(0, query));
  if (path === null) return null;
  if (settings.externalBaseUrl !== null) {
    const base = normaliseHtu(settings.externalBaseUrl);
    // The base's path prefix, already normalised, then the request's path.
    return base === null ? null : base.replace(/\/$/, '') + path;
  }
  const { scheme, host, port } = target;
  if (scheme === null || host === null || host === '') return null;
  const authority = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const portPart = port === null || port === '' ? '' : `:${port}`;
  const origin = normaliseOrigin(scheme, `${authority}${portPart}`);
  return origin === null ? null : origin + path;
}
