// What the doctor finds out about the issuer itself: clock skew against the issuer's Date header,
// an unreachable issuer (exit 3, as the plugin's 503), an issuer that answers but has no metadata
// (exit 1), and that only the configured issuer's metadata and keys are ever requested — never
// with the token.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { startDevIssuer, type DevIssuer } from '../../../dev/issuer';
import { startForwardProxy } from '../../support/forward-proxy';
import { failing, runDoctor, tempDir } from './run-doctor';

interface SkewedIssuer {
  issuer: string;
  /** Every request received: method, path and all header values. */
  requests: string[];
  close(): Promise<void>;
}

/** An Okta-shaped issuer whose clock (its Date header) runs `skewSeconds` ahead; keys come from `keys`. */
async function startSkewedIssuer(keys: DevIssuer, skewSeconds: number): Promise<SkewedIssuer> {
  const jwks = await (await fetch(keys.jwksUri)).text();
  const requests: string[] = [];
  let issuer = '';
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)}`);
    res.setHeader('Date', new Date(Date.now() + skewSeconds * 1000).toUTCString());
    res.setHeader('Content-Type', 'application/json');
    if (req.url === '/oauth2/default/.well-known/oauth-authorization-server') res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/v1/keys` }));
    else if (req.url === '/oauth2/default/v1/keys') res.end(jwks);
    else res.writeHead(404).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/default`;
  return {
    issuer,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const now = () => Math.floor(Date.now() / 1000);
/** An issuer URL on a loopback port nothing listens on (bound, then released). */
async function closedIssuer(): Promise<string> {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}/oauth2/default`;
}

const flags = (issuer: string) => ['--issuer', issuer, '--audience', 'api://default', '--scope', 'orders:read', '--json'];

