// The fail-closed guard's mark through the double: batch 4 §7 (a table a JS plugin leaves in
// kong.ctx.shared is a Lua table for a later post-function, whose set_headers applies it; 3.9.3 and
// 3.4.2), then what okta-jwt's guard builds on it: the shipped post-function setting okta-jwt's
// headers, both halves of an upgrade paired with the other half's earlier form (each refuses), and a
// mark whose headers set_headers refuses (Kong answers 500; nothing proxied).
//
// | row | exception and reason |
// |---|---|
// | §7 "two header lines, joined by the upstream" | the echo upstream (Node) joins repeated lines with ", " as nginx's $http_x did. |
// Not recorded on real Kong (modelled from Kong's source, to be recorded): the earlier `true` mark
// against the shipped post-function, a boolean inside a table (`ok = true`), and set_headers raising
// in a post-function (kong/init.lua answers 500, as for any plugin error in access).
import path from 'node:path';
import { expect } from 'chai';
import { startKongDouble, type KongDouble } from '../../kong-double';
import type { KongVersion } from '../../kong-double/responses';
import { repoRoot } from '../../support/repo-paths';
import { startEchoUpstream, type EchoUpstream } from '../../../dev/echo-upstream';
import { startDevIssuer, type DevIssuer } from '../../../dev/issuer';
import { EARLIER_GUARD_POST_FUNCTION, GUARD_POST_FUNCTION } from '../../../plugin/handler/guard-mark';
import { rawRequest, type HttpResult } from './transcript-tools';

const PROBE_DIR = path.join(repoRoot(), 'spec', 'fixtures', 'probe-plugins', 'guard-probe');
const PLUGINS_DIR = path.join(repoRoot(), 'dist', 'plugins');
/** The post-function batch 4 §7 was recorded with. */
const RECORDED_POST_FUNCTION =
  'local g = kong.ctx.shared.okta_jwt_guard; if type(g) ~= "table" then return kong.response.exit(503) end; if g.headers then kong.service.request.set_headers(g.headers) end';

type Plugin = Record<string, unknown>;
const probe = (mark: unknown, setHeader?: string): Plugin => ({ name: 'guard-probe', config: { mark_json: JSON.stringify(mark), ...(setHeader ? { set_header: setHeader } : {}) } });
const postFunction = (code: string): Plugin => ({ name: 'post-function', config: { access: [code] } });

