// okta-jwt-pluginserver's Prometheus endpoint, scraped: the real server started by the Kong double
// with OKTA_JWT_METRICS_ADDR, real tokens through two routes, then GET /metrics; and the endpoint's
// own behaviour with --metrics (paths, methods, a busy port, a bad value). Hardened server only:
// kong-pdk's stock server has no endpoint (the plugin then reports to no sink).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startLocalStack, type LocalStack } from '../../../dev/local-stack';
import { bearer, get, send } from '../../support/http-client';
import { withFreePort } from '../../support/free-port';
import { REPO_ROOT, launchServer, serverBinary, type ServerProcess } from '../../support/plugin-server/launch';
import { HEADERS_TIMEOUT_MS, MAX_CONNECTIONS, RENDER_INTERVAL_MS } from '../../../server/metrics-server';

const PLUGINS_DIR = path.join(REPO_ROOT, 'dist', 'plugins');
const PACKAGE_VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const ORDERS_ROUTE = '5b1a4a0e-9a3c-4c49-9a53-0c1f2a6b7d01';
const ADMIN_ROUTE = '5b1a4a0e-9a3c-4c49-9a53-0c1f2a6b7d02';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format, samples only (label values here never contain quotes or commas). */
function samples(text: string): Sample[] {
  return text.split('\n').flatMap((line) => {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) return [];
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    return [{ name: m[1] as string, labels, value: Number(m[3]) }];
  });
}

function value(all: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return all.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** The plugin socket answers before the metrics listener may be up: wait for its log line. */
async function stderrLine(server: ServerProcess, re: RegExp): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!re.test(server.stderr)) {
    if (Date.now() > deadline) throw new Error(`no ${re} on stderr: ${server.stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Waits until the server logged whether its metrics endpoint is up; throws the listen error it logged
 * when the port was taken meanwhile (withFreePort then tries another port).
 */
async function metricsListening(output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const text = output();
    if (/\[info\] metrics on http:/.test(text)) return;
    const refused = /metrics endpoint \S+ unavailable \(([^)]*)\)/.exec(text);
    if (refused) throw new Error(refused[1]);
    if (Date.now() > deadline) throw new Error(`no metrics line in the server's output: ${text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The hardened server serving metrics on a free port given by `metricsArgs(port)`. */
function serverWithMetrics(metricsArgs: (port: string) => string[]): Promise<{ server: ServerProcess; port: number }> {
  return withFreePort(async (port) => {
    const server = await launchServer({ kind: 'hardened', pluginsDir: PLUGINS_DIR, args: metricsArgs(String(port)) });
    try {
      await metricsListening(() => server.stderr);
      return { server, port };
    } catch (err) {
      await server.stop();
      throw err;
    }
  });
}

/** A raw HTTP/1.1 connection: what it wrote, what came back, and whether the server closed it. */
class RawHttp {
  received = '';
  closed = false;
  private readonly whenClosed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('latin1').on('data', (s: string) => (this.received += s));
    socket.on('error', () => undefined);
    this.whenClosed = new Promise((resolve) => socket.once('close', () => resolve(void (this.closed = true))));
  }

  static open(port: number): Promise<RawHttp> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new RawHttp(socket)));
      socket.once('error', reject);
    });
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Resolves when a whole response (Content-Length or chunked) arrived, or with null when the connection closed first. */
  async response(): Promise<string | null> {
    for (;;) {
      const head = /^HTTP\/1\.1 \d{3}[^]*?\r\n\r\n/.exec(this.received)?.[0];
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(head ?? '')?.[1] ?? NaN);
      if (head !== undefined && (this.received.length >= head.length + length || this.received.endsWith('\r\n0\r\n\r\n'))) return this.received;
      if (this.closed) return null;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** True once the server closed the connection; false if it is still open after `ms`. */
  closedWithin(ms: number): Promise<boolean> {
    return Promise.race([this.whenClosed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(this.closed), ms))]);
  }

  close(): void {
    this.socket.destroy();
  }
}

const SCRAPE = 'GET /metrics HTTP/1.1\r\nHost: prometheus\r\n\r\n';

