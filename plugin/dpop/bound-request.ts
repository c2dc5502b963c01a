// After the token verified: a DPoP-scheme request must carry a token bound to a key (cnf.jkt)
// and a proof of possession of that key for this very request (proof.ts).
import type { PluginConfig } from '../config/types';
import type { Deny } from '../core/decision';
import type { RequestView } from '../core/request';
import { challenge } from '../respond/deny';
import type { Claims } from '../util/claims';
import { isJktOnly } from '../verify/verify-token';
import { requestHtu } from './htu';
import { currentNonce } from './nonce';
import { checkProof } from './proof';

/** The refusal of a DPoP-scheme request whose token verified, or null when the proof holds. */
export async function dpopRefusal(proof: string, request: RequestView, config: PluginConfig, accessToken: string, claims: Claims): Promise<Deny | null> {
  if (!isJktOnly(claims.cnf)) return challenge(config.realm, 'dpop_token_unbound', 'The access token is not bound to a DPoP key');
  const check = await checkProof(proof, {
    method: request.method,
    htu: request.target == null ? null : requestHtu(request.target, config.dpop),
    accessToken,
    jkt: claims.cnf.jkt,
    settings: config.dpop,
  });
  if (check.ok) return null;
  const deny = challenge(config.realm, check.reason, check.description);
  // use_dpop_nonce comes with the nonce to retry with (RFC 9449 §9).
  return check.reason === 'dpop_nonce_required' ? { ...deny, headers: { ...deny.headers, 'DPoP-Nonce': currentNonce(config.dpop) } } : deny;
}
