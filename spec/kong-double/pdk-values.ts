// How values change on their way JS → msgpack → Lua → msgpack → JS (Kong's lua-MessagePack side).
// Used for values Kong stores and hands back (kong.ctx.shared, ngx.ctx) and for PDK argument lists.

/** Lua's view of a value that came from JS, as JS sees it again after the round trip. */
export function luaRoundTrip(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (Array.isArray(v)) {
    if (v.some((x) => x === null || x === undefined)) {
      // a sequence with holes is no sequence in Lua: it goes back as a map with integer keys 1..n
      const out = new Map<number, unknown>();
      v.forEach((x, i) => {
        if (x !== null && x !== undefined) out.set(i + 1, luaRoundTrip(x));
      });
      return out.size ? out : [];
    }
    return v.map(luaRoundTrip);
  }
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== null && x !== undefined);
    if (entries.length === 0) return []; // an empty Lua table encodes as an empty array
    return Object.fromEntries(entries.map(([k, x]) => [k, luaRoundTrip(x)]));
  }
  return v;
}

/**
 * The positional arguments a Lua PDK function receives: Kong unpacks the args table by its length,
 * which (as observed, batch2 38) stops at the first nil – except that a leading nil followed by
 * values survives (batch2 31: authenticate(nil, credential) arrived intact).
 */
export function luaArgs(args: unknown): unknown[] {
  if (!Array.isArray(args)) return [];
  const list = args.map((a) => (a === null ? undefined : a));
  let end = list.length;
  while (end > 0 && list[end - 1] === undefined) end--;
  const firstHole = list.slice(0, end).findIndex((a, i) => a === undefined && i > 0);
  return firstHole > 0 ? list.slice(0, firstHole) : list.slice(0, end);
}

/** Lua's type() name of a JS value that came over msgpack. */
export function luaType(v: unknown): string {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'string' || v instanceof Uint8Array) return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  return 'table';
}

/** Lua's tostring() of a scalar. */
export function luaToString(v: unknown): string {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    return String(v).replace(/e\+?/, 'e+').replace('e+-', 'e-');
  }
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'object') return 'table: 0x00000000';
  return String(v);
}
