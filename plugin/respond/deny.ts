// Stage 5: refusals as RFC 6750 answers: a WWW-Authenticate challenge and a small JSON body.
// Descriptions are fixed strings chosen here, never derived from the token or an exception.
import type { Deny, ReasonCode } from '../vocabulary/decision';

type Challenge = {
  status: 400 | 401 | 403;
  error: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'insufficient_user_authentication' | 'invalid_dpop_proof' | 'use_dpop_nonce' | null;
};

/** Extra challenge parameters: RFC 6750 §3 scope, RFC 9470 §3 acr_values and max_age. */
export interface ChallengeParams {
  scope?: readonly string[];
  acrValues?: readonly string[];
  maxAge?: number;
}

type ServerSide = 'keys_unavailable' | 'dpop_replay_cache_full' | 'revocations_unavailable' | 'introspection_unavailable' | 'shared_state_unavailable';

const CHALLENGES: Record<Exclude<ReasonCode, ServerSide | 'internal_error'>, Challenge> = {
  token_missing: { status: 401, error: null },
  request_invalid: { status: 400, error: 'invalid_request' },
  token_malformed: { status: 401, error: 'invalid_token' },
  token_expired: { status: 401, error: 'invalid_token' },
  token_not_yet_valid: { status: 401, error: 'invalid_token' },
  token_too_old: { status: 401, error: 'invalid_token' },
  bad_signature: { status: 401, error: 'invalid_token' },
  unknown_key: { status: 401, error: 'invalid_token' },
  bad_algorithm: { status: 401, error: 'invalid_token' },
  bad_issuer: { status: 401, error: 'invalid_token' },
  bad_audience: { status: 401, error: 'invalid_token' },
  bad_token_type: { status: 401, error: 'invalid_token' },
  token_bound: { status: 401, error: 'invalid_token' },
  token_revoked: { status: 401, error: 'invalid_token' },
  dpop_required: { status: 401, error: 'invalid_token' },
  dpop_token_unbound: { status: 401, error: 'invalid_token' },
  dpop_key_mismatch: { status: 401, error: 'invalid_token' },
  dpop_proof_missing: { status: 401, error: 'invalid_dpop_proof' },
  dpop_proof_invalid: { status: 401, error: 'invalid_dpop_proof' },
  dpop_proof_replayed: { status: 401, error: 'invalid_dpop_proof' },
  dpop_nonce_required: { status: 401, error: 'use_dpop_nonce' },
  claim_unsafe: { status: 401, error: 'invalid_token' },
  client_not_allowed: { status: 403, error: 'insufficient_scope' },
  scope_missing: { status: 403, error: 'insufficient_scope' },
  claim_mismatch: { status: 403, error: 'insufficient_scope' },
  consumer_not_found: { status: 403, error: 'insufficient_scope' },
  rule_unmatched: { status: 403, error: 'insufficient_scope' },
  path_ambiguous: { status: 400, error: 'invalid_request' },
  step_up_required: { status: 401, error: 'insufficient_user_authentication' },
};

const MESSAGES: Record<Challenge['status'], string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
};

export type ChallengeReason = keyof typeof CHALLENGES;

/** A refusal with its challenge. Values in params come from the config, whose schema keeps quotes out. */
export function challenge(realm: string, reason: ChallengeReason, description: string, params: ChallengeParams = {}): Deny {
  const { status, error } = CHALLENGES[reason];
  const attributes = [`realm="${realm}"`];
  if (error !== null) {
    attributes.push(`error="${error}"`, `error_description="${description}"`);
    if (params.scope !== undefined && params.scope.length > 0) attributes.push(`scope="${params.scope.join(' ')}"`);
    if (params.acrValues !== undefined && params.acrValues.length > 0) attributes.push(`acr_values="${params.acrValues.join(' ')}"`);
    if (params.maxAge !== undefined) attributes.push(`max_age=${params.maxAge}`);
  }
  return {
    kind: 'deny',
    status,
    body: { message: error === null ? MESSAGES[status] : description },
    headers: { 'WWW-Authenticate': `Bearer ${attributes.join(', ')}` },
    reason,
  };
}

/** A server-side limit: 503 with Retry-After, never proxied. */
function unavailable(reason: ServerSide, message: string, retryAfterSeconds: number): Deny {
  return { kind: 'deny', status: 503, body: { message }, headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) }, reason };
}

/** The issuer's keys cannot be had and none are cached: never proxy, ask the client to retry. */
export function keysUnavailable(retryAfterSeconds: number): Deny {
  return unavailable('keys_unavailable', 'The token issuer is unavailable; try again later', retryAfterSeconds);
}

/**
 * Every proof this plugin may remember is still unexpired: accepting another would mean forgetting
 * one that can still be replayed. Refused until the oldest expires.
 */
export function replayProtectionFull(retryAfterSeconds: number): Deny {
  return unavailable('dpop_replay_cache_full', 'DPoP replay protection is at capacity; try again later', retryAfterSeconds);
}

/** This node cannot confirm it knows every revocation (its shared copy is not current): never proxy. */
export function revocationsUnavailable(retryAfterSeconds: number): Deny {
  return unavailable('revocations_unavailable', 'Revocation state is unavailable; try again later', retryAfterSeconds);
}

/** Redis (shared state) did not answer in time: DPoP replay protection cannot be checked across nodes. */
export function sharedStateUnavailable(retryAfterSeconds: number): Deny {
  return unavailable('shared_state_unavailable', 'Replay protection is unavailable; try again later', retryAfterSeconds);
}

/** The introspection endpoint did not answer (and no grace applies): whether the token is revoked is unknown. */
export function introspectionUnavailable(retryAfterSeconds: number): Deny {
  return unavailable('introspection_unavailable', 'The token issuer is unavailable; try again later', retryAfterSeconds);
}

/** Any unexpected failure: fail closed without saying why (the log says why). */
export function internalError(): Deny {
  return {
    kind: 'deny',
    status: 500,
    body: { message: 'An unexpected error occurred' },
    headers: {},
    reason: 'internal_error',
  };
}
