// Stage 2: verify an access token with jose against the issuer's key set, plus the checks jose
// leaves to the caller (security-catalog §K): exp required and finite, exp >= iat, bounded
// lifetime, no future iat, an access-token type policy, and a canonical token grammar.
import type { PluginConfig } from '../config/types';
import { KeySetError, type KeySet } from '../keys';
import { getVerified, putVerified } from '../cache/verified-tokens';
import { deepFreeze, type Claims } from '../util/claims';
import type { ReasonCode } from '../vocabulary/decision';
import { isCanonicalCompactJws } from './token-grammar';
import { decodePayload, fastJwtVerify, type JwtCheck } from './fast-jwt-verify';
import { metricsSink } from '../metrics/sink';

export type VerifyFailureReason = Exclude<
  ReasonCode,
  | 'token_missing' | 'request_invalid' | 'rule_unmatched' | 'path_ambiguous' | 'scope_missing' | 'client_not_allowed' | 'claim_unsafe' | 'claim_mismatch' | 'step_up_required' | 'consumer_not_found' | 'internal_error' | `dpop_${string}`
  | 'token_revoked' | 'revocations_unavailable' | 'introspection_unavailable' | 'shared_state_unavailable'
>;

export type Verification =
  | { ok: true; claims: Claims }
  | { ok: false; reason: VerifyFailureReason; description: string; retryAfterSeconds?: number };

const DESCRIPTIONS: Record<VerifyFailureReason, string> = {
  token_malformed: 'The access token is malformed',
  token_expired: 'The access token expired',
  token_not_yet_valid: 'The access token is not valid yet',
  token_too_old: 'The access token is too old',
  bad_signature: 'The access token signature is invalid',
  unknown_key: 'The access token signature is invalid',
  bad_algorithm: 'The access token signature is invalid',
  bad_issuer: 'The access token was issued by another issuer',
  bad_audience: 'The access token is not meant for this API',
  bad_token_type: 'The token is not an access token',
  token_bound: 'The access token is bound to a key and cannot be used as a bearer token',
  keys_unavailable: 'The token issuer is unavailable',
};

function fail(reason: VerifyFailureReason, retryAfterSeconds?: number): Verification {
  return { ok: false, reason, description: DESCRIPTIONS[reason], retryAfterSeconds };
}

/** Token types accepted for access tokens: none (Okta's default), RFC 9068's at+jwt, or plain JWT. */
const ACCEPTED_TYPES = new Set(['at+jwt', 'application/at+jwt', 'jwt']);

export function isAccessTokenType(typ: unknown): boolean {
  return typ === undefined || (typeof typ === 'string' && ACCEPTED_TYPES.has(typ.toLowerCase()));
}

/** The key set of each trusted issuer, by its exact iss string. */
export type KeySets = ReadonlyMap<string, KeySet>;

/**
 * A verification this process already made for the exact token string under the same settings
 * (config identity), answered without a promise; undefined when there is none to reuse. The cache
 * only ever holds tokens that passed every check below, grammar included, so a hit needs no re-check
 * beyond what can change: exp, whether the key is still trusted, and the DPoP binding.
 */
export function cachedVerification(token: string, config: PluginConfig, keySets: KeySets, acceptJkt = false): Verification | undefined {
  // An instance with the cache off must not read entries another instance stored either.
  if (config.tokenCache.maxEntries <= 0 || token.length > config.maxTokenBytes) return undefined;
  const cached = getVerified(token, config.identity, config.tokenCache);
  if (cached === undefined || !(Date.now() / 1000 < cached.expiresAt) || !keySets.get(cached.claims.iss as string)?.stillTrusts(cached.kid)) return undefined;
  metricsSink()?.tokenCache(true);
  // DPoP-bound tokens are cached after a DPoP request: the binding is checked on every use.
  return bindingAccepted(cached.claims, acceptJkt) ? { ok: true, claims: cached.claims } : fail('token_bound');
}

/**
 * `acceptJkt`: the token came with the DPoP scheme and a proof, so a `cnf` holding only `jkt` is
 * left to the proof check (plugin/dpop/); every other `cnf` is still refused.
 * `jwtCheck`: jose's jwtVerify gives the same verdicts (the differential test); fastJwtVerify is cheaper.
 */
export async function verifyAccessToken(token: string, config: PluginConfig, keySets: KeySets, acceptJkt = false, jwtCheck: JwtCheck = fastJwtVerify): Promise<Verification> {
  return cachedVerification(token, config, keySets, acceptJkt) ?? verifyUncached(token, config, keySets, acceptJkt, jwtCheck);
}

