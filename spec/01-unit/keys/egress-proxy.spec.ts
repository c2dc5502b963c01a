// Discovery and key-set fetches through a forward proxy (a local CONNECT / absolute-form proxy from
// spec/support): HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment, key_set.proxy_url per
// plugin, and the fetch limits through the tunnel. The test issuer is named issuer.test, a name only
// the proxy resolves: a key set that loads proves the requests went through the proxy, none direct.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { startDevIssuer, type DevIssuer } from '../../../dev/issuer';
import type { KeySetSettings } from '../../../plugin/config/types';
import { keySetFor, resetKeySets, KeySetError } from '../../../plugin/keys';
import { httpGetJson } from '../../../plugin/keys/http-get-json';
import { startForwardProxy, type ForwardProxy } from '../../support/forward-proxy';
import { withFreePort } from '../../support/free-port';
import { repoRoot } from '../../support/repo-paths';
import { headerOf, keySettings, recordingLog, rejectionOf } from './helpers';

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'];

/** A listener that accepts connections and never answers: a proxy that hangs on CONNECT. */
async function silentListener(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

describe('key sets through a forward proxy', function () {
  this.timeout(20_000);
  const saved: Record<string, string | undefined> = {};
  let proxy: ForwardProxy;
  let hidden: DevIssuer;
  let log: ReturnType<typeof recordingLog>;

  beforeEach(async () => {
    for (const name of PROXY_VARIABLES) {
      saved[name] = process.env[name];
      delete process.env[name];
    }
    resetKeySets();
    log = recordingLog();
    hidden = await withFreePort((port) => startDevIssuer({ port, publicBaseUrl: `http://issuer.test:${port}` }));
    proxy = await startForwardProxy({ 'issuer.test': '127.0.0.1' });
  });

  afterEach(async () => {
    for (const name of PROXY_VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    resetKeySets();
    await Promise.all([hidden.close(), proxy.close()]);
  });

  const load = async (over: Partial<KeySetSettings> = {}, issuer = hidden) => {
    const ks = keySetFor(keySettings({ issuer: issuer.issuer, ...over }), log);
    return ks.getKey(headerOf(await issuer.mint()));
  };

  it('the test issuer is unreachable without the proxy (so a loaded key set proves the proxy carried it)', async () => {
    const error = await rejectionOf(load());
    expect(error).to.be.instanceOf(KeySetError).with.property('code', 'keys_unavailable');
    expect(proxy.seen).to.deep.equal([]);
    expect(hidden.requestCount('all')).to.equal(0);
  });

  it('HTTP_PROXY (upper or lower case) carries discovery and the key-set fetch; the issuer sees only proxied requests', async () => {
    for (const name of ['HTTP_PROXY', 'http_proxy']) {
      resetKeySets();
      proxy.seen.length = 0;
      hidden.resetCounts();
      process.env[name] = proxy.url;
      await load();
      delete process.env[name];
      const base = `http://issuer.test:${new URL(hidden.issuer).port}/oauth2/default`;
      expect(proxy.seen, name).to.deep.equal([`GET ${base}/.well-known/oauth-authorization-server`, `GET ${base}/v1/keys`]);
      expect(hidden.requestCount('all'), name).to.equal(proxy.seen.length);
    }
  });

  it('NO_PROXY exempts an issuer from the environment proxy: it is fetched directly', async () => {
    const local = await startDevIssuer();
    try {
      process.env.HTTP_PROXY = proxy.url;
      process.env.NO_PROXY = 'localhost,127.0.0.1';
      await load({}, local);
      expect(local.requestCount('jwks')).to.equal(1);
      expect(proxy.seen).to.deep.equal([]);
    } finally {
      await local.close();
    }
  });

  it('key_set.proxy_url carries the fetches without any environment, wins over HTTP_PROXY, ignores NO_PROXY and sends its credentials', async () => {
    const dead = await silentListener();
    try {
      process.env.HTTP_PROXY = dead.url;
      process.env.NO_PROXY = 'issuer.test';
      const withCredentials = new URL(proxy.url);
      withCredentials.username = 'svc';
      withCredentials.password = 's3cret';
      await load({ proxyUrl: withCredentials.href });
      expect(proxy.seen).to.have.length(2);
      expect(proxy.authorizations).to.deep.equal(Array(2).fill(`Basic ${Buffer.from('svc:s3cret').toString('base64')}`));
    } finally {
      await dead.close();
    }
  });

  it('the connect timeout covers the tunnel: a proxy that never answers CONNECT fails the fetch in time, naming the proxy without its credentials', async () => {
    const dead = await silentListener();
    try {
      const proxyUrl = `http://user:pw@${new URL(dead.url).host}`;
      const started = Date.now();
      const error = await rejectionOf(httpGetJson(new URL('https://issuer.test/keys'), { connectTimeoutMs: 300, maxBodyBytes: 1024, proxyUrl }, AbortSignal.timeout(5000)));
      expect(Date.now() - started).to.be.below(2000);
      expect(error.message).to.equal(`connect to https://issuer.test via proxy ${dead.url} timed out after 300 ms`);
    } finally {
      await dead.close();
    }
  });

  it('the body cap holds through the proxy', async () => {
    process.env.HTTP_PROXY = proxy.url;
    const error = await rejectionOf(httpGetJson(new URL(hidden.jwksUri), { connectTimeoutMs: 1000, maxBodyBytes: 64, proxyUrl: null }, AbortSignal.timeout(5000)));
    expect(error.message).to.match(/exceeds the 64-byte cap$/);
    expect(proxy.seen).to.deep.equal([`GET ${hidden.jwksUri}`]);
  });

  describe('an https issuer through CONNECT, trusted through NODE_EXTRA_CA_CERTS', () => {
    const TLS = path.join(repoRoot(), 'spec', 'fixtures', 'tls');
    let server: https.Server;
    let origin: string;

    beforeEach(async () => {
      server = https.createServer({ cert: fs.readFileSync(path.join(TLS, 'issuer-test.crt')), key: fs.readFileSync(path.join(TLS, 'issuer-test.key')) }, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      origin = `https://issuer.test:${(server.address() as AddressInfo).port}`;
    });
    afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

    /** httpGetJson in a fresh process (Node reads NODE_EXTRA_CA_CERTS at start only). */
    function fetchInChild(env: Record<string, string>): Promise<{ ok: boolean; text: string }> {
      const module = path.join(repoRoot(), 'dist', 'plugins', 'okta-jwt', 'keys', 'http-get-json.js');
      const script = `require(${JSON.stringify(module)}).httpGetJson(new URL(process.argv[1]), { connectTimeoutMs: 2000, maxBodyBytes: 1024, proxyUrl: null }, AbortSignal.timeout(5000))
        .then((r) => console.log(JSON.stringify(r.json)), (e) => { console.log(e.message); process.exitCode = 1; })`;
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !PROXY_VARIABLES.includes(k) && k !== 'NODE_EXTRA_CA_CERTS'));
      return new Promise((resolve) => {
        execFile(process.execPath, ['-e', script, `${origin}/keys`], { env: { ...clean, ...env }, timeout: 15_000 }, (err, stdout) => resolve({ ok: err === null, text: stdout.trim() }));
      });
    }

    it('tunnels with CONNECT and verifies the issuer certificate end to end against NODE_EXTRA_CA_CERTS', async () => {
      const result = await fetchInChild({ HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: path.join(TLS, 'issuer-test.crt') });
      expect(result).to.deep.equal({ ok: true, text: '{"keys":[]}' });
      expect(proxy.seen).to.deep.equal([`CONNECT ${new URL(origin).host}`]);
    });

    it('refuses the issuer certificate without NODE_EXTRA_CA_CERTS (the proxy never sees plaintext)', async () => {
      const result = await fetchInChild({ https_proxy: proxy.url });
      expect(result.ok).to.equal(false);
      expect(result.text).to.match(/^request to https:\/\/issuer\.test:\d+ via proxy http:\/\/127\.0\.0\.1:\d+ failed: (SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT)$/);
      expect(proxy.seen).to.deep.equal([`CONNECT ${new URL(origin).host}`]);
    });
  });
});
