// The htu comparison of RFC 9449 §4.3 (check 9): the proof's htu against the URI of the request,
// both without query and fragment, after the syntax- and scheme-based normalisation of RFC 3986
// §6.2.2–6.2.3. WHATWG URL parsing lower-cases scheme and host, drops a default port, turns an
// empty path into "/" and removes dot segments; percent-encoding is normalised here (hex upper-
// cased, unreserved characters decoded). Both sides go through the same function.
import type { DpopSettings } from '../config/types';
import type { RequestTarget } from '../core/request';

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

function hexDigit(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66);
}

/** One pass over the path: `%xx` → `%XX`, or the character itself when it is unreserved. */
function normalisePercentEncoding(path: string): string {
  if (!path.includes('%')) return path;
  let out = '';
  for (let i = 0; i < path.length; i++) {
    if (path[i] === '%' && i + 2 < path.length && hexDigit(path.charCodeAt(i + 1)) && hexDigit(path.charCodeAt(i + 2))) {
      const hex = path.slice(i + 1, i + 3).toUpperCase();
      const ch = String.fromCharCode(parseInt(hex, 16));
      out += UNRESERVED.test(ch) ? ch : `%${hex}`;
      i += 2;
    } else {
      out += path[i];
    }
  }
  return out;
}

/** The comparable form of an http(s) URI without query and fragment, or null when it is not one. */
export function normaliseHtu(uri: string): string | null {
  if (uri.length > 8192 || !URL.canParse(uri)) return null;
  const url = new URL(uri);
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '') return null;
  return `${url.protocol}//${url.host}${normalisePercentEncoding(url.pathname)}`;
}

/**
 * The URI the client addressed, normalised, or null when it cannot be told. The path is the raw
 * request path (Kong's get_path_with_query up to the `?`): Kong's normalised path also merges
 * slashes, which RFC 3986 does not, so a client's htu would not match it.
 */
export function requestHtu(target: RequestTarget, settings: DpopSettings): string | null {
  const raw = target.pathWithQuery;
  if (raw === null || !raw.startsWith('/')) return null;
  const query = raw.indexOf('?');
  const path = query < 0 ? raw : raw.slice(0, query);
  if (settings.externalBaseUrl !== null) return normaliseHtu(settings.externalBaseUrl + path);
  const { scheme, host, port } = target;
  if (scheme === null || host === null || host === '') return null;
  const authority = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const portPart = port === null || port === '' ? '' : `:${port}`;
  return normaliseHtu(`${scheme}://${authority}${portPart}${path}`);
}
