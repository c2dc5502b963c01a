// The Redis store against a real redis-server: each operation, the prefix, and failing closed
// (rejecting within the timeout) when Redis is down or hangs.
import { expect } from 'chai';
import { closeRedisConnections } from '../../../plugin/state/redis-connections';
import { redisStore, StoreUnavailable } from '../../../plugin/state/shared-store';
import { requireRedisServer, startRedisServer, type RedisServer } from '../../support/redis-server';

describe('shared store on Redis', function () {
  let redis: RedisServer;

  before(async function () {
    requireRedisServer(this);
    redis = await startRedisServer({ password: 'a-test-password-for-redis' });
  });
  after(async () => {
    closeRedisConnections();
    await redis?.stop();
  });

  it('claims a key once across stores sharing a Redis, under the prefix, for the given time', async () => {
    const a = redisStore(redis.settings({ keyPrefix: 'node-a:' }));
    const b = redisStore(redis.settings({ keyPrefix: 'node-a:', timeoutMs: 400 }));
    expect(await a.claimOnce('proof-1', 10_000)).to.equal(true);
    expect(await b.claimOnce('proof-1', 10_000)).to.equal(false);
    expect(await a.claimOnce('proof-2', 10_000)).to.equal(true);
    const pttl = await redis.client().pttl('node-a:proof-1');
    expect(pttl).to.be.within(1, 10_000);
  });

  it('keeps prefixes apart', async () => {
    const a = redisStore(redis.settings({ keyPrefix: 'cluster-1:' }));
    const b = redisStore(redis.settings({ keyPrefix: 'cluster-2:' }));
    expect(await a.claimOnce('same', 10_000)).to.equal(true);
    expect(await b.claimOnce('same', 10_000)).to.equal(true);
  });

  it('puts and gets values with a lifetime', async () => {
    const store = redisStore(redis.settings());
    await store.put('k', 'v', 50);
    expect(await store.get('k')).to.equal('v');
    await new Promise((r) => setTimeout(r, 120));
    expect(await store.get('k')).to.equal(null);
  });

  it('rejects with StoreUnavailable within the timeout while Redis hangs, and recovers', async () => {
    const store = redisStore(redis.settings({ timeoutMs: 100 }));
    expect(await store.claimOnce('warm', 1000)).to.equal(true);
    redis.pause();
    try {
      const failure = await store.claimOnce('during-pause', 1000).then(() => null, (e: unknown) => e);
      expect(failure).to.be.instanceOf(StoreUnavailable);
    } finally {
      redis.resume();
    }
    expect(await store.claimOnce('after-pause', 1000)).to.equal(true);
  });

  it('rejects with StoreUnavailable at once when nothing listens, and never with a password in the message', async () => {
    const store = redisStore(redis.settings({ port: 1, password: 'secret-never-shown', timeoutMs: 100 }));
    const failure = (await store.get('x').then(() => null, (e: unknown) => e)) as Error;
    expect(failure).to.be.instanceOf(StoreUnavailable);
    expect(failure.message).to.not.include('secret-never-shown');
  });

  it('refuses the wrong password', async () => {
    const store = redisStore(redis.settings({ password: 'wrong-password', timeoutMs: 200 }));
    const failure = await store.get('x').then(() => null, (e: unknown) => e);
    expect(failure).to.be.instanceOf(StoreUnavailable);
  });
});
