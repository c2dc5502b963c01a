// The token query parameter, read from the raw query string (kong.request.get_raw_query) instead of
// kong.request.get_query_arg: Kong's parser returns only the first of repeated parameters and stops
// after 100 arguments, so a second, unverified token could hide behind either and reach the
// upstream. Parsed here in one pass: `&` separates parameters, `+` is a space and `%XX` a byte, as
// ngx.req.get_uri_args reads them.

export interface QueryTokenScan {
  /** The values of every parameter with this name, in order (a bare `name` without `=` is ''). */
  values: string[];
  /**
   * The name also appears after a `;` inside another parameter: PHP, Rails and older CGI/Python
   * parsers split on `;` too, so the upstream could read a token Kong's parser never sees.
   */
  ambiguous: boolean;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** `+` → space, `%XX` → that byte (as a Latin-1 character); an invalid escape stays as sent. */
export function decodeQueryComponent(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '+') {
      out += ' ';
    } else if (ch === '%' && i + 2 < text.length && hexValue(text.charCodeAt(i + 1)) >= 0 && hexValue(text.charCodeAt(i + 2)) >= 0) {
      out += String.fromCharCode(hexValue(text.charCodeAt(i + 1)) * 16 + hexValue(text.charCodeAt(i + 2)));
      i += 2;
    } else {
      out += ch;
    }
  }
  return out;
}

function keyOf(part: string): string {
  const eq = part.indexOf('=');
  return decodeQueryComponent(eq < 0 ? part : part.slice(0, eq));
}

export function scanQueryToken(rawQuery: string, name: string): QueryTokenScan {
  const values: string[] = [];
  let ambiguous = false;
  for (const part of rawQuery.split('&')) {
    if (keyOf(part) === name) {
      const eq = part.indexOf('=');
      values.push(eq < 0 ? '' : decodeQueryComponent(part.slice(eq + 1)));
    } else if (part.includes(';') && part.split(';').some((piece) => keyOf(piece) === name)) {
      ambiguous = true;
    }
  }
  return { values, ambiguous };
}