describe('kong-double replay: the fail-closed guard\'s mark in kong.ctx.shared (batch 4 §7)', function () {
  this.timeout(30000);
  let up: EchoUpstream;
  let issuer: DevIssuer;
  before(async () => {
    up = await startEchoUpstream();
    issuer = await startDevIssuer();
  });
  after(async () => {
    await issuer?.close();
    await up?.close();
  });

  /** One double per Kong version with both plugin servers (the probe's and okta-jwt's), started on first use. */
  const doubles = new Map<KongVersion, Promise<KongDouble>>();
  after(async () => {
    for (const kong of doubles.values()) await (await kong).close();
  });

  /** The double of this version with one route (/r) carrying `plugins` (a fresh config: new plugin instances). */
  async function withRoute(kongVersion: KongVersion, plugins: Plugin[], run: (kong: KongDouble) => Promise<void>): Promise<void> {
    if (!doubles.has(kongVersion)) {
      doubles.set(kongVersion, startKongDouble({
        kongVersion, workers: 1,
        pluginServers: [{ name: 'guard-probe', pluginsDir: PROBE_DIR }, { name: 'okta-jwt', pluginsDir: PLUGINS_DIR }],
      }));
    }
    const kong = await doubles.get(kongVersion)!;
    await kong.loadConfig({ _format_version: '3.0', services: [{ name: 'echo', url: up.url, routes: [{ name: 'r', paths: ['/r'], plugins }] }] });
    up.reset();
    await run(kong);
  }
  const get = (kong: KongDouble, lines: string[] = []): Promise<HttpResult> =>
    rawRequest(kong.proxyPort, ['GET /r/x HTTP/1.1', `Host: 127.0.0.1:${kong.proxyPort}`, ...lines, 'Connection: close', '', ''].join('\r\n'));
  const oktaJwt = (extra: Record<string, unknown> = {}): Plugin => ({
    name: 'okta-jwt',
    config: { issuer: issuer.issuer, audiences: ['api://default'], fail_closed_guard: true, claims_to_headers: [{ claim: 'sub', header: 'X-User-Sub' }], ...extra },
  });

  for (const version of ['3.9.3', '3.4.2'] as const) {
    describe(`Kong ${version}`, () => {
      it('§7: the recorded table reaches the recorded post-function as a Lua table; set_headers sends X-User-Id and two X-Scopes lines', async () => {
        await withRoute(version, [probe({ headers: { 'X-User-Id': 'alice', 'X-Scopes': ['orders:read', 'x'] } }), postFunction(RECORDED_POST_FUNCTION)], async (kong) => {
          expect((await get(kong)).status).to.equal(200);
          const seen = up.received()[0]!;
          expect([seen.headers['x-user-id'], seen.headers['x-scopes']]).to.deep.equal(['alice', 'orders:read, x']);
        });
      });

      it('the shipped post-function sets okta-jwt\'s headers; a client\'s own value for them never reaches the upstream', async () => {
        await withRoute(version, [oktaJwt(), postFunction(GUARD_POST_FUNCTION)], async (kong) => {
          const token = await issuer.mint({ sub: 'alice' });
          expect((await get(kong, [`Authorization: Bearer ${token}`, 'X-User-Sub: admin'])).status).to.equal(200);
          expect((await get(kong, ['X-User-Sub: admin'])).status).to.equal(401);
          expect(up.received().map((r) => r.headers['x-user-sub'])).to.deep.equal(['alice']);
        });
      });

      it('hide_credentials with a token cookie: the post-function sets the Cookie without it; the plugins between see no Cookie', async () => {
        await withRoute(version, [oktaJwt({ token_cookie: 'okta_at', hide_credentials: true }), postFunction(GUARD_POST_FUNCTION)], async (kong) => {
          const token = await issuer.mint({ sub: 'alice' });
          expect((await get(kong, [`Cookie: okta_at=${token}; theme=dark`])).status).to.equal(200);
          const seen = up.received()[0]!;
          expect([seen.headers.cookie, seen.headers['x-user-sub']]).to.deep.equal(['theme=dark', 'alice']);
          const cleared = kong.rpcLog.frames.filter((f) => f.dir === 'ps->kong').map((f) => (f.frame[3] as { Data?: { Method?: string; Args?: unknown[] } } | undefined)?.Data)
            .filter((d) => d?.Method === 'kong.service.request.clear_header').map((d) => String(d!.Args?.[0]).toLowerCase());
          expect(cleared).to.include('cookie');
        });
      });

      it('upgrade, okta-jwt first: the earlier post-function refuses the new mark (503), nothing proxied', async () => {
        await withRoute(version, [oktaJwt(), postFunction(EARLIER_GUARD_POST_FUNCTION)], async (kong) => {
          const token = await issuer.mint({ sub: 'alice' });
          expect((await get(kong, [`Authorization: Bearer ${token}`])).status).to.equal(503);
          expect(up.count()).to.equal(0);
        });
      });

      it('upgrade, post-function first: the earlier okta-jwt\'s `true` mark (headers set by itself) is refused (503), nothing proxied', async () => {
        await withRoute(version, [probe(true, 'X-User-Sub: alice'), postFunction(GUARD_POST_FUNCTION)], async (kong) => {
          expect((await get(kong)).status).to.equal(503);
          expect(up.count()).to.equal(0);
        });
      });

      it('a mark without ok = true, or whose headers set_headers refuses: refused (503 / 500), nothing proxied', async () => {
        const marks: Array<[unknown, number]> = [
          [{ set_headers: { 'X-User-Sub': 'alice' } }, 503],
          [{ ok: 'true' }, 503],
          [['ok'], 503],
          [{ ok: true, set_headers: { 'X-User-Sub': ['alice', true] } }, 500],
          [{ ok: true, set_headers: 'X-User-Sub: alice' }, 500],
        ];
        for (const [mark, status] of marks) {
          await withRoute(version, [probe(mark), postFunction(GUARD_POST_FUNCTION)], async (kong) => {
            expect((await get(kong)).status, JSON.stringify(mark)).to.equal(status);
            expect(up.count(), JSON.stringify(mark)).to.equal(0);
          });
        }
      });
    });
  }
});
