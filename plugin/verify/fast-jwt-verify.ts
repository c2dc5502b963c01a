// jwtVerify with a synchronous signature check (issue 16) and each part of the token decoded once.
// jose 6 checks signatures through WebCrypto: async, a libuv thread-pool hop per token, and several
// times the CPU of node:crypto.verify on the same bytes; and it decodes the payload from its bytes
// again after the caller has decoded it to pick the issuer. Here, for a canonical compact JWS:
//   1. the protected header is decoded as jose decodes it and held to jose's rules before the key
//      resolver runs: a JSON object, a non-empty string alg in the allow-list; a header with crit
//      (b64 and other extensions) goes through jose's jwtVerify unchanged;
//   2. node:crypto.verify checks the RSASSA-PKCS1-v1_5 / RSA-PSS / ECDSA signature with the very
//      key jose's key set imported for this alg;
//   3. the payload the caller decoded (or, without one, the payload decoded here) gets jose's
//      claims-set checks (claims-set.ts).
// Whatever step 2 does not cover (EdDSA, a key that is not a matching public CryptoKey) goes through
// jose's jwtVerify with the resolved key. The differential test (spec/03-security/differential/)
// holds both paths to the same verdict on every token.
import { KeyObject, constants, verify, type webcrypto } from 'node:crypto';
import { types } from 'node:util';
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { checkClaimsSet, type ClaimsSetOptions } from './claims-set';
import type { CompactJws } from './token-grammar';

/** A key resolver as jwtVerify takes it (called with the protected header only). */
export type KeyResolver = (header: Parameters<JWTVerifyGetKey>[0]) => ReturnType<JWTVerifyGetKey>;

export interface VerifyOptions extends ClaimsSetOptions {
  algorithms: string[];
}

/**
 * The signature and claims check verify-token.ts runs: jose's jwtVerify, or fastJwtVerify.
 * `payload`: the token's payload, decoded by decodePayload, when the caller has it already.
 */
export type JwtCheck = (token: CompactJws, getKey: KeyResolver, options: VerifyOptions, payload?: JWTPayload) => Promise<{ payload: JWTPayload }>;

interface NodeAlgorithm {
  /** The WebCrypto algorithm the key must have been imported for (what jose's own key check demands). */
  name: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS' | 'ECDSA';
  hash: string;
  /** The same hash as node:crypto.verify names it: OpenSSL finds its own name at once, 'SHA-256' only by a search of every alias. */
  digest: string;
  namedCurve?: string;
  /** node:crypto.verify's key options beyond the key. */
  options: { padding?: number; saltLength?: number; dsaEncoding?: 'ieee-p1363' };
}

const NODE_ALGORITHMS = new Map<string, NodeAlgorithm>();
for (const [bits, curve] of [[256, 'P-256'], [384, 'P-384'], [512, 'P-521']] as const) {
  const [hash, digest] = [`SHA-${bits}`, `sha${bits}`];
  NODE_ALGORITHMS.set(`RS${bits}`, { name: 'RSASSA-PKCS1-v1_5', hash, digest, options: {} });
  // RFC 7518 §3.5: the salt is as long as the hash (node's default on verify would accept any length).
  NODE_ALGORITHMS.set(`PS${bits}`, { name: 'RSA-PSS', hash, digest, options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bits >> 3 } });
  // JWS ECDSA signatures are r || s (RFC 7518 §3.4), not DER.
  NODE_ALGORITHMS.set(`ES${bits}`, { name: 'ECDSA', hash, digest, namedCurve: curve, options: { dsaEncoding: 'ieee-p1363' } });
}

/** jose's smallest RSA modulus for signatures. */
const MIN_RSA_BITS = 2048;

/** node:crypto.verify's key argument (KeyObject and options) for each CryptoKey and algorithm, made once. */
const nodeKeys = new WeakMap<webcrypto.CryptoKey, Map<NodeAlgorithm, { key: KeyObject } & NodeAlgorithm['options']>>();

