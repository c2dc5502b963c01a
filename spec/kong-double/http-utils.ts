// HTTP details Kong/nginx implement: path normalisation (kong.request.get_path), query parsing
// (ngx.req.get_uri_args), the percent-encoding OpenResty applies to header names/values set by
// plugins (batch2 18–20), and nginx's per-line request header limit (large_client_header_buffers 8k).

const RESERVED = new Set('!#$&\'()*+,/:;=?@[]%'.split(''));

/** Kong's normalised path: decode %XX except reserved characters, upper-case kept escapes, drop dot segments, merge slashes. */
export function normalizePath(raw: string): string {
  const decoded = raw.replace(/%([0-9a-fA-F]{2})/g, (m, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return RESERVED.has(ch) ? m.toUpperCase() : ch;
  });
  const out: string[] = [];
  for (const seg of decoded.replace(/\/{2,}/g, '/').split('/')) {
    if (seg === '.') continue;
    if (seg === '..') {
      if (out.length > 1) out.pop();
      continue;
    }
    out.push(seg);
  }
  let path = out.join('/');
  if (/\/\.\.?$/.test(decoded)) path += '/';
  return path.startsWith('/') ? path : '/' + path;
}

function decodeArg(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** ngx.req.get_uri_args: a flag without `=` is `true`, repeated names collect into arrays, at most `max` args. */
export function parseQuery(raw: string, max: number): Record<string, string | true | Array<string | true>> {
  const out: Record<string, string | true | Array<string | true>> = {};
  let count = 0;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    if (count++ >= max) break;
    const eq = part.indexOf('=');
    const key = decodeArg(eq < 0 ? part : part.slice(0, eq));
    const value: string | true = eq < 0 ? true : decodeArg(part.slice(eq + 1));
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else out[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

function utf8Escape(s: string, keep: (ch: string) => boolean): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && keep(ch) ? ch : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Header name as OpenResty sends it upstream: bytes outside the token set percent-encoded (`X Bad` → `X%20Bad`). */
export function percentEncodeHeaderName(name: string): string {
  return utf8Escape(name, (ch) => TCHAR.test(ch));
}

/** Header value as OpenResty sends it upstream: control characters (CR, LF, …) percent-encoded, TAB kept; UTF-8 bytes as latin1. */
export function percentEncodeHeaderValue(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += (byte < 0x20 && byte !== 0x09) || byte === 0x7f ? '%' + byte.toString(16).toUpperCase().padStart(2, '0') : String.fromCharCode(byte);
  }
  return out;
}

/** nginx (Kong's `large_client_header_buffers 4 8k`): no header line over one 8 KB buffer... */
export const MAX_HEADER_LINE = 8192;
/** ...and no more header bytes than the four buffers hold. */
export const MAX_HEADER_BYTES = 4 * 8192;

/** True when nginx would answer 400 "Request Header Or Cookie Too Large" before any plugin runs. */
export function headerLineTooLong(rawHeaders: string[]): boolean {
  let total = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const line = rawHeaders[i]!.length + 2 + rawHeaders[i + 1]!.length + 2;
    if (line > MAX_HEADER_LINE) return true;
    total += line;
  }
  return total > MAX_HEADER_BYTES;
}
