// Plain verification throughput, in this process, of one Okta-shaped RS256 access token:
//   okta-jwt's verifyAccessToken (the plugin's own code; token cache off, also with jose's own
//   jwtVerify as before issue 16, and a cache hit),
//   jose's jwtVerify with an imported CryptoKey and okta-jwt's options,
//   @okta/jwt-verifier's verifyAccessToken, and node:crypto.verify with a KeyObject (the floor).
// Round-robin: every case once per round, `rounds` rounds of `sampleMs` each, one at a time ("seq")
// and `inFlight` at a time ("conc"); ratios are taken per round, then the median.
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { importJWK, jwtVerify, type JWK } from 'jose';
import type { JwtCheck } from '../plugin/verify/fast-jwt-verify';
import { normaliseConfig } from '../plugin/config/normalise';
import { keySetFor } from '../plugin/keys';
import { verifyAccessToken, type KeySets } from '../plugin/verify/verify-token';
import { oktaJwtBenchConfig } from './bench-gateway';
import { newOktaVerifier } from './okta-verifier';
import { median } from './stats';

export type VerifyCaseId = 'okta-jwt' | 'okta-jwt-jose' | 'okta-jwt-cache-hit' | 'jose' | 'okta-verifier' | 'crypto-verify';

export const VERIFY_CASE_TITLES: Record<VerifyCaseId, string> = {
  'okta-jwt': 'okta-jwt verifyAccessToken (node:crypto signature check, cache off)',
  'okta-jwt-jose': 'okta-jwt verifyAccessToken with jose jwtVerify (WebCrypto; before issue 16), cache off',
  'okta-jwt-cache-hit': 'okta-jwt verifyAccessToken, cache hit',
  jose: 'jose jwtVerify, CryptoKey',
  'okta-verifier': '@okta/jwt-verifier verifyAccessToken',
  'crypto-verify': 'node:crypto.verify, KeyObject (floor)',
};

export interface VerifySpec {
  issuer: string;
  jwksUri: string;
  token: string;
  audience: string;
  rounds: number;
  sampleMs: number;
  inFlight: number;
}

export type VerifyMode = 'seq' | 'conc';

export interface VerifyResult {
  /** Median ops/s per case and mode. */
  opsPerSecond: Record<VerifyMode, Record<VerifyCaseId, number>>;
  /** Per-round ratios, median: okta-jwt ÷ @okta/jwt-verifier and okta-jwt ÷ crypto.verify. */
  ratios: Record<VerifyMode, { oktaJwtOverOktaVerifier: number; oktaJwtOverCryptoVerify: number }>;
  samples: Record<VerifyMode, Record<VerifyCaseId, number[]>>;
  /** Median CPU time of this process (all threads: WebCrypto's pool too) per operation, one at a time, µs. */
  cpuUsPerOp: Record<VerifyCaseId, number>;
}

type Op = () => Promise<unknown> | unknown;

