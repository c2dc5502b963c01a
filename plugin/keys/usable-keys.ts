// Turns a fetched JWK Set document into the keys we are willing to verify with. Entries that are
// not usable are skipped one by one (the rest of the set still counts): symmetric `oct` keys
// (algorithm confusion, RFC 8725 §2.1/§3.1), anything carrying private members, keys meant for
// encryption (`use`/`key_ops`), unknown key types or algorithms, RSA keys under 2048 bits, and
// entries jose cannot import. Every kept key has been imported once, so a malformed key is caught
// here and not on the request path.
import { importJWK, type JWK, type JSONWebKeySet } from 'jose';

export interface UsableKeys {
  jwks: JSONWebKeySet;
  /** kids of the kept keys. */
  kids: ReadonlySet<string>;
  /** Why entries were skipped, with counts (for the log; no key material). */
  skipped: Record<string, number>;
}

export class KeySetShapeError extends Error {}

/** Public-key members only: RSA (n, e), EC (crv, x, y), OKP (crv, x). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];

const SIGNATURE_ALGS = new Set([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
]);

/** The algorithm used to test-import a key that does not name one. */
function importAlgorithm(jwk: Record<string, unknown>): string | undefined {
  if (typeof jwk.alg === 'string') return jwk.alg;
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') return ({ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' } as Record<string, string>)[String(jwk.crv)];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'Ed25519';
  return undefined;
}

function rejection(jwk: unknown): string | undefined {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return 'not an object';
  const k = jwk as Record<string, unknown>;
  if (k.kty === 'oct') return 'symmetric key';
  if (PRIVATE_MEMBERS.some((member) => member in k)) return 'private key material';
  if (k.kty !== 'RSA' && k.kty !== 'EC' && k.kty !== 'OKP') return 'unsupported kty';
  if (k.use !== undefined && k.use !== 'sig') return 'use is not sig';
  if (k.key_ops !== undefined && !(Array.isArray(k.key_ops) && k.key_ops.includes('verify'))) return 'key_ops lacks verify';
  if (k.kid !== undefined && typeof k.kid !== 'string') return 'malformed kid';
  if (k.alg !== undefined && !(typeof k.alg === 'string' && SIGNATURE_ALGS.has(k.alg))) return 'unsupported alg';
  return undefined;
}

async function importFailure(jwk: Record<string, unknown>): Promise<string | undefined> {
  const alg = importAlgorithm(jwk);
  if (alg === undefined) return 'unsupported curve';
  try {
    const key = await importJWK(jwk as JWK, alg);
    if (key instanceof Uint8Array || key.type !== 'public') return 'not a public key';
    const { modulusLength } = key.algorithm as { modulusLength?: number };
    if (jwk.kty === 'RSA' && !(typeof modulusLength === 'number' && modulusLength >= 2048)) return 'RSA key under 2048 bits';
    return undefined;
  } catch {
    return 'malformed key';
  }
}

export async function usableKeys(document: unknown, maxKeys: number): Promise<UsableKeys> {
  const entries = (document as { keys?: unknown } | null)?.keys;
  if (typeof document !== 'object' || document === null || !Array.isArray(entries)) {
    throw new KeySetShapeError('the key set document has no "keys" array');
  }
  const kept: JWK[] = [];
  const kids = new Set<string>();
  const skipped: Record<string, number> = {};
  const skip = (reason: string): void => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
  };
  for (const entry of entries) {
    if (kept.length >= maxKeys) {
      skip(`over the ${maxKeys}-key cap`);
      continue;
    }
    const reason = rejection(entry) ?? (await importFailure(entry as Record<string, unknown>));
    if (reason !== undefined) {
      skip(reason);
      continue;
    }
    const jwk = entry as JWK;
    kept.push(jwk);
    if (jwk.kid !== undefined) kids.add(jwk.kid);
  }
  if (kept.length === 0) throw new KeySetShapeError('the key set holds no usable signature key');
  return { jwks: { keys: kept }, kids, skipped };
}