/** verifyAccessToken for a token cachedVerification has no answer for (the caller asked it already). */
export async function verifyUncached(token: string, config: PluginConfig, keySets: KeySets, acceptJkt = false, jwtCheck: JwtCheck = fastJwtVerify): Promise<Verification> {
  if (token.length > config.maxTokenBytes || !isCanonicalCompactJws(token)) return fail('token_malformed');
  // A miss is counted only for a well-formed token: garbage cannot skew the hit ratio.
  if (config.tokenCache.maxEntries > 0) metricsSink()?.tokenCache(false);

  // The payload is decoded once, here. Its unverified iss only selects which issuer's keys to try;
  // jwtCheck then checks it exactly. An unknown issuer is refused before any key fetch.
  const payload = decodePayload(token);
  if (payload === undefined) return fail('token_malformed');
  const issuer = config.issuers.find((candidate) => candidate.issuer === payload.iss);
  if (issuer === undefined) return fail('bad_issuer');
  const keySet = keySets.get(issuer.issuer);
  if (keySet === undefined) throw new Error(`no key set for issuer ${issuer.issuer}`);

  let claims: Claims;
  let kid: string | undefined;
  try {
    // jose checks the header's alg against `algorithms` before it asks for the key; the rest of
    // the header is checked here, where jose hands it over already parsed.
    const result = await jwtCheck(
      token,
      (header) => {
        if (!isAccessTokenType(header.typ)) throw new HeaderRefused('bad_token_type');
        if (header.kid !== undefined && typeof header.kid !== 'string') throw new HeaderRefused('token_malformed');
        kid = header.kid;
        return keySet.getKey(header);
      },
      {
        issuer: issuer.issuer,
        audience: issuer.audiences,
        algorithms: config.allowedAlgorithms,
        clockTolerance: config.leewaySeconds,
        maxTokenAge: config.maxTokenAgeSeconds,
        requiredClaims: ['exp', 'iat'],
      },
      payload,
    );
    claims = result.payload;
  } catch (err) {
    return failureOf(err);
  }

  const exp = claims.exp as number;
  const iat = claims.iat as number;
  if (!Number.isFinite(exp) || !Number.isFinite(iat)) return fail('token_malformed');
  if (exp < iat || exp - iat > config.maxTokenAgeSeconds) return fail('token_malformed');
  if (idTokenMarkers(claims).length > 0) return fail('bad_token_type');
  if (!bindingAccepted(claims, acceptJkt)) return fail('token_bound');

  deepFreeze(claims);
  putVerified(
    token,
    config.identity,
    { claims, kid, expiresAt: Math.min(exp, iat + config.maxTokenAgeSeconds) },
    config.tokenCache,
  );
  return { ok: true, claims };
}

/** What marks an Okta ID token (nonce, at_hash, a jti starting "ID."); such tokens must not open an API. */
export function idTokenMarkers(claims: Claims): string[] {
  const markers = ['nonce', 'at_hash'].filter((name) => Object.hasOwn(claims, name));
  const jti = Object.hasOwn(claims, 'jti') ? claims.jti : undefined;
  if (typeof jti === 'string' && jti.startsWith('ID.')) markers.push('jti "ID.…"');
  return markers;
}

/**
 * A `cnf` claim (RFC 7800) binds the token to a key: DPoP (RFC 9449 §6, jkt), mTLS (RFC 8705 §3,
 * x5t#S256), or any other confirmation method (jwk, jwe, kid, …). Without its proof of possession
 * such a token must not be accepted as a plain bearer token (RFC 9449 §7.1): only a `cnf.jkt` on a
 * DPoP request (plugin/dpop/ checks the proof) is let past this point.
 */
export function isSenderConstrained(claims: Claims): boolean {
  return Object.hasOwn(claims, 'cnf');
}

function bindingAccepted(claims: Claims, acceptJkt: boolean): boolean {
  return !isSenderConstrained(claims) || (acceptJkt && isJktOnly(claims.cnf));
}

/** `cnf` = {"jkt": "<thumbprint>"} and nothing else (RFC 9449 §6.1). */
export function isJktOnly(cnf: unknown): cnf is { jkt: string } {
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) return false;
  const keys = Object.keys(cnf);
  return keys.length === 1 && keys[0] === 'jkt' && typeof (cnf as { jkt?: unknown }).jkt === 'string';
}

/** A protected header refused by the key resolver (jose passes the error through). */
class HeaderRefused extends Error {
  constructor(readonly reason: VerifyFailureReason) {
    super(reason);
  }
}

/** Maps jose's and the key set's errors to reason codes; anything else is re-thrown (fail closed upstream). */
function failureOf(err: unknown): Verification {
  if (err instanceof HeaderRefused) return fail(err.reason);
  if (err instanceof KeySetError) {
    return err.code === 'keys_unavailable' ? fail('keys_unavailable', err.retryAfterSeconds ?? 30) : fail('unknown_key');
  }
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      // jose reports an iat older than maxTokenAge with this code too.
      return fail((err as { claim?: string }).claim === 'iat' ? 'token_too_old' : 'token_expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return claimFailure(err as { claim?: string; reason?: string });
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return fail('bad_signature');
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return fail('unknown_key');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return fail('bad_algorithm');
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return fail('token_malformed');
    default:
      throw err;
  }
}

function claimFailure(err: { claim?: string; reason?: string }): Verification {
  if (err.reason === 'missing') return fail('token_malformed');
  switch (err.claim) {
    case 'iss':
      return fail('bad_issuer');
    case 'aud':
      return fail('bad_audience');
    case 'nbf':
    case 'iat': // an iat in the future, beyond the leeway
      return fail('token_not_yet_valid');
    default:
      return fail('token_malformed');
  }
}
