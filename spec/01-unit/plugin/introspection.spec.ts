// Token introspection against the real dev issuer over HTTP: private_key_jwt client assertions,
// answers shared between nodes through a real Redis, and failures that never read as "active".
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { expect } from 'chai';
import { DEV_CLIENT_ID, DEV_CLIENT_SECRET } from '../../../dev/dev-identity';
import { startDevIssuer, type DevIssuer } from '../../../dev/issuer';
import { normaliseConfig } from '../../../plugin/config/normalise';
import type { PluginConfig } from '../../../plugin/config/types';
import { clearIntrospectionAnswers } from '../../../plugin/introspection/results';
import { introspect } from '../../../plugin/introspection/introspect';
import { decide } from '../../../plugin/core/decide';
import { keySetFor } from '../../../plugin/keys';
import { closeRedisConnections } from '../../../plugin/state/redis-connections';
import { redisServerInstalled, startRedisServer, type RedisServer } from '../../support/redis-server';

describe('token introspection (dev issuer over HTTP)', function () {
  this.timeout(20000);
  let issuer: DevIssuer;
  let redis: RedisServer | null = null;

  const config = (introspection: Record<string, unknown>, extra: Record<string, unknown> = {}): PluginConfig =>
    normaliseConfig({ issuer: issuer.issuer, audiences: ['api://default'], introspection: { mode: 'always', client_id: DEV_CLIENT_ID, ...introspection }, ...extra });
  const verdict = async (token: string, c: PluginConfig) => (await introspect(token, issuer.issuer, Math.floor(Date.now() / 1000) + 3600, c, c.introspection!)).kind;

  before(async () => {
    issuer = await startDevIssuer();
    if (redisServerInstalled()) redis = await startRedisServer();
  });
  beforeEach(() => {
    clearIntrospectionAnswers();
    issuer.resetCounts();
    issuer.setClientKey(null);
  });
  after(async () => {
    closeRedisConnections();
    await Promise.all([issuer?.close(), redis?.stop()]);
  });

  it('authenticates with private_key_jwt: an assertion signed with the configured key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const c = config({ client_auth_method: 'private_key_jwt', private_key: await exportPKCS8(privateKey), private_key_id: 'k1', cache_ttl_seconds: 0 });
    const token = await issuer.mint();
    expect(await verdict(token, c), 'no key registered: the issuer answers 401').to.equal('unavailable');
    issuer.setClientKey({ ...(await exportJWK(publicKey)), kid: 'k1' });
    expect(await verdict(token, c)).to.equal('active');
  });

  it('refuses at config time a private key it cannot use', () => {
    expect(() => config({ client_auth_method: 'private_key_jwt', private_key: 'not a key' })).to.throw(/introspection.private_key is not a private key/);
  });

  it('never reads a wrong secret or an unknown token as active', async () => {
    const token = await issuer.mint();
    expect(await verdict(token, config({ client_secret: 'wrong' }))).to.equal('unavailable');
    expect(await verdict(`${token.slice(0, -4)}AAAA`, config({ client_secret: DEV_CLIENT_SECRET }))).to.equal('inactive');
  });

  it('shares answers between nodes through Redis: a second node asks no endpoint', async function () {
    if (redis === null) this.skip();
    const c = config({ client_secret: DEV_CLIENT_SECRET }, { redis: redis!.configRecord({ key_prefix: `introspection-${Date.now()}:` }) });
    const token = await issuer.mint();
    expect(await verdict(token, c)).to.equal('active');
    // The answer is written to Redis without delaying the request: wait for it.
    for (let i = 0; i < 500 && (await redis!.client().keys(`introspection-*`)).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    clearIntrospectionAnswers(); // another node: nothing in its own process
    expect(await verdict(token, c)).to.equal('active');
    expect(issuer.requestCount('introspect')).to.equal(1);
  });

  it('refuses a token already found inactive on a request the sample did not draw (no retrying until one is not drawn)', async () => {
    const c = config({ mode: 'sample', sample_percent: 50, client_secret: DEV_CLIENT_SECRET });
    const token = await issuer.mint();
    const revoked = await fetch(`${issuer.issuer}/v1/revoke`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${DEV_CLIENT_ID}:${DEV_CLIENT_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(revoked.status).to.equal(200);
    expect(await verdict(token, c), 'a drawn request finds it revoked').to.equal('inactive');
    const keySets = new Map([[issuer.issuer, keySetFor(c.issuers[0]!.keys)]]);
    const drawn = Math.random;
    Math.random = () => 0.99; // never drawn
    try {
      const decision = await decide({ headers: { authorization: [`Bearer ${token}`] }, method: 'GET', path: '/', rawQuery: null, alreadyAuthenticated: false }, c, keySets);
      expect(decision.kind, JSON.stringify(decision)).to.equal('deny');
      expect((decision as { reason?: string }).reason).to.equal('token_revoked');
    } finally {
      Math.random = drawn;
    }
    expect(issuer.requestCount('introspect'), 'the undrawn request asked no endpoint').to.equal(1);
  });
});
