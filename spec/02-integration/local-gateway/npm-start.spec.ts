// `npm start` as a new user meets it (dev/start-gateway.ts, run as a process): the banner's token
// command reaches the issuer this gateway trusts even on moved ports, the terminal shows Kong's
// error log with okta-jwt's refusal lines, and a busy port names the variable that moves it.
import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { bearer, get, send } from '../../support/http-client';
import { freePort } from '../../support/free-port';

const DEV_DIR = path.resolve(__dirname, '../../../dev');
const FREE_PORTS = { PROXY_PORT: '0', ADMIN_PORT: '0', ISSUER_PORT: '0', ECHO_PORT: '0' };

function startGatewayProcess(env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [path.join(DEV_DIR, 'start-gateway.js')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(output: () => string, pattern: RegExp, ms = 20_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = pattern.exec(output());
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function mintToken(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(DEV_DIR, 'mint-token.js'), ...args], (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim()));
  });
}

describe('npm start (dev/start-gateway.ts)', function () {
  this.timeout(60_000);
  let gateway: ReturnType<typeof startGatewayProcess>;
  let proxyUrl: string;
  let adminUrl: string;

  before(async () => {
    gateway = startGatewayProcess(FREE_PORTS);
    proxyUrl = (await waitFor(gateway.output, /proxy +(\S+)/))[1]!;
    adminUrl = (await waitFor(gateway.output, /admin +(\S+)/))[1]!;
    await waitFor(gateway.output, /error log .* follows:/);
  });
  after(async () => {
    gateway?.child.kill('SIGTERM');
    await gateway?.exited;
  });

  it('prints a token command that targets its own issuer when ISSUER_PORT moves it', async () => {
    const issuer = (await waitFor(gateway.output, /issuer +(\S+)/))[1]!;
    const command = (await waitFor(gateway.output, /mint more with: npm run token -- (.+?)\):/))[1]!;
    expect(command).to.contain(`--issuer-url ${issuer} `);
    const token = await mintToken(command.split(' '));
    expect((await get(`${proxyUrl}/echo/hello`, bearer(token))).status).to.equal(200);
  });

  it('prints a DPoP token-and-proof command whose output the gateway accepts once', async () => {
    const command = (await waitFor(gateway.output, /eval "\$\(npm run -s token -- (.+?)\)"/))[1]!;
    expect(command).to.contain(`--htu ${proxyUrl}/echo/hello`);
    const assignments = Object.fromEntries((await mintToken(command.split(' '))).split('\n').map((line) => line.split('=') as [string, string]));
    const headers: Array<[string, string]> = [['Authorization', `DPoP ${assignments.TOKEN}`], ['DPoP', assignments.DPOP_PROOF!]];
    expect((await get(`${proxyUrl}/echo/hello`, headers)).status).to.equal(200);
    expect((await get(`${proxyUrl}/echo/hello`, headers)).status).to.equal(401);
  });

  it('prints a revocation walk-through: the revoked token is refused on /payments writes and still accepted on /echo', async () => {
    const revoke = (await waitFor(gateway.output, /^ {2}(curl -u \S+ -d token=\S+ \S+\/v1\/revoke)$/m))[1]!;
    const token = /token=(\S+)/.exec(revoke)![1]!;
    const [, , credentials, , , url] = revoke.split(' ');
    const charge = () => send('POST', `${proxyUrl}/payments/charge`, bearer(token), '{}');
    expect((await charge()).status).to.equal(200);
    const basic = Buffer.from(credentials!).toString('base64');
    expect((await send('POST', url!, [['Authorization', `Basic ${basic}`], ['Content-Type', 'application/x-www-form-urlencoded']], `token=${token}`)).status).to.equal(200);
    // Within introspection.cache_ttl_seconds (5 s): wait for the condition, not a fixed time.
    const deadline = Date.now() + 20_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await charge()).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).to.equal(401);
    expect((await get(`${proxyUrl}/payments/history`, bearer(token))).status, 'reads are not introspected').to.equal(200);
    expect((await get(`${proxyUrl}/echo/hello`, bearer(token))).status).to.equal(200);
  });

  it('says in its banner that metrics are off and how to turn them on, and what the Admin API takes in this mode', async () => {
    const banner = gateway.output();
    if (process.env.OKTA_JWT_PLUGIN_SERVER === 'stock') expect(banner).to.match(/metrics +none \(kong-js-pluginserver has no metrics endpoint\)/);
    else expect(banner).to.match(/metrics +off \(OKTA_JWT_METRICS_ADDR=9542 npm start serves them on http:\/\/127\.0\.0\.1:9542\/metrics\)/);
    expect(banner).to.match(/plugin server: started by npm start, restarted when it exits/);
    if (process.env.KONG_DATABASE === 'postgres') expect(banner).to.include('DB mode (the database is in memory: gone when this stops)');
    else expect(banner).to.include('Admin API writes and decK sync get 405 here: for them, KONG_DATABASE=postgres npm start');
  });

  it("prints Kong's error log: notice lines and okta-jwt's refusal lines (logged at info)", async () => {
    expect(gateway.output()).to.match(/\[notice\] \[pluginserver\] started, pid \d+/);
    expect((await get(`${proxyUrl}/echo/hello`)).status).to.equal(401);
    await waitFor(gateway.output, /\[info\] .*okta-jwt refused the request: status=401 reason=token_missing route=\S+/);
    expect(gateway.output()).not.to.match(/\[info\] \[okta-jwt:\d+\]/); // the plugin server's own chatter stays out
  });

  it('refuses at config time a claim mapped to a header Kong will not let a plugin set', async () => {
    const config = { _format_version: '3.0', services: [{ name: 's', url: 'http://127.0.0.1:1', routes: [{ name: 'r', paths: ['/r'], plugins: [{ name: 'okta-jwt', config: { issuer: 'https://dev-1.okta.com/oauth2/default', audiences: ['a'], claims_to_headers: [{ claim: 'sub', header: 'Host' }] } }] }] }] };
    const res = await send('POST', `${adminUrl}/config`, [['Content-Type', 'application/json']], JSON.stringify(config));
    expect(res.status).to.equal(400);
    expect(res.json<{ fields: unknown }>().fields).to.deep.equal({ services: [{ routes: [{ plugins: [{ config: { claims_to_headers: [{ header: '"host" is reserved (Kong, nginx or the upstream rely on it); map the claim to another header' }] } }] }] }] });
  });
});

