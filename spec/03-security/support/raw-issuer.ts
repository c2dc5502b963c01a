// A second, minimal issuer for the security suite whose private key the tests hold, so they can
// sign hand-assembled header and payload TEXT (duplicate JSON members, invalid UTF-8, a payload
// that is not an object, crafted signatures): tokens jose and the dev issuer refuse to produce.
// It serves only its JWKS, counts every request, and can publish extra keys (e.g. a second key
// without kid for case 61). The plugin must never sign anything like this; tests may.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSign, generateKeyPairSync, randomUUID, sign as rawSign, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

export const AUDIENCE = 'api://default';

export interface RawKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JWK;
}

export function newRsaKey(kid: string = randomUUID(), modulusLength = 2048): RawKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  return { kid, privateKey, publicJwk: { ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg: 'RS256', use: 'sig' } };
}

export const b64url = (data: string | Uint8Array): string => Buffer.from(data).toString('base64url');

/** RS256 (RSASSA-PKCS1-v1_5 with SHA-256) over the exact signing input. */
export function rs256(signingInput: string, key: KeyObject): string {
  return createSign('RSA-SHA256').update(signingInput).sign(key).toString('base64url');
}

export interface RawIssuer {
  issuer: string;
  jwksUri: string;
  key: RawKey;
  /** Keys published in the JWKS (key first). */
  published: JWK[];
  /** Requests the JWKS endpoint received. */
  requests(): number;
  /** Answer every JWKS request with this status (an outage) until called with null. */
  fail(status: number | null): void;
  /** Okta-shaped access-token claims for this issuer, valid for an hour; undefined removes a claim. */
  claims(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** A token from exactly this header and payload text or bytes, signed RS256 with `key` (default the published key). */
  signText(headerJson: string | Uint8Array, payloadJson: string | Uint8Array, key?: KeyObject): string;
  /** signText over JSON.stringify of the objects; the header defaults to {alg: RS256, kid}. */
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>, key?: KeyObject): string;
  close(): Promise<void>;
}

export async function startRawIssuer(): Promise<RawIssuer> {
  const key = newRsaKey();
  const published: JWK[] = [key.publicJwk];
  let count = 0;
  let failing: number | null = null;
  const server = http.createServer((req, res) => {
    count++;
    if (failing !== null) {
      res.writeHead(failing, { 'Content-Type': 'application/json' });
      return void res.end('{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests."}');
    }
    const body = JSON.stringify({ keys: published });
    res.writeHead(req.url === '/oauth2/raw/v1/keys' ? 200 : 404, { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=3600' });
    res.end(req.url === '/oauth2/raw/v1/keys' ? body : '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/raw`;
  const signText = (headerJson: string | Uint8Array, payloadJson: string | Uint8Array, signWith: KeyObject = key.privateKey) => {
    const input = `${b64url(headerJson)}.${b64url(payloadJson)}`;
    return `${input}.${rs256(input, signWith)}`;
  };
  return {
    issuer,
    jwksUri: `${issuer}/v1/keys`,
    key,
    published,
    requests: () => count,
    fail: (status) => {
      failing = status;
    },
    claims(overrides = {}) {
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = {
        ver: 1, jti: `AT.${randomUUID()}`, iss: issuer, aud: AUDIENCE, iat: now, exp: now + 3600,
        cid: '0oa1rawclient', uid: '00u1rawuser', scp: ['orders:read'], auth_time: now - 60, sub: 'raw.user@example.com',
      };
      for (const [k, v] of Object.entries(overrides)) {
        if (v === undefined) delete claims[k];
        else claims[k] = v;
      }
      return claims;
    },
    signText,
    sign: (claims, header = { alg: 'RS256', kid: key.kid }, signWith) => signText(JSON.stringify(header), JSON.stringify(claims), signWith),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A raw signature with node:crypto for algorithms beyond RS256 (PS256, RS512 …) over an exact input. */
export function signWith(algorithm: string, signingInput: string, key: KeyObject, options: Record<string, unknown> = {}): string {
  return rawSign(algorithm, Buffer.from(signingInput), { key, ...options }).toString('base64url');
}
