// The core's answer for one request. The handler applies it with as few PDK calls as possible.
import type { Claims } from '../util/claims';

/** Stable codes for every refusal; logged and placed in Kong's log serializer, never sent raw to clients. */
export type ReasonCode =
  | 'token_missing'
  | 'request_invalid'
  | 'token_malformed'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_too_old'
  | 'bad_signature'
  | 'unknown_key'
  | 'bad_algorithm'
  | 'bad_issuer'
  | 'bad_audience'
  | 'bad_token_type'
  | 'token_bound'
  | 'token_revoked'
  | 'dpop_required'
  | 'dpop_proof_missing'
  | 'dpop_proof_invalid'
  | 'dpop_proof_replayed'
  | 'dpop_nonce_required'
  | 'dpop_key_mismatch'
  | 'dpop_replay_cache_full'
  | 'dpop_token_unbound'
  | 'client_not_allowed'
  | 'scope_missing'
  | 'claim_mismatch'
  | 'step_up_required'
  | 'rule_unmatched'
  | 'path_ambiguous'
  | 'consumer_not_found'
  | 'claim_unsafe'
  | 'keys_unavailable'
  | 'revocations_unavailable'
  | 'introspection_unavailable'
  | 'shared_state_unavailable'
  | 'internal_error';

export interface Allow {
  kind: 'allow';
  /** Upstream headers to set (name as configured → safe value). */
  setHeaders: Readonly<Record<string, string>>;
  /** Upstream headers to remove (client-sent spellings of owned headers, the token when hidden). */
  clearHeaders: string[];
  /**
   * Client-sent canonical consumer headers (X-Consumer-ID, …) of a token that names no consumer: left
   * out of clearHeaders because another auth plugin may have set them, removed when none authenticated
   * the request (the handler asks Kong: one PDK call, on this rare path only).
   */
  clearUnlessAuthenticated: string[];
  /** The query string to send upstream instead (hide_credentials with a query-parameter token), or null. */
  rawQuery: string | null;
  claims: Claims;
  /** The consumer to look up and authenticate (the handler does the Kong I/O), or null. */
  consumer: ConsumerRequest | null;
  /** Share the claims with later plugins under this kong.ctx.shared key, or null. */
  sharedClaimsKey: string | null;
}

/**
 * Which Kong consumer to authenticate. `lookup` 'any' (for `anonymous`) takes a UUID as an id and
 * anything else as a username. `credential` is the token's identifier for X-Credential-Identifier
 * (null for the anonymous consumer).
 */
export interface ConsumerRequest {
  value: string;
  lookup: 'username' | 'id' | 'any';
  /** A token whose consumer does not exist is refused (403) rather than let through without one. */
  required: boolean;
  anonymous: boolean;
  credential: string | null;
}

/** Dry-run: the request would have been refused; log it, strip spoofable headers and let it through. */
export interface Observe {
  kind: 'observe';
  wouldDeny: Deny;
  clearHeaders: string[];
}

export interface Deny {
  kind: 'deny';
  status: number;
  body: { message: string };
  headers: Record<string, string>;
  reason: ReasonCode;
  /** For the log only, never sent to the client: which token and client were refused. */
  detail?: RefusalDetail;
}

/** Safe identifiers of a refused token: a SHA-256 prefix of the token, and Okta's cid/jti once verified. */
export interface RefusalDetail {
  tokenSha256?: string;
  cid?: string;
  jti?: string;
}

/**
 * The request is not ours to judge: a CORS preflight with run_on_preflight off, or a request that
 * another auth plugin already authenticated while `anonymous` is configured (logical OR).
 */
export interface Pass {
  kind: 'pass';
  /** Client-sent spellings of the headers okta-jwt owns: spoofed identity is removed here too. */
  clearHeaders: string[];
}

export type Decision = Allow | Deny | Pass | Observe;
