// What the key-set layer accepts from a JWK Set and from issuer metadata, served by a scripted
// loopback server (hand-made documents the dev issuer cannot produce).
import { expect } from 'chai';
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { keySetFor, resetKeySets, KeySetError } from '../../../plugin/keys';
import { MAX_KEYS_PER_SET } from '../../../plugin/keys/remote-key-set';
import { acceptableJwksUri } from '../../../plugin/keys/discovery';
import { endlessBody, json, startScriptedServer, type ScriptedServer } from '../../fixtures/keys/scripted-server';
import { python3Available, startUnacceptingListener } from '../../fixtures/keys/unaccepting-listener';
import { eventually, fakeTime, keySettings, recordingLog, rejectionOf } from './helpers';

function rsaPair(modulusLength = 2048): { pub: JsonWebKey; priv: JsonWebKey } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength });
  return { pub: publicKey.export({ format: 'jwk' }), priv: privateKey.export({ format: 'jwk' }) };
}

describe('key filtering and metadata checks (against a scripted issuer)', () => {
  let server: ScriptedServer;
  let log: ReturnType<typeof recordingLog>;
  const good = rsaPair();

  beforeEach(async () => {
    fakeTime.install();
    resetKeySets();
    log = recordingLog();
    server = await startScriptedServer();
  });

  afterEach(async () => {
    fakeTime.uninstall();
    resetKeySets();
    await server.close();
  });

  const keySetAt = (path: string, over = {}) =>
    keySetFor(keySettings({ issuer: server.origin, jwksUri: server.origin + path, ...over }), log);

  it('ignores oct, private, encryption, weak, malformed and non-object entries but keeps the good key', async () => {
    const weak = rsaPair(1024);
    const privateEc = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
    server.routes.set('/keys', json({
      keys: [
        { kty: 'oct', kid: 'oct', alg: 'HS256', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' },
        { ...good.priv, kid: 'private', alg: 'RS256', use: 'sig' },
        { ...privateEc, kid: 'private-ec', alg: 'ES256' },
        { ...good.pub, kid: 'enc', use: 'enc' },
        { ...good.pub, kid: 'ops', key_ops: ['encrypt'] },
        { ...weak.pub, kid: 'weak', alg: 'RS256' },
        { kty: 'RSA', kid: 'malformed', alg: 'RS256', n: good.pub.n }, // no exponent
        { ...good.pub, kid: 'hs-alg', alg: 'HS256' },
        { kty: 'XYZ', kid: 'unknown-kty' },
        'not-an-object',
        null,
        { ...good.pub, kid: 'good', alg: 'RS256', use: 'sig' },
      ],
    }));
    const ks = keySetAt('/keys');
    const key = await ks.getKey({ alg: 'RS256', kid: 'good' });
    expect(key).to.have.property('type', 'public');
    for (const kid of ['oct', 'private', 'private-ec', 'enc', 'ops', 'weak', 'malformed', 'hs-alg', 'unknown-kty']) {
      expect(ks.stillTrusts(kid), kid).to.equal(false);
      const error = await rejectionOf(ks.getKey({ alg: kid === 'oct' || kid === 'hs-alg' ? 'HS256' : 'RS256', kid }));
      expect(error, kid).to.be.instanceOf(KeySetError).with.property('code', 'key_not_found');
    }
    expect(server.hits('/keys'), 'the ignored kids were remembered as unknown, not refetched').to.equal(1);
    expect(log.warnings).to.have.length(1);
    expect(log.warnings[0]).to.include(
      'ignored keys: 1 × symmetric key, 2 × private key material, 1 × use is not sig, 1 × key_ops lacks verify, ' +
        '1 × RSA key under 2048 bits, 1 × malformed key, 1 × unsupported alg, 1 × unsupported kty, 2 × not an object',
    );
    for (const secret of [good.priv.d!, good.pub.n!, 'c2VjcmV0']) expect(log.warnings[0]).not.to.include(secret.slice(0, 12));
  });

  it('refuses a key set with no usable key at all', async () => {
    server.routes.set('/keys', json({ keys: [{ kty: 'oct', kid: 'oct', k: 'c2VjcmV0' }, { ...good.priv, kid: 'p' }] }));
    const error = await rejectionOf(keySetAt('/keys').getKey({ alg: 'RS256', kid: 'p' }));
    expect(error).to.have.property('code', 'keys_unavailable');
    expect(error.message).to.match(/no usable signature key/);
  });

  it(`accepts at most ${MAX_KEYS_PER_SET} keys from one set`, async () => {
    const keys = Array.from({ length: 150 }, (_, i) => ({ ...good.pub, kid: `k${i}`, alg: 'RS256' }));
    server.routes.set('/keys', json({ keys }));
    const ks = keySetAt('/keys');
    await ks.getKey({ alg: 'RS256', kid: 'k0' });
    expect(ks.stillTrusts(`k${MAX_KEYS_PER_SET - 1}`)).to.equal(true);
    expect(ks.stillTrusts(`k${MAX_KEYS_PER_SET}`)).to.equal(false);
    expect(log.infos.join()).to.include(`50 × over the ${MAX_KEYS_PER_SET}-key cap`);
  });

  it('refuses a kid published twice for the same alg (ambiguous key)', async () => {
    const other = rsaPair();
    server.routes.set('/keys', json({
      keys: [{ ...good.pub, kid: 'twin', alg: 'RS256' }, { ...other.pub, kid: 'twin', alg: 'RS256' }, { ...good.pub, kid: 'solo', alg: 'RS256' }],
    }));
    const ks = keySetAt('/keys');
    expect(await rejectionOf(ks.getKey({ alg: 'RS256', kid: 'twin' }))).to.have.property('code', 'key_not_found');
    await ks.getKey({ alg: 'RS256', kid: 'solo' });
  });

  it('aborts reading a streamed body as soon as it passes maxBodyBytes', async () => {
    const stream = endlessBody(64 * 1024 * 1024);
    server.routes.set('/keys', stream.script);
    // Generous deadlines: the cap, not the clock, must end this fetch, also on a busy machine.
    const ks = keySetAt('/keys', { maxBodyBytes: 65536, connectTimeoutMs: 10000, timeoutMs: 20000 });
    const error = await rejectionOf(ks.getKey({ alg: 'RS256', kid: 'k' }));
    expect(error).to.have.property('code', 'keys_unavailable');
    expect(error.message).to.match(/exceeds the 65536-byte cap/);
    // The server sees the close some time after the client aborts: wait for it, then check how little was sent.
    await eventually(() => stream.closedEarly(), 'the server to see the connection closed');
    expect(stream.written()).to.be.below(8 * 1024 * 1024);
  });

  it('refuses a redirect instead of following it', async () => {
    server.routes.set('/moved', (_req, res) => res.writeHead(302, { location: `${server.origin}/keys` }).end());
    server.routes.set('/keys', json({ keys: [{ ...good.pub, kid: 'good', alg: 'RS256' }] }));
    const error = await rejectionOf(keySetAt('/moved').getKey({ alg: 'RS256', kid: 'good' }));
    expect(error).to.have.property('code', 'keys_unavailable');
    expect(server.hits('/keys')).to.equal(0);
  });

  it('gives up on a connection that is never established after connectTimeoutMs', async function () {
    if (!python3Available()) this.skip(); // the listener that never completes a handshake needs python3
    const listener = await startUnacceptingListener();
    try {
      const ks = keySetFor(
        keySettings({ issuer: server.origin, jwksUri: `http://127.0.0.1:${listener.port}/keys`, connectTimeoutMs: 200, timeoutMs: 5000 }),
        log,
      );
      const started = Date.now();
      const error = await rejectionOf(ks.getKey({ alg: 'RS256', kid: 'k' }));
      expect(error).to.have.property('code', 'keys_unavailable');
      expect(error.message).to.match(/connect to .* timed out after 200 ms/);
      expect(Date.now() - started).to.be.below(2000);
    } finally {
      listener.close();
    }
  });

  describe('discovery', () => {
    const discovering = (issuer: string) => keySetFor(keySettings({ issuer }), log);

    it('falls back to openid-configuration when oauth-authorization-server is missing', async () => {
      const issuer = `${server.origin}/oauth2/abc`;
      server.routes.set('/oauth2/abc/.well-known/openid-configuration', json({ issuer, jwks_uri: `${server.origin}/keys` }));
      server.routes.set('/keys', json({ keys: [{ ...good.pub, kid: 'good', alg: 'RS256' }] }));
      await discovering(issuer).getKey({ alg: 'RS256', kid: 'good' });
      expect(server.hits('/oauth2/abc/.well-known/oauth-authorization-server')).to.equal(1);
      expect(server.hits('/oauth2/abc/.well-known/openid-configuration')).to.equal(1);
    });

    it('refuses a plain-http jwks_uri that is not on a loopback host', async () => {
      const issuer = server.origin;
      server.routes.set('/.well-known/oauth-authorization-server', json({ issuer, jwks_uri: 'http://keys.example.com/keys' }));
      server.routes.set('/.well-known/openid-configuration', json({ issuer, jwks_uri: 'http://keys.example.com/keys' }));
      const error = await rejectionOf(discovering(issuer).getKey({ alg: 'RS256', kid: 'good' }));
      expect(error).to.have.property('code', 'keys_unavailable');
      expect(error.message).to.match(/not https/);
    });

    it('accepts https jwks_uris, and plain http only for loopback or a plain-http issuer\'s own origin', () => {
      const cases: Array<[string, string, boolean]> = [
        ['https://keys.example.com/v1/keys', 'https://org.okta.com/oauth2/default', true],
        ['http://org.okta.com/oauth2/default/v1/keys', 'https://org.okta.com/oauth2/default', false],
        ['http://127.0.0.1:9000/keys', 'http://localhost:9000/oauth2/default', true],
        ['http://[::1]:9000/keys', 'https://127.0.0.1/oauth2/default', true],
        ['http://127.0.0.1:9000/keys', 'https://org.okta.com/oauth2/default', false],
        ['http://issuer:9000/oauth2/default/v1/keys', 'http://issuer:9000/oauth2/default', true],
        ['http://other:9000/keys', 'http://issuer:9000/oauth2/default', false],
        ['ftp://org.okta.com/keys', 'https://org.okta.com/oauth2/default', false],
      ];
      for (const [jwksUri, issuer, accepted] of cases) {
        expect(acceptableJwksUri(new URL(jwksUri), new URL(issuer)), `${jwksUri} for ${issuer}`).to.equal(accepted);
      }
    });

    it('requires the metadata issuer to match the configured one exactly (trailing slash included)', async () => {
      const issuer = `${server.origin}/oauth2/abc`;
      server.routes.set('/oauth2/abc/.well-known/oauth-authorization-server', json({ issuer: `${issuer}/`, jwks_uri: `${server.origin}/keys` }));
      server.routes.set('/keys', json({ keys: [{ ...good.pub, kid: 'good', alg: 'RS256' }] }));
      const error = await rejectionOf(discovering(issuer).getKey({ alg: 'RS256', kid: 'good' }));
      expect(error.message).to.match(/different issuer/);
      expect(server.hits('/keys')).to.equal(0);
    });
  });
});
