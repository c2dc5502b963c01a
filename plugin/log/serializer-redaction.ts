// Kong's log serializer (kong.log.serialize, what file-log, http-log, tcp-log and the other log
// plugins write) redacts only the Authorization and Proxy-Authorization request headers. A token
// read from token_header (another header) or token_cookie would be logged as sent, on allowed and
// refused requests alike. These are the kong.log.set_serialize_value calls that redact it: made only
// for requests that carry such a header or cookie, so no other request pays a PDK call.
//
// Kong splits the key at dots (kong/pdk/log.lua): `request.headers.<name>` addresses the header as
// kong.request.get_headers names it (lower case; a dash is an ordinary character). A header name with
// a dot cannot be addressed, so then the whole header table is redacted (nginx drops such headers by
// default anyway). For the cookie, only the token cookie's value is replaced: the other cookies stay
// readable. Mode `replace`: a header that hide_credentials already removed is not added back.
import type { PluginConfig } from '../config/types';
import { headerValues, type HeaderMap } from '../vocabulary/request';

export const REDACTED = 'REDACTED';

/** Header names Kong's serializer redacts on its own. */
const REDACTED_BY_KONG: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization']);

export interface SerializerRedaction {
  key: string;
  /** A string for one header line, an array for several: the shape kong.request.get_headers gives. */
  value: string | string[];
}

/** One Cookie header line with the value of every cookie called `name` replaced; null when it has none. */
function redactCookieLine(line: string, name: string): string | null {
  let found = false;
  const pairs = line.split(';').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) return pair;
    found = true;
    return `${pair.slice(0, eq + 1)}${REDACTED}`;
  });
  return found ? pairs.join(';') : null;
}

const NONE: readonly SerializerRedaction[] = Object.freeze([]);

export function serializerRedactions(config: PluginConfig, headers: HeaderMap): readonly SerializerRedaction[] {
  const header = config.tokenHeader;
  const cookie = config.tokenSources.cookie;
  // The default (the token in Authorization, no cookie source): nothing to build.
  if (REDACTED_BY_KONG.has(header) && cookie === null) return NONE;
  const redactions: SerializerRedaction[] = [];
  if (!REDACTED_BY_KONG.has(header) && headerValues(headers, header).length > 0) {
    redactions.push(header.includes('.') ? { key: 'request.headers', value: REDACTED } : { key: `request.headers.${header}`, value: REDACTED });
  }
  if (cookie !== null) {
    const lines = headerValues(headers, 'cookie').map((line) => (line === true ? '' : line));
    const redacted = lines.map((line) => redactCookieLine(line, cookie));
    if (redacted.some((line) => line !== null)) {
      const value = redacted.map((line, i) => line ?? lines[i]);
      redactions.push({ key: 'request.headers.cookie', value: value.length === 1 ? value[0] : value });
    }
  }
  return redactions;
}
