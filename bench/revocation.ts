// What revocations cost (run by bench/run.ts, or alone: node dist/test/bench/revocation.js):
//   1. the per-request check of a verified token (plugin/revocation/revocation-check.ts), in this
//      process: no revocation for the issuer, 100,000 for it and the token not among them, and the
//      token revoked;
//   2. from a session-revoked SET pushed to node A's receiver to the first refusal on node B: two
//      Kong doubles, each with its own okta-jwt plugin server, sharing one redis-server (skipped
//      when redis-server is not installed).
// Writes revocation.json beside the other results.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { normaliseConfig } from '../plugin/config/normalise';
import { revocationDenial } from '../plugin/revocation/revocation-check';
import { clearRevocations, recordRevocation, subjectKey } from '../plugin/revocation/revocation-list';
import { closeRevocationMirrors } from '../plugin/revocation/revocation-sync';
import { closeRedisConnections } from '../plugin/state/redis-connections';
import { startDoubleGateway, type Gateway } from '../spec/support/gateway';
import { bearer, get, send } from '../spec/support/http-client';
import { useConfig } from '../spec/support/apply-config';
import { kongYml, oktaJwtConfig } from '../spec/support/kong-config';
import { redisServerInstalled, startRedisServer } from '../spec/support/redis-server';
import { REPO_ROOT } from '../spec/support/plugin-server/launch';
import { resultsDir } from './results';

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const ISSUER = 'https://dev-1.okta.com/oauth2/default';
const CHECKS = 2_000_000;
const LIST_SIZE = 100_000;
const PUSH_ROUNDS = 10;

/** Nanoseconds per revocation check of `claims`, best of three runs. */
function nsPerCheck(claims: Record<string, unknown>): number {
  const config = normaliseConfig({ issuer: ISSUER, audiences: ['api://default'] });
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    let refused = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < CHECKS; i++) if (revocationDenial(claims, config) !== null) refused++;
    best = Math.min(best, Number(process.hrtime.bigint() - start) / CHECKS);
    if (refused !== 0 && refused !== CHECKS) throw new Error('inconsistent check');
  }
  return best;
}

function checkCost(): Record<string, number> {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: ISSUER, iat: now - 60, sub: 'alice@example.com', uid: '00ualice' };
  clearRevocations();
  const none = nsPerCheck(claims);
  for (let i = 0; i < LIST_SIZE; i++) recordRevocation({ issuer: ISSUER, subject: subjectKey('uid', `00u${i}`), revokedAt: now, expiresAt: now + 3600 }, LIST_SIZE + 1);
  const miss = nsPerCheck(claims);
  recordRevocation({ issuer: ISSUER, subject: subjectKey('uid', '00ualice'), revokedAt: now, expiresAt: now + 3600 }, LIST_SIZE + 1);
  const revoked = nsPerCheck(claims);
  clearRevocations();
  return { noRevocationsForIssuerNs: none, notRevokedAmong100kNs: miss, revokedNs: revoked };
}

async function pushToRefusal(): Promise<{ roundsMs: number[]; medianMs: number; maxMs: number } | { skipped: string }> {
  if (!redisServerInstalled()) return { skipped: 'redis-server is not installed' };
  const redis = await startRedisServer();
  const nodes: Gateway[] = [];
  try {
    nodes.push(await startDoubleGateway(), await startDoubleGateway());
    const [a, b] = nodes as [Gateway, Gateway];
    const authorization = 'Bearer bench-stream-secret-0123456789';
    const shared = { redis: redis.configRecord({ key_prefix: 'bench:' }), revocations: { sync: 'redis' } };
    for (const node of nodes) {
      const config = kongYml(node, { plugin: oktaJwtConfig(a, shared) }) as { services: Array<{ routes: unknown[] }> };
      const receiver = { transmitter_issuer: a.issuerControl.ssf.issuer, audiences: [`${node.proxyUrl}/ssf`], authorization };
      config.services[0]!.routes.push({ name: 'ssf', paths: ['/ssf'], plugins: [{ name: 'okta-jwt', config: oktaJwtConfig(a, { ...shared, ssf_receiver: receiver }) }] });
      await useConfig(node, config);
    }
    const roundsMs: number[] = [];
    for (let round = 0; round < PUSH_ROUNDS; round++) {
      const uid = `00u${randomBytes(6).toString('hex')}`;
      const token = await a.mint({ scp: ['orders:read'], uid }, { issuedAt: Math.floor(Date.now() / 1000) - 10 });
      while ((await get(`${b.proxyUrl}/echo/x`, bearer(token))).status !== 200) await new Promise((r) => setTimeout(r, 20));
      const set = await a.issuerControl.ssf.sign({ aud: `${a.proxyUrl}/ssf`, subject: { format: 'iss_sub', iss: a.issuerControl.ssf.issuer, sub: uid } });
      const started = process.hrtime.bigint();
      const pushed = await send('POST', `${a.proxyUrl}/ssf`, [['Content-Type', 'application/secevent+jwt'], ['Authorization', authorization]], set);
      if (pushed.status !== 202) throw new Error(`push answered ${pushed.status} ${pushed.text}`);
      while ((await get(`${b.proxyUrl}/echo/x`, bearer(token))).status !== 401) {
        if (process.hrtime.bigint() - started > 30_000_000_000n) throw new Error('node B never refused');
      }
      roundsMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    const sorted = [...roundsMs].sort((x, y) => x - y);
    return { roundsMs, medianMs: sorted[sorted.length >> 1]!, maxMs: sorted[sorted.length - 1]! };
  } finally {
    for (const node of nodes) await node.close();
    await redis.stop();
  }
}

export async function runRevocationBench(outDir: string): Promise<void> {
  log(`revocations: per-request check (${CHECKS} checks per run), then push-to-refusal across two nodes (${PUSH_ROUNDS} rounds)`);
  const check = checkCost();
  log(`revocation check: ${check.noRevocationsForIssuerNs!.toFixed(0)} ns (none for the issuer), ${check.notRevokedAmong100kNs!.toFixed(0)} ns (100k listed, token not), ${check.revokedNs!.toFixed(0)} ns (revoked)`);
  const push = await pushToRefusal();
  log('skipped' in push ? `push to refusal: skipped (${push.skipped})` : `push to refusal on the other node: median ${push.medianMs.toFixed(0)} ms, max ${push.maxMs.toFixed(0)} ms`);
  closeRevocationMirrors();
  closeRedisConnections();
  fs.mkdirSync(outDir, { recursive: true });
  const result = { date: new Date().toISOString(), node: process.version, checkCost: check, pushToRefusal: push };
  fs.writeFileSync(path.join(outDir, 'revocation.json'), JSON.stringify(result, null, 2) + '\n');
}

if (require.main === module) {
  runRevocationBench(resultsDir(REPO_ROOT, process.argv.slice(2), process.env)).catch((err) => {
    process.stderr.write(`[bench] revocation failed: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  });
}
