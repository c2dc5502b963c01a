// jwtVerify with a synchronous signature check (issue 16). jose 6 checks signatures through
// WebCrypto: async, a libuv thread-pool hop per token, and several times the CPU of
// node:crypto.verify on the same bytes. Here jose still does everything else, by construction:
//   1. jose's compactVerify parses the protected header, applies its rules (crit, b64, the alg
//      allow-list) and calls the key resolver; the resolver stops it right there (KEY_RESOLVED);
//   2. node:crypto.verify checks the RSASSA-PKCS1-v1_5 / RSA-PSS / ECDSA signature with the very
//      key jose's key set imported for this alg;
//   3. jose's claims-set validation (UnsecuredJWT.decode: the same validateClaimsSet jwtVerify
//      runs) checks the payload with the same options.
// Whatever step 2 does not cover (EdDSA, crit extensions, a key that is not a matching public
// CryptoKey, a non-canonical token) goes through jose's jwtVerify unchanged. The differential
// test (spec/03-security/differential/) holds both paths to the same verdict on every token.
import { KeyObject, constants, verify, type webcrypto } from 'node:crypto';
import { types } from 'node:util';
import { compactVerify, errors, jwtVerify, UnsecuredJWT, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { isCanonicalCompactJws } from './token-grammar';

/** The signature check verify-token.ts runs: jose's jwtVerify, or fastJwtVerify. */
export type JwtCheck = (token: string, getKey: JWTVerifyGetKey, options: JWTVerifyOptions) => Promise<{ payload: JWTPayload }>;

interface NodeAlgorithm {
  /** The WebCrypto algorithm the key must have been imported for (what jose's own key check demands). */
  name: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS' | 'ECDSA';
  hash: string;
  namedCurve?: string;
  /** node:crypto.verify's key options beyond the key. */
  options: { padding?: number; saltLength?: number; dsaEncoding?: 'ieee-p1363' };
}

const NODE_ALGORITHMS = new Map<string, NodeAlgorithm>();
for (const [bits, curve] of [[256, 'P-256'], [384, 'P-384'], [512, 'P-521']] as const) {
  const hash = `SHA-${bits}`;
  NODE_ALGORITHMS.set(`RS${bits}`, { name: 'RSASSA-PKCS1-v1_5', hash, options: {} });
  // RFC 7518 §3.5: the salt is as long as the hash (node's default on verify would accept any length).
  NODE_ALGORITHMS.set(`PS${bits}`, { name: 'RSA-PSS', hash, options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bits >> 3 } });
  // JWS ECDSA signatures are r || s (RFC 7518 §3.4), not DER.
  NODE_ALGORITHMS.set(`ES${bits}`, { name: 'ECDSA', hash, namedCurve: curve, options: { dsaEncoding: 'ieee-p1363' } });
}

/** jose's smallest RSA modulus for signatures. */
const MIN_RSA_BITS = 2048;

/** base64url('{"alg":"none"}'): the header UnsecuredJWT.decode requires around the payload. */
const NONE_HEADER = 'eyJhbGciOiJub25lIn0';

/** Thrown by the key resolver to stop compactVerify before WebCrypto (a plain object: no stack trace). */
const KEY_RESOLVED = Object.freeze({ reason: 'key resolved' });

const keyObjects = new WeakMap<webcrypto.CryptoKey, KeyObject>();

/** The KeyObject for a public CryptoKey imported for exactly this algorithm; undefined leaves the token to jose. */
function nodeKey(key: unknown, alg: NodeAlgorithm): KeyObject | undefined {
  if (!types.isCryptoKey(key) || key.type !== 'public' || !key.usages.includes('verify')) return undefined;
  const a = key.algorithm as { name: string; hash?: { name: string }; namedCurve?: string; modulusLength?: number };
  const matches = a.name === alg.name && (alg.namedCurve === undefined ? a.hash?.name === alg.hash && (a.modulusLength ?? 0) >= MIN_RSA_BITS : a.namedCurve === alg.namedCurve);
  if (!matches) return undefined;
  let keyObject = keyObjects.get(key);
  if (keyObject === undefined) keyObjects.set(key, (keyObject = KeyObject.from(key)));
  return keyObject;
}

export const fastJwtVerify: JwtCheck = async (token, getKey, options) => {
  if (!isCanonicalCompactJws(token)) return jwtVerify(token, getKey, options);
  let resolved: { alg: unknown; crit: unknown; key: unknown } | undefined;
  try {
    await compactVerify(
      token,
      async (header, jws) => {
        resolved = { alg: header.alg, crit: header.crit, key: await getKey(header, jws) };
        throw KEY_RESOLVED;
      },
      { algorithms: options.algorithms },
    );
  } catch (err) {
    if (err !== KEY_RESOLVED) throw err;
  }
  if (resolved === undefined) throw new Error('jose finished without resolving a key');
  const alg = typeof resolved.alg === 'string' ? NODE_ALGORITHMS.get(resolved.alg) : undefined;
  const keyObject = alg === undefined || resolved.crit !== undefined ? undefined : nodeKey(resolved.key, alg);
  if (alg === undefined || keyObject === undefined) return jwtVerify(token, resolved.key as Parameters<typeof jwtVerify>[1], options);

  const firstDot = token.indexOf('.');
  const lastDot = token.lastIndexOf('.');
  let valid = false;
  try {
    valid = verify(alg.hash, Buffer.from(token.slice(0, lastDot), 'latin1'), { key: keyObject, ...alg.options }, Buffer.from(token.slice(lastDot + 1), 'base64url'));
  } catch {
    // e.g. an ECDSA signature of the wrong length: jose reports WebCrypto's errors as a bad signature too.
  }
  if (!valid) throw new errors.JWSSignatureVerificationFailed();
  return { payload: UnsecuredJWT.decode(`${NONE_HEADER}.${token.slice(firstDot + 1, lastDot)}.`, options).payload };
};
