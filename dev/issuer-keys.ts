// Signing keys of the dev issuer and compact-JWS signing.
//
// Tokens are assembled and signed here with WebCrypto rather than with jose's signers, because
// tests need tokens jose refuses to produce: a header whose `alg` lies, `crit` entries, `alg:
// none`, an HMAC token keyed with the issuer's public key (the classic algorithm-confusion attack).
import { webcrypto } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, type JWK } from 'jose';

type CryptoKey = webcrypto.CryptoKey;
const subtle = webcrypto.subtle;

export const ISSUER_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const;
export type IssuerAlgorithm = (typeof ISSUER_ALGORITHMS)[number];

export interface SigningKey {
  kid: string;
  alg: IssuerAlgorithm;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public key as the JWKS lists it (Okta's member order: kty, alg, kid, use, then the key). */
  publicJwk: JWK;
}

export function randomId(bytes = 32): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(bytes))).toString('base64url');
}

async function createSigningKey(alg: IssuerAlgorithm): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const { kty, key_ops: _ops, ext: _ext, ...material } = await exportJWK(publicKey);
  // Okta lists e before n.
  const ordered = kty === 'RSA' ? { e: material.e, n: material.n } : material;
  const kid = randomId();
  return { kid, alg, privateKey, publicKey, publicJwk: { kty, alg, kid, use: 'sig', ...ordered } };
}

/** The issuer's keys: one current signing key, any number of published older ones, retired ones. */
export class KeyRing {
  private readonly keys = new Map<string, SigningKey>();
  private readonly published = new Set<string>();
  private currentKid = '';
  private foreignKey: SigningKey | undefined;

  constructor(readonly alg: IssuerAlgorithm) {}

  /** Generates a key, publishes it and makes it current. */
  async addCurrent(): Promise<SigningKey> {
    const key = await createSigningKey(this.alg);
    this.keys.set(key.kid, key);
    this.published.add(key.kid);
    this.currentKid = key.kid;
    return key;
  }

  current(): SigningKey {
    return this.keys.get(this.currentKid)!;
  }

  /** Any key this issuer ever created, published or retired. */
  byKid(kid: string): SigningKey | undefined {
    return this.keys.get(kid);
  }

  /** Stops publishing one key other than the current one (it can still sign, for tests). */
  retire(kid: string): boolean {
    return kid !== this.currentKid && this.published.delete(kid);
  }

  /** Stops publishing every key but the current one (they can still sign, for tests). */
  retireAllButCurrent(): void {
    for (const kid of this.published) if (kid !== this.currentKid) this.published.delete(kid);
  }

  jwks(): { keys: JWK[] } {
    return { keys: [...this.published].map((kid) => this.keys.get(kid)!.publicJwk) };
  }

  /** A key of the issuer's algorithm that is never published. */
  async foreign(): Promise<SigningKey> {
    this.foreignKey ??= await createSigningKey(this.alg);
    return this.foreignKey;
  }
}

const HASH_BY_SUFFIX: Record<string, string> = { '256': 'SHA-256', '384': 'SHA-384', '512': 'SHA-512' };
const CURVE_BY_ALG: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** WebCrypto parameters to import a key for `alg` and to sign with it. */
function webCryptoParams(alg: string): { importAs: Parameters<typeof subtle.importKey>[2]; signWith: Parameters<typeof subtle.sign>[0] } {
  const hash = HASH_BY_SUFFIX[alg.slice(2)];
  const family = alg.slice(0, 2);
  if (family === 'RS' && hash) return { importAs: { name: 'RSASSA-PKCS1-v1_5', hash }, signWith: 'RSASSA-PKCS1-v1_5' };
  if (family === 'PS' && hash) {
    return { importAs: { name: 'RSA-PSS', hash }, signWith: { name: 'RSA-PSS', saltLength: Number(alg.slice(2)) / 8 } };
  }
  if (family === 'ES' && CURVE_BY_ALG[alg]) {
    return { importAs: { name: 'ECDSA', namedCurve: CURVE_BY_ALG[alg] }, signWith: { name: 'ECDSA', hash: hash! } };
  }
  if (family === 'HS' && hash) return { importAs: { name: 'HMAC', hash }, signWith: 'HMAC' };
  if (alg === 'EdDSA' || alg === 'Ed25519') return { importAs: { name: 'Ed25519' }, signWith: 'Ed25519' };
  throw new Error(`dev issuer cannot sign with alg ${alg}`);
}

async function signingKeyFor(key: SigningKey, alg: string): Promise<CryptoKey> {
  const { importAs } = webCryptoParams(alg);
  if (alg.startsWith('HS')) {
    // Algorithm confusion: the HMAC secret is the issuer's public key in PEM form.
    const secret = new TextEncoder().encode(await exportSPKI(key.publicKey));
    return subtle.importKey('raw', secret, importAs, false, ['sign']);
  }
  if (alg === key.alg) return key.privateKey;
  // The same key material under another algorithm of its family (e.g. RS512 with the RS256 key):
  // the exported JWK names its original alg, which WebCrypto would refuse to import under another.
  const jwk = await subtle.exportKey('jwk', key.privateKey);
  delete jwk.alg;
  return subtle.importKey('jwk', jwk, importAs, false, ['sign']);
}

/**
 * Builds a compact JWS from exactly these header and payload members (in this order), signed with
 * `key` using `alg`, which may differ from the header's own `alg`. `alg` 'none' gives an empty
 * signature.
 */
export async function signCompactJws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: SigningKey,
  alg: string,
): Promise<string> {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode(header)}.${encode(payload)}`;
  if (alg === 'none') return `${signingInput}.`;
  const cryptoKey = await signingKeyFor(key, alg);
  const signature = await subtle.sign(webCryptoParams(alg).signWith, cryptoKey, new TextEncoder().encode(signingInput));
  return `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
}
