// Where a cache miss goes, stage by stage, in this process (not the plugin server): each stage of
// okta-jwt's miss path run alone over the same fresh tokens, then the whole path (verifyAccessToken
// with the cache on) with the GC pauses it causes. "jose and promises" is the whole minus the stages:
// compactVerify's header checks and the async hops around the key resolver.
import { KeyObject, verify, type webcrypto } from 'node:crypto';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { decodeJwt, decodeProtectedHeader, UnsecuredJWT } from 'jose';
import { normaliseConfig } from '../plugin/config/normalise';
import { keySetFor } from '../plugin/keys';
import { getVerified, putVerified } from '../plugin/cache/verified-tokens';
import { isCanonicalCompactJws } from '../plugin/verify/token-grammar';
import { idTokenMarkers, verifyAccessToken, type KeySets } from '../plugin/verify/verify-token';
import { deepFreeze } from '../plugin/util/claims';
import { oktaJwtBenchConfig } from './bench-gateway';

/** µs per fresh token. */
export interface MissStages {
  parse: number;
  keyLookup: number;
  signature: number;
  claims: number;
  cacheInsert: number;
  joseAndPromises: number;
  gc: number;
  total: number;
}

async function perToken(tokens: readonly string[], stage: (token: string, i: number) => unknown): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < tokens.length; i++) {
    const out = stage(tokens[i]!, i);
    if (out instanceof Promise) await out;
  }
  return ((performance.now() - started) * 1000) / tokens.length;
}

export async function measureMissStages(issuer: string, _jwksUri: string, tokens: readonly string[]): Promise<MissStages> {
  const config = normaliseConfig(oktaJwtBenchConfig(issuer));
  const keySet = keySetFor(config.issuers[0]!.keys, { warn: () => undefined });
  const keySets: KeySets = new Map([[issuer, keySet]]);
  const half = tokens.length >> 1;
  const [warm, measured] = [tokens.slice(0, half), tokens.slice(half)];
  // Warm every path (key set loaded, code optimised) on tokens not measured afterwards.
  for (const token of warm) await verifyAccessToken(token, config, keySets);

  const header = decodeProtectedHeader(measured[0]!) as { alg: string; kid: string };
  const cryptoKey = (await keySet.getKey(header)) as webcrypto.CryptoKey;
  const keyObject = KeyObject.from(cryptoKey);
  const options = { issuer, audience: config.issuers[0]!.audiences, clockTolerance: config.leewaySeconds, maxTokenAge: config.maxTokenAgeSeconds, requiredClaims: ['exp', 'iat'] };
  const parse = await perToken(measured, (t) => isCanonicalCompactJws(t) && decodeJwt(t) && decodeProtectedHeader(t));
  const keyLookup = await perToken(measured, () => keySet.getKey(header));
  const signature = await perToken(measured, (t) => {
    const dot = t.lastIndexOf('.');
    return verify('sha256', Buffer.from(t.slice(0, dot), 'latin1'), keyObject, Buffer.from(t.slice(dot + 1), 'base64url'));
  });
  const claims = await perToken(measured, (t) => {
    const payload = UnsecuredJWT.decode(`eyJhbGciOiJub25lIn0.${t.slice(t.indexOf('.') + 1, t.lastIndexOf('.'))}.`, options).payload;
    return idTokenMarkers(payload).length === 0 && deepFreeze(payload);
  });
  const identity = `${config.identity}\nmiss-stages`;
  const payloads = measured.map((t) => decodeJwt(t));
  const cacheInsert = await perToken(measured, (t, i) =>
    getVerified(t, identity, config.tokenCache) ?? putVerified(t, identity, { claims: payloads[i]!, kid: header.kid, expiresAt: payloads[i]!.exp! }, config.tokenCache));

  // The whole miss path under a fresh config identity (nothing cached), with its GC pauses.
  const fresh = normaliseConfig({ ...oktaJwtBenchConfig(issuer), claims_to_headers: [{ claim: 'sub', header: 'X-Miss-Stages' }] });
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  const total = await perToken(measured, (t) => verifyAccessToken(t, fresh, keySets));
  await new Promise((resolve) => setTimeout(resolve, 50)); // the observer reports asynchronously
  observer.disconnect();
  const gc = (gcMs * 1000) / measured.length;
  const joseAndPromises = total - gc - (parse + keyLookup + signature + claims + cacheInsert);

  return { parse, keyLookup, signature, claims, cacheInsert, joseAndPromises, gc, total };
}
