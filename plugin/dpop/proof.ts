// The DPoP proof checks of RFC 9449 §4.3 for a request that presented an access token with the
// DPoP scheme: one well-formed proof JWT, typ dpop+jwt, an allowed asymmetric alg, a public jwk
// that verifies the signature, htm/htu of this request, a fresh iat, ath of this token, the key
// the token is bound to (cnf.jkt, RFC 7638 thumbprint). Whether its jti was seen before is asked
// only after authorization (bound-request.ts), so a request that is refused anyway records nothing.
import { createHash } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import type { DpopSettings } from '../config/types';
import { clock } from '../cache/clock';
import { isCanonicalCompactJws } from '../verify/token-grammar';
import { normaliseHtu } from './htu';
import { nonceAccepted } from './nonce';
import { proofKey, type ProofKey } from './proof-keys';

export type ProofFailure = 'dpop_proof_invalid' | 'dpop_proof_replayed' | 'dpop_key_mismatch' | 'dpop_nonce_required';
/** A proof that passed every check, to be recorded (replay-cache.ts) once the request is authorized. */
export interface CheckedProof {
  /** SHA-256 of key thumbprint and jti. */
  replayKey: string;
  iat: number;
}
export type ProofCheck = ({ ok: true } & CheckedProof) | { ok: false; reason: ProofFailure; description: string };

export interface ProofContext {
  /** The request method as Kong reports it. */
  method: string | null;
  /** The normalised URI the client addressed (htu.ts), or null when it cannot be told. */
  htu: string | null;
  accessToken: string;
  /** The verified token's cnf.jkt. */
  jkt: string;
  settings: DpopSettings;
}

/** Larger than any proof with an RSA-4096 jwk; checked before any parsing. */
const MAX_PROOF_BYTES = 4096;
/** Members that only a private or symmetric JWK has (RFC 7518 §6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);

function invalid(description: string): ProofCheck {
  return { ok: false, reason: 'dpop_proof_invalid', description };
}

/** A public asymmetric JWK, or a description of why not. */
function publicJwk(jwk: unknown): JWK | string {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return 'The DPoP proof carries no jwk';
  const members = jwk as Record<string, unknown>;
  if (typeof members.kty !== 'string' || !KEY_TYPES.has(members.kty)) return 'The DPoP proof key must be an asymmetric public key';
  if (PRIVATE_MEMBERS.some((name) => Object.hasOwn(members, name))) return 'The DPoP proof key must not contain private key material';
  return members as JWK;
}

export async function checkProof(proof: string, ctx: ProofContext): Promise<ProofCheck> {
  const { settings } = ctx;
  if (proof.length > MAX_PROOF_BYTES || !isCanonicalCompactJws(proof)) return invalid('The DPoP proof is malformed');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    return invalid('The DPoP proof is malformed');
  }
  if (typeof header.typ !== 'string' || header.typ.toLowerCase() !== 'dpop+jwt') return invalid('The DPoP proof must have typ dpop+jwt');
  if (typeof header.alg !== 'string' || !settings.algorithms.includes(header.alg)) return invalid('The DPoP proof algorithm is not accepted');
  const jwk = publicJwk(header.jwk);
  if (typeof jwk === 'string') return invalid(jwk);

  let payload: Record<string, unknown>;
  let key: ProofKey;
  try {
    key = await proofKey(jwk, header.alg);
    payload = (await jwtVerify(proof, key.key, { algorithms: [header.alg], typ: 'dpop+jwt' })).payload;
  } catch (err) {
    const signature = (err as { code?: unknown } | null)?.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED';
    return invalid(signature ? 'The DPoP proof signature is invalid' : 'The DPoP proof is malformed');
  }

  const { jti, htm, htu, iat, ath, nonce } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > 256 || typeof htm !== 'string' || typeof htu !== 'string' || typeof iat !== 'number' || !Number.isFinite(iat)) {
    return invalid('The DPoP proof lacks jti, htm, htu or iat');
  }
  if (ctx.method === null || htm !== ctx.method) return invalid('The DPoP proof is for another HTTP method');
  if (ctx.htu === null || normaliseHtu(htu) !== ctx.htu) return invalid('The DPoP proof is for another URI');
  const now = clock.now() / 1000;
  if (iat > now + settings.clockSkewSeconds) return invalid('The DPoP proof is issued in the future');
  if (iat < now - settings.proofLifetimeSeconds - settings.clockSkewSeconds) return invalid('The DPoP proof is too old');
  if (ath !== createHash('sha256').update(ctx.accessToken).digest('base64url')) return invalid('The DPoP proof is for another access token');

  if (settings.requireNonce && !nonceAccepted(nonce, settings)) {
    return { ok: false, reason: 'dpop_nonce_required', description: 'A fresh server nonce is required in the DPoP proof' };
  }

  const { thumbprint } = key;
  if (thumbprint !== ctx.jkt) return { ok: false, reason: 'dpop_key_mismatch', description: 'The access token is bound to another DPoP key' };
  // A digest: a fixed 44 characters per remembered proof whatever the jti's length (up to 256).
  return { ok: true, replayKey: createHash('sha256').update(`${thumbprint}\n${jti}`).digest('base64'), iat };
}