/** The node:crypto key for a public CryptoKey imported for exactly this algorithm; undefined leaves the token to jose. */
function nodeKey(key: unknown, alg: NodeAlgorithm): ({ key: KeyObject } & NodeAlgorithm['options']) | undefined {
  if (!types.isCryptoKey(key)) return undefined;
  let byAlg = nodeKeys.get(key);
  let found = byAlg?.get(alg);
  if (found !== undefined) return found;
  if (key.type !== 'public' || !key.usages.includes('verify')) return undefined;
  const a = key.algorithm as { name: string; hash?: { name: string }; namedCurve?: string; modulusLength?: number };
  const matches = a.name === alg.name && (alg.namedCurve === undefined ? a.hash?.name === alg.hash && (a.modulusLength ?? 0) >= MIN_RSA_BITS : a.namedCurve === alg.namedCurve);
  if (!matches) return undefined;
  if (byAlg === undefined) nodeKeys.set(key, (byAlg = new Map()));
  byAlg.set(alg, (found = { key: KeyObject.from(key), ...alg.options }));
  return found;
}

/** Decodes like jose: strict UTF-8 (a leading BOM dropped), as for a header or payload. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A segment of a CompactJws decoded to a JSON object as jose decodes it; undefined when it is not one. */
function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    // The grammar check made the segment canonical base64url: Buffer's decoder reads it exactly as jose's.
    value = JSON.parse(strictUtf8.decode(Buffer.from(segment, 'base64url')));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The two dots of a CompactJws (indexOf: V8 runs lastIndexOf in its runtime, char by char). */
function dotsOf(token: CompactJws): [number, number] {
  const firstDot = token.indexOf('.');
  return [firstDot, token.indexOf('.', firstDot + 1)];
}

/** The protected header as jose parses it; undefined where jose finds it invalid. */
export function decodeHeader(token: CompactJws): Record<string, unknown> | undefined {
  return decodeJsonObject(token.slice(0, token.indexOf('.')));
}

/** The payload as jose's decodeJwt returns it; undefined where decodeJwt throws. */
export function decodePayload(token: CompactJws): JWTPayload | undefined {
  const [firstDot, lastDot] = dotsOf(token);
  return decodeJsonObject(token.slice(firstDot + 1, lastDot));
}

export const fastJwtVerify: JwtCheck = async (token, getKey, options, decodedPayload) => {
  const header = decodeHeader(token);
  if (header === undefined) throw new errors.JWSInvalid('JWS Protected Header is invalid');
  if (header.crit !== undefined) return jwtVerify(token, getKey, options);
  const { alg } = header;
  if (typeof alg !== 'string' || alg === '') throw new errors.JWSInvalid('JWS "alg" (Algorithm) Header Parameter missing or invalid');
  if (!options.algorithms.includes(alg)) throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
  const key = await getKey(header as Parameters<KeyResolver>[0]);
  const nodeAlgorithm = NODE_ALGORITHMS.get(alg);
  const verifyKey = nodeAlgorithm === undefined ? undefined : nodeKey(key, nodeAlgorithm);
  if (nodeAlgorithm === undefined || verifyKey === undefined) return jwtVerify(token, key, options);

  const lastDot = dotsOf(token)[1];
  let valid = false;
  try {
    valid = verify(nodeAlgorithm.digest, Buffer.from(token.slice(0, lastDot), 'latin1'), verifyKey, Buffer.from(token.slice(lastDot + 1), 'base64url'));
  } catch {
    // e.g. an ECDSA signature of the wrong length: jose reports WebCrypto's errors as a bad signature too.
  }
  if (!valid) throw new errors.JWSSignatureVerificationFailed();
  const payload = decodedPayload ?? decodePayload(token);
  if (payload === undefined) throw new errors.JWTInvalid('JWT Claims Set must be a top-level JSON object');
  checkClaimsSet(payload, options);
  return { payload };
};
