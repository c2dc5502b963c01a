// The pure core: request view + normalised config in, decision out. No Kong I/O happens here;
// the only outside world is the key sets (and their HTTP fetches) behind verifyAccessToken.
import { createHash } from 'node:crypto';
import type { PluginConfig } from '../config/types';
import { extractToken } from '../extract/token-sources';
import { verifyAccessToken, type KeySets } from '../verify/verify-token';
import { authorize, selectPolicy } from '../authorize/authorize';
import { headerValueFor } from '../forward/claim-headers';
import { CONSUMER_HEADERS } from '../forward/consumer-headers';
import { challenge, keysUnavailable } from '../respond/deny';
import { claimAt, type Claims } from '../util/claims';
import { headerValues, type HeaderMap, type RequestView } from './request';
import type { Allow, ConsumerRequest, Decision, Deny, RefusalDetail } from './decision';

/** Which request values beyond the headers decide() needs: each costs the handler one PDK call. */
export interface RequestNeeds {
  method: boolean;
  path: boolean;
  queryToken: boolean;
  credential: boolean;
}

/** A CORS preflight: OPTIONS carrying both Origin and Access-Control-Request-Method. */
function hasPreflightHeaders(headers: HeaderMap): boolean {
  return headerValues(headers, 'origin').length > 0 && headerValues(headers, 'access-control-request-method').length > 0;
}

export function requestNeeds(config: PluginConfig, headers: HeaderMap): RequestNeeds {
  return {
    method: (!config.runOnPreflight && hasPreflightHeaders(headers)) || config.rules.some((r) => r.methods !== null),
    path: config.rules.some((r) => r.paths !== null),
    queryToken: config.tokenSources.queryParam !== null,
    credential: config.consumer.anonymous !== null,
  };
}

/** Headers a client could use to impersonate: mapped claim headers and, when we manage consumers, Kong's consumer headers. */
function spoofableHeaders(config: PluginConfig): string[] {
  const names = config.claimsToHeaders.map((m) => m.header);
  if (config.consumer.claim !== null || config.consumer.anonymous !== null) names.push(...CONSUMER_HEADERS);
  return names;
}

/** The subset of `names` the client actually sent: clearing costs a PDK call each, so only those. */
function sentByClient(headers: HeaderMap, names: readonly string[]): string[] {
  return names.filter((name) => headerValues(headers, name.toLowerCase()).length > 0);
}

export async function decide(request: RequestView, config: PluginConfig, keySets: KeySets): Promise<Decision> {
  if (!config.runOnPreflight && request.method === 'OPTIONS' && hasPreflightHeaders(request.headers)) return { kind: 'pass' };
  // Logical OR with other auth plugins (as Kong's own do): someone already authenticated the request.
  if (config.consumer.anonymous !== null && request.alreadyAuthenticated) return { kind: 'pass' };

  const outcome = await judge(request, config, keySets);
  if (outcome.kind === 'deny' && config.dryRun) {
    return { kind: 'observe', wouldDeny: outcome, clearHeaders: sentByClient(request.headers, spoofableHeaders(config)) };
  }
  return outcome;
}

async function judge(request: RequestView, config: PluginConfig, keySets: KeySets): Promise<Allow | Deny> {
  const extraction = extractToken(request.headers, config.tokenHeader, config.tokenSources, request.queryToken);
  if (extraction.kind === 'absent') return anonymousOr(request, config, challenge(config.realm, 'token_missing', 'No bearer token'));
  if (extraction.kind === 'invalid_request') return challenge(config.realm, 'request_invalid', extraction.description);

  const { token } = extraction;
  const verification = await verifyAccessToken(token, config, keySets);
  if (!verification.ok) {
    if (verification.reason === 'keys_unavailable') return withDetail(keysUnavailable(verification.retryAfterSeconds ?? 30), token);
    return anonymousOr(request, config, withDetail(challenge(config.realm, verification.reason, verification.description), token));
  }
  const { claims } = verification;
  const refuse = (deny: Deny): Deny => withDetail(deny, token, claims);
  const unforwardable = () => refuse(challenge(config.realm, 'claim_unsafe', 'The access token carries a claim that cannot be forwarded'));

  const authorization = authorize(claims, selectPolicy(config, request.method, request.path), config);
  if (!authorization.ok) return refuse(challenge(config.realm, authorization.reason, authorization.description, authorization.params));

  const setHeaders: Record<string, string> = {};
  const clearHeaders: string[] = [];
  for (const mapping of config.claimsToHeaders) {
    const value = headerValueFor(claims, mapping);
    if (value.kind === 'unsafe') return unforwardable();
    if (value.kind === 'value') setHeaders[mapping.header] = value.value;
    else clearHeaders.push(...sentByClient(request.headers, [mapping.header]));
  }
  const consumer = consumerFor(claims, config);
  if (consumer === 'unsafe') return unforwardable();
  if (consumer !== null) clearHeaders.push(...sentByClient(request.headers, CONSUMER_HEADERS));
  if (config.hideCredentials) clearHeaders.push(config.tokenHeader);
  return { kind: 'allow', setHeaders, clearHeaders, claims, consumer, sharedClaimsKey: config.sharedClaimsKey };
}

/** Identifiers that are safe to log: never the token, only a hash prefix; cid and jti as Okta sets them. */
function withDetail(deny: Deny, token: string, claims?: Claims): Deny {
  const detail: RefusalDetail = { tokenSha256: createHash('sha256').update(token).digest('hex').slice(0, 16) };
  for (const name of ['cid', 'jti'] as const) {
    const value = claims === undefined ? undefined : claimAt(claims, [name]);
    if (typeof value === 'string' && /^[\x21-\x7e]{1,128}$/.test(value)) detail[name] = value;
  }
  return { ...deny, detail };
}

/** The consumer named by the configured claim; 'unsafe' when its value cannot name one. */
function consumerFor(claims: Claims, config: PluginConfig): ConsumerRequest | null | 'unsafe' {
  const { claim, lookup, required } = config.consumer;
  if (claim === null) return null;
  const value = claimAt(claims, claim);
  if (typeof value !== 'string' || value === '') return required ? 'unsafe' : null;
  if (!/^[\x21-\x7e]+$/.test(value) || value.length > 256) return 'unsafe';
  return { value, lookup, required, anonymous: false, credential: value };
}

/** With `anonymous` configured, a missing or invalid token is let through as the anonymous consumer. */
function anonymousOr(request: RequestView, config: PluginConfig, denial: Deny): Allow | Deny {
  const anonymous = config.consumer.anonymous;
  if (anonymous === null) return denial;
  const clearHeaders = sentByClient(request.headers, spoofableHeaders(config));
  if (config.hideCredentials) clearHeaders.push(config.tokenHeader);
  return {
    kind: 'allow',
    setHeaders: {},
    clearHeaders,
    claims: {},
    consumer: { value: anonymous, lookup: 'any', required: true, anonymous: true, credential: null },
    sharedClaimsKey: null,
  };
}
