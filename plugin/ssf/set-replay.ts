// A SET is applied once (its jti) when the receiver has no Redis; with Redis the shared list's
// script claims the jti for every node (revocation-sync.ts). Process-wide and bounded: an entry
// lives for the SET acceptance window, and a jti still inside it is never forgotten; when the
// bound is reached by live entries, further SETs are refused (503) until the oldest expire.
// Only authenticated, signature-checked SETs reach it, so a flood of forgeries cannot fill it.
const MAX_REMEMBERED = 100_000;

/** "issuer\njti" → epoch ms until which it is remembered (insertion order ≈ expiry order). */
const seen = new Map<string, number>();

function dropExpired(nowMs: number): void {
  for (const [key, until] of seen) {
    if (until > nowMs) continue;
    seen.delete(key);
  }
}

export type JtiClaim = 'first' | 'replayed' | 'full';

export function claimSetJti(issuer: string, jti: string, windowMs: number, nowMs = Date.now()): JtiClaim {
  const key = `${issuer}\n${jti}`;
  const until = seen.get(key);
  if (until !== undefined && until > nowMs) return 'replayed';
  if (seen.size >= MAX_REMEMBERED) dropExpired(nowMs);
  if (seen.size >= MAX_REMEMBERED) return 'full';
  seen.delete(key);
  seen.set(key, nowMs + windowMs);
  return 'first';
}

/** Forgets a claim whose SET could not be applied, so the transmitter's retry is not a replay. */
export function releaseSetJti(issuer: string, jti: string): void {
  seen.delete(`${issuer}\n${jti}`);
}

/** Tests only. */
export function clearSetJtis(): void {
  seen.clear();
}
