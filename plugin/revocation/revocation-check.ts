// The per-request revocation check of a verified token (plugin/core/decide.ts calls it on cache
// hits and misses alike): an in-memory lookup, never a Redis round trip.
import type { PluginConfig } from '../config/types';
import type { Deny } from '../vocabulary/decision';
import { queueWarning } from '../log/deferred-log';
import { challenge, revocationsUnavailable } from '../respond/deny';
import type { Claims } from '../util/claims';
import { isRevoked } from './revocation-list';
import { revocationMirror } from './revocation-sync';

/** Seconds a client is told to wait while this node's copy of the shared list is not current. */
const UNSYNCED_RETRY_AFTER_SECONDS = 5;
const WARN_INTERVAL_MS = 60_000;
let warnedAtMs = -Infinity;

/** Starts following the shared list for an instance with revocations.sync "redis" (at instance start, not per request). */
export function followRevocations(config: PluginConfig): void {
  if (config.revocations.sync === 'redis' && config.redis !== null) revocationMirror(config.redis);
}

/** The refusal for a revoked token (or for an unconfirmed copy of the shared list), or null. */
export function revocationDenial(claims: Claims, config: PluginConfig): Deny | null {
  const { sync, whenUnsynced } = config.revocations;
  if (sync === 'redis' && config.redis !== null && !revocationMirror(config.redis).current()) {
    if (whenUnsynced === 'refuse') return revocationsUnavailable(UNSYNCED_RETRY_AFTER_SECONDS);
    const now = Date.now();
    if (now - warnedAtMs >= WARN_INTERVAL_MS) {
      warnedAtMs = now;
      queueWarning('okta-jwt: the shared revocation list is unreachable; checking tokens against the revocations this node holds (revocations.when_unsynced = local)');
    }
  }
  return isRevoked(claims) ? challenge(config.realm, 'token_revoked', 'The access token was revoked') : null;
}
