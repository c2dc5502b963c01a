// The least work okta-jwt's job can take in Node, as a measuring stick for cases (b) and (c): an
// RS256 signature check with node:crypto.verify on a cached KeyObject (synchronous, the cheapest
// verification Node offers), then exp / iss / aud / scope, and optionally a SHA-256 → Map cache of
// verified claims. Not a complete verifier (no algorithm policy beyond RS256, keys fetched once,
// unbounded cache, no grammar check): never use it outside the benchmark.
import { createPublicKey, hash, verify, type KeyObject } from 'node:crypto';
import { REQUIRED_SCOPE } from './claim-mapping';

type Claims = Record<string, unknown>;

export class FloorVerifier {
  private keys?: Promise<Map<string, KeyObject>>;
  private readonly cache = new Map<string, Claims>();

  constructor(
    private readonly issuer: string,
    private readonly audience: string,
    private readonly useCache: boolean,
  ) {}

  /** The claims of a valid token carrying the required scope, else null. */
  async verify(token: string): Promise<Claims | null> {
    const cacheKey = this.useCache ? hash('sha256', token, 'base64') : '';
    const hit = this.useCache ? this.cache.get(cacheKey) : undefined;
    if (hit !== undefined && (hit.exp as number) > Date.now() / 1000) return hit;
    const [header, payload, signature] = token.split('.');
    if (header === undefined || payload === undefined || signature === undefined) return null;
    const { alg, kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string; kid?: string };
    const key = alg === 'RS256' && kid !== undefined ? (await this.keySet()).get(kid) : undefined;
    if (key === undefined || !verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))) return null;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Claims;
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const scopes = Array.isArray(claims.scp) ? claims.scp : [];
    const valid = claims.iss === this.issuer && aud.includes(this.audience) && typeof claims.exp === 'number' && claims.exp > Date.now() / 1000 && scopes.includes(REQUIRED_SCOPE);
    if (!valid) return null;
    if (this.useCache) this.cache.set(cacheKey, claims);
    return claims;
  }

  private keySet(): Promise<Map<string, KeyObject>> {
    this.keys ??= fetch(`${this.issuer}/v1/keys`)
      .then((res) => res.json() as Promise<{ keys: Array<{ kid: string }> }>)
      .then(({ keys }) => new Map(keys.map((jwk) => [jwk.kid, createPublicKey({ key: jwk as never, format: 'jwk' })])));
    return this.keys;
  }
}
