// Stage 3: what a verified token may do here: the Okta client allow-list, then the access policy
// of the first rule matching the request (or the default policy, or a refusal): scopes, required claim values
// and authentication strength (RFC 9470 step-up).
import type { AccessPolicy, AccessRule, ClaimRule, PluginConfig } from '../config/types';
import { globMatches } from './path-glob';
import type { ChallengeParams, ChallengeReason } from '../respond/deny';
import { claimAt, perClaims, type Claims } from '../util/claims';

export type Authorization =
  | { ok: true }
  | { ok: false; reason: ChallengeReason; description: string; params?: ChallengeParams };

/** The policies a request must satisfy, or why no rule may judge it (unmatched_requests "deny"). */
export type PolicySelection = { ok: true; policies: AccessPolicy[] } | { ok: false; reason: 'rule_unmatched' | 'path_ambiguous' };

/**
 * Kong's normalised path (kong/tools/uri.lua `normalize`) decodes every escape but those of reserved
 * characters (`%5C` becomes `\`, `%00`–`%1F` control characters), keeps `;`, `%2F` and a raw `#`;
 * Kong forwards it re-escaped but with `#` and `;` as they are. Upstreams read these differently:
 * - `#`: Node's url.parse and WHATWG URL, Python's urlsplit, PHP's parse_url, Java's URI and Ruby's
 *   URI end the path there, so `/app/admin#x` is served as `/app/admin`;
 * - `;`: Tomcat and Spring drop `;…` from a segment; `%2F`: some servers decode it to `/`;
 * - `%25` (an escaped `%`, kept by Kong): an upstream, or a proxy before it, that decodes again reads
 *   `%2561dmin` as `admin` and `%252F` as `/`;
 * - `\`: IIS reads it as `/` (and WHATWG URL folds a raw one);
 * - control characters (`%00`–`%1F`, `%7F`): no real path holds one; an upstream that decodes the path
 *   may end it at NUL (C strings, file APIs) or strip tab, CR and LF (as WHATWG URL and urlsplit do);
 * - a space at either end of a segment: Spring's AntPathMatcher trimmed segments before 4.3;
 * - dot segments, `//` and `%2E` only appear in a path Kong did not normalise.
 * Case is kept: matching is case-sensitive, like Kong's router. Each check is one pass.
 */
const AMBIGUOUS_PARTS = ['%2f', '%5c', '%2e', '%25', '\\', ';', '#', '//', '/./', '/../'];
const CONTROL_OR_EDGE_SPACE = /[\x00-\x1f\x7f]|\/ | \/| $/;

export function isAmbiguousPath(path: string): boolean {
  const lower = path.toLowerCase();
  return AMBIGUOUS_PARTS.some((part) => lower.includes(part)) || lower.endsWith('/.') || lower.endsWith('/..') || CONTROL_OR_EDGE_SPACE.test(path);
}

function methodMatches(rule: AccessRule, method: string | null): boolean {
  return rule.methods === null || (method !== null && rule.methods.has(method));
}

/**
 * The first rule whose methods and paths match, else the default policy (or, with "deny", none).
 * An ambiguous path is refused with "deny"; otherwise it must satisfy every policy it could fall
 * under (each rule for its method, and the default), since any reading of it may be the upstream's.
 */
export function selectPolicies(config: PluginConfig, method: string | null, path: string | null): PolicySelection {
  const deny = config.unmatchedRequests === 'deny';
  if (path !== null && isAmbiguousPath(path)) {
    if (deny) return { ok: false, reason: 'path_ambiguous' };
    return { ok: true, policies: [...config.rules.filter((r) => methodMatches(r, method)).map((r) => r.policy), config.defaultPolicy] };
  }
  for (const rule of config.rules) {
    if (!methodMatches(rule, method)) continue;
    if (rule.paths !== null && (path === null || !rule.paths.some((glob) => globMatches(glob, path)))) continue;
    return { ok: true, policies: [rule.policy] };
  }
  return deny ? { ok: false, reason: 'rule_unmatched' } : defaultSelection(config);
}

const defaultSelections = new WeakMap<PluginConfig, PolicySelection>();

