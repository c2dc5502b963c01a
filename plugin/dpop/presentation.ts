// How DPoP applies to one request (RFC 9449 §7), decided from the headers alone before the token
// is verified: the Bearer path as before, the DPoP scheme with exactly one proof, or a refusal.
import type { PluginConfig } from '../config/types';
import type { Deny } from '../vocabulary/decision';
import { headerValues, type HeaderMap } from '../vocabulary/request';
import type { SourcedExtraction } from '../extract/token-sources';
import { challenge } from '../respond/deny';

export type Presentation =
  | { kind: 'bearer' }
  | { kind: 'dpop'; proof: string }
  | { kind: 'refused'; deny: Deny };

const DPOP_SCHEME = /^[ \t]*dpop(?:$|[ \t])/i;

/**
 * Whether the request carries anything DPoP (a DPoP header or the DPoP scheme): only then does
 * the handler pay the PDK calls for the method and the request URI.
 */
export function carriesDpop(config: PluginConfig, headers: HeaderMap): boolean {
  if (config.dpop.mode === 'off') return false;
  if (headerValues(headers, 'dpop').length > 0) return true;
  return headerValues(headers, config.tokenHeader).some((v) => typeof v === 'string' && DPOP_SCHEME.test(v));
}

const BEARER: Presentation = Object.freeze({ kind: 'bearer' });

export function presentation(config: PluginConfig, headers: HeaderMap, extraction: SourcedExtraction): Presentation {
  const { mode, algorithms } = config.dpop;
  if (mode === 'off') return BEARER;
  const refuse = (reason: Parameters<typeof challenge>[1], description: string): Presentation => ({
    kind: 'refused',
    deny: inDpopScheme(challenge(config.realm, reason, description), algorithms),
  });
  const proofs = headerValues(headers, 'dpop');
  if (extraction.kind !== 'token' || extraction.dpop !== true) {
    if (proofs.length > 0) return refuse('dpop_proof_invalid', 'A DPoP proof was sent without a DPoP access token');
    if (mode === 'required' && extraction.kind === 'token') return refuse('dpop_required', 'A DPoP-bound access token and proof are required');
    return BEARER;
  }
  if (proofs.length === 0) return refuse('dpop_proof_missing', 'The DPoP proof is missing');
  const [proof] = proofs;
  if (proofs.length > 1 || typeof proof !== 'string') return refuse('dpop_proof_invalid', 'Exactly one DPoP proof must be sent');
  return { kind: 'dpop', proof };
}

/** A refusal's RFC 6750 challenge in the DPoP scheme, announcing the accepted proof algorithms (RFC 9449 §7.1). */
export function inDpopScheme(deny: Deny, algorithms: readonly string[]): Deny {
  const value = deny.headers['WWW-Authenticate'];
  if (value === undefined || !value.startsWith('Bearer ')) return deny;
  return { ...deny, headers: { ...deny.headers, 'WWW-Authenticate': `DPoP ${value.slice('Bearer '.length)}, algs="${algorithms.join(' ')}"` } };
}

/** No token: required asks for DPoP only; allowed offers both schemes (RFC 9449 §7.2). */
export function missingTokenChallenge(deny: Deny, config: PluginConfig): Deny {
  const { mode, algorithms } = config.dpop;
  if (mode === 'off') return deny;
  if (mode === 'required') return inDpopScheme(deny, algorithms);
  const bearer = deny.headers['WWW-Authenticate'];
  return { ...deny, headers: { ...deny.headers, 'WWW-Authenticate': `${bearer}, DPoP realm="${config.realm}", algs="${algorithms.join(' ')}"` } };
}
