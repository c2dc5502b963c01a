// Process-wide cache of successful verifications, so a token seen again skips the signature check.
// Partitioned by the instance's settings: one partition per config identity and max_entries, each
// holding at most its own max_entries (least recently used evicted first, never an exception), so a
// plugin with a small cache never evicts another plugin's entries. Instances with equal settings
// share a partition (it survives instance restarts). An entry is keyed by SHA-256 of the exact token
// string and never outlives the token's exp nor settings.maxTtlSeconds; maxEntries 0 disables
// caching for that instance. A partition whose entries have all expired is dropped.
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

interface Partition {
  entries: BoundedLru<string, Stored>;
  /** Epoch ms after which every entry stored so far is dead. */
  deadAfterMs: number;
}

/**
 * Config identity → max_entries → partition. A few per process (one per distinct setting); bounded
 * all the same: when full, the oldest identity goes. Two levels, so a lookup hashes no new string.
 */
const partitions = new Map<string, Map<number, Partition>>();
const MAX_IDENTITIES = 1024;
const SWEEP_EVERY_MS = 60_000;
let lastSweepMs = 0;

/** Drops partitions whose entries have all expired (a config no longer in use, mostly). */
function sweep(now: number): void {
  lastSweepMs = now;
  for (const [identity, bySize] of partitions) {
    for (const [size, partition] of bySize) if (partition.deadAfterMs <= now) bySize.delete(size);
    if (bySize.size === 0) partitions.delete(identity);
  }
}

function partitionFor(configIdentity: string, maxEntries: number, now: number): Partition {
  let bySize = partitions.get(configIdentity);
  if (bySize === undefined) {
    if (partitions.size >= MAX_IDENTITIES) sweep(now);
    if (partitions.size >= MAX_IDENTITIES) partitions.delete(partitions.keys().next().value as string);
    partitions.set(configIdentity, (bySize = new Map()));
  }
  let partition = bySize.get(maxEntries);
  if (partition === undefined) bySize.set(maxEntries, (partition = { entries: new BoundedLru(maxEntries), deadAfterMs: 0 }));
  return partition;
}

/**
 * The last token looked up and its key: a miss hashes the token on lookup and would again on insert,
 * after the signature check. Other requests may look up in between; then the insert hashes afresh.
 */
let lastLookedUp: string | undefined;
let lastKey = '';

export function getVerified(token: string, configIdentity: string, settings: TokenCacheSettings): CachedVerification | undefined {
  const partition = partitions.get(configIdentity)?.get(settings.maxEntries);
  if (partition === undefined) return undefined;
  const key = hash('sha256', token, 'base64');
  lastLookedUp = token;
  lastKey = key;
  const stored = partition.entries.get(key);
  if (stored === undefined) return undefined;
  if (!(clock.now() < stored.untilMs)) {
    partition.entries.delete(key);
    return undefined;
  }
  return stored.entry;
}

/**
 * Stores the entry with its claims deep-frozen in place (the caller hands them over), so no request
 * can alter what the next one reads. No copy: a signed token may nest its claims thousands of levels
 * deep, deeper than structuredClone can go. Never throws for a full partition (its least recently
 * used entry goes).
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
  if (now - lastSweepMs >= SWEEP_EVERY_MS) sweep(now);
  const partition = partitionFor(configIdentity, settings.maxEntries, now);
  partition.entries.set(token === lastLookedUp ? lastKey : hash('sha256', token, 'base64'), { entry: frozen, untilMs });
  partition.deadAfterMs = Math.max(partition.deadAfterMs, untilMs);
}

export function resetVerifiedTokens(): void {
  partitions.clear();
  lastLookedUp = undefined;
  lastSweepMs = 0;
}

/** Entries held (expired ones not yet looked up included): for tests and the metrics gauge, read at scrape time. */
export function verifiedTokenCount(): number {
  let count = 0;
  for (const bySize of partitions.values()) for (const partition of bySize.values()) count += partition.entries.size;
  return count;
}
