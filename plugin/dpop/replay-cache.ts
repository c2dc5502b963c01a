// The jti replay cache of RFC 9449 §11.1: a proof is accepted once. Module scope, so it is shared
// by every plugin instance of this plugin-server process and survives config reloads; it is NOT
// shared between plugin-server processes or Kong nodes (README "DPoP" says what to do in a cluster).
// Entries live until their proof would be too old anyway; a full cache evicts the oldest entry.
import { BoundedLru } from '../cache/bounded-lru';
import { clock } from '../cache/clock';

const seen = new BoundedLru<string, number>();

/**
 * Records the proof (`key`: key thumbprint and jti, so one client cannot burn another's jti) and
 * answers whether it was the first use. `untilMs`: when the proof stops being acceptable.
 */
export function firstUse(key: string, untilMs: number, maxEntries: number): boolean {
  const now = clock.now();
  const until = seen.get(key);
  if (until !== undefined && until > now) return false;
  seen.set(key, untilMs, maxEntries);
  return true;
}

/** Tests only: forget every proof. */
export function clearReplayCache(): void {
  seen.clear();
}
