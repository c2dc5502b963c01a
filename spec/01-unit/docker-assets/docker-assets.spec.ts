// Consistency checks of the Docker assets (no Docker engine here): kong/kong.yml against the plugin's
// schema, docker-compose.yml against kong.yml, and kong/Dockerfile's plugin-server commands run the
// way Kong 3.9 runs them.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../support/repo-paths';
import { parse } from 'yaml';
import { configFields } from '../../../plugin/config/schema';
import { normaliseConfig } from '../../../plugin/config/normalise';
import { fillAndValidate } from '../../kong-double/schema/validate';
import type { FieldDef } from '../../kong-double/schema/types';
import { GUARD_SNIPPET } from '../../support/kong-config';

const REPO = repoRoot();
const PLUGIN_NAME = 'okta-jwt';
const read = (file: string) => readFileSync(path.join(REPO, file), 'utf8');
type Obj = Record<string, any>;

/** The ENV instruction's KEY="value" pairs (continuation lines joined), with ARG defaults (or `args`) substituted. */
function dockerfileEnv(text: string, args: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  const joined = text.replace(/\\\n/g, ' ');
  const argValues: Record<string, string> = {};
  for (const [, key, value] of joined.matchAll(/^ARG (\w+)=(\S+)$/gm)) argValues[key!] = value!;
  Object.assign(argValues, args);
  for (const line of joined.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const [, key, value] of line.matchAll(/(\w+)="([^"]*)"/g)) {
      env[key!] = value!.replace(/\$\{(\w+)\}/g, (_, name: string) => argValues[name] ?? '');
    }
  }
  return env;
}

/** The value following a flag in a command line. */
function flag(command: string, name: string): string | undefined {
  const words = command.split(/\s+/);
  const i = words.indexOf(name);
  return i >= 0 ? words[i + 1] : undefined;
}

describe('docker assets: kong/kong.yml', () => {
  const doc = parse(read('kong/kong.yml')) as Obj;
  const plugin = doc.services[0].routes[0].plugins[0] as Obj;

  it('routes /echo (strip_path) to the echo service with okta-jwt on the route', () => {
    expect(doc._format_version).to.equal('3.0');
    expect(doc.services[0]).to.include({ name: 'echo', url: 'http://echo:8080' });
    expect(doc.services[0].routes[0]).to.deep.include({ paths: ['/echo'], strip_path: true });
    expect(plugin.name).to.equal(PLUGIN_NAME);
  });

  it("passes the plugin's Kong schema and the plugin's own config checks", () => {
    // The plugin exports these as Schema; kong-js-pluginserver reports them as the `config` record's fields.
    const record: FieldDef = { type: 'record', fields: configFields };
    const { value, error } = fillAndValidate(record, plugin.config);
    expect(error).to.equal(undefined);
    expect(() => normaliseConfig(value)).not.to.throw();
    // Without the dev-only switch the plain-http compose issuer is refused (by the schema or the plugin).
    const strict = fillAndValidate(record, { ...plugin.config, allow_insecure_issuer: false });
    const refused = strict.error !== undefined || (() => {
      try {
        normaliseConfig(strict.value);
        return false;
      } catch {
        return true;
      }
    })();
    expect(refused).to.equal(true);
  });

  it('ships the fail-closed guard: okta-jwt marks what it lets through, a post-function beside it refuses the rest, no pre-function', () => {
    const plugins = doc.services[0].routes[0].plugins as Obj[];
    expect(plugin.config.fail_closed_guard).to.equal(true);
    expect(plugins.map((p) => p.name)).to.deep.equal([PLUGIN_NAME, 'post-function']);
    // The snippet the security suite and the Kong double run.
    expect(plugins[1].config.access).to.deep.equal([GUARD_SNIPPET]);
  });
});

