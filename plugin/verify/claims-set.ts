// The claims-set checks jose's jwtVerify makes after the signature (jose 6, validateClaimsSet), for
// the options okta-jwt passes, on a payload the caller decoded once. jose keeps them internal and
// runs them on the payload's bytes, which would decode and parse the payload a second time on every
// cache miss. Same checks in the same order, with jose's own error classes, messages, claim names
// and reasons: the differential test (spec/03-security/differential/) holds fastJwtVerify and
// jose's jwtVerify to the same verdict on every token.
import { errors, type JWTPayload } from 'jose';

export interface ClaimsSetOptions {
  issuer: string;
  audience: string[];
  /** Seconds of leeway on exp, nbf and iat. */
  clockTolerance: number;
  /** Seconds; makes iat required. */
  maxTokenAge: number;
  requiredClaims: string[];
}

const { JWTClaimValidationFailed, JWTExpired } = errors;

/** A NumericDate claim: undefined when absent and not required, else it must be a number. */
function numericDate(payload: JWTPayload, claim: 'iat' | 'nbf' | 'exp', required: boolean): number | undefined {
  const value = payload[claim];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'number') throw new JWTClaimValidationFailed(`"${claim}" claim must be a number`, payload, claim, 'invalid');
  return value;
}

/** An option jose validates before use (a programming error: never a verdict on the token). */
function optionSeconds(value: number, label: string): number {
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`Invalid ${label} option input`);
  return value;
}

/** Throws what jose's jwtVerify throws for this payload under these options; returns when jose would accept it. */
export function checkClaimsSet(payload: JWTPayload, options: ClaimsSetOptions): void {
  const { issuer, audience, requiredClaims } = options;
  // jose reports the first missing claim of this order: iss, aud, iat, then the required ones last to first.
  for (const claim of new Set([...requiredClaims, 'iat', 'aud', 'iss'].reverse())) {
    if (!Object.hasOwn(payload, claim)) throw new JWTClaimValidationFailed(`missing required "${claim}" claim`, payload, claim, 'missing');
  }
  if (payload.iss !== issuer) throw new JWTClaimValidationFailed('unexpected "iss" claim value', payload, 'iss', 'check_failed');
  const aud: unknown = payload.aud;
  const audienceMatches = typeof aud === 'string' ? audience.includes(aud) : Array.isArray(aud) && audience.some((a) => aud.includes(a));
  if (!audienceMatches) throw new JWTClaimValidationFailed('unexpected "aud" claim value', payload, 'aud', 'check_failed');

  const tolerance = optionSeconds(options.clockTolerance, 'clockTolerance');
  const now = Math.floor(Date.now() / 1000);
  const iat = numericDate(payload, 'iat', true) as number;
  const nbf = numericDate(payload, 'nbf', false);
  if (nbf !== undefined && nbf > now + tolerance) throw new JWTClaimValidationFailed('"nbf" claim timestamp check failed', payload, 'nbf', 'check_failed');
  const exp = numericDate(payload, 'exp', false);
  if (exp !== undefined && exp <= now - tolerance) throw new JWTExpired('"exp" claim timestamp check failed', payload, 'exp', 'check_failed');
  const age = now - iat;
  const maxAge = optionSeconds(options.maxTokenAge, 'maxTokenAge');
  if (age - tolerance > maxAge) throw new JWTExpired('"iat" claim timestamp check failed (too far in the past)', payload, 'iat', 'check_failed');
  if (age < -tolerance) throw new JWTClaimValidationFailed('"iat" claim timestamp check failed (it should be in the past)', payload, 'iat', 'check_failed');
}
