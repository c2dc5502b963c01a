// DPoP replay protection through Redis (a real redis-server): a proof is spent once across every
// node sharing the Redis, remembered for its remaining acceptance window, and Redis failing is a
// 503 (or, opted in, this node's own replay cache), never a pass.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { normaliseConfig } from '../../../plugin/config/normalise';
import { spendProof } from '../../../plugin/dpop/bound-request';
import { clearReplayCache } from '../../../plugin/dpop/replay-cache';
import { takeQueuedWarnings } from '../../../plugin/log/deferred-log';
import { closeRedisConnections } from '../../../plugin/state/redis-connections';
import { requireRedisServer, startRedisServer, type RedisServer } from '../../support/redis-server';

const base = { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['api://default'] };
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('DPoP replay protection on Redis', function () {
  let redis: RedisServer;
  const node = (dpop: Record<string, unknown> = {}, redisRecord: Record<string, unknown> = {}) =>
    normaliseConfig({ ...base, dpop: { mode: 'allowed', ...dpop }, redis: redis.configRecord({ key_prefix: 'replay-test:', ...redisRecord }) });
  const proof = (iat = nowSeconds()) => ({ replayKey: randomUUID(), iat });

  before(async function () {
    requireRedisServer(this);
    redis = await startRedisServer();
  });
  beforeEach(() => {
    clearReplayCache();
    takeQueuedWarnings();
  });
  after(async () => {
    closeRedisConnections();
    await redis?.stop();
  });

  it('accepts a proof once across nodes sharing the Redis, and keeps it for its remaining window', async () => {
    const [a, b] = [node(), node({}, { timeout: 400 })];
    const p = proof(nowSeconds() - 20);
    expect(await spendProof(p, a)).to.equal(null);
    expect((await spendProof(p, b))?.reason).to.equal('dpop_proof_replayed');
    expect((await spendProof(p, a))?.reason).to.equal('dpop_proof_replayed');
    // proof_lifetime_seconds 60 + clock_skew_seconds 5, of which 20 s are gone.
    const pttl = await redis.client().pttl(`replay-test:dpop:${p.replayKey}`);
    expect(pttl).to.be.within(40_000, 45_000);
  });

  it('refuses a proof past its window without recording it', async () => {
    const p = proof(nowSeconds() - 120);
    expect((await spendProof(p, node()))?.reason).to.equal('dpop_proof_invalid');
    expect(await redis.client().exists(`replay-test:dpop:${p.replayKey}`)).to.equal(0);
  });

  it('refuses with 503 and Retry-After while Redis hangs, within the timeout, and logs once', async function () {
    this.timeout(20000);
    const config = node({}, { timeout: 100 });
    expect(await spendProof(proof(), config)).to.equal(null);
    redis.pause();
    try {
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const deny = await spendProof(proof(), config);
        expect(deny).to.include({ status: 503, reason: 'shared_state_unavailable' });
        expect(deny!.headers['Retry-After']).to.match(/^[1-9]\d*$/);
        expect(Date.now() - started, 'bounded by redis.timeout, not by the hang').to.be.below(5000);
      }
    } finally {
      redis.resume();
    }
    const warnings = takeQueuedWarnings() ?? '';
    expect(warnings.match(/DPoP replay protection: Redis unavailable/g)).to.have.length(1);
    expect(await spendProof(proof(), config), 'served again once Redis answers').to.equal(null);
  });

  it('with redis_unavailable "local", checks proofs against this node\'s cache while Redis is down', async function () {
    this.timeout(20000);
    const config = node({ redis_unavailable: 'local' }, { port: 1, timeout: 100 });
    const p = proof();
    expect(await spendProof(p, config), 'accepted locally').to.equal(null);
    expect((await spendProof(p, config))?.reason, 'but still once on this node').to.equal('dpop_proof_replayed');
    expect(takeQueuedWarnings()).to.match(/this node's replay cache only/);
  });
});
