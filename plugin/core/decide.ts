// The pure core: request view + normalised config in, decision out. No Kong I/O happens here;
// the only outside world is the key sets (and their HTTP fetches) behind verifyAccessToken.
import { createHash } from 'node:crypto';
import type { AccessPolicy, ClaimHeaderMapping, PluginConfig } from '../config/types';
import { scanQueryToken } from '../extract/query-token';
import { extractToken, type SourcedExtraction, type TokenSource } from '../extract/token-sources';
import { cachedVerification, verifyAccessToken, verifyUncached, type KeySets, type Verification } from '../verify/verify-token';
import { authorize, selectPolicies } from '../authorize/authorize';
import { headerValueFor } from '../forward/claim-headers';
import { CONSUMER_HEADERS } from '../forward/consumer-headers';
import { clientSpellings, foldedName } from '../forward/spoofed-headers';
import { cookieWithoutSpellings, queryWithoutSpellings, tokenHeaderSpellings } from '../forward/credential-spellings';
import { methodOverride, OVERRIDE_HEADERS, withoutOverrideParameter, type OverrideOutcome } from '../authorize/method-override';
import { challenge, introspectionUnavailable, keysUnavailable } from '../respond/deny';
import { introspect, knownInactive } from '../introspection/introspect';
import { introspectionWanted } from '../introspection/when';
import { checkDpop, spendProof } from '../dpop/bound-request';
import type { CheckedProof } from '../dpop/proof';
import { carriesDpop, inDpopScheme, missingTokenChallenge, presentation, type Presentation } from '../dpop/presentation';
import { metricsSink, timedVerification } from '../metrics/sink';
import { revocationDenial } from '../revocation/revocation-check';
import { claimAt, perClaims, type Claims } from '../util/claims';
import { headerValues, type HeaderMap, type RequestView } from '../vocabulary/request';
import type { MaybePromise } from '../util/maybe-promise';
import type { Allow, ConsumerRequest, Decision, Deny, RefusalDetail } from '../vocabulary/decision';

/** Which request values beyond the headers decide() needs: each costs the handler one PDK call. */
export interface RequestNeeds {
  method: boolean;
  path: boolean;
  /** The raw query of every request; a POST's is also read where method overrides are judged (method-override.ts). */
  rawQuery: boolean;
  credential: boolean;
  /** The request URI for a DPoP proof's htu: nothing, the path (external_base_url set), or origin and path. */
  target: 'none' | 'path' | 'origin_and_path';
}

/** A CORS preflight: OPTIONS carrying both Origin and Access-Control-Request-Method. */
function hasPreflightHeaders(headers: HeaderMap): boolean {
  return headerValues(headers, 'origin').length > 0 && headerValues(headers, 'access-control-request-method').length > 0;
}

/** null: the headers are all this request needs (no further PDK call). */
export function requestNeeds(config: PluginConfig, headers: HeaderMap): RequestNeeds | null {
  const dpop = carriesDpop(config, headers);
  const method = dpop || (!config.runOnPreflight && hasPreflightHeaders(headers)) || config.rules.some((r) => r.methods !== null) || config.introspection?.needsMethod === true;
  const path = config.rules.some((r) => r.paths !== null);
  const rawQuery = config.tokenSources.queryParam !== null;
  const credential = config.consumer.anonymous !== null;
  if (!(method || path || rawQuery || credential || dpop)) return null;
  return { method, path, rawQuery, credential, target: !dpop ? 'none' : config.dpop.externalBaseUrl === null ? 'origin_and_path' : 'path' };
}

/**
 * False when the query string names the token parameter: nginx appends the request line, query
 * included, to every error.log line written during the request, so a kong.log line would write the
 * token to the log. Such requests are reported through the log serializer only.
 */
export function mayLogRequest(request: RequestView, config: PluginConfig): boolean {
  const name = config.tokenSources.queryParam;
  if (name === null || request.rawQuery === null) return true;
  const scan = scanQueryToken(request.rawQuery, name);
  return scan.values.length === 0 && !scan.ambiguous;
}

const CONSUMER_HEADER_KEYS: ReadonlySet<string> = new Set(CONSUMER_HEADERS.map((name) => name.toLowerCase()));

const owned = new WeakMap<PluginConfig, ReadonlySet<string>>();

/** Folded names of the headers okta-jwt writes: mapped claim headers and, when it manages consumers, Kong's consumer headers. */
function ownedHeaders(config: PluginConfig): ReadonlySet<string> {
  let names = owned.get(config);
  if (names === undefined) {
    const all = config.claimsToHeaders.map((m) => m.header);
    if (config.consumer.claim !== null || config.consumer.anonymous !== null) all.push(...CONSUMER_HEADERS);
    // Stripped like spoofed identity: the upstream must act on the method the rules judged.
    if (config.methodOverride === 'strip') all.push(...OVERRIDE_HEADERS);
    names = new Set(all.map(foldedName));
    owned.set(config, names);
  }
  return names;
}

