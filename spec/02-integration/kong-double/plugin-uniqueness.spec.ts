// One plugin of a name per route/service/consumer combination, as Kong enforces it
// (spec/fixtures/kong-transcripts/batch4/README.md §3): the Admin API answers a second one 409,
// POST /config refuses a document declaring one twice.
import path from 'node:path';
import { expect } from 'chai';
import { startKongDouble, type KongDouble } from '../../kong-double';
import { repoRoot } from '../../support/repo-paths';

const PROBE_DIR = path.join(repoRoot(), 'spec', 'fixtures', 'probe-plugins', 'js-probe');
const probe = (message: string) => ({ name: 'js-probe', config: { message } });

async function call(kong: KongDouble, method: string, p: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(kong.adminUrl + p, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('kong-double: plugin uniqueness', function () {
  this.timeout(20000);

  describe('Admin API (DB mode)', () => {
    let kong: KongDouble;
    let routeId: string;
    before(async () => {
      kong = await startKongDouble({ database: 'postgres', workers: 1, propagation: { routerMs: 5, pluginsMs: 5 }, pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }] });
      expect((await call(kong, 'POST', '/services', { name: 's1', url: 'http://127.0.0.1:1' })).status).to.equal(201);
      routeId = (await call(kong, 'POST', '/services/s1/routes', { name: 'r1', paths: ['/r1'] })).body.id as string;
      expect((await call(kong, 'POST', '/services/s1/routes', { name: 'r2', paths: ['/r2'] })).status).to.equal(201);
    });
    after(async () => kong?.close());

    it('answers a second plugin of the same name on the same route 409 with Kong\'s body, and keeps one', async () => {
      expect((await call(kong, 'POST', '/routes/r1/plugins', probe('first'))).status).to.equal(201);
      const second = await call(kong, 'POST', '/routes/r1/plugins', probe('second'));
      expect(second).to.deep.equal({
        status: 409,
        body: {
          code: 5,
          message: `UNIQUE violation detected on '{consumer=null,name="js-probe",route={id="${routeId}"},service=null}'`,
          name: 'unique constraint violation',
          fields: { route: { id: routeId }, service: null, consumer: null, name: 'js-probe' },
        },
      });
      const listed = (await call(kong, 'GET', '/routes/r1/plugins')).body.data as Array<{ config: { message: string } }>;
      expect(listed.map((p) => p.config.message)).to.deep.equal(['first']);
    });

    it('allows the same plugin on another route, on the service and globally, once each', async () => {
      expect((await call(kong, 'POST', '/routes/r2/plugins', probe('r2'))).status).to.equal(201);
      expect((await call(kong, 'POST', '/services/s1/plugins', probe('s1'))).status).to.equal(201);
      expect((await call(kong, 'POST', '/plugins', probe('global'))).status).to.equal(201);
      expect((await call(kong, 'POST', '/services/s1/plugins', probe('again'))).status).to.equal(409);
      const global = await call(kong, 'POST', '/plugins', probe('again'));
      expect([global.status, global.body.message]).to.deep.equal([409, `UNIQUE violation detected on '{consumer=null,name="js-probe",route=null,service=null}'`]);
    });

    it('answers 409 to a PATCH or PUT that moves a plugin onto a taken route, and lets a plugin be rewritten in place', async () => {
      const onR2 = ((await call(kong, 'GET', '/routes/r2/plugins')).body.data as Array<{ id: string }>)[0]!;
      expect((await call(kong, 'PATCH', `/plugins/${onR2.id}`, { route: { id: routeId } })).status).to.equal(409);
      expect((await call(kong, 'PUT', `/plugins/${onR2.id}`, { ...probe('moved'), route: { id: routeId } })).status).to.equal(409);
      expect((await call(kong, 'PATCH', `/plugins/${onR2.id}`, { config: { message: 'patched' } })).status).to.equal(200);
      const r2 = (await call(kong, 'GET', '/routes/r2')).body.id;
      expect((await call(kong, 'PUT', `/plugins/${onR2.id}`, { ...probe('put'), route: { id: r2 } })).status).to.equal(200);
    });
  });

  describe('POST /config (DB-less)', () => {
    let kong: KongDouble;
    before(async () => {
      kong = await startKongDouble({ workers: 1, pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }] });
    });
    after(async () => kong?.close());

    it('refuses two plugins of one name on one route with Kong\'s declarative error (both get the same id)', async () => {
      const route = (plugins: unknown[]) => ({ _format_version: '3.0', routes: [{ name: 'r', paths: ['/r'], plugins }] });
      const single = await call(kong, 'POST', '/config', route([probe('one')]));
      expect(single.status).to.equal(201);
      const id = Object.keys(single.body.plugins as Record<string, unknown>)[0]!;
      const twice = await call(kong, 'POST', '/config', route([probe('one'), probe('two')]));
      const message = `uniqueness violation: 'plugins' entity with primary key set to '${id}' already declared`;
      expect(twice).to.deep.equal({
        status: 400,
        body: {
          name: 'invalid declarative configuration',
          code: 14,
          fields: { routes: [{ plugins: [null, message] }] },
          message: `declarative config is invalid: {routes={{plugins={[2]="${message}"}}}}`,
        },
      });
    });

    it('refuses a plugin declared twice globally, and keeps the running config', async () => {
      const twice = await call(kong, 'POST', '/config', { _format_version: '3.0', plugins: [probe('a'), probe('b')] });
      expect(twice.status).to.equal(400);
      expect(twice.body.message).to.match(/^declarative config is invalid: \{plugins=\{\[2\]="uniqueness violation: 'plugins' entity with primary key set to '[0-9a-f-]{36}' already declared"\}\}$/);
      const plugins = (await call(kong, 'GET', '/plugins')).body.data as Array<{ config: { message: string } }>;
      expect(plugins.map((p) => p.config.message)).to.deep.equal(['one']);
    });
  });
});
