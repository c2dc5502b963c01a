// Stage 3: what a verified token may do here: the Okta client allow-list and the required scopes.
import type { PluginConfig } from '../config/types';
import type { Claims } from '../util/claims';

export type Authorization =
  | { ok: true }
  | { ok: false; reason: 'client_not_allowed' | 'scope_missing'; description: string; scope?: readonly string[] };

/** Okta puts scopes in `scp` (an array); RFC 9068 issuers use `scope` (space-separated). Non-strings are ignored. */
export function grantedScopes(claims: Claims): Set<string> {
  const scp = Object.hasOwn(claims, 'scp') ? claims.scp : undefined;
  if (Array.isArray(scp)) return new Set(scp.filter((s): s is string => typeof s === 'string'));
  const source = typeof scp === 'string' ? scp : Object.hasOwn(claims, 'scope') ? claims.scope : undefined;
  return new Set(typeof source === 'string' ? source.split(' ').filter((s) => s !== '') : []);
}

export function authorize(claims: Claims, config: PluginConfig): Authorization {
  if (config.clientIds !== null) {
    const cid = Object.hasOwn(claims, 'cid') ? claims.cid : undefined;
    if (typeof cid !== 'string' || !config.clientIds.has(cid)) {
      return { ok: false, reason: 'client_not_allowed', description: 'The token was issued to a client that is not allowed' };
    }
  }
  const required = config.scopesRequired;
  if (required.length === 0) return { ok: true };
  const granted = grantedScopes(claims);
  const satisfied = config.scopesMatch === 'all' ? required.every((s) => granted.has(s)) : required.some((s) => granted.has(s));
  if (satisfied) return { ok: true };
  // RFC 6750 §3: the scope attribute names what the resource needs (with "any", one of them suffices).
  return { ok: false, reason: 'scope_missing', description: 'The access token lacks a required scope', scope: required };
}