/**
 * Every spelling the client sent of a header okta-jwt owns. `consumerWrittenByOthers`: another
 * auth plugin authenticated the request (or may have), and Kong's plugins set or clear each
 * consumer header in its canonical spelling, so those are theirs; other spellings are still spoofs.
 */
function spoofed(request: RequestView, config: PluginConfig, consumerWrittenByOthers = false): string[] {
  return clientSpellings(request.headers, ownedHeaders(config), consumerWrittenByOthers ? CONSUMER_HEADER_KEYS : undefined);
}

export function decide(request: RequestView, config: PluginConfig, keySets: KeySets): MaybePromise<Decision> {
  const preflight = !config.runOnPreflight && request.method === 'OPTIONS' && hasPreflightHeaders(request.headers);
  // Logical OR with other auth plugins (as Kong's own do): someone already authenticated the request.
  if (preflight || (config.consumer.anonymous !== null && request.alreadyAuthenticated)) {
    return { kind: 'pass', clearHeaders: spoofed(request, config, request.alreadyAuthenticated) };
  }
  // Named functions, not closures, on the path that needs no promise: nothing allocated for them per request.
  const outcome = judge(request, config, keySets);
  return outcome instanceof Promise ? outcome.then((o) => dryRunOf(o, request, config)) : dryRunOf(outcome, request, config);
}

/** dry_run: a refusal is observed instead. */
function dryRunOf(outcome: Allow | Deny, request: RequestView, config: PluginConfig): Decision {
  return outcome.kind === 'deny' && config.dryRun ? { kind: 'observe', wouldDeny: outcome, clearHeaders: spoofed(request, config) } : outcome;
}

function judge(request: RequestView, config: PluginConfig, keySets: KeySets): MaybePromise<Allow | Deny> {
  const looked = cachedPlainBearer(request.headers, config, keySets);
  const extraction: SourcedExtraction = looked?.verification !== undefined ? { kind: 'token', token: looked.token, source: 'header' }
    : extractToken(request.headers, config.tokenHeader, config.tokenSources, request.rawQuery, config.dpop.mode !== 'off');
  const dpop = presentation(config, request.headers, extraction);
  // A token the plain-bearer lookup missed is not looked up (hashed) again.
  const known = looked === undefined || extraction.kind !== 'token' || extraction.token !== looked.token ? undefined : (looked.verification ?? 'miss');
  const outcome = judgeToken(request, config, keySets, extraction, dpop, known);
  // Every refusal of a DPoP-scheme request is a DPoP challenge (RFC 9449 §7.1).
  return dpop.kind !== 'dpop' ? outcome : Promise.resolve(outcome).then((o) => (o.kind === 'deny' ? inDpopScheme(o, config.dpop.algorithms) : o));
}

/** What the stages after extraction share: the request, its token and where it came from. */
interface Unjudged {
  request: RequestView;
  config: PluginConfig;
  token: string;
  source: TokenSource;
  dpop: Presentation;
  override: OverrideOutcome;
}

/** The same once the token is verified: its claims. */
interface Judged extends Unjudged {
  claims: Claims;
}

/**
 * The common request: one `Bearer <token>` value in the token header (its only source) holding a
 * token this process verified already. The canonical JWS grammar the token passed then is stricter
 * than the header's token68, so the header is not scanned again (a regex over the whole token, a
 * tenth of the plugin's CPU on a hit). Anything else, or a miss, is extracted as usual. undefined:
 * not looked up.
 */
function cachedPlainBearer(headers: HeaderMap, config: PluginConfig, keySets: KeySets): { token: string; verification: Verification | undefined } | undefined {
  // With a metrics sink every verification is timed, hits included (judgeToken).
  if (config.tokenSources.cookie !== null || config.tokenSources.queryParam !== null || metricsSink() !== undefined) return undefined;
  const values = headerValues(headers, config.tokenHeader);
  const value = values.length === 1 ? values[0] : undefined;
  if (typeof value !== 'string' || !value.startsWith('Bearer ')) return undefined;
  const token = value.slice('Bearer '.length);
  return { token, verification: cachedVerification(token, config, keySets, false) };
}

