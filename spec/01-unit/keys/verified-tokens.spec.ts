// The process-wide verified-token cache: lifetime, bounds, partitioning, immutability; plus a
// measurement (printed, not asserted) of a cache hit against a full RS256 jwtVerify.
import { expect } from 'chai';
import { performance } from 'node:perf_hooks';
import { SignJWT, generateKeyPair, jwtVerify } from 'jose';
import {
  getVerified,
  putVerified,
  resetVerifiedTokens,
  verifiedTokenCount,
  type CachedVerification,
} from '../../../plugin/cache/verified-tokens';
import { fakeTime } from './helpers';

const settings = { maxEntries: 1000, maxTtlSeconds: 300 };
const nowSeconds = () => Math.floor((Date.now() + fakeTime.offsetMs) / 1000);
const entry = (expiresInSeconds: number, claims: Record<string, unknown> = { sub: 'alice' }): CachedVerification => ({
  claims,
  kid: 'kid-1',
  expiresAt: nowSeconds() + expiresInSeconds,
});

describe('verified-token cache', () => {
  beforeEach(() => {
    fakeTime.install();
    resetVerifiedTokens();
  });
  afterEach(() => {
    fakeTime.uninstall();
    resetVerifiedTokens();
  });

  it('returns a stored verification for the exact token and config identity only', () => {
    putVerified('a.b.c', 'config-1', entry(60), settings);
    expect(getVerified('a.b.c', 'config-1', settings)).to.deep.include({ kid: 'kid-1', claims: { sub: 'alice' } });
    expect(getVerified('a.b.C', 'config-1', settings)).to.equal(undefined);
    expect(getVerified('a.b.c ', 'config-1', settings)).to.equal(undefined);
    expect(getVerified('a.b.c', 'config-2', settings), 'another identity does not share entries').to.equal(undefined);
  });

  it('never keeps an entry past the token exp', () => {
    putVerified('t', 'c', entry(10), settings);
    fakeTime.advance(9);
    expect(getVerified('t', 'c', settings)).not.to.equal(undefined);
    fakeTime.advance(1);
    expect(getVerified('t', 'c', settings)).to.equal(undefined);
  });

  it('never keeps an entry longer than maxTtlSeconds', () => {
    putVerified('t', 'c', entry(3600), { maxEntries: 10, maxTtlSeconds: 5 });
    fakeTime.advance(4);
    expect(getVerified('t', 'c', { maxEntries: 10, maxTtlSeconds: 5 })).not.to.equal(undefined);
    fakeTime.advance(1);
    expect(getVerified('t', 'c', { maxEntries: 10, maxTtlSeconds: 5 })).to.equal(undefined);
  });

  it('does not store an already expired or exp-less token', () => {
    putVerified('t', 'c', entry(0), settings);
    putVerified('u', 'c', { claims: {}, kid: undefined, expiresAt: Number.NaN }, settings);
    expect(verifiedTokenCount()).to.equal(0);
  });

  it('evicts the least recently used entry when full, without throwing', () => {
    const small = { maxEntries: 3, maxTtlSeconds: 300 };
    for (const t of ['t1', 't2', 't3']) putVerified(t, 'c', entry(60), small);
    getVerified('t1', 'c', small); // t1 is now the most recently used
    expect(() => {
      for (let i = 4; i <= 1000; i++) putVerified(i === 4 ? 't4' : `x${i}`, 'c', entry(60), small);
    }).not.to.throw();
    expect(verifiedTokenCount()).to.equal(3);
    putVerified('t1', 'c', entry(60), small);
    expect(getVerified('t2', 'c', small)).to.equal(undefined);
  });

  it('keeps recently used entries over older ones', () => {
    const small = { maxEntries: 2, maxTtlSeconds: 300 };
    putVerified('old', 'c', entry(60), small);
    putVerified('hot', 'c', entry(60), small);
    getVerified('old', 'c', small);
    putVerified('new', 'c', entry(60), small);
    expect(getVerified('old', 'c', small)).not.to.equal(undefined);
    expect(getVerified('hot', 'c', small)).to.equal(undefined);
  });

  it('stores nothing when maxEntries is 0', () => {
    putVerified('t', 'c', entry(60), { maxEntries: 0, maxTtlSeconds: 300 });
    expect(getVerified('t', 'c', { maxEntries: 0, maxTtlSeconds: 300 })).to.equal(undefined);
    expect(verifiedTokenCount()).to.equal(0);
  });

  it('gives each setting its own bound: a plugin with a small cache never evicts another plugin\'s entries', () => {
    putVerified('shared', 'c', entry(60), settings);
    const tiny = { maxEntries: 1, maxTtlSeconds: 300 };
    for (let i = 0; i < 100; i++) putVerified(`flood${i}`, 'c', entry(60), tiny);
    expect(getVerified('shared', 'c', settings), 'same identity, larger cache').not.to.equal(undefined);
    for (let i = 0; i < 100; i++) putVerified(`flood${i}`, 'other', entry(60), tiny);
    expect(getVerified('shared', 'c', settings), 'another identity').not.to.equal(undefined);
    expect(verifiedTokenCount()).to.equal(3);
  });

  it('drops a partition once all its entries expired', () => {
    for (let i = 0; i < 10; i++) putVerified(`old${i}`, 'retired-config', entry(30), settings);
    fakeTime.advance(61);
    putVerified('t', 'c', entry(60), settings);
    expect(verifiedTokenCount()).to.equal(1);
  });

  it('freezes what it stores: mutating claims cannot leak into the next request', () => {
    const claims = { sub: 'alice', scp: ['read'], nested: { role: 'user' } };
    putVerified('t', 'c', entry(60, claims), settings);
    expect(() => claims.scp.push('admin')).to.throw(TypeError); // handed over: frozen in place
    const hit = getVerified('t', 'c', settings)!;
    expect(hit.claims.scp).to.deep.equal(['read']);
    expect(() => (hit.claims.scp as string[]).push('admin')).to.throw(TypeError);
    expect(() => {
      (hit.claims.nested as Record<string, string>).role = 'admin';
    }).to.throw(TypeError);
    expect(getVerified('t', 'c', settings)!.claims).to.deep.equal({ sub: 'alice', scp: ['read'], nested: { role: 'user' } });
  });

  it('measures a cache hit against a full RS256 jwtVerify (printed, not asserted)', async function () {
    this.timeout(30000);
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({ scp: ['read', 'write'], cid: 'client', uid: 'user' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('https://example.okta.com/oauth2/default')
      .setAudience('api://default')
      .setSubject('alice@example.com')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
    const options = { issuer: 'https://example.okta.com/oauth2/default', audience: 'api://default', algorithms: ['RS256'] };
    const { payload } = await jwtVerify(token, publicKey, options);
    putVerified(token, 'bench', { claims: payload as Record<string, unknown>, kid: 'k1', expiresAt: payload.exp! }, settings);

    const iterations = 2000;
    const perOpUs = (start: number) => ((performance.now() - start) * 1000) / iterations;
    for (let i = 0; i < 200; i++) await jwtVerify(token, publicKey, options); // warm-up
    let start = performance.now();
    for (let i = 0; i < iterations; i++) await jwtVerify(token, publicKey, options);
    const verifyUs = perOpUs(start);
    for (let i = 0; i < 200; i++) getVerified(token, 'bench', settings);
    start = performance.now();
    for (let i = 0; i < iterations; i++) getVerified(token, 'bench', settings); // synchronous, as the lead calls it
    const hitUs = perOpUs(start);
    console.log(
      `      token-cache hit: ${hitUs.toFixed(2)} µs/op; jose jwtVerify RS256: ${verifyUs.toFixed(1)} µs/op ` +
        `(${iterations} iterations, token ${token.length} bytes, ~${Math.round(verifyUs / hitUs)}× faster)`,
    );
    expect(getVerified(token, 'bench', settings)).not.to.equal(undefined);
  });
});
