// A Shared Signals receiver on a Kong route (ssf_receiver.transmitter_issuer set): the transmitter
// POSTs one SET per request (RFC 8935 push delivery) and gets 202, or 400 with {err, description}.
// On the route, Kong's TLS, routing and access control apply as to any other.
//
// Cheapest refusals first: the transmitter's Authorization value (constant time) before the method,
// the media type and the declared length; the body is read (kong.request.get_raw_body) only for an
// authenticated request, and its size is bounded twice (ours, and Kong's client_body_buffer_size:
// a body nginx buffered to a file reaches the plugin as nothing). Nothing changes state until the
// SET passed every check; then its revocations are recorded on this node and, with revocations.sync
// "redis", in the shared list (once per jti across every node) — or the SET is refused and changes nothing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { PluginConfig, SsfReceiverSettings } from '../config/types';
import { headerValues, type HeaderMap } from '../vocabulary/request';
import type { Pdk } from '../handler/pdk';
import type { KeySet } from '../keys';
import { queueWarning } from '../log/deferred-log';
import { metricsSink } from '../metrics/sink';
import { recordRevocation, type Revocation } from '../revocation/revocation-list';
import { shareRevocations } from '../revocation/revocation-sync';
import { StoreUnavailable, STORE_RETRY_AFTER_SECONDS } from '../state/shared-store';
import { revocationsOf } from './caep-events';
import { verifySet, type SetErrorCode } from './security-event-token';
import { claimSetJti, releaseSetJti } from './set-replay';

export interface PushAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

const MAX_HEADERS = 1000;
const SET_MEDIA_TYPE = 'application/secevent+jwt';

const accepted = (): PushAnswer => ({ status: 202, body: {}, headers: {} });
const refused = (err: SetErrorCode, description: string): PushAnswer => ({ status: 400, body: { err, description }, headers: {} });
const unavailable = (description: string, retryAfterSeconds: number): PushAnswer => ({
  status: 503, body: { err: 'temporarily_unavailable', description }, headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
});

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The one Authorization value equals the configured one (compared as digests: constant time, no length leak). */
function authenticated(headers: HeaderMap, expected: string): boolean {
  const values = headerValues(headers, 'authorization');
  return values.length === 1 && typeof values[0] === 'string' && timingSafeEqual(digest(values[0]), digest(expected));
}

function single(headers: HeaderMap, name: string): string | null {
  const values = headerValues(headers, name);
  return values.length === 1 && typeof values[0] === 'string' ? values[0] : null;
}

function mediaType(headers: HeaderMap): string | null {
  return single(headers, 'content-type')?.split(';')[0]!.trim().toLowerCase() ?? null;
}

/** The body as text, or null when it is larger than `max` (or Kong kept it on disk). */
function bodyText(raw: unknown, max: number): string | null {
  if (typeof raw === 'string') return Buffer.byteLength(raw) <= max ? raw : null;
  if (raw instanceof Uint8Array) return raw.length <= max ? Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('utf8') : null;
  return null;
}

export async function handleSetPush(kong: Pdk, config: PluginConfig, receiver: SsfReceiverSettings, keySet: KeySet): Promise<void> {
  let answer: PushAnswer;
  try {
    answer = await receive(kong, config, receiver, keySet);
  } catch (err) {
    queueWarning(`okta-jwt SSF receiver: push refused after an internal error (${err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) : 'unknown'})`);
    answer = unavailable('The receiver failed; try again later', STORE_RETRY_AFTER_SECONDS);
  }
  const outcome = answer.status === 202 ? 'accepted' : answer.status === 503 ? 'unavailable' : String(answer.body.err);
  metricsSink()?.ssfSet(outcome);
  // Why a push was refused (fixed strings only, never the SET), for whoever sets up the stream; queued, not awaited.
  const { level } = config.refusalLog;
  if (answer.status !== 202 && level !== 'none') void kong.log[level](`okta-jwt SSF receiver refused a SET: status=${answer.status} err=${outcome} (${String(answer.body.description)})`);
  // exit is terminal: no further PDK call.
  void kong.response.exit(answer.status, answer.body, answer.headers);
}

