// The per-request revocation check of a verified token (plugin/core/decide.ts calls it on cache
// hits and misses alike): an in-memory lookup, never a Redis round trip.
import type { PluginConfig } from '../config/types';
import type { Deny } from '../vocabulary/decision';
import { warnOncePerInterval } from '../log/throttled-warning';
import { challenge, revocationsUnavailable } from '../respond/deny';
import type { Claims } from '../util/claims';
import { isRevoked } from './revocation-list';
import { STORE_RETRY_AFTER_SECONDS } from '../state/shared-store';
import { revocationMirror } from './revocation-sync';

/** Starts following the shared list for an instance with revocations.sync "redis" (at instance start, not per request). */
export function followRevocations(config: PluginConfig): void {
  if (config.revocations.sync === 'redis' && config.redis !== null) revocationMirror(config.redis);
}

/** The refusal for a revoked token (or for an unconfirmed copy of the shared list), or null. */
export function revocationDenial(claims: Claims, config: PluginConfig): Deny | null {
  const { sync, whenUnsynced } = config.revocations;
  if (sync === 'redis' && config.redis !== null && !revocationMirror(config.redis).current()) {
    if (whenUnsynced === 'refuse') return revocationsUnavailable(STORE_RETRY_AFTER_SECONDS);
    warnOncePerInterval('revocations_unsynced', 'okta-jwt: the shared revocation list is unreachable; checking tokens against the revocations this node holds (revocations.when_unsynced = local)');
  }
  return isRevoked(claims) ? challenge(config.realm, 'token_revoked', 'The access token was revoked') : null;
}
