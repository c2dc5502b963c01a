// How Lua/LuaJIT and Penlight turn values into text inside Kong's error messages: `tostring` of
// numbers, `%d`, and `pl.pretty.write` (used by Kong's `schema_violation` and `declarative_config`
// messages). Penlight's writer (1.14, as bundled with Kong 3.x) lists the array part first, then the
// string keys sorted, then the remaining numeric keys; one item per line indented by `space`, or all
// on one line without spaces around `=` when `space` is ''.

/** C's `%.14g`, as Lua's `tostring` uses for non-integral numbers. */
function formatG14(n: number): string {
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  const fixedOk = exp >= -5 && exp < 14;
  let s = fixedOk ? n.toPrecision(14) : n.toExponential(13);
  if (s.includes('e')) {
    const [mant, e] = s.split('e') as [string, string];
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[+-]/, '').padStart(2, '0');
    s = `${m}e${sign}${digits}`;
  } else if (s.includes('.')) {
    s = s.replace(/0+$/, '').replace(/\.$/, '');
  }
  return s;
}

/** Lua `tostring` of a number (LuaJIT prints integral values up to 1e14 without exponent). */
export function luaNumberToString(n: number): string {
  if (Number.isNaN(n)) return n > 0 ? 'nan' : '-nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  return formatG14(n);
}

/** Lua `string.format('%d', n)`: LuaJIT truncates a non-integral number. */
export function luaFormatInt(n: number): string {
  return String(Math.trunc(n));
}

/** Lua `tostring` for the scalar values that appear in messages. */
export function luaToString(v: unknown): string {
  if (typeof v === 'number') return luaNumberToString(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) return 'userdata: NULL';
  return 'table';
}

const LUA_KEYWORDS = new Set([
  'and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for', 'function', 'goto', 'if', 'in',
  'local', 'nil', 'not', 'or', 'repeat', 'return', 'then', 'true', 'until', 'while',
]);

/** Largest run of '=' inside `[=*[` or `]=*]` in `s`, or undefined. */
function longBracketLevel(s: string): number | undefined {
  let max: number | undefined;
  for (const m of s.matchAll(/([[\]])(=*)\1/g)) max = Math.max(max ?? 0, m[2]!.length);
  return max;
}

/** Penlight `stringx.quote_string`: long brackets for multi-line text, else Lua's `%q`. */
export function luaQuoteString(s: string): string {
  const level = longBracketLevel(`${s}]`);
  if ((s.includes('\n') || level !== undefined) && !s.includes('\r')) {
    const eq = '='.repeat((level ?? -1) + 1);
    return `[${eq}[${s.startsWith('\n') ? `\n${s}` : s}]${eq}]`;
  }
  const body = s.replace(/[\\"\n\r\0]/g, (c) => {
    switch (c) {
      case '\\': return '\\\\';
      case '"': return '\\"';
      case '\n': return '\\\n';
      case '\r': return '\\r';
      default: return '\\0';
    }
  });
  return `"${body}"`;
}

function isIdentifier(k: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && !LUA_KEYWORDS.has(k);
}

/** Penlight's `tostring` for table values: integral numbers as `%d`, others `%.14g`. */
function prettyScalar(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : luaNumberToString(v);
  const s = luaToString(v);
  return s.includes(' ') ? luaQuoteString(s) : s;
}

/**
 * `pl.pretty.write(value, space)` for JSON-like values. JS arrays are Lua sequences where a `null`
 * element is a hole (Kong's error tables for arrays are sparse), so elements after the first hole
 * are written as `[i] = v` with Lua's 1-based index.
 */
export function luaPrettyWrite(value: unknown, space = '  '): string {
  if (typeof value === 'string') return luaQuoteString(value);
  if (value === null || typeof value !== 'object') return luaToString(value);
  const set = space === '' ? '=' : ' = ';
  const lines: string[] = [];
  let line = '';
  const put = (s: string) => {
    if (s.length > 0) line += s;
  };
  const putln = (s: string) => {
    if (line.length > 0) {
      lines.push(line + s);
      line = '';
    } else {
      lines.push(s);
    }
  };
  const eatLastComma = () => {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.endsWith(',')) lines[lines.length - 1] = last.slice(0, -1);
  };
  const writeIt = (t: unknown, oldIndent: string, indent: string): void => {
    if (typeof t === 'string') {
      putln(`${luaQuoteString(t)},`);
      return;
    }
    if (t === null || typeof t !== 'object') {
      putln(`${prettyScalar(t)},`);
      return;
    }
    const newIndent = indent + space;
    putln('{');
    const stringKeys: Array<[string, unknown]> = [];
    const numericKeys: Array<[number, unknown]> = [];
    if (Array.isArray(t)) {
      let i = 0;
      for (; i < t.length && t[i] !== null && t[i] !== undefined; i++) {
        put(indent);
        writeIt(t[i], indent, newIndent);
      }
      for (; i < t.length; i++) if (t[i] !== null && t[i] !== undefined) numericKeys.push([i + 1, t[i]]);
    } else {
      for (const [k, v] of Object.entries(t as Record<string, unknown>)) if (v !== undefined) stringKeys.push([k, v]);
      stringKeys.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    }
    for (const [k, v] of stringKeys) {
      put(indent + (isIdentifier(k) ? k : indexKey(luaQuoteString(k))) + set);
      writeIt(v, indent, newIndent);
    }
    for (const [k, v] of numericKeys) {
      put(`${indent}[${k}]${set}`);
      writeIt(v, indent, newIndent);
    }
    eatLastComma();
    putln(`${oldIndent}},`);
  };
  writeIt(value, '', space);
  eatLastComma();
  return lines.join(space.length > 0 ? '\n' : '');
}

function indexKey(quoted: string): string {
  return quoted.startsWith('[') ? `[ ${quoted} ]` : `[${quoted}]`;
}
