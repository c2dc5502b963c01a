// A reader for the Lua subset scripts/schema-lua.ts writes: comments, one
// `local typedefs = require "kong.db.schema.typedefs"`, then `return <table constructor>`. Values
// are strings (with \\ \" \n \t \ddd escapes), numbers, true/false, dotted references
// (typedefs.x, returned as LuaRef) and tables: positional entries become arrays, named entries
// (`key = v` or `["key"] = v`) objects; `{}` reads as an empty array. Anything else is an error.

export class LuaRef {
  constructor(readonly path: string) {}
}

type Token = { kind: 'string' | 'number' | 'name' | 'punct'; text: string; value?: unknown; at: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (source.startsWith('--', i)) {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (ch === '"') {
      const start = i++;
      let value = '';
      while (source[i] !== '"') {
        if (i >= source.length || source[i] === '\n') throw new SyntaxError(`unterminated string at ${start}`);
        if (source[i] === '\\') {
          const next = source[i + 1];
          const digits = /^\d{1,3}/.exec(source.slice(i + 1))?.[0];
          if (digits !== undefined) {
            value += String.fromCharCode(Number(digits));
            i += 1 + digits.length;
          } else if (next === 'n' || next === 't' || next === '\\' || next === '"') {
            value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
            i += 2;
          } else {
            throw new SyntaxError(`unsupported escape \\${next} at ${i}`);
          }
        } else {
          value += source[i++];
        }
      }
      i++;
      tokens.push({ kind: 'string', text: source.slice(start, i), value, at: start });
    } else if (/[-\d]/.test(ch)) {
      const text = /^-?\d+(\.\d+)?/.exec(source.slice(i))?.[0];
      if (text === undefined) throw new SyntaxError(`unexpected "${ch}" at ${i}`);
      tokens.push({ kind: 'number', text, value: Number(text), at: i });
      i += text.length;
    } else if (/[A-Za-z_]/.test(ch)) {
      const text = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(source.slice(i))![0];
      tokens.push({ kind: 'name', text, at: i });
      i += text.length;
    } else if ('{}=,[]'.includes(ch)) {
      tokens.push({ kind: 'punct', text: ch, at: i++ });
    } else {
      throw new SyntaxError(`unexpected "${ch}" at ${i}`);
    }
  }
  return tokens;
}

class Reader {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  next(): Token {
    const token = this.tokens[this.pos++];
    if (token === undefined) throw new SyntaxError('unexpected end of input');
    return token;
  }

  expect(text: string): void {
    const token = this.next();
    if (token.text !== text) throw new SyntaxError(`expected "${text}" at ${token.at}, got "${token.text}"`);
  }

  done(): boolean {
    return this.pos >= this.tokens.length;
  }

  value(): unknown {
    const token = this.next();
    if (token.kind === 'string' || token.kind === 'number') return token.value;
    if (token.kind === 'name') {
      if (token.text === 'true' || token.text === 'false') return token.text === 'true';
      if (token.text.includes('.')) return new LuaRef(token.text);
      throw new SyntaxError(`unexpected name "${token.text}" at ${token.at}`);
    }
    if (token.text === '{') return this.table();
    throw new SyntaxError(`unexpected "${token.text}" at ${token.at}`);
  }

  private table(): unknown {
    const positional: unknown[] = [];
    const named: Record<string, unknown> = {};
    let namedCount = 0;
    while (this.peek()?.text !== '}') {
      const first = this.peek();
      let key: string | null = null;
      if (first?.kind === 'name' && !first.text.includes('.') && this.peek(1)?.text === '=') {
        key = first.text;
        this.pos += 2;
      } else if (first?.text === '[') {
        this.next();
        const k = this.next();
        if (k.kind !== 'string') throw new SyntaxError(`only string keys are supported, at ${k.at}`);
        key = k.value as string;
        this.expect(']');
        this.expect('=');
      }
      const value = this.value();
      if (key === null) positional.push(value);
      else {
        if (Object.hasOwn(named, key)) throw new SyntaxError(`duplicate key "${key}"`);
        Object.defineProperty(named, key, { value, enumerable: true, writable: true, configurable: true });
        namedCount++;
      }
      if (this.peek()?.text === ',') this.next();
      else if (this.peek()?.text !== '}') throw new SyntaxError(`expected "," or "}" at ${this.peek()?.at}`);
    }
    this.next();
    if (namedCount > 0 && positional.length > 0) throw new SyntaxError('mixed tables are not part of the subset');
    return namedCount > 0 ? named : positional;
  }
}

/** The table a schema.lua module returns; its `require` lines are checked to be the typedefs one. */
export function readSchemaModule(source: string): unknown {
  const reader = new Reader(tokenize(source));
  while (reader.peek()?.text === 'local') {
    reader.next();
    reader.expect('typedefs');
    reader.expect('=');
    reader.expect('require');
    const module = reader.next();
    if (module.value !== 'kong.db.schema.typedefs') throw new SyntaxError(`unexpected require ${module.text}`);
  }
  reader.expect('return');
  const value = reader.value();
  if (!reader.done()) throw new SyntaxError('text after the returned table');
  return value;
}