describe('okta-jwt doctor and the issuer: clock skew, reachability, what is sent', function () {
  let dev: DevIssuer;

  before(async () => {
    dev = await startDevIssuer();
  });
  after(async () => dev?.close());

  it('measures a clock 120 s behind the issuer, fails it against leeway_seconds, and explains the refused fresh token', async () => {
    const skewed = await startSkewedIssuer(dev, 120);
    try {
      // Minted by the issuer's clock: to this host the token is issued two minutes in the future.
      const token = await dev.mint({ iss: skewed.issuer, scp: ['orders:read'] }, { issuedAt: now() + 120 });
      const run = await runDoctor([...flags(skewed.issuer), '--token', token]);
      expect(run.code).to.equal(1);
      const report = run.report();
      const clock = failing(report, 'issuer.clock');
      expect(clock.field).to.equal('leeway_seconds');
      expect(clock.detail).to.match(/(119|120|121) s behind the issuer's/);
      expect(report.verdict).to.include({ kind: 'deny', status: 401, reason: 'token_not_yet_valid' });
      expect(report.explainedBy).to.deep.equal({ check: 'claims.iat', field: 'leeway_seconds' });

      // Only the configured issuer's metadata and key set were asked for, and never with the token.
      const paths = skewed.requests.map((r) => r.split(' ').slice(0, 2).join(' '));
      expect([...new Set(paths)].sort()).to.deep.equal(['GET /oauth2/default/.well-known/oauth-authorization-server', 'GET /oauth2/default/v1/keys']);
      for (const part of token.split('.')) expect(skewed.requests.join('\n')).to.not.include(part);
    } finally {
      await skewed.close();
    }
  });

  it('warns about a skew inside the leeway but still exits 0 for a good token', async () => {
    const skewed = await startSkewedIssuer(dev, 10);
    try {
      const token = await dev.mint({ iss: skewed.issuer, scp: ['orders:read'] }, { issuedAt: now() + 10 });
      const run = await runDoctor([...flags(skewed.issuer), '--token', token]);
      const report = run.report();
      expect(run.code, JSON.stringify(report.checks.filter((c) => c.status === 'fail'))).to.equal(0);
      const clock = report.checks.find((c) => c.id === 'issuer.clock');
      expect(clock?.status).to.equal('warn');
      expect(clock?.detail).to.match(/(9|10|11) s behind/);
      expect(report.verdict.kind).to.equal('allow');
    } finally {
      await skewed.close();
    }
  });

  it('exits 3 when nothing listens at the issuer, and predicts the plugin\'s 503 keys_unavailable', async () => {
    const issuer = await closedIssuer();
    const token = await dev.mint({ iss: issuer, scp: ['orders:read'] });
    const run = await runDoctor([...flags(issuer), '--token', token]);
    expect(run.code).to.equal(3);
    const report = run.report();
    expect(failing(report, 'issuer.discovery').detail).to.match(/ECONNREFUSED/);
    expect(report.verdict).to.include({ kind: 'deny', status: 503, reason: 'keys_unavailable' });
    expect(report.verdict.retryAfter).to.match(/^\d+$/);
  });

  it('exits 1, not 3, when the token is refused for a reason of its own (expired) and the issuer is unreachable too', async () => {
    const issuer = await closedIssuer();
    const token = await dev.mint({ iss: issuer, scp: ['orders:read'] }, { expiresInSeconds: -600 });
    const run = await runDoctor([...flags(issuer), '--token', token]);
    const report = run.report();
    expect(failing(report, 'issuer.discovery').detail).to.match(/ECONNREFUSED/);
    expect(failing(report, 'claims.exp').reason).to.equal('token_expired');
    expect(run.code).to.equal(1);
  });

  it('exits 1, not 3, when the config is refused and the issuer is unreachable too (config errors win)', async () => {
    const run = await runDoctor([...flags(await closedIssuer()), '--leeway', '3600']);
    expect(run.code).to.equal(1);
    const report = run.report();
    expect(failing(report, 'issuer.discovery').detail).to.match(/ECONNREFUSED/);
    expect(report.verdict.kind).to.equal('config_refused');
    expect(report.explainedBy).to.deep.equal({ check: 'config.schema', field: 'leeway_seconds' });
  });

  it('exits 3 when the issuer answers 503', async () => {
    dev.setFault({ kind: 'status', status: 503 });
    try {
      const run = await runDoctor(flags(dev.issuer));
      expect(run.code).to.equal(3);
      expect(failing(run.report(), 'issuer.discovery').detail).to.match(/HTTP 503/);
    } finally {
      dev.setFault(null);
    }
  });

  it('exits 1, not 3, when the issuer host answers but the authorization server does not exist', async () => {
    const wrong = dev.issuer.replace(/\/oauth2\/default$/, '/oauth2/aus-no-such-server');
    const run = await runDoctor(flags(wrong));
    expect(run.code).to.equal(1);
    const discovery = failing(run.report(), 'issuer.discovery');
    expect(discovery.field).to.equal('issuer');
    expect(discovery.detail).to.match(/HTTP 404/);
  });

  it('exits 0 for a healthy issuer without a token, having checked config, discovery, clock and keys', async () => {
    const run = await runDoctor(flags(dev.issuer));
    expect(run.code).to.equal(0);
    const report = run.report();
    expect(report.checks.map((c) => `${c.id}:${c.status}`)).to.deep.equal([
      'config.plugin:pass', 'issuer.form:pass', 'issuer.discovery:pass', 'issuer.clock:pass', 'issuer.keys:pass',
    ]);
    expect(report.verdict.kind).to.equal('no_token');
    expect(report.tokenSha256).to.equal(null);
  });

  it('goes through the forward proxy the plugin would use (HTTP_PROXY) and says so in issuer.proxy', async () => {
    const proxy = await startForwardProxy();
    try {
      const run = await runDoctor(flags(dev.issuer), '', { HTTP_PROXY: proxy.url, NO_PROXY: '' });
      expect(run.code).to.equal(0);
      const report = run.report();
      expect(report.checks.find((c) => c.id === 'issuer.proxy')).to.deep.equal({
        id: 'issuer.proxy', status: 'info', field: null,
        detail: `issuer requests went through proxy ${proxy.url} (from HTTPS_PROXY / HTTP_PROXY (NO_PROXY does not exempt this issuer))`,
      });
      expect(proxy.seen).to.deep.equal([`GET ${dev.issuer}/.well-known/oauth-authorization-server`, `GET ${dev.jwksUri}`]);
    } finally {
      await proxy.close();
    }
  });

  it('uses key_set.proxy_url from the config file, even for an issuer NO_PROXY names, and says where the proxy came from', async () => {
    const proxy = await startForwardProxy();
    const tmp = tempDir();
    try {
      const plugin = { issuer: dev.issuer, audiences: ['api://default'], key_set: { proxy_url: `http://svc:pw@${new URL(proxy.url).host}` } };
      const file = tmp.file('kong.yml', JSON.stringify({ _format_version: '3.0', plugins: [{ name: 'okta-jwt', config: plugin }] }));
      const run = await runDoctor(['--config', file, '--json'], '', { NO_PROXY: '127.0.0.1' });
      expect(run.code, run.stdout + run.stderr).to.equal(0);
      expect(run.report().checks.find((c) => c.id === 'issuer.proxy')).to.deep.equal({
        id: 'issuer.proxy', status: 'info', field: 'key_set.proxy_url',
        detail: `issuer requests went through proxy ${proxy.url} (from key_set.proxy_url)`,
      });
      expect(proxy.seen).to.have.length(2);
    } finally {
      tmp.remove();
      await proxy.close();
    }
  });
});
