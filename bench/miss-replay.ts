// What a first-seen token costs the plugin server: the socket replay with a fresh RS256-2048 token on
// every request (each used once) beside the same plugin with one cached token, interleaved; the
// difference per request is the miss. Then where it goes, stage by stage, measured in this process
// on the same fresh tokens (miss-stages.ts).
import { BENCH_TOKEN_CLAIMS } from './claim-mapping';
import { oktaJwtBenchConfig } from './bench-gateway';
import { measureMissStages, type MissStages } from './miss-stages';
import { replayHeaders, runSocketReplay, type ReplayCase, type ReplayResult, type ReplaySettings } from './socket-replay';
import { REPO_ROOT } from '../spec/support/plugin-server/launch';
import path from 'node:path';

export interface MissResult {
  hit: ReplayResult;
  miss: ReplayResult;
  /** Plugin-server CPU per miss beyond a hit, µs (median passes). */
  missCostUs: number;
  stages: MissStages;
}

interface Minter {
  issuer: string;
  jwksUri: string;
  mint(claims: Record<string, unknown>): Promise<string>;
}

/** `count` distinct fresh tokens of the bench's shape (a distinct jti each). */
export async function freshTokens(minter: Minter, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) tokens.push(await minter.mint({ ...BENCH_TOKEN_CLAIMS, jti: `AT.bench-miss-${process.pid}-${i}` }));
  return tokens;
}

export async function runMissReplay(minter: Minter, cachedToken: string, settings: ReplaySettings): Promise<MissResult> {
  const perCase = settings.warmUp + settings.requests * settings.repetitions;
  const tokens = await freshTokens(minter, perCase);
  let next = 0;
  const okta = { server: 'hardened' as const, pluginsDir: path.join(REPO_ROOT, 'dist', 'plugins'), plugin: 'okta-jwt', config: oktaJwtBenchConfig(minter.issuer) };
  const cases: ReplayCase[] = [
    { id: 'hit', title: 'okta-jwt, one cached token', ...okta },
    { id: 'miss', title: 'okta-jwt, a fresh token each request (cache miss)', ...okta, request: () => replayHeaders(tokens[next++ % tokens.length]!) },
  ];
  const [hit, miss] = await runSocketReplay(cases, replayHeaders(cachedToken), settings);
  const stageTokens = await freshTokens(minter, Math.min(settings.requests, 2000));
  const stages = await measureMissStages(minter.issuer, minter.jwksUri, stageTokens);
  return { hit: hit!, miss: miss!, missCostUs: miss!.cpuUsPerRequest - hit!.cpuUsPerRequest, stages };
}
