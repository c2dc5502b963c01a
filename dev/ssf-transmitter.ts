// The dev issuer as a Shared Signals transmitter, the way an Okta org is one. DEV ONLY. On the
// issuer's origin (the org), with keys of its own:
//   GET /.well-known/ssf-configuration   SSF transmitter metadata (issuer = the origin, jwks_uri, delivery methods)
//   GET /ssf/v1/keys                     the JWKS its SETs are signed with
// and, as test controls of any authorization server ({as}/v1/dev/control, see issuer-controls.ts):
//   POST …/ssf/set    SetRequest                          -> {set}            a signed SET
//   POST …/ssf/push   SetRequest & {endpoint, authorization} -> {status, body} pushed as RFC 8935 does
// A SET carries one CAEP event for one user, subject in Okta's shape ({user: {format, ...}} in the
// event), the dev user by default.
import http from 'node:http';
import https from 'node:https';
import { DEV_USER_ID } from './dev-identity';
import { KeyRing, randomId, signCompactJws } from './issuer-keys';
import { sendJson } from './http-json';

export const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
export const CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';

export interface SetRequest {
  /** Default session-revoked. */
  event?: 'session-revoked' | 'credential-change' | string;
  /** A simple subject; default Okta's iss_sub of the dev user ({format: iss_sub, iss: <org>, sub: <user id>}). */
  subject?: Record<string, unknown>;
  /** Default now. */
  eventTimestamp?: number;
  /** Default the receiver's endpoint when pushed, else https://receiver.example. */
  aud?: string | string[];
  /** Claims overriding or adding to the SET's (iat, jti, iss, ...). */
  claims?: Record<string, unknown>;
  /** Header members overriding the SET's (typ, kid, ...); undefined drops one. */
  header?: Record<string, unknown>;
  /** 'foreign': signed with a key the transmitter never published. */
  key?: 'current' | 'foreign';
}

export interface PushRequest extends SetRequest {
  endpoint: string;
  authorization?: string;
  /** Send this body instead of the signed SET (oversized or garbage pushes). */
  rawBody?: string;
}

const EVENT_URIS: Record<string, string> = { 'session-revoked': SESSION_REVOKED, 'credential-change': CREDENTIAL_CHANGE };

function eventPayload(type: string, subject: Record<string, unknown>, eventTimestamp: number): Record<string, unknown> {
  const base = { subject: { user: subject }, event_timestamp: eventTimestamp, initiating_entity: 'admin' };
  // Okta's credential-change names the credential and what happened to it.
  return type === CREDENTIAL_CHANGE ? { ...base, credential_type: 'password', change_type: 'update' } : base;
}

export interface SsfTransmitter {
  /** The transmitter's issuer (the dev issuer's origin). */
  issuer: string;
  handle(res: http.ServerResponse, path: string, method: string): boolean;
  sign(request: SetRequest): Promise<string>;
  push(request: PushRequest): Promise<{ status: number; body: string }>;
}

export async function createSsfTransmitter(origin: string): Promise<SsfTransmitter> {
  const keys = new KeyRing('RS256');
  await keys.addCurrent();
  const issuer = origin;

  async function sign(request: SetRequest, defaultAud = 'https://receiver.example'): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const type = EVENT_URIS[request.event ?? 'session-revoked'] ?? request.event!;
    const subject = request.subject ?? { format: 'iss_sub', iss: issuer, sub: DEV_USER_ID };
    const payload: Record<string, unknown> = {
      iss: issuer,
      jti: randomId(16),
      iat: now,
      aud: request.aud ?? defaultAud,
      events: { [type]: eventPayload(type, subject, request.eventTimestamp ?? now) },
      ...request.claims,
    };
    const key = request.key === 'foreign' ? await keys.foreign() : keys.current();
    const header: Record<string, unknown> = { kid: key.kid, typ: 'secevent+jwt', alg: key.alg, ...request.header };
    for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
    return signCompactJws(header, payload, key, key.alg);
  }

  async function push(request: PushRequest): Promise<{ status: number; body: string }> {
    const body = request.rawBody ?? (await sign(request, request.endpoint));
    const url = new URL(request.endpoint);
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = client.request(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/secevent+jwt',
          Accept: 'application/json',
          'Content-Length': Buffer.byteLength(body),
          ...(request.authorization !== undefined ? { Authorization: request.authorization } : {}),
        },
        timeout: 10_000,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('push timed out')));
      req.on('error', reject);
      req.end(body);
    });
  }

  function handle(res: http.ServerResponse, path: string, method: string): boolean {
    if (method === 'GET' && path === '/.well-known/ssf-configuration') {
      sendJson(res, 200, {
        spec_version: '1_0-ID2',
        issuer,
        jwks_uri: `${issuer}/ssf/v1/keys`,
        delivery_methods_supported: ['urn:ietf:rfc:8935', 'https://schemas.openid.net/secevent/risc/delivery-method/push'],
        configuration_endpoint: `${issuer}/api/v1/ssf/stream`,
        verification_endpoint: `${issuer}/api/v1/ssf/stream/verification`,
      }, { 'Cache-Control': 'max-age=86400' });
      return true;
    }
    if (method === 'GET' && path === '/ssf/v1/keys') {
      sendJson(res, 200, keys.jwks(), { 'Cache-Control': 'max-age=3600' });
      return true;
    }
    return false;
  }

  return { issuer, handle, sign, push };
}
