// Proof keys, imported once: a DPoP client signs every proof with the same key, and importing a
// JWK plus its RFC 7638 thumbprint cost more than the signature check itself. Keyed by the exact
// JSON of the (public, already checked) jwk and the alg, so an entry is a pure function of its key.
import { calculateJwkThumbprint, importJWK, type CryptoKey, type JWK } from 'jose';
import { BoundedLru } from '../cache/bounded-lru';

export interface ProofKey {
  key: CryptoKey | Uint8Array;
  /** RFC 7638 SHA-256 thumbprint: what the token's cnf.jkt must be. */
  thumbprint: string;
}

const MAX_KEYS = 10_000;
const imported = new BoundedLru<string, ProofKey>(MAX_KEYS);

/** Throws what importJWK throws for a key jose cannot use with this alg. */
export async function proofKey(jwk: JWK, alg: string): Promise<ProofKey> {
  const id = `${alg}\n${JSON.stringify(jwk)}`;
  const cached = imported.get(id);
  if (cached !== undefined) return cached;
  const entry = { key: await importJWK(jwk, alg), thumbprint: await calculateJwkThumbprint(jwk, 'sha256') };
  imported.set(id, entry);
  return entry;
}
