// Verifies a pushed Security Event Token (RFC 8417) against the transmitter's key set, with the
// checks RFC 8935 names errors for: signature and key (invalid_key), iss (invalid_issuer), aud
// (invalid_audience), and the rest (invalid_request): grammar, typ secevent+jwt, iat present and
// not older than max_set_age_seconds nor in the future, a jti.
import type { SsfReceiverSettings } from '../config/types';
import { KeySetError, type KeySet } from '../keys';
import type { Claims } from '../util/claims';
import { fastJwtVerify } from '../verify/fast-jwt-verify';
import { isCanonicalCompactJws } from '../verify/token-grammar';

/** RFC 8935 §2.3 error codes. */
export type SetErrorCode = 'invalid_request' | 'invalid_key' | 'invalid_issuer' | 'invalid_audience' | 'authentication_failed' | 'access_denied';

export type SetVerification =
  | { ok: true; set: Claims & { jti: string; iat: number } }
  | { ok: false; err: SetErrorCode; description: string }
  | { ok: false; err: 'keys_unavailable'; description: string; retryAfterSeconds: number };

const SET_TYPES = new Set(['secevent+jwt', 'application/secevent+jwt']);
const MAX_JTI_LENGTH = 256;

class TypeRefused extends Error {}

const refuse = (err: SetErrorCode, description: string): SetVerification => ({ ok: false, err, description });

export async function verifySet(jws: string, receiver: SsfReceiverSettings, keySet: KeySet, algorithms: string[], leewaySeconds: number): Promise<SetVerification> {
  if (!isCanonicalCompactJws(jws)) return refuse('invalid_request', 'The body is not a signed JWT');
  let payload: Claims;
  try {
    const result = await fastJwtVerify(
      jws,
      (header) => {
        if (typeof header.typ !== 'string' || !SET_TYPES.has(header.typ.toLowerCase())) throw new TypeRefused();
        return keySet.getKey(header);
      },
      {
        issuer: receiver.transmitterIssuer,
        audience: receiver.audiences,
        algorithms,
        clockTolerance: leewaySeconds,
        maxTokenAge: receiver.maxSetAgeSeconds,
        requiredClaims: ['iat', 'jti'],
      },
    );
    payload = result.payload;
  } catch (err) {
    return failureOf(err);
  }
  const { jti, iat } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) return refuse('invalid_request', 'The SET jti is missing or too long');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return refuse('invalid_request', 'The SET iat is not a time');
  return { ok: true, set: payload as Claims & { jti: string; iat: number } };
}

function failureOf(err: unknown): SetVerification {
  if (err instanceof TypeRefused) return refuse('invalid_request', 'The JWT is not a SET (typ secevent+jwt)');
  if (err instanceof KeySetError) {
    if (err.code === 'keys_unavailable') return { ok: false, err: 'keys_unavailable', description: 'The transmitter keys are unavailable', retryAfterSeconds: err.retryAfterSeconds ?? 30 };
    return refuse('invalid_key', 'The SET is not signed by a key of the transmitter');
  }
  const { code, claim } = (err ?? {}) as { code?: unknown; claim?: unknown };
  switch (code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return refuse('invalid_key', 'The SET is not signed by a key of the transmitter');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'iss') return refuse('invalid_issuer', 'The SET was issued by another transmitter');
      if (claim === 'aud') return refuse('invalid_audience', 'The SET is addressed to another receiver');
      return refuse('invalid_request', 'The SET claims are invalid');
    case 'ERR_JWT_EXPIRED':
      return refuse('invalid_request', 'The SET is too old');
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return refuse('invalid_request', 'The SET is malformed');
    default:
      throw err;
  }
}
