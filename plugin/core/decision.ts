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
  | 'client_not_allowed'
  | 'scope_missing'
  | 'claim_unsafe'
  | 'keys_unavailable'
  | 'internal_error';

export interface Allow {
  kind: 'allow';
  /** Upstream headers to set (name as configured → safe value). */
  setHeaders: Record<string, string>;
  /** Upstream headers to remove (client-sent copies of mapped headers, the token when hidden). */
  clearHeaders: string[];
  claims: Claims;
}

export interface Deny {
  kind: 'deny';
  status: number;
  body: { message: string };
  headers: Record<string, string>;
  reason: ReasonCode;
}

/** The request is not ours to judge (a CORS preflight with run_on_preflight off). */
export interface Pass {
  kind: 'pass';
}

export type Decision = Allow | Deny | Pass;