async function receive(kong: Pdk, config: PluginConfig, receiver: SsfReceiverSettings, keySet: KeySet): Promise<PushAnswer> {
  const headers = await kong.request.getHeaders(MAX_HEADERS);
  if (headers === null || typeof headers !== 'object') throw new Error('kong.request.get_headers returned no table');
  if (!authenticated(headers, receiver.authorization)) return refused('authentication_failed', 'The transmitter is not authenticated');
  if ((await kong.request.getMethod()) !== 'POST') return { status: 405, body: { err: 'invalid_request', description: 'SETs are delivered with POST' }, headers: { Allow: 'POST' } };
  if (mediaType(headers) !== SET_MEDIA_TYPE) return refused('invalid_request', `The body must be ${SET_MEDIA_TYPE}`);
  const declared = single(headers, 'content-length');
  if (declared !== null && !(/^\d{1,10}$/.test(declared) && Number(declared) <= receiver.maxSetBytes)) return refused('invalid_request', 'The SET is too large');
  const jws = bodyText(await kong.request.getRawBody(), receiver.maxSetBytes);
  if (jws === null) return refused('invalid_request', 'The SET is too large');

  const verification = await verifySet(jws.trim(), receiver, keySet, config.allowedAlgorithms, config.leewaySeconds);
  if (!verification.ok) {
    return verification.err === 'keys_unavailable' ? unavailable(verification.description, verification.retryAfterSeconds) : refused(verification.err, verification.description);
  }
  const { set } = verification;
  const reading = revocationsOf(set, receiver, Date.now() / 1000);
  if (!reading.ok) return refused('invalid_request', reading.description);
  return record(config, receiver, set.jti, reading.revocations);
}

/** Records the SET's revocations once (its jti), shared through Redis with revocations.sync "redis". */
async function record(config: PluginConfig, receiver: SsfReceiverSettings, jti: string, revocations: Revocation[]): Promise<PushAnswer> {
  // As long as the SET can be accepted from now: an iat up to leeway ahead, then max age plus leeway.
  const windowMs = (receiver.maxSetAgeSeconds + 2 * config.leewaySeconds) * 1000;
  const issuer = receiver.transmitterIssuer;
  if (config.revocations.sync === 'redis' && config.redis !== null) {
    let shared;
    try {
      shared = await shareRevocations(config.redis, issuer, jti, windowMs, revocations, receiver.maxEntries);
    } catch (err) {
      if (!(err instanceof StoreUnavailable)) throw err;
      // Applied here at least (stricter is safe); the transmitter's retry shares it with the other nodes.
      recordLocally(revocations, receiver);
      return unavailable('The shared revocation list is unavailable; try again later', STORE_RETRY_AFTER_SECONDS);
    }
    if (shared === 'replayed') return refused('invalid_request', 'The SET was already received');
    if (shared === 'full') return unavailable('The revocation list is full; try again later', STORE_RETRY_AFTER_SECONDS);
    recordLocally(revocations, receiver);
    return accepted();
  }
  const claim = claimSetJti(issuer, jti, windowMs);
  if (claim === 'replayed') return refused('invalid_request', 'The SET was already received');
  if (claim === 'full' || !recordLocally(revocations, receiver)) {
    if (claim === 'first') releaseSetJti(issuer, jti);
    return unavailable('The revocation list is full; try again later', STORE_RETRY_AFTER_SECONDS);
  }
  return accepted();
}

/** False when some revocation found the list full (the others are recorded: stricter is safe). */
function recordLocally(revocations: Revocation[], receiver: SsfReceiverSettings): boolean {
  let complete = true;
  for (const revocation of revocations) if (recordRevocation(revocation, receiver.maxEntries) === 'full') complete = false;
  return complete;
}
