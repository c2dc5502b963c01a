// The Kong edge of the access phase: read the request in as few PDK calls as possible (one on the
// common path), decide, apply the decision in as few as possible (one set_headers on the common
// path, and one kong.ctx.shared.set with fail_closed_guard). Every PDK call is a socket round trip to Kong.
//
// Fail closed: the plugin server reports a thrown handler to Kong as success and Kong then proxies
// the request, so everything here is caught and answered with kong.response.exit.
import type { PluginConfig } from '../config/types';
import { decide, mayLogRequest, requestNeeds, type RequestNeeds } from '../core/decide';
import type { Allow, Decision, Deny, Observe, Pass } from '../vocabulary/decision';
import type { RequestView } from '../vocabulary/request';
import { consumerHeaders } from '../forward/consumer-headers';
import { challenge, internalError } from '../respond/deny';
import { hasQueuedWarnings, queueWarning, takeQueuedWarnings } from '../log/deferred-log';
import { LogGate } from '../log/request-line';
import { serializerRedactions } from '../log/serializer-redaction';
import { overrideQueryNeeded } from '../authorize/method-override';
import { stableUuid } from '../util/stable-uuid';
import { hasOwnKeys } from '../util/has-own-keys';
import type { KeySets } from '../verify/verify-token';
import { readTarget } from '../dpop/read-target';
import { metricsSink } from '../metrics/sink';
import { lookUpConsumer } from './consumer-lookup';
import { GUARD_SHARED_KEY, guardMark } from './guard-mark';
import type { HeaderMultiMap, Pdk } from './pdk';

