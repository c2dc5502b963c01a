// Where a cache miss goes, stage by stage, in this process (not the plugin server): for each fresh
// token, each stage of okta-jwt's miss path alone, then the whole path (verifyAccessToken, cache on)
// on the same token. "jose and promises" is the whole minus the stages and GC: the header's alg
// checks, the async hops around the key resolver, and what verify-token.ts does around the stages.
import { KeyObject, verify, type webcrypto } from 'node:crypto';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { normaliseConfig } from '../plugin/config/normalise';
import { keySetFor } from '../plugin/keys';
import { getVerified, putVerified } from '../plugin/cache/verified-tokens';
import { isCanonicalCompactJws } from '../plugin/verify/token-grammar';
import { decodeHeader, decodePayload } from '../plugin/verify/fast-jwt-verify';
import { checkClaimsSet } from '../plugin/verify/claims-set';
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

export async function measureMissStages(issuer: string, _jwksUri: string, tokens: readonly string[]): Promise<MissStages> {
  const config = normaliseConfig(oktaJwtBenchConfig(issuer));
  const keySet = keySetFor(config.issuers[0]!.keys, { warn: () => undefined });
  const keySets: KeySets = new Map([[issuer, keySet]]);
  const half = tokens.length >> 1;
  const [warm, measured] = [tokens.slice(0, half), tokens.slice(half)];
  // Warm every path (key set loaded, code optimised) on tokens not measured afterwards.
  for (const token of warm) await verifyAccessToken(token, config, keySets);

  const header = decodeHeader(measured[0]! as Parameters<typeof decodeHeader>[0]) as { alg: string; kid: string };
  const cryptoKey = (await keySet.getKey(header)) as webcrypto.CryptoKey;
  const keyObject = KeyObject.from(cryptoKey);
  const options = { issuer, audience: config.issuers[0]!.audiences, clockTolerance: config.leewaySeconds, maxTokenAge: config.maxTokenAgeSeconds, requiredClaims: ['exp', 'iat'] };
  const identity = `${config.identity}\nmiss-stages`;
  // The whole path runs under another config identity, so none of its tokens is cached yet.
  const fresh = normaliseConfig({ ...oktaJwtBenchConfig(issuer), claims_to_headers: [{ claim: 'sub', header: 'X-Miss-Stages' }] });
  const spent = { parse: 0, keyLookup: 0, signature: 0, claims: 0, cacheInsert: 0, total: 0 };
  const pauses: Array<{ at: number; ms: number }> = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push({ at: entry.startTime, ms: entry.duration });
  });
  const wholePath: Array<[number, number]> = [];
  observer.observe({ entryTypes: ['gc'] });
  // Stage by stage, then the whole path, token after token: a busy machine slows both alike.
  for (const token of measured) {
    let t = performance.now();
    const lap = (stage: keyof typeof spent) => {
      const now = performance.now();
      spent[stage] += now - t;
      t = now;
    };
    if (!isCanonicalCompactJws(token)) throw new Error('miss-stages: a bench token is not a canonical compact JWS');
    const payload = decodePayload(token)!;
    decodeHeader(token);
    lap('parse');
    await keySet.getKey(header);
    lap('keyLookup');
    const dot = token.lastIndexOf('.');
    verify('sha256', Buffer.from(token.slice(0, dot), 'latin1'), keyObject, Buffer.from(token.slice(dot + 1), 'base64url'));
    lap('signature');
    // As verifyUncached: the claims checked and frozen are the ones the cache insert then stores.
    checkClaimsSet(payload, options);
    if (idTokenMarkers(payload).length === 0) deepFreeze(payload);
    lap('claims');
    if (getVerified(token, identity, config.tokenCache) === undefined) putVerified(token, identity, { claims: payload, kid: header.kid, expiresAt: payload.exp! }, config.tokenCache);
    lap('cacheInsert');
    const from = t;
    await verifyAccessToken(token, fresh, keySets);
    lap('total');
    wholePath.push([from, t]);
  }
  await new Promise((resolve) => setTimeout(resolve, 50)); // the observer reports asynchronously
  observer.disconnect();
  const us = (ms: number) => (ms * 1000) / measured.length;
  const [parse, keyLookup, signature, claims, cacheInsert, total] = [spent.parse, spent.keyLookup, spent.signature, spent.claims, spent.cacheInsert, spent.total].map(us) as [number, number, number, number, number, number];
  // The GC pauses that began while the whole path ran.
  const gc = us(pauses.filter((p) => wholePath.some(([from, to]) => p.at >= from && p.at < to)).reduce((sum, p) => sum + p.ms, 0));
  const joseAndPromises = total - gc - (parse + keyLookup + signature + claims + cacheInsert);

  return { parse, keyLookup, signature, claims, cacheInsert, joseAndPromises, gc, total };
}
