// Batch 4 of the real-Kong facts (spec/fixtures/kong-transcripts/batch4/README.md) through the double:
// §1 (Kong 3.4.2 never runs a plugin whose server has no start command) and §10 (a placeholder start
// command: ready on 3.4.2, GET / 500 on 3.9.3), one test per row, on the real okta-jwt-pluginserver
// run by the test as a supervisor would, real tokens from the dev issuer. The doctor's verdict on
// each setup (the rules of cli/kong-node.ts that the shipped assets follow) is checked beside it.
//
// | row | exception and reason |
// |---|---|
// | §1 "once per worker" | 2 workers; Kong's nginx picks the worker per connection, the double round-robins requests. |
// | §10 "Kong stopped the placeholder process with itself" | the double stops what it started on close (plugin-server.ts). |
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { startKongDouble, type KongDouble } from '../../kong-double';
import { repoRoot } from '../../support/repo-paths';
import { startEchoUpstream, type EchoUpstream } from '../../../dev/echo-upstream';
import { startDevIssuer, type DevIssuer } from '../../../dev/issuer';
import { guardPlugins } from '../../support/kong-config';
import { kongNodeChecks } from '../../../cli/kong-node';
import { PLACEHOLDER_START_CMD } from '../../../cli/kong-versions';
import { rawRequest, startExternalServer, type HttpResult } from './transcript-tools';

const PLUGINS_DIR = path.join(repoRoot(), 'dist', 'plugins');
const NOT_READY = 'plugin server is not ready, okta-jwt will not be executed in this request';