async function buildCases(spec: VerifySpec): Promise<Record<VerifyCaseId, Op>> {
  const jwks = (await (await fetch(spec.jwksUri)).json()) as { keys: Array<JWK & { kid: string }> };
  const [encodedHeader, encodedPayload, encodedSignature] = spec.token.split('.') as [string, string, string];
  const kid = (JSON.parse(Buffer.from(encodedHeader, 'base64url').toString()) as { kid: string }).kid;
  const jwk = jwks.keys.find((k) => k.kid === kid);
  if (jwk === undefined) throw new Error('the token kid is not in the issuer key set');

  const keyObject = createPublicKey({ key: jwk as never, format: 'jwk' });
  const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`);
  const signature = Buffer.from(encodedSignature, 'base64url');
  const cryptoKey = await importJWK(jwk, 'RS256');
  const pluginConfig = (cacheOff: boolean) => {
    const config = normaliseConfig(oktaJwtBenchConfig(spec.issuer, cacheOff));
    const keySets: KeySets = new Map(config.issuers.map((i) => [i.issuer, keySetFor(i.keys, { warn: () => undefined })]));
    return { config, keySets };
  };
  const uncached = pluginConfig(true);
  const cached = pluginConfig(false);
  const okta = newOktaVerifier(spec.issuer);
  const joseOptions = { issuer: spec.issuer, audience: [spec.audience], algorithms: ['RS256'], clockTolerance: 30, maxTokenAge: 86400, requiredClaims: ['exp', 'iat'] };
  const mustSucceed = async (what: string, result: Promise<{ ok: boolean }>) => {
    if (!(await result).ok) throw new Error(`${what}: verification failed`);
  };
  return {
    'okta-jwt': () => mustSucceed('okta-jwt', verifyAccessToken(spec.token, uncached.config, uncached.keySets)),
    'okta-jwt-jose': () => mustSucceed('okta-jwt (jose)', verifyAccessToken(spec.token, uncached.config, uncached.keySets, false, jwtVerify as JwtCheck)),
    'okta-jwt-cache-hit': () => mustSucceed('okta-jwt cache hit', verifyAccessToken(spec.token, cached.config, cached.keySets)),
    jose: () => jwtVerify(spec.token, cryptoKey, joseOptions),
    'okta-verifier': () => okta.verifyAccessToken(spec.token, spec.audience),
    'crypto-verify': () => {
      if (!cryptoVerify('sha256', signingInput, keyObject, signature)) throw new Error('crypto.verify: bad signature');
    },
  };
}

/** Operations per second completed in `ms` by `inFlight` concurrent loops, and this process's CPU µs per operation. */
async function sample(op: Op, ms: number, inFlight: number): Promise<{ opsPerSecond: number; cpuUsPerOp: number }> {
  const deadline = performance.now() + ms;
  let ops = 0;
  const loop = async () => {
    while (performance.now() < deadline) {
      await op();
      ops++;
    }
  };
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: inFlight }, loop));
  const cpu = process.cpuUsage(cpu0);
  return { opsPerSecond: (ops / (performance.now() - start)) * 1000, cpuUsPerOp: (cpu.user + cpu.system) / ops };
}

export async function runVerifyBench(spec: VerifySpec): Promise<VerifyResult> {
  const cases = await buildCases(spec);
  const ids = Object.keys(cases) as VerifyCaseId[];
  const empty = () => Object.fromEntries(ids.map((id) => [id, [] as number[]])) as Record<VerifyCaseId, number[]>;
  const samples: VerifyResult['samples'] = { seq: empty(), conc: empty() };
  const cpu = empty();
  // Warm-up: key fetches, JIT, the token cache entry.
  for (const id of ids) await sample(cases[id], Math.min(200, spec.sampleMs), 1);
  for (let round = 0; round < spec.rounds; round++) {
    for (const mode of ['seq', 'conc'] as const) {
      for (const id of ids) {
        const result = await sample(cases[id], spec.sampleMs, mode === 'seq' ? 1 : spec.inFlight);
        samples[mode][id].push(result.opsPerSecond);
        if (mode === 'seq') cpu[id].push(result.cpuUsPerOp);
      }
    }
  }
  const summarise = (mode: VerifyMode) => {
    const s = samples[mode];
    return {
      ops: Object.fromEntries(ids.map((id) => [id, median(s[id])])) as Record<VerifyCaseId, number>,
      ratios: {
        oktaJwtOverOktaVerifier: median(s['okta-jwt'].map((v, i) => v / s['okta-verifier'][i]!)),
        oktaJwtOverCryptoVerify: median(s['okta-jwt'].map((v, i) => v / s['crypto-verify'][i]!)),
      },
    };
  };
  const seq = summarise('seq');
  const conc = summarise('conc');
  const cpuUsPerOp = Object.fromEntries(ids.map((id) => [id, median(cpu[id])])) as Record<VerifyCaseId, number>;
  return { opsPerSecond: { seq: seq.ops, conc: conc.ops }, ratios: { seq: seq.ratios, conc: conc.ratios }, samples, cpuUsPerOp };
}