/** `known`: what cachedPlainBearer found in the cache for this token (a verification, or 'miss'). */
function judgeToken(request: RequestView, config: PluginConfig, keySets: KeySets, extraction: SourcedExtraction, dpop: Presentation, known?: Verification | 'miss'): MaybePromise<Allow | Deny> {
  if (extraction.kind === 'invalid_request') return challenge(config.realm, 'request_invalid', extraction.description);
  const override = methodOverride(request, config);
  if (override === 'refuse') return challenge(config.realm, 'request_invalid', 'A method override is not accepted here');
  if (dpop.kind === 'refused') return anonymousOr(request, config, dpop.deny, extraction.kind === 'token' ? extraction.source : null);
  if (extraction.kind === 'absent') return anonymousOr(request, config, missingTokenChallenge(challenge(config.realm, 'token_missing', 'No bearer token'), config), null);

  const { token, source } = extraction;
  const acceptJkt = dpop.kind === 'dpop';
  // Without a metrics sink a cache hit needs no promise; with one, every verification (hits included) is timed.
  const untimed = metricsSink() === undefined;
  const verification =
    (known === 'miss' ? undefined : known) ??
    (untimed && known === undefined ? cachedVerification(token, config, keySets, acceptJkt) : undefined) ??
    timedVerification(() => (untimed ? verifyUncached : verifyAccessToken)(token, config, keySets, acceptJkt));
  const unjudged: Unjudged = { request, config, token, source, dpop, override };
  return verification instanceof Promise ? verification.then((verified) => judgeVerified(unjudged, verified)) : judgeVerified(unjudged, verification);
}

function judgeVerified(unjudged: Unjudged, verified: Verification): MaybePromise<Allow | Deny> {
  const { request, config, token, source, dpop } = unjudged;
  if (!verified.ok) {
    if (verified.reason === 'keys_unavailable') return withDetail(keysUnavailable(verified.retryAfterSeconds ?? 30), token);
    return anonymousOr(request, config, withDetail(challenge(config.realm, verified.reason, verified.description), token), source);
  }
  // Field by field: a spread here cost the cached path 3 µs a request (V8 copies through a slow path).
  const judged: Judged = { request, config, token, source, dpop, override: unjudged.override, claims: verified.claims };
  // On cache hits too: a cached verification never outlives a revocation.
  const revoked = revocationDenial(verified.claims, config);
  if (revoked !== null) return revoked.reason === 'token_revoked' ? refuseOrAnonymous(judged, revoked) : refuse(judged, revoked);
  if (dpop.kind !== 'dpop') return authorizeAndForward(judged, null);
  return checkDpop(dpop.proof, request, config, token, verified.claims).then((check) =>
    check.kind === 'deny' ? refuseOrAnonymous(judged, check) : authorizeAndForward(judged, check));
}

/** A refusal of a verified token, with its safe identifiers. */
function refuse({ token, claims }: Judged, deny: Deny): Deny {
  return withDetail(deny, token, claims);
}

/** The same, or the anonymous consumer where one is configured. */
function refuseOrAnonymous(judged: Judged, deny: Deny): Allow | Deny {
  return anonymousOr(judged.request, judged.config, refuse(judged, deny), judged.source);
}

/** The access rules, the headers to forward, then (when configured) introspection and the proof's single use. */
function authorizeAndForward(judged: Judged, proof: CheckedProof | null): MaybePromise<Allow | Deny> {
  const { request, config, claims } = judged;
  const selection = selectPolicies(config, request.method, request.path);
  if (!selection.ok) return refuse(judged, challenge(config.realm, selection.reason, POLICY_REFUSALS[selection.reason]));
  for (const policy of selection.policies) {
    const authorization = authorize(claims, policy, config);
    if (!authorization.ok) return refuse(judged, challenge(config.realm, authorization.reason, authorization.description, authorization.params));
  }
  const setHeaders = claimHeaders(claims, config.claimsToHeaders);
  if (setHeaders === 'unsafe') return unforwardable(judged);
  const consumer = consumerFor(claims, config);
  if (consumer === 'unsafe') return unforwardable(judged);
  if (config.introspection === null) return spendThenAllow(judged, proof, setHeaders, consumer);
  return introspected(judged, selection.policies, config.introspection).then((deny) => deny ?? spendThenAllow(judged, proof, setHeaders, consumer));
}

function unforwardable(judged: Judged): Deny {
  return refuse(judged, challenge(judged.config.realm, 'claim_unsafe', 'The access token carries a claim that cannot be forwarded'));
}

/** Introspection's refusal, or null when the token is active (or need not be asked about). */
async function introspected(judged: Judged, policies: readonly AccessPolicy[], settings: NonNullable<PluginConfig['introspection']>): Promise<Allow | Deny | null> {
  const { token, claims, config, request } = judged;
  const wanted = introspectionWanted(policies, request.method);
  const verdict = wanted === 'introspect' ? await introspect(token, claims.iss as string, claims.exp as number, config, settings)
    : wanted === 'sampled_out' && knownInactive(token, claims.iss as string, settings) ? { kind: 'inactive' as const } : null;
  if (verdict?.kind === 'unavailable') return refuse(judged, introspectionUnavailable(verdict.retryAfterSeconds));
  if (verdict?.kind === 'inactive') return refuseOrAnonymous(judged, challenge(config.realm, 'token_revoked', 'The access token is no longer active'));
  return null;
}