/** The default policy alone: the same frozen answer for every request of an instance. */
function defaultSelection(config: PluginConfig): PolicySelection {
  let selection = defaultSelections.get(config);
  if (selection === undefined) defaultSelections.set(config, (selection = Object.freeze({ ok: true, policies: Object.freeze([config.defaultPolicy]) as AccessPolicy[] })));
  return selection;
}

/** Okta puts scopes in `scp` (an array); RFC 9068 issuers use `scope` (space-separated). Non-strings are ignored. */
export function grantedScopes(claims: Claims): Set<string> {
  const scp = Object.hasOwn(claims, 'scp') ? claims.scp : undefined;
  if (Array.isArray(scp)) return new Set(scp.filter((s): s is string => typeof s === 'string'));
  const source = typeof scp === 'string' ? scp : Object.hasOwn(claims, 'scope') ? claims.scope : undefined;
  return new Set(typeof source === 'string' ? source.split(' ').filter((s) => s !== '') : []);
}

const NO_KEY = {};
/** Shared by every request with the same token: read it, never change it. */
const scopesOf = perClaims((claims: Claims): ReadonlySet<string> => grantedScopes(claims));

/** The string values a claim holds: itself if a string, its string members if an array. */
function claimStrings(claims: Claims, path: readonly string[]): Set<string> {
  const value = claimAt(claims, path);
  if (typeof value === 'string') return new Set([value]);
  if (Array.isArray(value)) return new Set(value.filter((v): v is string => typeof v === 'string'));
  return new Set();
}

function holds(claims: Claims, rule: ClaimRule): boolean {
  const present = claimStrings(claims, rule.path);
  return matches(rule.values, rule.match, (v) => present.has(v));
}

/** Nothing required always matches; otherwise every (all) or at least one (any) item must pass. */
function matches<T>(required: readonly T[], mode: 'all' | 'any', test: (item: T) => boolean): boolean {
  if (required.length === 0) return true;
  return mode === 'all' ? required.every(test) : required.some(test);
}

function authenticationFailure(claims: Claims, policy: AccessPolicy, leewaySeconds: number, nowSeconds: number): Authorization | null {
  const { amrValues, acrValues, maxAgeSeconds } = policy.authentication;
  // The challenge names everything the policy asks for (RFC 9470 allows acr_values and max_age
  // together), whichever check failed, so one re-authentication satisfies it.
  const stepUp: Authorization = {
    ok: false, reason: 'step_up_required', description: 'A stronger or more recent authentication is required',
    params: maxAgeSeconds === null ? { acrValues } : { acrValues, maxAge: maxAgeSeconds },
  };
  if (amrValues.length > 0 && !amrValues.some((v) => claimStrings(claims, ['amr']).has(v))) return stepUp;
  if (acrValues.length > 0 && !acrValues.some((v) => claimStrings(claims, ['acr']).has(v))) return stepUp;
  if (maxAgeSeconds !== null) {
    const authTime = claimAt(claims, ['auth_time']);
    if (typeof authTime !== 'number' || !Number.isFinite(authTime) || nowSeconds - authTime > maxAgeSeconds + leewaySeconds) return stepUp;
  }
  return null;
}

export function authorize(claims: Claims, policy: AccessPolicy, config: PluginConfig, nowSeconds = Date.now() / 1000): Authorization {
  if (config.clientIds !== null) {
    const cid = claimAt(claims, ['cid']);
    if (typeof cid !== 'string' || !config.clientIds.has(cid)) {
      return { ok: false, reason: 'client_not_allowed', description: 'The token was issued to a client that is not allowed' };
    }
  }
  const authentication = authenticationFailure(claims, policy, config.leewaySeconds, nowSeconds);
  if (authentication !== null) return authentication;

  const granted = scopesOf(claims, NO_KEY);
  if (!matches(policy.scopesRequired, policy.scopesMatch, (s) => granted.has(s))) {
    // RFC 6750 §3: the scope attribute names what the resource needs (with "any", one of them suffices).
    return { ok: false, reason: 'scope_missing', description: 'The access token lacks a required scope', params: { scope: policy.scopesRequired } };
  }
  if (!matches(policy.claimsRequired, policy.claimsMatch, (rule) => holds(claims, rule))) {
    return { ok: false, reason: 'claim_mismatch', description: 'The access token lacks a required claim value' };
  }
  return AUTHORIZED;
}

const AUTHORIZED: Authorization = Object.freeze({ ok: true });
