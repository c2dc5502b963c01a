// Per-request cost of the cluster features, measured through the plugin's core (decide(), the code
// every request runs; no Kong, no PDK round trips) in this process against the dev issuer over
// loopback HTTP and a real redis-server on a free loopback port:
//   bearer        a bearer token, none of this configured (the baseline; its path is unchanged)
//   dpop-local    a DPoP request, replay protection in this process
//   dpop-redis    a DPoP request, replay protection in Redis (one SET NX round trip)
//   introspect-hit   a bearer token introspected, answer reused from the in-process cache
//   introspect-miss  a bearer token introspected, the endpoint asked every time (cache_ttl_seconds 0)
// Requests one at a time, the cases round-robin (a warm-up round first); each case's median and
// p90 per request, and its median minus the baseline's (dpop-redis: minus dpop-local, the Redis cost).
// Run alone: node dist/test/bench/shared-state.js; npm run bench runs it with the rest.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createDpopKey, dpopProof } from '../dev/dpop-proof';
import { DEV_CLIENT_ID, DEV_CLIENT_SECRET } from '../dev/dev-identity';
import { startDevIssuer, type DevIssuer } from '../dev/issuer';
import { normaliseConfig } from '../plugin/config/normalise';
import type { PluginConfig } from '../plugin/config/types';
import { decide } from '../plugin/core/decide';
import type { RequestView } from '../plugin/vocabulary/request';
import { keySetFor } from '../plugin/keys';
import { closeRedisConnections } from '../plugin/state/redis-connections';
import type { KeySets } from '../plugin/verify/verify-token';
import { redisServerInstalled, startRedisServer } from '../spec/support/redis-server';
import { median, percentile } from './stats';

const BASE = 'https://api.example.test';
const REQUESTS = Number(process.env.SHARED_STATE_BENCH_REQUESTS ?? 2000);
const ROUNDS = 4;

export type SharedStateCase = 'bearer' | 'dpop-local' | 'dpop-redis' | 'introspect-hit' | 'introspect-miss';

export interface SharedStateResult {
  requests: number;
  /** Per case: median and p90 µs per request, and the median's excess over the baseline named. */
  cases: Partial<Record<SharedStateCase, { medianUs: number; p90Us: number; extraUs: number; over: SharedStateCase }>>;
  skipped: string[];
}

async function timed(requests: RequestView[], config: PluginConfig, keySets: KeySets): Promise<number[]> {
  const samples: number[] = [];
  for (const request of requests) {
    const started = performance.now();
    const decision = await decide(request, config, keySets);
    samples.push((performance.now() - started) * 1000);
    if (decision.kind !== 'allow') throw new Error(`the bench request was refused: ${JSON.stringify(decision)}`);
  }
  return samples;
}

export async function runSharedStateBench(issuer: DevIssuer, requests = REQUESTS): Promise<SharedStateResult> {
  const redis = redisServerInstalled() ? await startRedisServer() : null;
  try {
    const config = (extra: Record<string, unknown>) => normaliseConfig({ issuer: issuer.issuer, audiences: ['api://default'], scopes_required: ['orders:read'], ...extra });
    const plain = config({});
    const keySets: KeySets = new Map([[issuer.issuer, keySetFor(plain.issuers[0]!.keys)]]);
    const key = await createDpopKey('ES256');
    const bearerToken = await issuer.mint({ scp: ['orders:read'] });
    const boundToken = await issuer.mint({ scp: ['orders:read'], cnf: { jkt: key.jkt } });
    const bearer = (): RequestView => ({ headers: { authorization: [`Bearer ${bearerToken}`] }, method: 'GET', path: '/orders', rawQuery: null, alreadyAuthenticated: false });
    const dpopRequests = async (n: number): Promise<RequestView[]> => Promise.all(Array.from({ length: n }, async () => ({
      headers: { authorization: [`DPoP ${boundToken}`], dpop: [await dpopProof(key, { htm: 'GET', htu: `${BASE}/orders`, accessToken: boundToken })] },
      method: 'GET', path: '/orders', rawQuery: null, alreadyAuthenticated: false, target: { scheme: null, host: null, port: null, pathWithQuery: '/orders' },
    })));
    const dpop = { mode: 'allowed', external_base_url: BASE };
    const introspection = (ttl: number) => ({ introspection: { mode: 'always', client_id: DEV_CLIENT_ID, client_secret: DEV_CLIENT_SECRET, cache_ttl_seconds: ttl } });
    const configs: Array<[SharedStateCase, PluginConfig, () => Promise<RequestView[]>]> = [
      ['bearer', plain, async () => Array.from({ length: requests }, bearer)],
      ['dpop-local', config({ dpop }), () => dpopRequests(requests)],
      ...(redis === null ? [] : [['dpop-redis', config({ dpop, redis: redis.configRecord({ timeout: 1000 }) }), () => dpopRequests(requests)] as [SharedStateCase, PluginConfig, () => Promise<RequestView[]>]]),
      ['introspect-hit', config(introspection(3600)), async () => Array.from({ length: requests }, bearer)],
      ['introspect-miss', config(introspection(0)), async () => Array.from({ length: Math.min(requests, 500) }, bearer)],
    ];
    const result: SharedStateResult = { requests, cases: {}, skipped: redis === null ? ['dpop-redis: redis-server is not installed'] : [] };
    // Round-robin, the first round a warm-up: no case is measured colder (or hotter) than another.
    const samples = new Map<SharedStateCase, number[]>(configs.map(([id]) => [id, []]));
    for (let round = 0; round <= ROUNDS; round++) {
      for (const [id, c, build] of configs) {
        const batch = await build();
        const measured = await timed(batch.slice(0, Math.ceil(batch.length / ROUNDS)), c, keySets);
        if (round > 0) samples.get(id)!.push(...measured);
      }
    }
    const medians = new Map([...samples].map(([id, s]) => [id, median(s)]));
    for (const [id, s] of samples) {
      const over: SharedStateCase = id === 'dpop-redis' ? 'dpop-local' : 'bearer';
      result.cases[id] = { medianUs: medians.get(id)!, p90Us: percentile(s, 90), extraUs: medians.get(id)! - medians.get(over)!, over };
    }
    return result;
  } finally {
    closeRedisConnections();
    await redis?.stop();
  }
}

export function describeSharedState(r: SharedStateResult): string {
  const rows = Object.entries(r.cases).map(([id, c]) => `  ${id.padEnd(16)} median ${c.medianUs.toFixed(1).padStart(8)} µs  p90 ${c.p90Us.toFixed(1).padStart(8)} µs  extra ${c.extraUs.toFixed(1).padStart(8)} µs over ${c.over}`);
  return [`shared state and introspection, per request through decide() (${r.requests} requests per case, one at a time):`, ...rows, ...r.skipped.map((s) => `  skipped ${s}`)].join('\n');
}

/** For bench/run.ts: measures against its dev issuer, prints the table and writes shared-state.json to `outDir`. */
export async function benchSharedState(issuer: DevIssuer, outDir: string, log: (line: string) => void): Promise<void> {
  const result = await runSharedStateBench(issuer);
  log(describeSharedState(result));
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'shared-state.json'), JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2) + '\n');
}

if (require.main === module) {
  void (async () => {
    const issuer = await startDevIssuer();
    try {
      console.log(describeSharedState(await runSharedStateBench(issuer)));
    } finally {
      await issuer.close();
    }
  })();
}