function spendThenAllow(judged: Judged, proof: CheckedProof | null, setHeaders: Readonly<Record<string, string>>, consumer: ConsumerRequest | null): MaybePromise<Allow | Deny> {
  if (proof === null) return allowFor(judged, setHeaders, consumer);
  // Spent last, once nothing here refuses the request: of two uses of one proof, one is the first.
  return spendProof(proof, judged.config).then((spent) => {
    if (spent === null) return allowFor(judged, setHeaders, consumer);
    return spent.status === 503 ? refuse(judged, spent) : refuseOrAnonymous(judged, spent);
  });
}

function allowFor({ request, config, claims, source, dpop, override }: Judged, setHeaders: Readonly<Record<string, string>>, consumer: ConsumerRequest | null): Allow {
  // Names the handler sets are not cleared again (set_headers replaced that spelling already).
  const allow: Allow = {
    kind: 'allow', setHeaders, clearHeaders: spoofed(request, config, consumer === null), clearUnlessAuthenticated: unclaimedConsumerHeaders(request, config, consumer), rawQuery: null,
    claims, consumer, sharedClaimsKey: config.sharedClaimsKey,
  };
  let upstream = allow;
  if (config.hideCredentials) {
    upstream = hideCredential(allow, request, config, source);
    // The proof goes with the token it proves.
    if (dpop.kind === 'dpop') upstream = { ...upstream, clearHeaders: [...upstream.clearHeaders, 'DPoP'] };
  }
  if (override === 'strip_query') upstream = { ...upstream, rawQuery: withoutOverrideParameter(upstream.rawQuery ?? request.rawQuery ?? '') };
  return upstream;
}

/** With consumer_claim set and no consumer in the token: the client's canonical consumer headers. */
function unclaimedConsumerHeaders(request: RequestView, config: PluginConfig, consumer: ConsumerRequest | null): string[] {
  if (consumer !== null || config.consumer.claim === null) return [];
  const othersMayHaveSet = new Set(spoofed(request, config, true));
  return spoofed(request, config).filter((name) => !othersMayHaveSet.has(name));
}

/** The mapped claims as upstream headers (frozen: shared by every request with the same token), or 'unsafe'. */
const claimHeaders = perClaims((claims: Claims, mappings: readonly ClaimHeaderMapping[]): Readonly<Record<string, string>> | 'unsafe' => {
  const headers: Record<string, string> = {};
  for (const mapping of mappings) {
    const value = headerValueFor(claims, mapping);
    if (value.kind === 'unsafe') return 'unsafe';
    if (value.kind === 'value') headers[mapping.header] = value.value;
  }
  return Object.freeze(headers);
});

const POLICY_REFUSALS: Record<'rule_unmatched' | 'path_ambiguous', string> = {
  rule_unmatched: 'No access rule covers this request',
  path_ambiguous: 'The request path is ambiguous',
};

/**
 * hide_credentials: the token leaves the request where it came from, and every spelling of each
 * configured source that upstreams read as its name goes too (credential-spellings.ts), so no
 * second, unverified token reaches the upstream. No PDK call unless something is removed.
 */
function hideCredential(allow: Allow, request: RequestView, config: PluginConfig, source: TokenSource | null): Allow {
  const { cookie, queryParam } = config.tokenSources;
  const clearHeaders = [...allow.clearHeaders, ...tokenHeaderSpellings(request.headers, config.tokenHeader)];
  if (source === 'header') clearHeaders.push(config.tokenHeader);
  let { setHeaders, rawQuery } = allow;
  const cookies = cookie === null ? null : cookieWithoutSpellings(request.headers, cookie);
  if (cookies === '') clearHeaders.push('cookie');
  else if (cookies !== null) {
    setHeaders = { ...setHeaders, Cookie: cookies };
    // Cleared too, for the guard's post-function that sets it later (access.ts); otherwise set_headers replaces it.
    clearHeaders.push('cookie');
  }
  if (queryParam !== null && request.rawQuery !== null) rawQuery = queryWithoutSpellings(request.rawQuery, queryParam) ?? rawQuery;
  return { ...allow, setHeaders, clearHeaders, rawQuery };
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
function anonymousOr(request: RequestView, config: PluginConfig, denial: Deny, source: TokenSource | null): Allow | Deny {
  const anonymous = config.consumer.anonymous;
  if (anonymous === null) return denial;
  const allow: Allow = {
    kind: 'allow',
    setHeaders: {},
    clearHeaders: spoofed(request, config),
    clearUnlessAuthenticated: [],
    rawQuery: null,
    claims: {},
    consumer: { value: anonymous, lookup: 'any', required: true, anonymous: true, credential: null },
    sharedClaimsKey: null,
  };
  return config.hideCredentials ? hideCredential(allow, request, config, source) : allow;
}
