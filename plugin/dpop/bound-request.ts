// After the token verified: a DPoP-scheme request must carry a token bound to a key (cnf.jkt)
// and a proof of possession of that key for this very request (proof.ts). The proof is spent
// (recorded against replay) only once the request is authorized, so a token refused on a route
// cannot fill that route's replay quota.
import type { PluginConfig } from '../config/types';
import type { Deny } from '../core/decision';
import type { RequestView } from '../core/request';
import { challenge, replayProtectionFull } from '../respond/deny';
import type { Claims } from '../util/claims';
import { isJktOnly } from '../verify/verify-token';
import { requestHtu } from './htu';
import { currentNonce } from './nonce';
import { checkProof, type CheckedProof } from './proof';
import { recordProof } from './replay-cache';

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

/** Records the proof of an authorized request: null on its first use, else the refusal. Synchronous: no await between check and record. */
export function spendProof(proof: CheckedProof, config: PluginConfig): Deny | null {
  const { routeId, serviceId, pluginId } = config.scope;
  const { proofLifetimeSeconds, clockSkewSeconds, replayCacheMaxEntries } = config.dpop;
  const recording = recordProof(proof.replayKey, proof.iat, {
    owner: pluginId ?? `${routeId ?? ''}/${serviceId ?? ''}`,
    maxEntries: replayCacheMaxEntries,
    windowSeconds: proofLifetimeSeconds + clockSkewSeconds,
  });
  switch (recording.kind) {
    case 'first_use':
      return null;
    case 'replayed':
      return challenge(config.realm, 'dpop_proof_replayed', 'The DPoP proof was already used');
    case 'too_old':
      return challenge(config.realm, 'dpop_proof_invalid', 'The DPoP proof is too old');
    case 'full':
      return replayProtectionFull(recording.retryAfterSeconds);
  }
}
