// After the token verified: a DPoP-scheme request must carry a token bound to a key (cnf.jkt)
// and a proof of possession of that key for this very request (proof.ts). The proof is spent
// (recorded against replay) only once the request is authorized, so a token refused on a route
// cannot fill that route's replay quota.
// Where it is recorded: this process's replay cache (replay-cache.ts), or with redis.host set the
// shared store, where SET NX makes exactly one node the first user of a proof. Redis failing never
// lets a proof through: 503, or with dpop.redis_unavailable "local" this node's cache.
import type { PluginConfig, RedisSettings } from '../config/types';
import type { Deny } from '../vocabulary/decision';
import type { RequestView } from '../vocabulary/request';
import { challenge, replayProtectionFull, sharedStateUnavailable } from '../respond/deny';
import { sharedStoreFor, STORE_RETRY_AFTER_SECONDS, StoreUnavailable } from '../state/shared-store';
import { warnOncePerInterval } from '../log/throttled-warning';
import type { Claims } from '../util/claims';
import { isJktOnly } from '../verify/verify-token';
import { requestHtu } from './htu';
import { currentNonce } from './nonce';
import { checkProof, type CheckedProof } from './proof';
import { recordProof, rememberForMs, type Recording } from './replay-cache';

export type DpopCheck = Deny | ({ kind: 'proof' } & CheckedProof);

/** The refusal of a DPoP-scheme request whose token verified, or its proof, checked and not yet spent. */
export async function checkDpop(proof: string, request: RequestView, config: PluginConfig, accessToken: string, claims: Claims): Promise<DpopCheck> {
  if (!isJktOnly(claims.cnf)) return challenge(config.realm, 'dpop_token_unbound', 'The access token is not bound to a DPoP key');
  const check = await checkProof(proof, {
    method: request.method,
    htu: request.target == null ? null : requestHtu(request.target, config.dpop),
    accessToken,
    jkt: claims.cnf.jkt,
    settings: config.dpop,
  });
  if (check.ok) return { kind: 'proof', replayKey: check.replayKey, iat: check.iat };
  const deny = challenge(config.realm, check.reason, check.description);
  // use_dpop_nonce comes with the nonce to retry with (RFC 9449 §9).
  return check.reason === 'dpop_nonce_required' ? { ...deny, headers: { ...deny.headers, 'DPoP-Nonce': currentNonce(config.dpop) } } : deny;
}

const windowOf = (config: PluginConfig) => config.dpop.proofLifetimeSeconds + config.dpop.clockSkewSeconds;

/** This node's replay cache. Synchronous: no await between check and record. */
function recordLocally(proof: CheckedProof, config: PluginConfig): Recording {
  const { routeId, serviceId, pluginId } = config.scope;
  return recordProof(proof.replayKey, proof.iat, {
    owner: pluginId ?? `${routeId ?? ''}/${serviceId ?? ''}`,
    maxEntries: config.dpop.replayCacheMaxEntries,
    windowSeconds: windowOf(config),
  });
}

/** Redis: SET NX for the proof's remaining acceptance window (atomic: one first use across nodes). */
async function recordShared(proof: CheckedProof, config: PluginConfig, redis: RedisSettings): Promise<Recording | { kind: 'unavailable' }> {
  const rememberMs = rememberForMs(proof.iat, windowOf(config));
  if (rememberMs === null) return { kind: 'too_old' };
  try {
    return (await sharedStoreFor(redis).claimOnce(`dpop:${proof.replayKey}`, rememberMs)) ? { kind: 'first_use' } : { kind: 'replayed' };
  } catch (err) {
    if (!(err instanceof StoreUnavailable)) throw err;
    const local = config.dpop.redisUnavailable === 'local';
    warnOncePerInterval(
      local ? 'dpop-redis-local' : 'dpop-redis-refuse',
      `DPoP replay protection: ${err.message}; ${local ? 'proofs are checked against this node\'s replay cache only (dpop.redis_unavailable "local")' : 'DPoP requests are refused with 503 (dpop.redis_unavailable "refuse")'}`,
    );
    return local ? recordLocally(proof, config) : { kind: 'unavailable' };
  }
}

/** Records the proof of an authorized request: null on its first use, else the refusal. */
export async function spendProof(proof: CheckedProof, config: PluginConfig): Promise<Deny | null> {
  const recording = config.redis === null ? recordLocally(proof, config) : await recordShared(proof, config, config.redis);
  switch (recording.kind) {
    case 'first_use':
      return null;
    case 'replayed':
      return challenge(config.realm, 'dpop_proof_replayed', 'The DPoP proof was already used');
    case 'too_old':
      return challenge(config.realm, 'dpop_proof_invalid', 'The DPoP proof is too old');
    case 'full':
      return replayProtectionFull(recording.retryAfterSeconds);
    case 'unavailable':
      return sharedStateUnavailable(STORE_RETRY_AFTER_SECONDS);
  }
}
