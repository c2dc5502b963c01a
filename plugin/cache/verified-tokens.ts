// Process-wide cache of successful verifications, so a token seen again skips the signature check.
// An entry is keyed by SHA-256 over the config identity and the exact token string, so plugin
// instances with different settings never share one. An entry never outlives the token's exp nor
// settings.maxTtlSeconds. The whole cache holds at most settings.maxEntries entries (the bound of
// the instance that inserts; least recently used evicted first, never an exception);
// maxEntries 0 disables caching for that instance.
// Only tokens that passed every check are stored, so a hit also vouches for the token's grammar;
// on a hit the caller still asks the key set whether the token's kid is trusted.
import { hash } from 'node:crypto';
import type { TokenCacheSettings } from '../config/types';
import { deepFreeze } from '../util/claims';
import { BoundedLru } from './bounded-lru';
import { clock } from './clock';

export interface CachedVerification {
  claims: Record<string, unknown>;
  kid: string | undefined;
  /** The token's exp, epoch seconds. */
  expiresAt: number;
}

interface Stored {
  entry: Readonly<CachedVerification>;
  /** Epoch ms after which the entry is dead. */
  untilMs: number;
}

const entries = new BoundedLru<string, Stored>();

/** SHA-256 of each config identity seen: a few per process (bounded all the same: emptied when full). */
const identityDigests = new Map<string, string>();
const MAX_IDENTITIES = 1024;

function cacheKey(token: string, configIdentity: string): string {
  let identity = identityDigests.get(configIdentity);
  if (identity === undefined) {
    if (identityDigests.size >= MAX_IDENTITIES) identityDigests.clear();
    identityDigests.set(configIdentity, (identity = hash('sha256', configIdentity, 'base64')));
  }
  // Two fixed-length digests: only a SHA-256 collision can make two identity/token pairs share a key.
  return identity + hash('sha256', token, 'base64');
}

export function getVerified(token: string, configIdentity: string): CachedVerification | undefined {
  const key = cacheKey(token, configIdentity);
  const stored = entries.get(key);
  if (stored === undefined) return undefined;
  if (!(clock.now() < stored.untilMs)) {
    entries.delete(key);
    return undefined;
  }
  return stored.entry;
}

/**
 * Stores the entry with its claims deep-frozen in place (the caller hands them over), so no request
 * can alter what the next one reads. No copy: a signed token may nest its claims thousands of levels
 * deep, deeper than structuredClone can go. Never throws for a full cache (the least recently used
 * entry goes).
 */
export function putVerified(
  token: string,
  configIdentity: string,
  entry: CachedVerification,
  settings: TokenCacheSettings,
): void {
  if (!(settings.maxEntries > 0) || !(settings.maxTtlSeconds > 0) || !Number.isFinite(entry.expiresAt)) return;
  const now = clock.now();
  const untilMs = Math.min(entry.expiresAt * 1000, now + settings.maxTtlSeconds * 1000);
  if (untilMs <= now) return;
  const frozen = Object.freeze({ claims: deepFreeze(entry.claims), kid: entry.kid, expiresAt: entry.expiresAt });
  entries.set(cacheKey(token, configIdentity), { entry: frozen, untilMs }, settings.maxEntries);
}

export function resetVerifiedTokens(): void {
  entries.clear();
}

/** For tests and diagnostics: entries held (expired ones not yet looked up included). */
export function verifiedTokenCount(): number {
  return entries.size;
}
