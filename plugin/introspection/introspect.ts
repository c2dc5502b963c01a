// Token introspection (RFC 7662) for the requests a policy marks (when.ts): is this verified token
// still active at its authorization server? Answers are reused (results.ts, and through Redis when
// configured, so one node's answer serves the others); concurrent requests for one token share one
// call (single flight). The endpoint is the introspection_endpoint of the token's issuer, found by
// discovery; the key set's limits apply (connect timeout, body size, egress proxy), with the
// introspection's own overall timeout.
// The endpoint failing is never a pass: 503 with Retry-After, or with unavailable "grace" the last
// "active" answer while it is at most grace_seconds old.
import type { IntrospectionSettings, PluginConfig, RedisSettings } from '../config/types';
import { clock } from '../cache/clock';
import { BoundedLru } from '../cache/bounded-lru';
import { discoverEndpoints } from '../keys/discovery';
import { FetchFailure, httpPostFormJson, type HttpLimits } from '../keys/http-get-json';
import { warnOncePerInterval } from '../log/throttled-warning';
import { metricsSink } from '../metrics/sink';
import { sharedStoreFor, StoreUnavailable } from '../state/shared-store';
import { assertionAuthentication, basicAuthentication } from './client-auth';
import { answerKey, isFresh, keepForMs, mayHoldInactive, storeAnswer, storedAnswer, type IntrospectionAnswer } from './results';

export type IntrospectionVerdict = { kind: 'active' } | { kind: 'inactive' } | { kind: 'unavailable'; retryAfterSeconds: number };

/** Seconds a client is told to wait when the endpoint cannot answer. */
export const INTROSPECTION_RETRY_AFTER_SECONDS = 5;
/** Discovered endpoints are re-discovered after this long (Okta's metadata changes rarely). */
const ENDPOINT_TTL_MS = 3_600_000;
const MAX_ENDPOINTS = 100;

const endpoints = new BoundedLru<string, { url: URL; untilMs: number }>(MAX_ENDPOINTS);
/** Calls in flight, by answer key: at most one per token at a time. */
const inflight = new Map<string, Promise<IntrospectionAnswer | Error>>();

const ACTIVE = Object.freeze({ kind: 'active' as const });
const INACTIVE = Object.freeze({ kind: 'inactive' as const });

/** The verdict for a token that verified (its iss and exp are checked claims). */
export async function introspect(token: string, issuer: string, expSeconds: number, config: PluginConfig, settings: IntrospectionSettings): Promise<IntrospectionVerdict> {
  const key = answerKey(issuer, settings.clientId, token);
  const known = storedAnswer(key);
  if (known !== undefined && isFresh(known, settings.cacheTtlSeconds)) return known.active ? ACTIVE : INACTIVE;
  let call = inflight.get(key);
  if (call === undefined) {
    call = lookUp(key, token, issuer, expSeconds * 1000, config.redis, settings).finally(() => inflight.delete(key));
    inflight.set(key, call);
  }
  const answer = await call;
  if (!(answer instanceof Error)) return answer.active ? ACTIVE : INACTIVE;
  const last = storedAnswer(key);
  if (settings.unavailable === 'grace' && last !== undefined && last.active && clock.now() - last.checkedAtMs <= settings.graceSeconds * 1000) {
    warnOncePerInterval('introspection-grace', `token introspection failed (${answer.message}); accepting tokens last seen active within introspection.grace_seconds`);
    return ACTIVE;
  }
  warnOncePerInterval('introspection-refuse', `token introspection failed (${answer.message}); requests that need it are refused with 503`);
  return { kind: 'unavailable', retryAfterSeconds: INTROSPECTION_RETRY_AFTER_SECONDS };
}

/**
 * Whether this node already knows the token inactive (until its exp: an inactive token never
 * becomes active again). For a request a sample did not draw: no endpoint call, no Redis.
 */
export function knownInactive(token: string, issuer: string, settings: IntrospectionSettings): boolean {
  return mayHoldInactive() && storedAnswer(answerKey(issuer, settings.clientId, token))?.active === false;
}