describe('docker assets: docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as Obj;
  const kongYml = parse(read('kong/kong.yml')) as Obj;

  it("trusts exactly the issuer the compose dev issuer names, and reaches echo on its PORT", () => {
    const issuerEnv = compose.services.issuer.environment as Obj;
    const okta = kongYml.services[0].routes[0].plugins[0].config as Obj;
    expect(okta.issuer).to.equal(`${issuerEnv.PUBLIC_BASE_URL}/oauth2/default`);
    expect(new URL(issuerEnv.PUBLIC_BASE_URL).port).to.equal(issuerEnv.PORT);
    expect(kongYml.services[0].url).to.equal(`http://echo:${compose.services.echo.environment.PORT}`);
  });

  it('runs Kong DB-less on the mounted kong.yml, admin on loopback only, after healthy dependencies', () => {
    const kong = compose.services.kong as Obj;
    expect(kong.environment).to.include({ KONG_DATABASE: 'off', KONG_DECLARATIVE_CONFIG: '/kong/kong.yml' });
    expect(kong.volumes).to.include('./kong/kong.yml:/kong/kong.yml:ro');
    expect(kong.ports).to.include('127.0.0.1:8001:8001');
    expect(kong.depends_on).to.deep.equal({ issuer: { condition: 'service_healthy' }, echo: { condition: 'service_healthy' } });
    for (const name of ['kong', 'issuer', 'echo']) expect(compose.services[name].healthcheck.test[0]).to.equal('CMD');
  });
});

describe('docker assets: kong/Dockerfile plugin server settings', () => {
  const env = dockerfileEnv(read('kong/Dockerfile'));
  const start = env.KONG_PLUGINSERVER_OKTA_JWT_START_CMD!;
  const query = env.KONG_PLUGINSERVER_OKTA_JWT_QUERY_CMD!;

  it("enables the plugin and names one plugin server whose settings use Kong's key spelling", () => {
    expect(env.KONG_PLUGINS!.split(',')).to.deep.equal(['bundled', PLUGIN_NAME]);
    expect(env.KONG_PLUGINSERVER_NAMES).to.equal(PLUGIN_NAME);
    const prefix = `KONG_PLUGINSERVER_${PLUGIN_NAME.toUpperCase().replace(/-/g, '_')}_`;
    expect(Object.keys(env).filter((k) => k.startsWith(prefix)).sort()).to.deep.equal(
      ['QUERY_CMD', 'SOCKET', 'START_CMD'].map((s) => prefix + s),
    );
  });

  it('starts the server on the configured socket, from the same absolute plugin directory the query uses', () => {
    expect(`${flag(start, '-p')}/${flag(start, '--sock-name')}`).to.equal(env.KONG_PLUGINSERVER_OKTA_JWT_SOCKET);
    expect(flag(start, '-d')).to.equal(flag(query, '-d'));
    expect(query.split(/\s+/)).to.include('--dump-all-plugins');
    for (const command of [start, query]) {
      for (const word of command.split(/\s+/).filter((w) => !w.startsWith('-') && w.includes('/'))) {
        expect(path.isAbsolute(word), word).to.equal(true);
      }
      expect(command.split(/\s+/)[0]).to.equal('/usr/local/bin/node');
    }
  });

  const stock = dockerfileEnv(read('kong/Dockerfile'), { PLUGIN_SERVER: '/usr/local/kong/okta-jwt/node_modules/kong-pdk/bin/kong-js-pluginserver' });
  for (const [server, command] of [['okta-jwt-pluginserver (default)', query], ['kong-js-pluginserver (build arg)', stock.KONG_PLUGINSERVER_OKTA_JWT_QUERY_CMD!]]) {
    it(`query command with ${server}, run as Kong runs it (sh -c, no PATH), prints only JSON listing okta-jwt first`, async function () {
      // The image's paths, mapped onto this checkout (dist/ is what `npm run build` produced).
      const local = command.replace('/usr/local/bin/node', process.execPath).replaceAll('/usr/local/kong/okta-jwt', REPO);
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile('/bin/sh', ['-c', local], { env: {}, cwd: '/', timeout: 15_000 }, (err, out) => (err ? reject(err) : resolve(out))),
      );
      const dump = JSON.parse(stdout) as { Name: string }[];
      expect(dump[0]!.Name).to.equal(PLUGIN_NAME);
    });
  }
});
