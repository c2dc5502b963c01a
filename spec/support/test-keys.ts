// Real signing keys and Okta-shaped access tokens for unit tests, plus an in-memory KeySet that
// serves the public keys the way plugin/keys does (a jose local JWK set).
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { randomUUID } from 'node:crypto';
import { KeySetError, type KeySet } from '../../plugin/keys';

export const TEST_ISSUER = 'https://dev-123.okta.com/oauth2/default';
export const TEST_AUDIENCE = 'api://default';

export interface TestSigner {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function newSigner(alg = 'RS256'): Promise<TestSigner> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** Okta access-token claims, valid for an hour from now; `overrides` replace or (with undefined) remove claims. */
export function oktaClaims(overrides: Record<string, unknown> = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    ver: 1,
    jti: `AT.${randomUUID()}`,
    iss: TEST_ISSUER,
    aud: TEST_AUDIENCE,
    iat: now,
    exp: now + 3600,
    cid: '0oa1devclientid',
    uid: '00u1devuserid',
    scp: ['orders:read', 'openid'],
    auth_time: now - 60,
    sub: 'alice@example.com',
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete claims[k];
    else claims[k] = v;
  }
  return claims as JWTPayload;
}

export async function signToken(signer: TestSigner, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: signer.alg, kid: signer.kid, ...header }).sign(signer.privateKey);
}

/** A KeySet over fixed public keys; `unavailable` makes it behave as an unreachable issuer with nothing cached. */
export function staticKeySet(jwks: JWK[], opts: { unavailable?: boolean } = {}): KeySet & { lookups: number } {
  const local = createLocalJWKSet({ keys: jwks });
  const kids = new Set(jwks.map((k) => k.kid));
  const set = {
    lookups: 0,
    async getKey(header: { alg?: string; kid?: string }) {
      set.lookups++;
      if (opts.unavailable) throw new KeySetError('keys_unavailable', 'issuer unreachable', 7);
      try {
        return await local(header as Parameters<typeof local>[0]);
      } catch {
        throw new KeySetError('key_not_found', 'no key for this kid');
      }
    },
    stillTrusts: (kid: string | undefined) => kid !== undefined && kids.has(kid),
    warm: () => undefined,
  };
  return set;
}
