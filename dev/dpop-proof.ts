// DPoP (RFC 9449) proofs for development and tests: a client key pair, its RFC 7638 thumbprint
// (the cnf.jkt the dev issuer binds a token to) and proof JWTs for a method, URI and token.
// Overrides let tests build the broken proofs a resource server must refuse.
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface DpopKey {
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** RFC 7638 SHA-256 thumbprint of the public key: the token's cnf.jkt. */
  jkt: string;
}

export async function createDpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const { key_ops: _ops, ext: _ext, ...publicJwk } = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

export interface ProofOptions {
  htm: string;
  htu: string;
  /** The access token the proof accompanies (its hash becomes ath); omitted: no ath. */
  accessToken?: string;
  /** Claims to add or override (a member set to undefined is dropped), e.g. iat, jti, ath. */
  claims?: Record<string, unknown>;
  /** Header members to add or override, e.g. typ, or a jwk with private members. */
  header?: Record<string, unknown>;
}

/** base64url(SHA-256(token)): a proof's ath (RFC 9449 §4.2). */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export async function dpopProof(key: DpopKey, options: ProofOptions): Promise<string> {
  const payload: Record<string, unknown> = {
    jti: randomUUID(),
    htm: options.htm,
    htu: options.htu,
    iat: Math.floor(Date.now() / 1000),
    ...(options.accessToken !== undefined ? { ath: accessTokenHash(options.accessToken) } : {}),
    ...options.claims,
  };
  const header = { typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...options.header };
  return new SignJWT(JSON.parse(JSON.stringify(payload)) as Record<string, unknown>)
    .setProtectedHeader(JSON.parse(JSON.stringify(header)) as { alg: string })
    .sign(key.privateKey);
}
