// Claims are hostile input: read them by own property only, so names such as __proto__ or
// constructor can never reach an object's prototype.
export type Claims = Readonly<Record<string, unknown>>;

/** The value at a dot path (already split), or undefined when any segment is missing. */
export function claimAt(claims: Claims, path: readonly string[]): unknown {
  let current: unknown = claims;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/**
 * Freezes a parsed JSON value in place so a cached verification cannot be altered by a later
 * request. Iterative: a signed token may nest thousands of levels deep.
 */
export function deepFreeze<T>(value: T): T {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const current = pending.pop();
    if (typeof current === 'object' && current !== null && !Object.isFrozen(current)) {
      Object.freeze(current);
      for (const child of Object.values(current)) pending.push(child);
    }
  }
  return value;
}

/**
 * `compute` memoised per claims object and `key` (a config part): a cached token's claims are one
 * deep-frozen object reused by every request, so what follows from them alone (granted scopes,
 * forwarded header values) is worked out once per token, not per request. Claims that are not
 * frozen (so could still change) are always computed afresh.
 */
export function perClaims<K extends object, V>(compute: (claims: Claims, key: K) => V): (claims: Claims, key: K) => V {
  const memo = new WeakMap<Claims, WeakMap<K, V>>();
  return (claims, key) => {
    if (!Object.isFrozen(claims)) return compute(claims, key);
    let byKey = memo.get(claims);
    if (byKey === undefined) memo.set(claims, (byKey = new WeakMap()));
    if (byKey.has(key)) return byKey.get(key) as V;
    const value = compute(claims, key);
    byKey.set(key, value);
    return value;
  };
}
