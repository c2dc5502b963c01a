// Key sets for token verification: one process-wide registry of RemoteKeySet objects, keyed by where
// the keys come from (the jwks_uri, or the issuer whose metadata names it) and the caching policy.
// Plugin instances whose settings differ only in timeouts share one key set; the most recent
// instance's timeouts apply. A key set stays the one for its key while any plugin instance holds it,
// so its cooldown, back-off and cached keys survive every configuration change (a second copy would
// fetch on its own); the most recently used ones are kept even when no instance holds them.
import type { CryptoKey } from 'jose';
import type { KeyObject } from 'node:crypto';
import type { KeySetSettings } from '../config/types';
import { BoundedLru } from '../cache/bounded-lru';
import { RemoteKeySet, type KeyLog } from './remote-key-set';

export { KeySetError, type KeySetErrorCode } from './key-set-error';
export type { KeyLog } from './remote-key-set';

export interface KeySet {
  /** A jose key resolver: pass it as the key argument of jwtVerify. Throws KeySetError. */
  getKey(protectedHeader: { alg?: string; kid?: string }, token?: unknown): Promise<CryptoKey | Uint8Array | KeyObject>;
  /** Sync: does the currently cached key set still contain this kid? (token-cache revalidation) */
  stillTrusts(kid: string | undefined): boolean;
  /** Fire-and-forget prefetch (discovery + keys); never throws, never blocks the caller. */
  warm(): void;
}

/** Key sets kept when no plugin instance holds them (least recently used dropped). */
export const MAX_KEY_SETS = 100;

const recent = new BoundedLru<string, RemoteKeySet>(MAX_KEY_SETS);
/** Every key set still reachable (held by a plugin instance or by `recent`). */
const live = new Map<string, WeakRef<RemoteKeySet>>();
const collected = new FinalizationRegistry<string>((key) => {
  if (live.get(key)?.deref() === undefined) live.delete(key);
});

const consoleLog: KeyLog = { warn: (msg) => console.warn(`[okta-jwt] ${msg}`) };

function registryKey(s: KeySetSettings): string {
  const source = s.jwksUri !== null ? ['jwks_uri', s.jwksUri] : [s.metadata === 'ssf_transmitter' ? 'ssf_transmitter' : 'issuer', s.issuer];
  return JSON.stringify([...source, s.minTtlSeconds, s.maxTtlSeconds, s.unknownKidCooldownSeconds, s.maxStaleSeconds, s.maxBodyBytes]);
}

/** Process-wide: one KeySet per key source and caching policy. */
export function keySetFor(settings: KeySetSettings, log?: KeyLog): KeySet {
  const key = registryKey(settings);
  let keySet = live.get(key)?.deref();
  if (keySet === undefined) {
    keySet = new RemoteKeySet(settings, log ?? consoleLog);
    live.set(key, new WeakRef(keySet));
    collected.register(keySet, key);
  } else {
    keySet.update(settings, log);
  }
  recent.set(key, keySet);
  return keySet;
}

/** For tests: drop every cached key set. */
export function resetKeySets(): void {
  recent.clear();
  live.clear();
}
