// The jti replay cache of RFC 9449 §11.1: a proof is accepted once. Module scope, so it is shared
// by every plugin instance of this plugin-server process and survives config reloads; it is NOT
// shared between plugin-server processes or Kong nodes (docs/dpop.md says what to do in a cluster).
//
// One route's settings never weaken another's protection:
// - Lookups are process-wide: a proof accepted on one route is a replay on every other (routes can
//   share a URL when Kong routes by header or method, and a config change starts new instances).
// - An unexpired proof is never evicted (eviction would re-open its replay). Each plugin (its
//   owner key: Kong's plugin id, stable across instance restarts of the same plugin) may hold at
//   most its own dpop.replay_cache_max_entries proofs; when they are all unexpired, a new proof on
//   that plugin is refused (503, Retry-After) instead. Flooding one route's quota leaves the others'
//   untouched. Memory: at most the sum of the configured maxima of the plugins with live proofs.
// - Every proof is remembered for the widest acceptance window (proof lifetime + clock skew) of any
//   instance this process has checked a proof for, so a route with a longer window cannot accept a
//   proof a narrower one already forgot. When that window widens, proofs older than the previous
//   window may already be forgotten: those are refused as too old from then on.
import { clock } from '../cache/clock';
import { MinHeap } from '../cache/min-heap';

interface Seen {
  /** Thumbprint and jti. */
  key: string;
  /** The proof's iat, epoch seconds: it expires at iat + the widest window. */
  iat: number;
}

/** The proofs one plugin recorded, oldest iat first (entries since replaced are skipped on pop). */
type Owned = MinHeap<Seen>;

const seen = new Map<string, Seen>();
const owners = new Map<string, Owned>();
let widestWindowSeconds = 0;
let forgottenBeforeSeconds = -Infinity;
let lastSweepSeconds = 0;
/** How often every owner's expired proofs are dropped (each owner's own are dropped on each of its proofs). */
const SWEEP_EVERY_SECONDS = 10;

export interface ProofOwner {
  /** The plugin the proof was presented to: its quota. */
  owner: string;
  maxEntries: number;
  /** Proof lifetime plus clock skew of that plugin, seconds. */
  windowSeconds: number;
}

export type Recording = { kind: 'first_use' } | { kind: 'replayed' } | { kind: 'too_old' } | { kind: 'full'; retryAfterSeconds: number };

/** Inclusive, as checkProof's freshness test: a proof it may still accept is never forgotten. */
function alive(entry: Seen, nowSeconds: number): boolean {
  return entry.iat + widestWindowSeconds >= nowSeconds;
}

/** Drops the expired proofs of one owner; true when it holds none any more. */
function dropExpired(owned: Owned, nowSeconds: number): boolean {
  for (let top = owned.peek(); top !== undefined && !alive(top, nowSeconds); top = owned.peek()) {
    owned.pop();
    if (seen.get(top.key) === top) seen.delete(top.key);
  }
  return owned.size === 0;
}

function sweep(nowSeconds: number): void {
  lastSweepSeconds = nowSeconds;
  for (const [owner, owned] of owners) if (dropExpired(owned, nowSeconds)) owners.delete(owner);
}

function widen(windowSeconds: number, nowSeconds: number): void {
  if (windowSeconds <= widestWindowSeconds) return;
  // Only proofs older than the previous window can have been dropped (none before the first window).
  if (widestWindowSeconds > 0) forgottenBeforeSeconds = Math.max(forgottenBeforeSeconds, nowSeconds - widestWindowSeconds);
  widestWindowSeconds = windowSeconds;
}

/**
 * For a store outside this process (Redis): how long a proof with this iat must be remembered, in
 * ms (the widest window, as here), or null when it may no longer be recorded (as recordProof's too_old).
 */
export function rememberForMs(iat: number, windowSeconds: number): number | null {
  const now = clock.now() / 1000;
  widen(windowSeconds, now);
  if (iat < forgottenBeforeSeconds || iat + windowSeconds < now) return null;
  return (iat + widestWindowSeconds - now) * 1000;
}

/**
 * Records a proof (`key`: key thumbprint and jti, so one client cannot burn another's jti) that
 * passed every check and authorization, in one synchronous step: of two concurrent uses of one
 * proof, exactly one is the first.
 */
export function recordProof(key: string, iat: number, by: ProofOwner): Recording {
  const now = clock.now() / 1000;
  widen(by.windowSeconds, now);
  const earlier = seen.get(key);
  if (earlier !== undefined && alive(earlier, now)) return { kind: 'replayed' };
  // Fresh by this clock reading too: the proof was checked before authorization, and an entry past
  // its window may be gone, so a proof checked at its last instant and recorded later is refused.
  if (iat < forgottenBeforeSeconds || iat + by.windowSeconds < now) return { kind: 'too_old' };
  if (now - lastSweepSeconds >= SWEEP_EVERY_SECONDS) sweep(now);
  let owned = owners.get(by.owner);
  if (owned === undefined) owners.set(by.owner, (owned = new MinHeap<Seen>((entry) => entry.iat)));
  else dropExpired(owned, now);
  if (owned.size >= by.maxEntries) {
    const oldest = owned.peek();
    return { kind: 'full', retryAfterSeconds: oldest === undefined ? 1 : Math.max(1, Math.floor(oldest.iat + widestWindowSeconds - now) + 1) };
  }
  const entry: Seen = { key, iat };
  seen.set(key, entry);
  owned.push(entry);
  return { kind: 'first_use' };
}

/** Proofs remembered (expired ones not yet swept included): for the metrics gauge, read at scrape time. */
export function replayCacheSize(): number {
  return seen.size;
}

/** Tests only: forget every proof and every window. */
export function clearReplayCache(): void {
  seen.clear();
  owners.clear();
  widestWindowSeconds = 0;
  forgottenBeforeSeconds = -Infinity;
  lastSweepSeconds = 0;
}