describe('kong-double replay: batch 4 §1 and §10 (who makes an external plugin server "ready")', function () {
  this.timeout(30000);
  let up: EchoUpstream;
  let issuer: DevIssuer;
  let tmp: string;
  let server: ChildProcess;
  let token: string;

  before(async () => {
    up = await startEchoUpstream();
    issuer = await startDevIssuer();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-double-b4-'));
    server = await startExternalServer(tmp, PLUGINS_DIR, 'okta-jwt.sock');
    token = await issuer.mint({ scp: ['orders:read'] });
  });
  after(async () => {
    server?.kill('SIGKILL');
    await issuer?.close();
    await up?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const config = () => {
    const okta = (guarded: boolean) => ({ name: 'okta-jwt', config: { issuer: issuer.issuer, audiences: ['api://default'], ...(guarded ? { fail_closed_guard: true } : {}) } });
    return {
      _format_version: '3.0',
      services: [{
        name: 'orders', url: up.url, routes: [
          { name: 'plain', paths: ['/orders'], plugins: [okta(false)] },
          { name: 'guarded', paths: ['/guarded'], plugins: [okta(true), ...guardPlugins()] },
        ],
      }],
    };
  };

  /** A double in this Kong version next to the external server; `startCmd` as pluginserver_okta_jwt_start_cmd (argv) or none. */
  async function withKong(kongVersion: '3.4.2' | '3.9.3', startCmd: string[] | null, run: (kong: KongDouble) => Promise<void>): Promise<void> {
    const kong = await startKongDouble({
      kongVersion, workers: 2, config: config(),
      pluginServers: [{ name: 'okta-jwt', pluginsDir: PLUGINS_DIR, startCommand: startCmd, socketPath: path.join(tmp, 'okta-jwt.sock') }],
    });
    try {
      await run(kong);
    } finally {
      await kong.close();
    }
  }

  const get = (kong: KongDouble, target: string, auth?: string): Promise<HttpResult> =>
    rawRequest(kong.proxyPort, [`GET ${target} HTTP/1.1`, `Host: 127.0.0.1:${kong.proxyPort}`, ...(auth ? [`Authorization: ${auth}`] : []), 'Connection: close', '', ''].join('\r\n'));
  const statuses = async (kong: KongDouble, target: string) => [(await get(kong, target)).status, (await get(kong, target, `Bearer ${token}`)).status];
  const rootStatus = async (kong: KongDouble) => (await fetch(kong.adminUrl + '/')).status;
  const doctorOn = async (kong: KongDouble) => (await kongNodeChecks({ adminUrl: kong.adminUrl, headers: {}, timeoutMs: 5000 })).checks;
  const failing = (checks: Array<{ id: string; status: string }>) => checks.filter((c) => c.status === 'fail').map((c) => c.id);
  const placeholder = PLACEHOLDER_START_CMD.split(' ');

  describe('§1 Kong 3.4.2, external server (socket + query command, no start command)', () => {
    it('a route with okta-jwt alone proxies a request without a token (200 from the upstream); each worker logs Kong\'s warning once; no instance is ever started', async () => {
      await withKong('3.4.2', null, async (kong) => {
        up.reset();
        const answers = [];
        for (let i = 0; i < 4; i++) answers.push((await get(kong, '/orders/1')).status);
        expect(answers).to.deep.equal([200, 200, 200, 200]);
        expect(up.received().map((r) => r.url)).to.deep.equal(['/1', '/1', '/1', '/1']); // strip_path
        const warnings = kong.errorLog.lines.filter((l) => l.message.includes(NOT_READY));
        expect(warnings.map((l) => [l.level, l.message])).to.deep.equal([0, 1].map(() => [
          'warn',
          `[lua] process.lua:285: handle_event(): ${NOT_READY}, client: 127.0.0.1, server: kong, request: "GET /orders/1 HTTP/1.1", host: "127.0.0.1:${kong.proxyPort}"`,
        ]));
        expect(kong.rpcLog.frames.filter((f) => f.method === 'plugin.StartInstance')).to.have.length(0);
        expect(failing(await doctorOn(kong))).to.include('kong.plugin_server.ready');
      });
    });

    it('a route with the fail-closed guard answers 503 to every request, valid token or not', async () => {
      await withKong('3.4.2', null, async (kong) => {
        up.reset();
        expect([...(await statuses(kong, '/guarded/1')), ...(await statuses(kong, '/guarded/1'))]).to.deep.equal([503, 503, 503, 503]);
        expect(up.count()).to.equal(0);
        const guard = (await doctorOn(kong)).find((c) => c.id === 'kong.guard' && c.detail.includes('"guarded"'));
        expect(guard?.status).to.equal('pass');
      });
    });

    it('Kong 3.9.3, same setup: no readiness check, 401 without a token, 200 with a valid one, GET / 200', async () => {
      await withKong('3.9.3', null, async (kong) => {
        expect([...(await statuses(kong, '/orders/1')), ...(await statuses(kong, '/guarded/1'))]).to.deep.equal([401, 200, 401, 200]);
        expect(kong.errorLog.text()).to.not.include(NOT_READY);
        expect(await rootStatus(kong)).to.equal(200);
        expect(failing(await doctorOn(kong))).to.deep.equal(['kong.guard']); // the plain route has no guard
      });
    });
  });

  describe(`§10 a placeholder start command (${PLACEHOLDER_START_CMD}) beside the external server`, () => {
    it('Kong 3.4.2: the readiness check connects to the socket: no token 401, valid token 200, GET / 200', async () => {
      await withKong('3.4.2', placeholder, async (kong) => {
        expect([...(await statuses(kong, '/orders/1')), ...(await statuses(kong, '/guarded/1'))]).to.deep.equal([401, 200, 401, 200]);
        expect(kong.errorLog.text()).to.not.include(NOT_READY);
        expect(await rootStatus(kong)).to.equal(200);
        expect(failing(await doctorOn(kong))).to.deep.equal(['kong.guard']);
      });
    });

    it('Kong 3.9.3: no token 401, valid token 200, but GET / answers 500 (the start command\'s process handle)', async () => {
      await withKong('3.9.3', placeholder, async (kong) => {
        expect([...(await statuses(kong, '/orders/1')), ...(await statuses(kong, '/guarded/1'))]).to.deep.equal([401, 200, 401, 200]);
        expect(await rootStatus(kong)).to.equal(500);
        expect(failing(await doctorOn(kong))).to.include('kong.admin_root');
      });
    });
  });
});