/** The shared store's answer when fresh, else the endpoint's (stored in both); an Error when the endpoint failed. */
async function lookUp(key: string, token: string, issuer: string, expiresAtMs: number, redis: RedisSettings | null, settings: IntrospectionSettings): Promise<IntrospectionAnswer | Error> {
  const shared = redis === null ? undefined : await sharedAnswer(redis, key);
  if (shared !== undefined) storeAnswer(key, shared);
  if (shared !== undefined && isFresh(shared, settings.cacheTtlSeconds)) return shared;
  const started = performance.now();
  let answer: IntrospectionAnswer;
  try {
    answer = { active: await askEndpoint(token, issuer, settings), checkedAtMs: clock.now(), expiresAtMs };
  } catch (err) {
    metricsSink()?.introspection('error', (performance.now() - started) / 1000);
    return err instanceof Error ? err : new Error('introspection failed');
  }
  metricsSink()?.introspection(answer.active ? 'active' : 'inactive', (performance.now() - started) / 1000);
  storeAnswer(key, answer);
  if (redis !== null) {
    const keepMs = keepForMs(answer, settings.cacheTtlSeconds, settings.unavailable === 'grace' ? settings.graceSeconds : 0);
    if (keepMs > 0) {
      // Not awaited: the answer is known; sharing it must not delay this request.
      sharedStoreFor(redis).put(`introspection:${key}`, JSON.stringify([answer.active, answer.checkedAtMs, answer.expiresAtMs]), keepMs).catch(warnStore);
    }
  }
  return answer;
}

function warnStore(err: unknown): void {
  const what = err instanceof StoreUnavailable ? err.message : 'Redis failed';
  warnOncePerInterval('introspection-redis', `introspection answers are not shared through Redis (${what}); each node asks the endpoint itself`);
}

/** An answer another node stored, or undefined (none, unreadable, or Redis failing: the endpoint is asked then). */
async function sharedAnswer(redis: RedisSettings, key: string): Promise<IntrospectionAnswer | undefined> {
  let text: string | null;
  try {
    text = await sharedStoreFor(redis).get(`introspection:${key}`);
  } catch (err) {
    warnStore(err);
    return undefined;
  }
  if (text === null) return undefined;
  try {
    const [active, checkedAtMs, expiresAtMs] = JSON.parse(text) as unknown[];
    if (typeof active === 'boolean' && Number.isFinite(checkedAtMs) && Number.isFinite(expiresAtMs)) return { active, checkedAtMs: checkedAtMs as number, expiresAtMs: expiresAtMs as number };
  } catch {
    // Not ours, or from an incompatible version: ask the endpoint.
  }
  return undefined;
}

/** One POST to the endpoint: true when it says active (RFC 7662 §2.2). Throws FetchFailure otherwise-unanswered. */
async function askEndpoint(token: string, issuer: string, settings: IntrospectionSettings): Promise<boolean> {
  const deadline = AbortSignal.timeout(settings.timeoutMs);
  const limits: HttpLimits = { connectTimeoutMs: Math.min(settings.connectTimeoutMs, settings.timeoutMs), maxBodyBytes: settings.maxBodyBytes, proxyUrl: settings.proxyUrl };
  const endpoint = await endpointOf(issuer, limits, deadline);
  const auth = settings.auth.method === 'client_secret_basic'
    ? basicAuthentication(settings.clientId, settings.auth.secret)
    : await assertionAuthentication(settings.clientId, settings.auth.signing, endpoint);
  const form = new URLSearchParams({ token, token_type_hint: 'access_token', ...auth.params }).toString();
  const { json } = await httpPostFormJson(endpoint, { form, headers: auth.headers }, limits, deadline);
  const active = typeof json === 'object' && json !== null ? (json as Record<string, unknown>).active : undefined;
  if (typeof active !== 'boolean') throw new FetchFailure('the introspection answer has no boolean "active"');
  return active;
}

async function endpointOf(issuer: string, limits: HttpLimits, deadline: AbortSignal): Promise<URL> {
  const known = endpoints.get(issuer);
  if (known !== undefined && clock.now() < known.untilMs) return known.url;
  const { introspectionEndpoint } = await discoverEndpoints(issuer, limits, deadline);
  if (introspectionEndpoint === null) throw new FetchFailure('the issuer metadata names no usable introspection_endpoint');
  endpoints.set(issuer, { url: introspectionEndpoint, untilMs: clock.now() + ENDPOINT_TTL_MS });
  return introspectionEndpoint;
}

/** Tests only: forget discovered endpoints. */
export function clearIntrospectionEndpoints(): void {
  endpoints.clear();
}
