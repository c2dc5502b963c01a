// Lua 5.1 pattern matching (`string.match(s, p) ~= nil`), as Kong's `match`, `not_match`,
// `match_all`, `match_none` and `match_any` validators use it. Lua works on bytes with C-locale
// character classes, so subject and pattern are both turned into one JS char per UTF-8 byte.
// Supported: `.`, `%a %c %d %l %p %s %u %w %x %z` and their upper-case negations, `%<punct>`
// escapes, sets `[...]`/`[^...]` with ranges and classes, anchors `^`/`$`, quantifiers `* + - ?`,
// captures `()` and back-references `%1`..`%9`, `%bxy` and `%f[set]`.

export class LuaPatternError extends Error {}

const CAP_UNFINISHED = -1;
const CAP_POSITION = -2;
const MAX_CAPTURES = 32;

const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isDigit = (c: number) => c >= 48 && c <= 57;
const isLower = (c: number) => c >= 97 && c <= 122;
const isUpper = (c: number) => c >= 65 && c <= 90;
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
const isCntrl = (c: number) => c < 32 || c === 127;
const isPunct = (c: number) => (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
const isXDigit = (c: number) => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

/** `%x`-style class test; an unknown class letter matches itself (so `%.` is a literal dot). */
function matchClass(c: number, cl: number): boolean {
  let res: boolean;
  switch (cl | 0x20) {
    case 0x61: res = isAlpha(c); break; // a
    case 0x63: res = isCntrl(c); break; // c
    case 0x64: res = isDigit(c); break; // d
    case 0x6c: res = isLower(c); break; // l
    case 0x70: res = isPunct(c); break; // p
    case 0x73: res = isSpace(c); break; // s
    case 0x75: res = isUpper(c); break; // u
    case 0x77: res = isAlpha(c) || isDigit(c); break; // w
    case 0x78: res = isXDigit(c); break; // x
    case 0x7a: res = c === 0; break; // z
    default: return cl === c;
  }
  return isUpper(cl) ? !res : res;
}

class Matcher {
  private level = 0;
  private readonly capture: Array<{ init: number; len: number }> = [];

  constructor(private readonly src: string, private readonly pat: string) {}

  private s(i: number): number {
    return this.src.charCodeAt(i);
  }

  private p(i: number): number {
    return i < this.pat.length ? this.pat.charCodeAt(i) : 0;
  }

  /** Index just past the single-character class starting at `p`. */
  private classEnd(p: number): number {
    const c = this.pat[p++];
    if (c === '%') {
      if (p >= this.pat.length) throw new LuaPatternError("malformed pattern (ends with '%')");
      return p + 1;
    }
    if (c === '[') {
      if (this.pat[p] === '^') p++;
      do {
        if (p >= this.pat.length) throw new LuaPatternError("malformed pattern (missing ']')");
        const cc = this.pat[p++];
        if (cc === '%' && p < this.pat.length) p++;
      } while (this.pat[p] !== ']');
      return p + 1;
    }
    return p;
  }

  /** `p` is at '[', `ec` at the closing ']'. */
  private matchBracketClass(c: number, p: number, ec: number): boolean {
    let sig = true;
    if (this.pat[p + 1] === '^') {
      sig = false;
      p++;
    }
    while (++p < ec) {
      if (this.pat[p] === '%') {
        p++;
        if (matchClass(c, this.p(p))) return sig;
      } else if (this.pat[p + 1] === '-' && p + 2 < ec) {
        p += 2;
        if (this.p(p - 2) <= c && c <= this.p(p)) return sig;
      } else if (this.p(p) === c) {
        return sig;
      }
    }
    return !sig;
  }

  private singleMatch(si: number, p: number, ep: number): boolean {
    if (si >= this.src.length) return false;
    const c = this.s(si);
    switch (this.pat[p]) {
      case '.': return true;
      case '%': return matchClass(c, this.p(p + 1));
      case '[': return this.matchBracketClass(c, p, ep - 1);
      default: return this.p(p) === c;
    }
  }

  private maxExpand(si: number, p: number, ep: number): number {
    let i = 0;
    while (this.singleMatch(si + i, p, ep)) i++;
    for (; i >= 0; i--) {
      const res = this.doMatch(si + i, ep + 1);
      if (res !== -1) return res;
    }
    return -1;
  }

  private minExpand(si: number, p: number, ep: number): number {
    for (;;) {
      const res = this.doMatch(si, ep + 1);
      if (res !== -1) return res;
      if (this.singleMatch(si, p, ep)) si++;
      else return -1;
    }
  }

  private startCapture(si: number, p: number, what: number): number {
    if (this.level >= MAX_CAPTURES) throw new LuaPatternError('too many captures');
    this.capture[this.level] = { init: si, len: what };
    this.level++;
    const res = this.doMatch(si, p);
    if (res === -1) this.level--;
    return res;
  }

  private endCapture(si: number, p: number): number {
    let l = -1;
    for (let i = this.level - 1; i >= 0; i--) {
      if (this.capture[i]!.len === CAP_UNFINISHED) {
        l = i;
        break;
      }
    }
    if (l < 0) throw new LuaPatternError('invalid pattern capture');
    this.capture[l]!.len = si - this.capture[l]!.init;
    const res = this.doMatch(si, p);
    if (res === -1) this.capture[l]!.len = CAP_UNFINISHED;
    return res;
  }

  private matchBalance(si: number, p: number): number {
    if (p + 1 >= this.pat.length) throw new LuaPatternError('unbalanced pattern');
    if (si >= this.src.length || this.s(si) !== this.p(p)) return -1;
    const open = this.p(p);
    const close = this.p(p + 1);
    let depth = 1;
    while (++si < this.src.length) {
      const c = this.s(si);
      if (c === close) {
        if (--depth === 0) return si + 1;
      } else if (c === open) {
        depth++;
      }
    }
    return -1;
  }

  private matchBackReference(si: number, digit: number): number {
    const l = digit - 49; // '1' -> 0
    const cap = this.capture[l];
    if (l < 0 || l >= this.level || !cap || cap.len === CAP_UNFINISHED) throw new LuaPatternError('invalid capture index');
    const text = this.src.substr(cap.init, cap.len);
    return this.src.startsWith(text, si) ? si + text.length : -1;
  }

  /** Index in the subject where a match of pat[p..] starting at `si` ends, or -1. */
  doMatch(si: number, p: number): number {
    for (;;) {
      if (p >= this.pat.length) return si;
      const pc = this.pat[p];
      if (pc === '(') {
        if (this.pat[p + 1] === ')') return this.startCapture(si, p + 2, CAP_POSITION);
        return this.startCapture(si, p + 1, CAP_UNFINISHED);
      }
      if (pc === ')') return this.endCapture(si, p + 1);
      if (pc === '%' && this.pat[p + 1] === 'b') return this.continueAfter(this.matchBalance(si, p + 2), p + 4);
      if (pc === '%' && this.pat[p + 1] === 'f') {
        p += 2;
        if (this.pat[p] !== '[') throw new LuaPatternError("missing '[' after '%f' in pattern");
        const ep = this.classEnd(p);
        const prev = si === 0 ? 0 : this.s(si - 1);
        const cur = si < this.src.length ? this.s(si) : 0;
        if (this.matchBracketClass(prev, p, ep - 1) || !this.matchBracketClass(cur, p, ep - 1)) return -1;
        p = ep;
        continue;
      }
      if (pc === '%' && isDigit(this.p(p + 1))) {
        const res = this.matchBackReference(si, this.p(p + 1));
        if (res === -1) return -1;
        si = res;
        p += 2;
        continue;
      }
      if (pc === '$' && p + 1 === this.pat.length) return si === this.src.length ? si : -1;

      const ep = this.classEnd(p);
      const m = this.singleMatch(si, p, ep);
      switch (this.pat[ep]) {
        case '?': {
          if (m) {
            const res = this.doMatch(si + 1, ep + 1);
            if (res !== -1) return res;
          }
          p = ep + 1;
          continue;
        }
        case '*': return this.maxExpand(si, p, ep);
        case '+': return m ? this.maxExpand(si + 1, p, ep) : -1;
        case '-': return this.minExpand(si, p, ep);
        default:
          if (!m) return -1;
          si++;
          p = ep;
      }
    }
  }

  private continueAfter(si: number, p: number): number {
    return si === -1 ? -1 : this.doMatch(si, p);
  }

  /** Resets capture state between start positions. */
  reset(): void {
    this.level = 0;
  }
}

/** UTF-8 bytes of `s`, one JS char per byte (Lua strings are byte strings). */
function toByteString(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

function matchBytes(src: string, pat: string): boolean {
  const anchored = pat.startsWith('^');
  const matcher = new Matcher(src, pat);
  const p0 = anchored ? 1 : 0;
  let si = 0;
  do {
    matcher.reset();
    if (matcher.doMatch(si, p0) !== -1) return true;
    si++;
  } while (si <= src.length && !anchored);
  return false;
}

/** True when Lua's `string.match(subject, pattern)` finds a match. Throws LuaPatternError for a malformed pattern. */
export function luaPatternMatches(subject: string, pattern: string): boolean {
  return matchBytes(toByteString(subject), toByteString(pattern));
}

/** Same, with a pattern already written as bytes (one JS char per byte, e.g. `[\x80-\xf4]`). */
export function luaBytePatternMatches(subject: string, bytePattern: string): boolean {
  return matchBytes(toByteString(subject), bytePattern);
}
