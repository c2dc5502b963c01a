// Key sets against a real loopback issuer (dev/issuer.ts): discovery, caching, rotation, unknown
// kids, outages. Time-dependent behaviour runs on a movable clock; fetch timeouts are real.
import { expect } from 'chai';
import { jwtVerify } from 'jose';
import { startDevIssuer, DEV_AUDIENCE, type DevIssuer } from '../../../dev/issuer';
import type { KeySetSettings } from '../../../plugin/config/types';
import { keySetFor, resetKeySets, KeySetError, MAX_KEY_SETS, type KeySet } from '../../../plugin/keys';
import { BACKOFF_CAP_MS, MAX_REMEMBERED_UNKNOWN_KIDS } from '../../../plugin/keys/remote-key-set';
import { eventually, fakeTime, headerOf, keySettings, recordingLog, rejectionOf } from './helpers';

describe('key sets (against a live dev issuer)', () => {
  let issuer: DevIssuer;
  let log: ReturnType<typeof recordingLog>;

  beforeEach(async () => {
    fakeTime.install();
    resetKeySets();
    log = recordingLog();
    issuer = await startDevIssuer({ cacheMaxAgeSeconds: 300 });
  });

  afterEach(async () => {
    fakeTime.uninstall();
    resetKeySets();
    await issuer.close();
  });

  const keySet = (over: Partial<KeySetSettings> = {}): KeySet =>
    keySetFor(keySettings({ issuer: issuer.issuer, ...over }), log);

  it('discovers the jwks_uri, fetches the keys once and verifies a token with them', async () => {
    const ks = keySet();
    const token = await issuer.mint();
    const { payload } = await jwtVerify(token, ks.getKey, { issuer: issuer.issuer, audience: DEV_AUDIENCE, algorithms: ['RS256'] });
    await jwtVerify(token, ks.getKey, { issuer: issuer.issuer, audience: DEV_AUDIENCE, algorithms: ['RS256'] });
    expect(payload.iss).to.equal(issuer.issuer);
    expect(issuer.requestCount('discovery')).to.equal(1);
    expect(issuer.requestCount('jwks')).to.equal(1);
    expect(ks.stillTrusts(issuer.currentKid())).to.equal(true);
    expect(ks.stillTrusts('no-such-kid')).to.equal(false);
    expect(ks.stillTrusts(undefined)).to.equal(false);
  });

  it('uses a configured jwks_uri without discovery', async () => {
    const ks = keySet({ jwksUri: issuer.jwksUri });
    await ks.getKey(headerOf(await issuer.mint()));
    expect(issuer.requestCount('discovery')).to.equal(0);
    expect(issuer.requestCount('jwks')).to.equal(1);
  });

  it('shares one fetch among 100 concurrent first requests (cold start)', async () => {
    const ks = keySet();
    const header = headerOf(await issuer.mint());
    const keys = await Promise.all(Array.from({ length: 100 }, () => ks.getKey(header)));
    expect(new Set(keys).size).to.equal(1);
    expect(issuer.requestCount('discovery')).to.equal(1);
    expect(issuer.requestCount('jwks')).to.equal(1);
  });

  it('warm() prefetches in the background and never throws, even when the issuer is down', async () => {
    const ks = keySet();
    ks.warm();
    ks.warm();
    await eventually(() => ks.stillTrusts(issuer.currentKid()), 'keys loaded by warm()');
    expect(issuer.requestCount('jwks')).to.equal(1);

    issuer.setFault({ kind: 'status', status: 500 });
    const cold = keySet({ maxBodyBytes: 100000 }); // a different policy, so a separate key set
    expect(() => cold.warm()).not.to.throw();
    await eventually(() => log.warnings.length > 0, 'a warning about the failed fetch');
  });

  it('shares a key set between settings that differ only in timeouts, and keeps policies apart', () => {
    const a = keySet({ timeoutMs: 1000, connectTimeoutMs: 500 });
    const b = keySet({ timeoutMs: 3000, connectTimeoutMs: 900 });
    const c = keySet({ maxStaleSeconds: 10 });
    const d = keySet({ jwksUri: issuer.jwksUri });
    expect(a).to.equal(b);
    expect(c).not.to.equal(a);
    expect(d).not.to.equal(a);
  });

  it('keeps one key set per source while an instance holds it, however many other key sets come and go', () => {
    const held = keySet();
    for (let i = 0; i < 3 * MAX_KEY_SETS; i++) keySet({ maxBodyBytes: 100000 + i }); // other policies, not held
    expect(keySet(), 'the same key set, its cooldown and cached keys included').to.equal(held);
  });

  it('accepts a newly rotated-in kid after exactly one refetch', async () => {
    const ks = keySet();
    await ks.getKey(headerOf(await issuer.mint()));
    fakeTime.advance(31); // past the unknown-kid cooldown, well inside the 300 s TTL
    await issuer.rotate();
    const fresh = await issuer.mint();
    await jwtVerify(fresh, ks.getKey, { issuer: issuer.issuer, audience: DEV_AUDIENCE });
    await jwtVerify(fresh, ks.getKey, { issuer: issuer.issuer, audience: DEV_AUDIENCE });
    expect(issuer.requestCount('jwks')).to.equal(2);
  });

  it('rejects a kid removed from the key set once the set has been refreshed', async () => {
    const ks = keySet();
    const old = await issuer.mint();
    const oldKid = headerOf(old).kid!;
    await ks.getKey(headerOf(old));
    await issuer.rotate({ retireOld: true });
    fakeTime.advance(301); // the cached set is now stale: still served, refreshed in the background
    expect(ks.stillTrusts(oldKid)).to.equal(true);
    await eventually(() => !ks.stillTrusts(oldKid), 'the background refresh to drop the old kid');
    const error = await rejectionOf(ks.getKey(headerOf(old)));
    expect(error).to.be.instanceOf(KeySetError).with.property('code', 'key_not_found');
    expect(ks.stillTrusts(issuer.currentKid())).to.equal(true);
    expect(issuer.requestCount('jwks')).to.equal(2);
  });

  it('serves stale keys at once while a slow background refresh runs', async () => {
    const ks = keySet({ timeoutMs: 2000 });
    const header = headerOf(await issuer.mint());
    await ks.getKey(header);
    fakeTime.advance(301);
    issuer.setFault({ kind: 'slow', delayMs: 800 });
    const started = Date.now();
    await ks.getKey(header);
    expect(Date.now() - started).to.be.below(400);
    await eventually(() => issuer.requestCount('jwks') === 2, 'the background refresh');
  });

  it('honours Cache-Control max-age, clamped to [minTtlSeconds, maxTtlSeconds]', async () => {
    issuer.setCacheMaxAge(5); // below minTtlSeconds = 60
    const ks = keySet();
    const header = headerOf(await issuer.mint());
    await ks.getKey(header);
    fakeTime.advance(30);
    await ks.getKey(header);
    expect(issuer.requestCount('jwks'), 'max-age 5 is raised to 60').to.equal(1);
    fakeTime.advance(31);
    await ks.getKey(header);
    await eventually(() => issuer.requestCount('jwks') === 2, 'refresh after 60 s');

    issuer.setCacheMaxAge(100000); // above maxTtlSeconds = 3600
    await new Promise((r) => setTimeout(r, 20)); // let the refresh above settle
    fakeTime.advance(61);
    await ks.getKey(header);
    await eventually(() => issuer.requestCount('jwks') === 3, 'refresh of the max-age-5 set');
    await new Promise((r) => setTimeout(r, 20));
    fakeTime.advance(3599);
    await ks.getKey(header);
    expect(issuer.requestCount('jwks'), 'still fresh before 3600 s').to.equal(3);
    fakeTime.advance(2);
    await ks.getKey(header);
    await eventually(() => issuer.requestCount('jwks') === 4, 'refresh after 3600 s');
  });

  describe('unknown kids', () => {
    it('10,000 distinct unknown kids cause at most one fetch per cooldown', async () => {
      const ks = keySet();
      const good = headerOf(await issuer.mint());
      await ks.getKey(good);
      const flood = (round: number) =>
        Promise.allSettled(Array.from({ length: 10000 }, (_, i) => ks.getKey({ alg: 'RS256', kid: `unknown-${round}-${i}` })));

      let results = await flood(0); // inside the cooldown after the first fetch
      expect(results.every((r) => r.status === 'rejected' && (r.reason as KeySetError).code === 'key_not_found')).to.equal(true);
      expect(issuer.requestCount('jwks')).to.equal(1);

      fakeTime.advance(30);
      results = await flood(1);
      expect(results.every((r) => r.status === 'rejected')).to.equal(true);
      expect(issuer.requestCount('jwks')).to.equal(2);

      fakeTime.advance(10); // still inside the new cooldown
      await flood(2);
      expect(issuer.requestCount('jwks')).to.equal(2);
      await ks.getKey(good); // known keys keep working through the flood
    });

    it('refuses a kid at once, without a fetch, once a refetch after its first sighting lacked it', async () => {
      const ks = keySet();
      await ks.getKey(headerOf(await issuer.mint()));
      fakeTime.advance(30);
      await rejectionOf(ks.getKey({ alg: 'RS256', kid: 'ghost' }));
      expect(issuer.requestCount('jwks')).to.equal(2);
      fakeTime.advance(30); // cooldown over, but a fetch after 'ghost' was first seen lacked it
      await rejectionOf(ks.getKey({ alg: 'RS256', kid: 'ghost' }));
      expect(issuer.requestCount('jwks')).to.equal(2);
      await rejectionOf(ks.getKey({ alg: 'RS256', kid: 'another-ghost' })); // a new unknown kid refetches
      expect(issuer.requestCount('jwks')).to.equal(3);
    });

    it('refuses a kid published right after the warm-up fetch only until the cooldown ends, then accepts it after one refetch', async () => {
      const ks = keySet();
      ks.warm(); // what every new plugin instance does
      await eventually(() => ks.stillTrusts(issuer.currentKid()), 'the warm-up fetch');
      await issuer.rotate(); // the issuer starts signing with a new key
      const fresh = headerOf(await issuer.mint());
      fakeTime.advance(5);
      expect(await rejectionOf(ks.getKey(fresh)), 'inside the cooldown').to.have.property('code', 'key_not_found');
      expect(await rejectionOf(ks.getKey(fresh))).to.have.property('code', 'key_not_found');
      expect(issuer.requestCount('jwks')).to.equal(1);
      fakeTime.advance(26); // past the 30 s cooldown, well inside the 300 s TTL
      await ks.getKey(fresh);
      await ks.getKey(fresh);
      expect(issuer.requestCount('jwks')).to.equal(2);
    });

    it('concludes nothing from a refetch that failed or that started before the kid was seen', async () => {
      const ks = keySet({ jwksUri: issuer.jwksUri });
      await ks.getKey(headerOf(await issuer.mint()));
      fakeTime.advance(30);
      await issuer.rotate();
      const fresh = headerOf(await issuer.mint());
      issuer.setFault({ kind: 'status', status: 503 });
      expect(await rejectionOf(ks.getKey(fresh))).to.have.property('code', 'key_not_found');
      expect(issuer.requestCount('jwks'), 'the refetch failed').to.equal(2);
      issuer.setFault(null);
      fakeTime.advance(30); // past the cooldown and the first back-off
      await ks.getKey(fresh);
      expect(issuer.requestCount('jwks')).to.equal(3);

      // A kid first seen while a slow fetch is in flight: that fetch cannot vouch for it.
      fakeTime.advance(30);
      issuer.setFault({ kind: 'slow', delayMs: 300 });
      const unknownNow = rejectionOf(ks.getKey({ alg: 'RS256', kid: 'not-yet' })); // starts the refetch
      await eventually(() => issuer.requestCount('jwks') === 4, 'the refetch to reach the issuer');
      await issuer.rotate(); // published after the issuer answered (slowly) with the old document
      const later = headerOf(await issuer.mint());
      const whileInFlight = ks.getKey(later);
      await unknownNow;
      expect(await rejectionOf(whileInFlight), 'the fetch in flight predates the new key').to.have.property('code', 'key_not_found');
      issuer.setFault(null);
      fakeTime.advance(30);
      await ks.getKey(later);
      expect(issuer.requestCount('jwks')).to.equal(5);
    });

    it('keeps 2,000 bogus kids to bounded memory and the one-fetch-per-cooldown rule', async () => {
      const ks = keySet();
      await ks.getKey(headerOf(await issuer.mint()));
      const bogus = (round: number) =>
        Promise.allSettled(Array.from({ length: 2000 }, (_, i) => ks.getKey({ alg: 'RS256', kid: `bogus-${round}-${i}` })));
      // White box: the map of kids seen outside the key set is the only per-kid state.
      const remembered = () => (ks as unknown as { firstSeen: Map<string, number> }).firstSeen.size;
      for (let round = 0; round < 4; round++) {
        await bogus(round); // inside the cooldown: refused, nothing fetched
        fakeTime.advance(30);
        await bogus(round); // the first of these refetches once
        expect(remembered()).to.be.at.most(MAX_REMEMBERED_UNKNOWN_KIDS);
      }
      expect(issuer.requestCount('jwks')).to.equal(1 + 4);
      await issuer.rotate();
      fakeTime.advance(30);
      await ks.getKey(headerOf(await issuer.mint())); // a real new key still gets its refetch
      expect(issuer.requestCount('jwks')).to.equal(6);
    });

    it('a new plugin instance on a loaded key set fetches nothing and keeps the cooldown', async () => {
      const ks = keySet();
      await ks.getKey(headerOf(await issuer.mint()));
      fakeTime.advance(10);
      const again = keySet(); // what StartInstance does for every config change
      again.warm();
      expect(again).to.equal(ks);
      await ks.getKey({ alg: 'RS256', kid: 'ghost' }).catch(() => undefined);
      expect(issuer.requestCount('jwks'), 'still inside the cooldown of the first fetch').to.equal(1);
    });

    it('shares one refetch among 100 concurrent requests for a new kid', async () => {
      const ks = keySet();
      await ks.getKey(headerOf(await issuer.mint()));
      fakeTime.advance(30);
      await issuer.rotate();
      const header = headerOf(await issuer.mint());
      await Promise.all(Array.from({ length: 100 }, () => ks.getKey(header)));
      expect(issuer.requestCount('jwks')).to.equal(2);
    });

    it('accepts a token without kid only while exactly one key matches its alg', async () => {
      const ks = keySet();
      const noKid = await issuer.mint({}, { header: { kid: undefined } });
      expect(headerOf(noKid)).not.to.have.property('kid');
      await jwtVerify(noKid, ks.getKey, { issuer: issuer.issuer, audience: DEV_AUDIENCE });

      await issuer.rotate(); // two RS256 keys published, as during an Okta rotation
      fakeTime.advance(301);
      ks.stillTrusts(issuer.currentKid()); // starts the refresh of the stale set
      await eventually(() => ks.stillTrusts(issuer.currentKid()), 'the set with both keys');
      const error = await rejectionOf(ks.getKey(headerOf(await issuer.mint({}, { header: { kid: undefined } }))));
      expect(error).to.be.instanceOf(KeySetError).with.property('code', 'key_not_found');
    });

    it('rejects a known kid presented with another alg', async () => {
      const ks = keySet();
      const { kid } = headerOf(await issuer.mint());
      const error = await rejectionOf(ks.getKey({ alg: 'RS384', kid }));
      expect(error).to.be.instanceOf(KeySetError).with.property('code', 'key_not_found');
      const hs = await rejectionOf(ks.getKey({ alg: 'HS256', kid }));
      expect(hs).to.have.property('code', 'key_not_found');
    });
  });

  describe('issuer outages', () => {
    it('keeps verifying with the last good keys up to maxStaleSeconds, warning without key material', async () => {
      const ks = keySet({ maxStaleSeconds: 600 });
      const token = await issuer.mint();
      const published = (await (await fetch(issuer.jwksUri)).json()) as { keys: Array<{ n: string }> };
      issuer.resetCounts();
      await ks.getKey(headerOf(token));
      issuer.setFault({ kind: 'status', status: 503 });
      fakeTime.advance(301);
      await jwtVerify(token, ks.getKey, { issuer: issuer.issuer, audience: DEV_AUDIENCE });
      await eventually(() => log.warnings.length === 1, 'a warning about the failing refresh');
      expect(log.warnings[0]).to.match(/refresh failed .*HTTP 503.*still verifying/);
      expect(issuer.requestCount('jwks')).to.equal(2);

      // More requests inside the back-off do not hit the issuer; warnings are rate-limited.
      for (let i = 0; i < 50; i++) await ks.getKey(headerOf(token));
      expect(issuer.requestCount('jwks')).to.equal(2);
      fakeTime.advance(2); // past the first back-off (≤ 1 s), inside the 60 s warning interval
      await ks.getKey(headerOf(token));
      await eventually(() => issuer.requestCount('jwks') === 3, 'a retry after the back-off');
      await new Promise((r) => setTimeout(r, 20));
      expect(log.warnings.length, 'the second failure is not logged again within a minute').to.equal(1);

      for (const w of [...log.warnings, ...log.infos]) expect(w).not.to.include(published.keys[0]!.n.slice(0, 16));

      fakeTime.advance(300 + 600 - 301 - 2 + 1); // past TTL + maxStale
      const error = await rejectionOf(ks.getKey(headerOf(token)));
      expect(error).to.be.instanceOf(KeySetError).with.property('code', 'keys_unavailable');
      expect(ks.stillTrusts(headerOf(token).kid)).to.equal(false);
    });

    it('with nothing cached answers keys_unavailable with retryAfterSeconds, and backs off', async () => {
      issuer.setFault({ kind: 'status', status: 500 });
      const ks = keySet();
      const header = headerOf(await issuer.mint());
      const first = await rejectionOf(ks.getKey(header));
      expect(first).to.be.instanceOf(KeySetError).with.property('code', 'keys_unavailable');
      expect(first.retryAfterSeconds).to.be.a('number').and.to.be.at.least(1);
      const attempts = issuer.requestCount('all');

      const again = await rejectionOf(ks.getKey(header));
      expect(again).to.have.property('code', 'keys_unavailable');
      expect(issuer.requestCount('all'), 'no new attempt inside the back-off').to.equal(attempts);

      issuer.setFault(null);
      fakeTime.advance(BACKOFF_CAP_MS / 1000);
      await ks.getKey(header);
      expect(issuer.requestCount('jwks')).to.equal(1);
    });

    it('doubles the back-off after each consecutive failure', async () => {
      issuer.setFault({ kind: 'status', status: 500 });
      const ks = keySet({ jwksUri: issuer.jwksUri });
      const header = { alg: 'RS256', kid: 'k' };
      const retryAfters: number[] = [];
      for (let i = 0; i < 4; i++) {
        const error = await rejectionOf(ks.getKey(header));
        retryAfters.push(error.retryAfterSeconds);
        fakeTime.advance(error.retryAfterSeconds);
      }
      expect(issuer.requestCount('jwks')).to.equal(4);
      // Jittered within [½, 1] of 1, 2, 4, 8 s (rounded up to whole seconds).
      [1, 2, 4, 8].forEach((ceiling, i) => expect(retryAfters[i]).to.be.within(Math.ceil(ceiling / 2), ceiling));
    });

    it('gives up on a hanging issuer after timeoutMs', async () => {
      issuer.setFault({ kind: 'hang' });
      const ks = keySet({ timeoutMs: 300 });
      const started = Date.now();
      const error = await rejectionOf(ks.getKey({ alg: 'RS256', kid: 'k' }));
      const elapsed = Date.now() - started;
      expect(error).to.have.property('code', 'keys_unavailable');
      expect(error.message).to.match(/in time/);
      expect(elapsed).to.be.at.least(250).and.below(1000);
    });

    it('gives up on a slow issuer after timeoutMs, discovery included', async () => {
      issuer.setFault({ kind: 'slow', delayMs: 200, on: 'jwks' });
      const ks = keySet({ timeoutMs: 150 });
      const error = await rejectionOf(ks.getKey({ alg: 'RS256', kid: 'k' }));
      expect(error).to.have.property('code', 'keys_unavailable');
      expect(issuer.requestCount('discovery')).to.equal(1);
    });

    it('refuses an oversized key set announced by Content-Length without reading it', async () => {
      issuer.setFault({ kind: 'huge', bytes: 8 * 1024 * 1024, on: 'jwks' });
      // Generous deadlines: under load a 1 s timeout could end the fetch before the cap is checked.
      const ks = keySet({ maxBodyBytes: 262144, connectTimeoutMs: 10000, timeoutMs: 20000 });
      const error = await rejectionOf(ks.getKey({ alg: 'RS256', kid: 'k' }));
      expect(error).to.have.property('code', 'keys_unavailable');
      expect(error.message).to.match(/262144-byte cap/);
    });

    for (const kind of ['garbage', 'wrong-shape'] as const) {
      it(`treats a ${kind} key set as a failure and keeps the last good keys`, async () => {
        const ks = keySet();
        const header = headerOf(await issuer.mint());
        issuer.setFault({ kind, on: 'jwks' });
        expect(await rejectionOf(ks.getKey(header))).to.have.property('code', 'keys_unavailable');
        issuer.setFault(null);
        fakeTime.advance(BACKOFF_CAP_MS / 1000);
        await ks.getKey(header);
        issuer.setFault({ kind, on: 'jwks' });
        fakeTime.advance(301);
        await ks.getKey(header);
        await eventually(() => log.warnings.some((w) => /refresh failed/.test(w)), 'the failed refresh');
        await ks.getKey(header);
      });
    }

    it('reports a vanished issuer (connection refused) as keys_unavailable', async () => {
      const ks = keySet({ jwksUri: issuer.jwksUri });
      await issuer.close();
      const error = await rejectionOf(ks.getKey({ alg: 'RS256', kid: 'k' }));
      expect(error).to.have.property('code', 'keys_unavailable');
      expect(error.message).to.match(/ECONNREFUSED/);
      issuer = await startDevIssuer(); // for afterEach
    });
  });

  describe('discovery', () => {
    it('refuses metadata that names another issuer, and never fetches its jwks_uri', async () => {
      const elsewhere = await startDevIssuer({ publicBaseUrl: 'http://127.0.0.1:9' });
      try {
        const configured = `${elsewhere.localBaseUrl}/oauth2/default`; // metadata says http://127.0.0.1:9/...
        const ks = keySetFor(keySettings({ issuer: configured }), log);
        const error = await rejectionOf(ks.getKey({ alg: 'RS256', kid: 'k' }));
        expect(error).to.have.property('code', 'keys_unavailable');
        expect(error.message).to.match(/different issuer/);
        expect(elsewhere.requestCount('discovery')).to.equal(2); // both well-known documents tried
        expect(elsewhere.requestCount('jwks')).to.equal(0);
      } finally {
        await elsewhere.close();
      }
    });

    it('caches the discovered jwks_uri across key refreshes', async () => {
      const ks = keySet();
      const header = headerOf(await issuer.mint());
      await ks.getKey(header);
      fakeTime.advance(301);
      await ks.getKey(header);
      await eventually(() => issuer.requestCount('jwks') === 2, 'the refresh');
      expect(issuer.requestCount('discovery')).to.equal(1);
    });
  });
});