describe('plugin server: Prometheus metrics (okta-jwt-pluginserver)', function () {
  this.timeout(60_000);
  before(function () {
    if (process.env.OKTA_JWT_PLUGIN_SERVER === 'stock') this.skip();
  });

  // A gateway of its own: the metrics address is a process option of its plugin server.
  describe('scraped after real requests through the gateway', () => {
    let stack: LocalStack;
    let metricsUrl: string;

    let startedAt: number;
    before(async () => {
      startedAt = Date.now();
      stack = await withFreePort(async (port) => {
        metricsUrl = `http://127.0.0.1:${port}/metrics`;
        const started = await startStack(port);
        try {
          await metricsListening(() => started.double.pluginServers.get('okta-jwt')!.output.join('\n'));
          return started;
        } catch (err) {
          await started.close();
          throw err;
        }
      });
    });
    after(async () => stack?.close());

    const startStack = (port: number) =>
      startLocalStack({
        double: { pluginServers: [{ name: 'okta-jwt', pluginsDir: PLUGINS_DIR, env: { OKTA_JWT_METRICS_ADDR: String(port) } }] },
        config: (issuer, echo) => {
          const okta = (scope: string) => ({ name: 'okta-jwt', config: { issuer: issuer.issuer, audiences: ['api://default'], scopes_required: [scope] } });
          return {
            _format_version: '3.0',
            services: [{
              name: 'echo', url: echo.url,
              routes: [
                { id: ORDERS_ROUTE, name: 'orders', paths: ['/orders'], plugins: [okta('orders:read')] },
                { id: ADMIN_ROUTE, name: 'admin', paths: ['/admin'], plugins: [okta('admin')] },
              ],
            }],
          };
        },
      });

    it('counts decisions by status, reason and route, verified-token cache hits, key-set fetches and verification time', async () => {
      const proxy = stack.double.proxyUrl;
      // Counters are read as differences: a plugin server counts from its start, whatever ran before.
      // Scrapes within one render interval share a render: each read here waits for a fresh one.
      const freshRender = () => new Promise((r) => setTimeout(r, RENDER_INTERVAL_MS + 50));
      await freshRender();
      const before = samples((await get(metricsUrl)).text);
      const firstScrape = Date.now();
      const token = await stack.issuer.mint({ scp: ['orders:read'] });
      expect((await get(`${proxy}/orders/1`, bearer(token))).status).to.equal(200);
      expect((await get(`${proxy}/orders/2`, bearer(token))).status).to.equal(200); // the same token: a cache hit
      expect((await get(`${proxy}/orders/3`)).status).to.equal(401);
      expect((await get(`${proxy}/admin/x`, bearer(token))).status).to.equal(403);
      expect((await get(`${proxy}/admin/x`, bearer(`${token.slice(0, -4)}AAAA`))).status).to.equal(401);

      if (Date.now() - firstScrape <= RENDER_INTERVAL_MS) await freshRender();
      const res = await get(metricsUrl);
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
      const all = samples(res.text);
      const delta = (name: string, labels: Record<string, string>) => (value(all, name, labels) ?? 0) - (value(before, name, labels) ?? 0);
      const total = (list: Sample[], name: string) => list.filter((s) => s.name === name).reduce((n, s) => n + s.value, 0);
      // No label is ever sent empty: a plugin on a route has no service label (Kong sends route_id
      // only), an allow no status or reason.
      expect(all.filter((s) => Object.values(s.labels).includes('')).map((s) => s.name)).to.deep.equal([]);
      const decisions = (labels: Record<string, string>) => delta('okta_jwt_decisions_total', labels);
      const allowed = all.filter((s) => s.name === 'okta_jwt_decisions_total' && s.labels.decision === 'allow' && s.labels.route === ORDERS_ROUTE);
      expect(allowed.map((s) => Object.keys(s.labels).sort())).to.deep.equal([['decision', 'route']]);
      expect(decisions({ decision: 'allow', route: ORDERS_ROUTE })).to.equal(2);
      expect(decisions({ decision: 'deny', route: ORDERS_ROUTE, status: '401', reason: 'token_missing' })).to.equal(1);
      expect(decisions({ decision: 'deny', route: ADMIN_ROUTE, status: '403', reason: 'scope_missing' })).to.equal(1);
      expect(decisions({ decision: 'deny', route: ADMIN_ROUTE, status: '401', reason: 'bad_signature' })).to.equal(1);
      expect(total(all, 'okta_jwt_decisions_total') - total(before, 'okta_jwt_decisions_total')).to.equal(5);

      // The first orders request verified the token and cached it; the second, and the admin route's
      // (same verification settings, other scopes), hit. Misses: the first one and the bad signature.
      expect(delta('okta_jwt_token_cache_lookups_total', { result: 'hit' })).to.equal(2);
      expect(delta('okta_jwt_token_cache_lookups_total', { result: 'miss' })).to.equal(2);
      expect(value(all, 'okta_jwt_key_set_fetches_total', { key_set: stack.issuer.issuer, outcome: 'success' })).to.be.at.least(1);
      expect(value(all, 'okta_jwt_key_set_last_success_timestamp_seconds', { key_set: stack.issuer.issuer })).to.be.within(startedAt / 1000, Date.now() / 1000);
      expect(all.filter((s) => s.name === 'okta_jwt_build_info')).to.deep.equal([{ name: 'okta_jwt_build_info', labels: { version: PACKAGE_VERSION }, value: 1 }]);
      // Read at scrape time from the plugin's caches: the token verified above is cached; no DPoP proof was sent.
      expect(value(all, 'okta_jwt_token_cache_entries', {})).to.be.at.least(1);
      expect(value(all, 'okta_jwt_dpop_replay_cache_entries', {})).to.be.a('number');
      // 4 verifications (the 401 without a token has none): 3 valid (one a cache hit), 1 invalid signature.
      expect(delta('okta_jwt_verification_duration_seconds_count', { result: 'valid' })).to.equal(3);
      expect(delta('okta_jwt_verification_duration_seconds_count', { result: 'invalid' })).to.equal(1);
      expect(delta('okta_jwt_verification_duration_seconds_bucket', { result: 'valid', le: '+Inf' })).to.equal(3);
      // prom-client's default process metrics.
      expect(value(all, 'process_resident_memory_bytes', {})).to.be.above(0);
      expect(all.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).to.equal(true);
    });
  });

  describe('the endpoint', () => {
    it('listens on 127.0.0.1 for a bare --metrics port, serves only GET /metrics', async () => {
      const { server, port } = await serverWithMetrics((p) => ['--metrics', p]);
      try {
        const base = `http://127.0.0.1:${port}`;
        await stderrLine(server, new RegExp(`\\[info\\] metrics on ${base}/metrics\n`));
        const scrape = await get(`${base}/metrics`);
        expect(scrape.status).to.equal(200);
        expect(scrape.text).to.include('# TYPE okta_jwt_decisions_total counter');
        expect((await get(`${base}/`)).status).to.equal(404);
        expect((await send('POST', `${base}/metrics`)).status).to.equal(405);
        expect((await send('DELETE', `${base}/nothing`)).status).to.equal(404);
        const listening = await new Promise<string[]>((resolve) => {
          const probe = net.connect(port, '::1');
          probe.on('connect', () => (probe.destroy(), resolve(['::1'])));
          probe.on('error', () => resolve([]));
        });
        expect(listening, 'not on another loopback address').to.deep.equal([]);
      } finally {
        await server.stop();
      }
    });

    it('lets --health run with the start command\'s flags, --metrics included', async () => {
      const { server, port } = await serverWithMetrics((p) => ['--metrics', p]);
      const args = ['--metrics', String(port)];
      try {
        const dir = path.dirname(server.socketPath);
        const health = await new Promise<{ code: number; stdout: string }>((resolve) => {
          execFile(process.execPath, [serverBinary('hardened'), '--health', '-p', dir, '--sock-name', path.basename(server.socketPath), '-d', PLUGINS_DIR, ...args], { timeout: 15_000 }, (err, stdout) =>
            resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout }),
          );
        });
        expect(health).to.deep.equal({ code: 0, stdout: `healthy: ${server.socketPath} serves okta-jwt\n` });
      } finally {
        await server.stop();
      }
    });

    it('keeps serving the plugin without metrics when the port is taken, and says so', async () => {
      const busy = net.createServer();
      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
      const port = (busy.address() as net.AddressInfo).port;
      const server = await launchServer({ kind: 'hardened', pluginsDir: PLUGINS_DIR, env: { OKTA_JWT_METRICS_ADDR: `127.0.0.1:${port}` } });
      try {
        await stderrLine(server, /metrics endpoint 127\.0\.0\.1:\d+ unavailable \(listen EADDRINUSE[^)]*\); serving without it/);
        expect(server.alive).to.equal(true);
      } finally {
        await server.stop();
        busy.close();
      }
    });

    it('refuses to start with a malformed address, naming the setting', async () => {
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(process.execPath, [serverBinary('hardened'), '-d', PLUGINS_DIR, '--metrics', 'localhost:http'], { timeout: 15_000 }, (err, _stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
        );
      });
      expect(result.code).to.equal(1);
      expect(result.stderr).to.equal('--metrics must be host:port or a port (1-65535), e.g. 127.0.0.1:9542, got "localhost:http"\n');
    });
  });

  describe('the endpoint under load: it shares the event loop that answers Kong', () => {
    let server: ServerProcess;
    let port: number;

    before(async () => {
      ({ server, port } = await serverWithMetrics((p) => ['--metrics', p]));
    });
    after(async () => server?.stop());

    it('renders at most once per interval: concurrent scrapes get the same bytes', async () => {
      const started = Date.now();
      const scrapes = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => get(`http://127.0.0.1:${port}/metrics`)));
      const elapsed = Date.now() - started;
      expect(scrapes.map((s) => s.status)).to.deep.equal(scrapes.map(() => 200));
      // Every render differs (process CPU seconds, heap bytes): distinct bodies count the renders.
      const renders = new Set(scrapes.map((s) => s.text)).size;
      expect(renders, `${renders} renders for ${MAX_CONNECTIONS} scrapes in ${elapsed} ms`).to.be.at.most(1 + Math.ceil(elapsed / RENDER_INTERVAL_MS));
    });

    it(`closes connections above ${MAX_CONNECTIONS} without an answer, and serves again once one closes`, async () => {
      // Held connections are themselves closed after a few idle seconds: on a machine slow enough
      // for that to happen before the extra connection is judged, the attempt is repeated.
      for (let attempt = 1; ; attempt++) {
        const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => RawHttp.open(port)));
        try {
          for (const conn of held) conn.write(SCRAPE);
          for (const conn of held) expect(await conn.response()).to.match(/^HTTP\/1\.1 200 /);
          const extra = await RawHttp.open(port);
          extra.write(SCRAPE);
          const answer = await extra.response();
          extra.close();
          if (held.some((c) => c.closed) && attempt < 3) continue;
          expect(answer, 'an answer beyond the cap').to.equal(null);
          held[0]!.close();
          for (;;) {
            const again = await RawHttp.open(port);
            again.write(SCRAPE);
            const text = await again.response();
            again.close();
            if (text !== null) return void expect(text).to.match(/^HTTP\/1\.1 200 /);
          }
        } finally {
          for (const conn of held) conn.close();
        }
      }
    });

    it('closes a connection whose request head trickles in (slowloris)', async () => {
      const conn = await RawHttp.open(port);
      conn.write('GET /metrics HTTP/1.1\r\nHost: prometheus\r\n');
      const drip = setInterval(() => conn.write('X-Drip: 1\r\n'), 200);
      try {
        expect(await conn.closedWithin(HEADERS_TIMEOUT_MS * 4), 'still open').to.equal(true);
      } finally {
        clearInterval(drip);
        conn.close();
      }
    });

    it('answers a request with a body at once and closes the connection without reading the body', async () => {
      for (const [method, status] of [['GET', 400], ['POST', 405]] as const) {
        const conn = await RawHttp.open(port);
        conn.write(`${method} /metrics HTTP/1.1\r\nHost: prometheus\r\nContent-Length: 100000000\r\n\r\nsome`);
        try {
          expect(await conn.response()).to.match(new RegExp(`^HTTP/1\\.1 ${status} `));
          expect(await conn.closedWithin(HEADERS_TIMEOUT_MS), `${method}: still open, waiting for the body`).to.equal(true);
        } finally {
          conn.close();
        }
      }
    });
  });
});