/** Marks a request okta-jwt lets through, for the guard's post-function (guard-mark.ts). Set last. */
function markGuard(kong: Pdk, config: PluginConfig, setHeaders: Readonly<Record<string, string>> = NO_HEADERS): Promise<unknown> | undefined {
  return config.failClosedGuard ? kong.ctx.shared.set(GUARD_SHARED_KEY, guardMark(setHeaders)) : undefined;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** Kong's ceiling for get_headers. A request reaching it may hide a second credential: refused. */
const MAX_HEADERS = 1000;

function headerCount(headers: HeaderMultiMap): number {
  let count = 0;
  // for…in over own keys only: Kong's maps have no prototype (msgpack-decode.ts), plain objects nothing enumerable on theirs.
  for (const name in headers) {
    const values = headers[name];
    count += Array.isArray(values) ? Math.max(values.length, 1) : 1;
  }
  return count;
}

async function readRequest(kong: Pdk, config: PluginConfig, headers: HeaderMultiMap, needs: RequestNeeds): Promise<RequestView> {
  const method = needs.method ? await kong.request.getMethod() : null;
  return {
    headers,
    method,
    path: needs.path ? await kong.request.getPath() : null,
    rawQuery: needs.rawQuery || overrideQueryNeeded(config, method) ? ((await kong.request.getRawQuery()) ?? '') : null,
    alreadyAuthenticated: needs.credential ? (await kong.client.getCredential()) != null : false,
    target: needs.target === 'none' ? null : await readTarget(kong, needs.target === 'origin_and_path'),
  };
}

function headersOnly(headers: HeaderMultiMap): RequestView {
  return { headers, method: null, path: null, rawQuery: null, alreadyAuthenticated: false, target: null };
}

export async function handleAccess(kong: Pdk, config: PluginConfig, keySets: KeySets): Promise<void> {
  let gate: LogGate | null = null;
  try {
    const headers = await kong.request.getHeaders(MAX_HEADERS);
    if (headers === null || typeof headers !== 'object') throw new Error('kong.request.get_headers returned no table');
    gate = new LogGate(kong, config, headers);
    // First, so every outcome below is covered; queued without waiting (the plugin server sends calls in order).
    for (const { key, value } of serializerRedactions(config, headers)) void kong.log.setSerializeValue(key, value, { mode: 'replace' });
    let decision: Decision;
    if (headerCount(headers) < MAX_HEADERS) {
      const needs = requestNeeds(config, headers);
      // The common case needs nothing beyond the headers: no PDK call, so no await either.
      const request = needs === null ? headersOnly(headers) : await readRequest(kong, config, headers, needs);
      if (!mayLogRequest(request, config)) gate.markUnsafe();
      if (request.target) gate.useTarget(request.target.pathWithQuery);
      const decided = decide(request, config, keySets);
      decision = decided instanceof Promise ? await decided : decided;
    } else {
      decision = challenge(config.realm, 'request_invalid', 'The request has too many headers');
    }
    // Queued warnings wait for a request whose log lines cannot carry a token.
    if (hasQueuedWarnings() && (await gate.mayLog())) await kong.log.warn(takeQueuedWarnings()!);
    await applyDecision(kong, decision, config, gate);
  } catch (err) {
    await refuseAfterInternalError(kong, err, config, gate);
  }
}

/** Every kong.log line asks `gate` first (request-line.ts); the serializer value is always set. */
function applyDecision(kong: Pdk, decision: Decision, config: PluginConfig, gate: LogGate): Promise<void> {
  switch (decision.kind) {
    case 'pass':
      return pass(kong, decision, config);
    case 'deny':
      return deny(kong, decision, config, gate);
    case 'observe':
      return observe(kong, decision, config, gate);
    case 'allow':
      return allow(kong, decision, config, gate);
  }
}

async function pass(kong: Pdk, decision: Pass, config: PluginConfig): Promise<void> {
  metricsSink()?.decision('pass', null, null, config.scope);
  await clearAll(kong, decision.clearHeaders);
  await markGuard(kong, config);
}

async function deny(kong: Pdk, decision: Deny, config: PluginConfig, gate: LogGate): Promise<void> {
  metricsSink()?.decision('deny', decision.status, decision.reason, config.scope);
  await reportRefusal(kong, decision, config, gate);
  // exit is terminal: Kong sends no reply and no further call may follow it.
  void kong.response.exit(decision.status, decision.body, decision.headers);
}

/**
 * One log line and one serializer value per refusal (each a PDK call, queued without waiting; the
 * plugin server sends them before the exit that follows). Only safe identifiers: never the token.
 */
async function reportRefusal(kong: Pdk, deny: Deny, config: PluginConfig, gate: LogGate): Promise<void> {
  const { level, serialize } = config.refusalLog;
  const detail = deny.detail ?? {};
  if (level !== 'none' && (await gate.mayLog())) {
    const context = [
      `status=${deny.status}`,
      `reason=${deny.reason}`,
      config.scope.routeId !== null ? `route=${config.scope.routeId}` : null,
      config.scope.serviceId !== null ? `service=${config.scope.serviceId}` : null,
      detail.cid !== undefined ? `cid=${detail.cid}` : null,
      detail.jti !== undefined ? `jti=${detail.jti}` : null,
      detail.tokenSha256 !== undefined ? `token_sha256=${detail.tokenSha256}` : null,
    ].filter((part) => part !== null);
    void kong.log[level](`okta-jwt refused the request: ${context.join(' ')}`);
  }
  if (serialize) void kong.log.setSerializeValue('okta_jwt', { reason: deny.reason, status: deny.status, ...detail });
}

/** Dry-run: record what would have happened, remove spoofable headers, let the request through. */
async function observe(kong: Pdk, decision: Observe, config: PluginConfig, gate: LogGate): Promise<void> {
  const { status, reason } = decision.wouldDeny;
  metricsSink()?.decision('observe', status, reason, config.scope);
  if (await gate.mayLog()) await kong.log.notice(`okta-jwt dry-run: would refuse with ${status} (${reason})`);
  await kong.log.setSerializeValue('okta_jwt', { dry_run: true, would_refuse: status, reason });
  await clearAll(kong, decision.clearHeaders);
  await markGuard(kong, config);
}

/** One clear_header per name: only names the client sent, so usually none (and then no promise). */
function clearAll(kong: Pdk, names: readonly string[]): Promise<void> | undefined {
  return names.length === 0 ? undefined : clearEach(kong, names);
}

async function clearEach(kong: Pdk, names: readonly string[]): Promise<void> {
  for (const name of names) await kong.service.request.clearHeader(name);
}

async function allow(kong: Pdk, decision: Allow, config: PluginConfig, gate: LogGate): Promise<void> {
  // Shared and frozen (a cached token's headers): copied only when consumer headers join it.
  let setHeaders: Readonly<Record<string, string>> = decision.setHeaders;
  if (decision.consumer !== null) {
    const request = decision.consumer;
    const consumer = await lookUpConsumer(kong, request);
    if (consumer === null && request.anonymous) throw new Error('the anonymous consumer configured for okta-jwt does not exist');
    if (consumer === null && request.required) {
      return applyDecision(kong, challenge(config.realm, 'consumer_not_found', 'No consumer is registered for this token'), config, gate);
    }
    if (consumer !== null) {
      if (request.credential === null) await kong.client.authenticate(consumer);
      else await kong.client.authenticate(consumer, { id: stableUuid(`${config.identity}\n${request.credential}`), consumer_id: consumer.id });
      setHeaders = { ...setHeaders, ...consumerHeaders(consumer, request.credential, request.anonymous) };
    }
  }
  let clearHeaders = decision.clearHeaders;
  // Nobody authenticated the request, so those consumer headers can only be the client's.
  if (decision.clearUnlessAuthenticated.length > 0 && (await kong.client.getCredential()) == null) {
    clearHeaders = [...clearHeaders, ...decision.clearUnlessAuthenticated];
  }
  if (config.failClosedGuard) {
    // The post-function sets the headers, after the plugins between: those must not see a client's
    // value for a name okta-jwt will set, so every such name the client sent is cleared now.
    const cleared = clearAll(kong, clearHeaders);
    if (cleared !== undefined) await cleared;
  } else {
    if (hasOwnKeys(setHeaders)) await kong.service.request.setHeaders(setHeaders);
    if (clearHeaders.length > 0) {
      // set_headers already replaced every value of the names it set; clearing them again would undo it.
      const setNames = new Set(Object.keys(setHeaders).map((n) => n.toLowerCase()));
      await clearAll(kong, clearHeaders.filter((name) => !setNames.has(name.toLowerCase())));
    }
  }
  if (decision.rawQuery !== null) await kong.service.request.setRawQuery(decision.rawQuery);
  if (decision.sharedClaimsKey !== null) await kong.ctx.shared.set(decision.sharedClaimsKey, decision.claims);
  const marked = markGuard(kong, config, setHeaders);
  if (marked !== undefined) await marked;
  // Counted once applied: a missing required consumer turns an allow into a refusal, a failed PDK call into internal_error.
  metricsSink()?.decision('allow', null, null, config.scope);
}

/**
 * Logs the failure class (the error's name and message: never a token or key) and denies. Both
 * calls are queued without waiting; the plugin server sends them to Kong in order. When the
 * request line may hold a token (or that cannot be known) the line is deferred instead (stderr
 * now, Kong's log with a later request).
 */
async function refuseAfterInternalError(kong: Pdk, err: unknown, config: PluginConfig, gate: LogGate | null): Promise<void> {
  const denial = internalError();
  try {
    metricsSink()?.decision('deny', denial.status, denial.reason, config.scope);
  } catch {
    // Counting must never keep the refusal below from being sent.
  }
  const what = err instanceof Error ? `${err.name}: ${err.message}` : 'a non-error value was thrown';
  const line = `okta-jwt: request refused after an internal error (${what.slice(0, 300)})`;
  if (gate !== null && (await gate.mayLog().catch(() => false))) void kong.log.err(line);
  else queueWarning(line);
  void kong.response.exit(denial.status, denial.body, denial.headers);
}
