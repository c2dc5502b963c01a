// The dev issuer driven over HTTP (dev/issuer-controls.ts), so scenarios that rotate keys, take the
// issuer down or use a second authorization server run the same against the double and a real Kong.
import type { IssuerFault, MintOptions } from '../../dev/issuer';
import type { PushRequest, SetRequest } from '../../dev/ssf-transmitter';
import { CONTROL_PREFIX } from '../../dev/issuer-controls';
import { DEV_CLIENT_ID, DEV_CLIENT_SECRET } from '../../dev/dev-identity';
import { send } from './http-client';

export interface IssuerControl {
  /** The issuer string inside its tokens (what the plugin config names). */
  issuer: string;
  mint(claims?: Record<string, unknown>, options?: MintOptions): Promise<string>;
  /** A new current signing key; the old ones stay published unless retireOld. */
  rotate(options?: { retireOld?: boolean }): Promise<{ kid: string }>;
  retire(kid: string): Promise<void>;
  currentKid(): Promise<string>;
  /** Misbehaviour of discovery and key set (null: healthy again). */
  setFault(fault: IssuerFault | null): Promise<void>;
  setCacheMaxAge(seconds: number): Promise<void>;
  requestCount(endpoint?: 'discovery' | 'jwks' | 'introspect' | 'all'): Promise<number>;
  /** Revokes a token at the issuer's revocation endpoint (RFC 7009), as a client would. */
  revoke(token: string): Promise<void>;
  resetCounts(): Promise<void>;
  /** Another authorization server of the same dev issuer, under `path` (e.g. /oauth2/aus2nd). */
  authServer(path: string): Promise<IssuerControl>;
  /** The dev issuer's SSF transmitter: its issuer (the origin of `issuer`), signed SETs, pushes. */
  ssf: {
    issuer: string;
    sign(request?: SetRequest): Promise<string>;
    push(request: PushRequest): Promise<{ status: number; body: string }>;
  };
}

/**
 * `url`: the authorization server as the tests reach it (e.g. http://127.0.0.1:9000/oauth2/default);
 * `issuer`: the same as Kong reaches it and tokens name it (differs behind docker).
 */
export function issuerControl(url: string, issuer: string): IssuerControl {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await send(method, url + path, body === undefined ? [] : [['Content-Type', 'application/json']], body === undefined ? undefined : JSON.stringify(body));
    if (res.status >= 300) throw new Error(`dev issuer ${method} ${path}: ${res.status} ${res.text}`);
    return (res.text ? res.json() : undefined) as T;
  };
  const control = <T>(method: string, path: string, body?: unknown) => call<T>(method, CONTROL_PREFIX + path, body);
  return {
    issuer,
    mint: async (claims, options) => (await call<{ access_token: string }>('POST', '/v1/dev/mint', { claims, options })).access_token,
    rotate: (options = {}) => control('POST', '/keys/rotate', options),
    retire: async (kid) => void (await control('POST', '/keys/retire', { kid })),
    currentKid: async () => (await control<{ kid: string }>('GET', '/keys/current')).kid,
    setFault: async (fault) => void (await control('PUT', '/fault', fault)),
    setCacheMaxAge: async (seconds) => void (await control('PUT', '/cache-max-age', { seconds })),
    requestCount: async (endpoint = 'all') => (await control<Record<string, number>>('GET', '/requests'))[endpoint]!,
    resetCounts: async () => void (await control('DELETE', '/requests')),
    ssf: {
      issuer: new URL(issuer).origin,
      sign: async (request = {}) => (await control<{ set: string }>('POST', '/ssf/set', request)).set,
      push: (request) => control('POST', '/ssf/push', request),
    },
    revoke: async (token) => {
      const basic = Buffer.from(`${DEV_CLIENT_ID}:${DEV_CLIENT_SECRET}`).toString('base64');
      const res = await send('POST', `${url}/v1/revoke`, [['Authorization', `Basic ${basic}`], ['Content-Type', 'application/x-www-form-urlencoded']], new URLSearchParams({ token }).toString());
      if (res.status !== 200) throw new Error(`dev issuer /v1/revoke: ${res.status} ${res.text}`);
    },
    authServer: async (path) => {
      const added = await control<{ issuer: string }>('POST', '/authorization-servers', { path });
      return issuerControl(new URL(url).origin + path, added.issuer);
    },
  };
}