describe('npm start with OKTA_JWT_METRICS_ADDR in DB mode', function () {
  this.timeout(60_000);

  it('names the metrics URL, which serves the plugin server\'s metrics, and says the database is in memory', async () => {
    const port = await freePort();
    // okta-jwt-pluginserver serves the metrics, also in the run with the stock server.
    const gateway = startGatewayProcess({ ...FREE_PORTS, KONG_DATABASE: 'postgres', OKTA_JWT_METRICS_ADDR: String(port), OKTA_JWT_PLUGIN_SERVER: '' });
    try {
      const url = (await waitFor(gateway.output, /metrics +(http:\S+)/))[1]!;
      expect(url).to.equal(`http://127.0.0.1:${port}/metrics`);
      await waitFor(gateway.output, /error log .* follows:/);
      expect(gateway.output()).to.include('DB mode (the database is in memory: gone when this stops)');
      // The endpoint may come up just after the plugin socket: poll it until it answers.
      let text = '';
      for (const deadline = Date.now() + 20_000; !text.includes('okta_jwt') && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
        text = await get(url).then((r) => r.text, () => '');
      }
      expect(text).to.include('# TYPE okta_jwt_decisions_total counter');
    } finally {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
  });
});

describe('npm start on a busy port', function () {
  this.timeout(30_000);

  it('fails naming the variable that moves the port', async () => {
    const busy = http.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = String((busy.address() as AddressInfo).port);
    try {
      const gateway = startGatewayProcess({ ...FREE_PORTS, ISSUER_PORT: port });
      expect(await gateway.exited).to.equal(1);
      expect(gateway.output()).to.contain(`npm start failed: port ${port} is already in use; set ISSUER_PORT to a free port (0 picks one)`);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});
