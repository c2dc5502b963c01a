// The revocations this plugin-server process knows, by token issuer and subject: "tokens of this
// subject issued at or before this time are refused". Module scope, shared by every plugin
// instance (config reloads keep it). Fed by the SSF receiver (plugin/ssf/) on this node and, with
// revocations.sync "redis", by the copy of the shared list (revocation-sync.ts).
//
// The per-request check is a Map lookup or two, and nothing at all while the token's issuer has no
// revocation. An entry lives until no token issued before it can still be accepted (expiresAt); a
// live entry is never evicted (that would re-open the revoked tokens): a full list refuses new ones.
import type { Claims } from '../util/claims';

/** One revocation: tokens of `issuer` whose subject key is `subject` and whose iat <= revokedAt. */
export interface Revocation {
  issuer: string;
  /** subjectKey(): "uid:<Okta user id>" or "sub:<lower-cased sub>". */
  subject: string;
  /** Event time, epoch seconds. */
  revokedAt: number;
  /** Epoch seconds after which no token it covers can be accepted any more. */
  expiresAt: number;
}

interface Entry {
  revokedAt: number;
  expiresAt: number;
}

const byIssuer = new Map<string, Map<string, Entry>>();
let lastSweepMs = 0;
const SWEEP_EVERY_MS = 60_000;

/** The keys a token's claims are looked up by: Okta's user id (uid) and its sub (the login, case-folded). */
export function subjectKey(claim: 'uid' | 'sub', value: string): string {
  return claim === 'uid' ? `uid:${value}` : `sub:${value.toLowerCase()}`;
}

function sweep(nowSeconds: number): void {
  lastSweepMs = nowSeconds * 1000;
  for (const [issuer, entries] of byIssuer) {
    for (const [subject, entry] of entries) if (entry.expiresAt <= nowSeconds) entries.delete(subject);
    if (entries.size === 0) byIssuer.delete(issuer);
  }
}

export type Recorded = 'recorded' | 'known' | 'expired' | 'full';

/**
 * Adds a revocation (merging with one already known: the later event time and expiry win, so the
 * order revocations arrive in never matters). `maxEntries`: the issuer's bound on this node.
 */
export function recordRevocation(revocation: Revocation, maxEntries: number, nowSeconds = Date.now() / 1000): Recorded {
  if (revocation.expiresAt <= nowSeconds) return 'expired';
  if (nowSeconds * 1000 - lastSweepMs >= SWEEP_EVERY_MS) sweep(nowSeconds);
  let entries = byIssuer.get(revocation.issuer);
  const known = entries?.get(revocation.subject);
  if (known !== undefined) {
    if (known.revokedAt >= revocation.revokedAt && known.expiresAt >= revocation.expiresAt) return 'known';
    known.revokedAt = Math.max(known.revokedAt, revocation.revokedAt);
    known.expiresAt = Math.max(known.expiresAt, revocation.expiresAt);
    return 'recorded';
  }
  if (entries !== undefined && entries.size >= maxEntries) {
    sweep(nowSeconds);
    if (entries.size >= maxEntries) return 'full';
  }
  if (entries === undefined || !byIssuer.has(revocation.issuer)) byIssuer.set(revocation.issuer, (entries = new Map()));
  entries.set(revocation.subject, { revokedAt: revocation.revokedAt, expiresAt: revocation.expiresAt });
  return 'recorded';
}

function revokes(entries: Map<string, Entry>, key: string, iat: number, nowSeconds: number): boolean {
  const entry = entries.get(key);
  return entry !== undefined && iat <= entry.revokedAt && nowSeconds < entry.expiresAt;
}

/**
 * Whether a verified token is revoked: its iat is at or before a revocation of its uid or its sub.
 * At, not only before: iat and event times are whole seconds, and a token issued in the second its
 * session ended may predate the end.
 */
export function isRevoked(claims: Claims): boolean {
  const entries = byIssuer.get(claims.iss as string);
  if (entries === undefined) return false;
  const iat = claims.iat as number;
  const now = Date.now() / 1000;
  const { uid, sub } = claims;
  return (typeof uid === 'string' && revokes(entries, subjectKey('uid', uid), iat, now)) || (typeof sub === 'string' && revokes(entries, subjectKey('sub', sub), iat, now));
}

/** Revocations held (expired ones not yet swept included), for tests and the bench. */
export function revocationCount(): number {
  let count = 0;
  for (const entries of byIssuer.values()) count += entries.size;
  return count;
}

/** Tests only. */
export function clearRevocations(): void {
  byIssuer.clear();
  lastSweepMs = 0;
}
