// The Admin API as decK and curl use it: the collections `deck gateway dump/sync` lists, Kong's
// multipart POST /config, and `npm start` as a DB-mode gateway decK can talk to.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { startKongDouble } from '../../kong-double';
import { repoRoot } from '../../support/repo-paths';
import { send } from '../../support/http-client';

const ROOT = repoRoot();
const PROBE_DIR = path.join(ROOT, 'spec', 'fixtures', 'probe-plugins', 'js-probe');

/** Every list go-database-reconciler's dump.Get reads from Kong OSS, with the 200 Kong answers. */
const DECK_LISTS = ['services', 'routes', 'plugins', 'certificates', 'ca_certificates', 'snis', 'upstreams', 'vaults', 'keys', 'key-sets',
  'consumer_groups', 'consumers', 'key-auths', 'hmac-auths', 'jwts', 'basic-auths', 'oauth2', 'acls'];

describe('kong double: the Admin API as decK and curl use it', function () {
  this.timeout(30000);

  it('answers every collection decK lists with Kong\'s page shape; empty ones {"data":[],"next":null}', async () => {
    const kong = await startKongDouble({ workers: 1, pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }] });
    try {
      for (const list of DECK_LISTS) {
        const res = await send('GET', `${kong.adminUrl}/${list}?size=1000`);
        expect([list, res.status, res.json()], list).to.deep.equal([list, 200, { data: [], next: null }]);
      }
    } finally {
      await kong.close();
    }
  });

  it('answers the entity schemas decK\'s defaulter reads, with the defaults the double stores', async () => {
    const kong = await startKongDouble({ workers: 1, database: 'postgres', propagation: { routerMs: 0 }, pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }] });
    try {
      const defaults = async (entity: string) => Object.fromEntries(
        (await send('GET', `${kong.adminUrl}/schemas/${entity}`)).json<{ fields: Array<Record<string, { default?: unknown }>> }>().fields
          .flatMap((f) => Object.entries(f)).filter(([, v]) => 'default' in v).map(([k, v]) => [k, v.default]));
      const service = (await send('POST', `${kong.adminUrl}/services`, [['Content-Type', 'application/json']], '{"name":"s","host":"example.com"}')).json();
      const route = (await send('POST', `${kong.adminUrl}/services/s/routes`, [['Content-Type', 'application/json']], '{"paths":["/p"]}')).json();
      for (const [entity, stored] of [['services', service], ['routes', route]] as const) {
        for (const [field, value] of Object.entries(await defaults(entity))) expect(stored[field], `${entity}.${field}`).to.deep.equal(value);
      }
      expect((await send('GET', `${kong.adminUrl}/schemas/upstreams`)).json()).to.deep.equal({ fields: [] });
    } finally {
      await kong.close();
    }
  });

  it('reads form fields by the entity schema, as Kong does: curl --data strip_path=false stores the boolean false', async () => {
    const kong = await startKongDouble({ workers: 1, database: 'postgres', propagation: { routerMs: 0 }, pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }] });
    try {
      const form = [['Content-Type', 'application/x-www-form-urlencoded']] as [string, string][];
      expect((await send('POST', `${kong.adminUrl}/services`, form, `name=s&url=${encodeURIComponent('http://127.0.0.1:1')}&retries=2`)).status).to.equal(201);
      const route = await send('POST', `${kong.adminUrl}/services/s/routes`, form, 'name=r&paths[]=/p&strip_path=false&preserve_host=true&regex_priority=7');
      expect(route.status, route.text).to.equal(201);
      expect(route.json()).to.deep.include({ strip_path: false, preserve_host: true, regex_priority: 7 });
      expect((await send('GET', `${kong.adminUrl}/services/s`)).json()).to.deep.include({ retries: 2 });
    } finally {
      await kong.close();
    }
  });

  it('takes POST /config as multipart/form-data (curl -F config=@kong.yml)', async () => {
    const kong = await startKongDouble({ workers: 1, pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }] });
    try {
      const yml = '_format_version: "3.0"\nservices:\n  - name: s\n    url: http://127.0.0.1:1\n    routes:\n      - name: r\n        paths: [/p]\n';
      const boundary = '------------------------d74496d66958873e';
      const body = `--${boundary}\r\nContent-Disposition: form-data; name="config"; filename="kong.yml"\r\nContent-Type: application/octet-stream\r\n\r\n${yml}\r\n--${boundary}--\r\n`;
      const res = await send('POST', `${kong.adminUrl}/config`, [['Content-Type', `multipart/form-data; boundary=${boundary}`]], body);
      expect(res.status, res.text).to.equal(201);
      await kong.propagated();
      expect((await send('GET', `${kong.adminUrl}/routes`)).json<{ data: Array<{ name: string }> }>().data.map((r) => r.name)).to.deep.equal(['r']);
    } finally {
      await kong.close();
    }
  });

  describe('npm start with KONG_DATABASE=postgres', () => {
    let child: ChildProcess;
    let banner = '';
    const url = (label: string) => new RegExp(`${label}\\s+(http://\\S+)`).exec(banner)![1]!;

    before(async () => {
      child = spawn(process.execPath, [path.join(ROOT, 'dist', 'test', 'dev', 'start-gateway.js')], {
        env: { ...process.env, KONG_DATABASE: 'postgres', KONG_WORKER_STATE_UPDATE_FREQUENCY: '0.2', PROXY_PORT: '0', ADMIN_PORT: '0', ISSUER_PORT: '0', ECHO_PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (c: Buffer) => {
          banner += c.toString();
          if (banner.includes('Ctrl-C')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`npm start exited ${code}: ${banner}`)));
      });
    });
    after(async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    });

    it('runs the plugin server beside itself, so GET / answers 200 and decK can read the version and every list', async () => {
      const admin = url('admin');
      const root = await send('GET', `${admin}/`);
      expect(root.status).to.equal(200);
      expect(root.json<{ version: string; configuration: { database: string } }>()).to.deep.include({ version: '3.9.3' });
      expect(root.json<{ configuration: { database: string } }>().configuration.database).to.equal('postgres');
      for (const list of DECK_LISTS) expect((await send('GET', `${admin}/${list}?size=1000`)).status, list).to.equal(200);
      expect((await send('POST', `${admin}/config`, [['Content-Type', 'application/json']], '{"_format_version":"3.0"}')).status).to.equal(400);
    });

    it('protects /echo, and applies an Admin API plugin change after worker_state_update_frequency', async () => {
      const proxy = url('proxy');
      const token = /Bearer (\S+)"/.exec(banner)![1]!;
      expect((await send('GET', `${proxy}/echo/x`, [['Authorization', `Bearer ${token}`]])).status).to.equal(200);
      expect((await send('GET', `${proxy}/echo/x`)).status).to.equal(401);
      const plugins = (await send('GET', `${url('admin')}/plugins`)).json<{ data: Array<{ id: string }> }>().data;
      expect((await send('DELETE', `${url('admin')}/plugins/${plugins[0]!.id}`)).status).to.equal(204);
      expect((await send('GET', `${proxy}/echo/x`)).status).to.equal(401); // not yet
      await new Promise((r) => setTimeout(r, 400));
      expect((await send('GET', `${proxy}/echo/x`)).status).to.equal(200);
    });
  });
});
