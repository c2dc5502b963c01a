// Consistency checks of the Docker assets (no Docker engine here): kong/kong.yml against the plugin's
// schema, docker-compose.yml's topologies against kong/Dockerfile, and the image's plugin-server
// commands run the way Kong 3.9 and the compose healthcheck run them.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { normaliseConfig } from '../../../plugin/config/normalise';
import { validatePluginConfig } from '../../kong-double/schema';
import { oktaJwtSchema } from '../../support/plugin-schema';
import { GUARD_SNIPPET } from '../../support/kong-config';
import { socketAccepts } from '../../kong-double/plugin-server';
import {
  IMAGE_NODE, IMAGE_PACKAGE_DIR, PLUGIN_NAME, REPO, dockerfileEnv, flag, localCommand, read, readYamlDocs, runLikeKong, socketOf, type Obj,
} from '../../support/deploy-assets';

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
    const checked = validatePluginConfig(oktaJwtSchema(), plugin.config);
    if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
    expect(() => normaliseConfig(checked.config)).not.to.throw();
    // Without the dev-only switch Kong refuses the plain-http compose issuer, naming the switch.
    const strict = validatePluginConfig(oktaJwtSchema(), { ...plugin.config, allow_insecure_issuer: false });
    expect(strict).to.deep.include({ ok: false });
    expect(JSON.stringify(strict)).to.include('set allow_insecure_issuer');
  });

  it('ships the fail-closed guard: okta-jwt marks what it lets through, a post-function beside it refuses the rest, no pre-function', () => {
    const plugins = doc.services[0].routes[0].plugins as Obj[];
    expect(plugin.config.fail_closed_guard).to.equal(true);
    expect(plugins.map((p) => p.name)).to.deep.equal([PLUGIN_NAME, 'post-function']);
    // The snippet the security suite and the Kong double run.
    expect(plugins[1].config.access).to.deep.equal([GUARD_SNIPPET]);
  });
});

describe('docker assets: kong/Dockerfile', () => {
  const dockerfile = read('kong/Dockerfile');
  const env = dockerfileEnv(dockerfile);
  const query = env.KONG_PLUGINSERVER_OKTA_JWT_QUERY_CMD!;

  it("enables the plugin and names one plugin server with a socket and a query command, and no start command", () => {
    expect(env.KONG_PLUGINS!.split(',')).to.deep.equal(['bundled', PLUGIN_NAME]);
    expect(env.KONG_PLUGINSERVER_NAMES).to.equal(PLUGIN_NAME);
    const prefix = `KONG_PLUGINSERVER_${PLUGIN_NAME.toUpperCase().replace(/-/g, '_')}_`;
    // With a start command Kong 3.9 answers GET / with 500 and decK stops working (batch3 §3).
    expect(Object.keys(env).filter((k) => k.startsWith(prefix)).sort()).to.deep.equal(['QUERY_CMD', 'SOCKET'].map((s) => prefix + s));
    expect(env.KONG_PLUGINSERVER_OKTA_JWT_SOCKET).to.equal('/run/okta-jwt/okta-jwt.sock');
    expect(query.split(/\s+/)).to.include('--dump-all-plugins');
    for (const word of query.split(/\s+/).filter((w) => !w.startsWith('-') && w.includes('/'))) expect(path.isAbsolute(word), word).to.equal(true);
    expect(query.split(/\s+/)[0]).to.equal(IMAGE_NODE);
  });

  it('puts nothing at /usr/local/bin/okta-jwt (Kong 3.9 runs /usr/local/bin/<server name> when no start command is set)', () => {
    const kongStage = dockerfile.slice(dockerfile.indexOf('AS kong'));
    const joined = kongStage.replace(/\\\n/g, ' ');
    // The only file copied into /usr/local/bin is node; nothing links or installs the package globally.
    const binTargets = [...joined.matchAll(/^(?:COPY|ADD)\s.*\s(\/usr\/local\/bin\/\S*)$/gm)].map((m) => m[1]);
    expect(binTargets).to.deep.equal([IMAGE_NODE]);
    for (const [run] of joined.matchAll(/^RUN .*$/gm)) {
      expect(run).not.to.match(/\/usr\/local\/bin\/okta-jwt\b|npm (?:i|install|link)\b.*(?:-g\b|--global)|\bln\b/);
    }
    expect(joined).not.to.match(/^WORKDIR \/usr\/local\/bin/m);
    // The package's own bins sit under its folder (put on PATH for `docker exec … okta-jwt doctor`).
    expect(joined).to.match(new RegExp(`^COPY --from=build /app/bin ${IMAGE_PACKAGE_DIR}/bin$`, 'm'));
    expect(joined).to.include(`COPY --from=build /app/dist/cli ${IMAGE_PACKAGE_DIR}/dist/cli`);
  });

  it('gives the socket folder to kong, the user Kong runs as', () => {
    expect(dockerfile).to.match(/^RUN mkdir -p \/run\/okta-jwt && chown kong:kong \/run\/okta-jwt/m);
    expect(dockerfile.trimEnd().split('\n').filter((l) => l.startsWith('USER ')).pop()).to.equal('USER kong');
  });

  it('drops every installed copy of TypeScript (never loaded by okta-jwt-pluginserver), and only for that server', () => {
    const run = /^RUN npm run build && npm prune .*$/m.exec(dockerfile.replace(/\\\n/g, ' '))![0];
    const guarded = /if \[ "\$\{PLUGIN_SERVER##\*\/\}" = okta-jwt-pluginserver \]; then rm -rf ([^;]+); fi/.exec(run);
    expect(guarded, run).not.to.equal(null);
    const removed = guarded![1]!.trim().split(/\s+/).sort();
    // Where this lockfile's tree puts TypeScript: the root copy (ts-node's peer, kept by prune) and kong-pdk's own.
    const copies = (dir: string): string[] =>
      fs.readdirSync(path.join(REPO, dir), { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => {
        const rel = `${dir}/${e.name}`;
        if (e.name === 'typescript') return [rel];
        if (e.name.startsWith('@')) return copies(rel);
        return fs.existsSync(path.join(REPO, rel, 'node_modules')) ? copies(`${rel}/node_modules`) : [];
      });
    expect(removed).to.deep.equal(copies('node_modules').sort());
  });

  const stock = dockerfileEnv(dockerfile, { PLUGIN_SERVER: `${IMAGE_PACKAGE_DIR}/node_modules/kong-pdk/bin/kong-js-pluginserver` });
  for (const [server, command] of [['okta-jwt-pluginserver (default)', query], ['kong-js-pluginserver (build arg)', stock.KONG_PLUGINSERVER_OKTA_JWT_QUERY_CMD!]]) {
    it(`query command with ${server}, run as Kong runs it (sh -c, no PATH), prints only JSON listing okta-jwt first`, async function () {
      const dump = JSON.parse(await runLikeKong(localCommand(command.split(' ')).join(' '))) as { Name: string }[];
      expect(dump[0]!.Name).to.equal(PLUGIN_NAME);
    });
  }
});

describe('docker assets: docker-compose.yml', () => {
  const [compose] = readYamlDocs('docker-compose.yml') as [Obj];
  const services = compose.services as Obj;
  const kongYml = parse(read('kong/kong.yml')) as Obj;
  const imageSocket = dockerfileEnv(read('kong/Dockerfile')).KONG_PLUGINSERVER_OKTA_JWT_SOCKET!;
  /** Compose's ${VAR:-default} with nothing set. */
  const interpolate = (words: string[]) => words.map((w) => w.replace(/\$\{\w+:-([^}]*)\}/g, '$1'));
  const profiles = (name: string): string[] => services[name].profiles ?? [];
  const mounts = (name: string): string[] => services[name].volumes ?? [];
  const socketVolume = (name: string) => mounts(name).find((m) => m.endsWith(`:${path.dirname(imageSocket)}`))?.split(':')[0];
  const isPluginServer = (name: string) => services[name].entrypoint?.join(' ').includes('pluginserver');
  const proxies = ['kong', 'kong-pg', 'kong-dp'];

  it("trusts exactly the issuer the compose dev issuer names, and reaches echo on its PORT", () => {
    const issuerEnv = services.issuer.environment as Obj;
    const okta = kongYml.services[0].routes[0].plugins[0].config as Obj;
    expect(okta.issuer).to.equal(`${issuerEnv.PUBLIC_BASE_URL}/oauth2/default`);
    expect(new URL(issuerEnv.PUBLIC_BASE_URL).port).to.equal(issuerEnv.PORT);
    expect(kongYml.services[0].url).to.equal(`http://echo:${services.echo.environment.PORT}`);
  });

  it('runs the default Kong DB-less on the mounted kong.yml, admin on loopback only, after healthy dependencies', () => {
    const kong = services.kong as Obj;
    expect(kong.environment).to.include({ KONG_DATABASE: 'off', KONG_DECLARATIVE_CONFIG: '/kong/kong.yml' });
    expect(kong.volumes).to.include('./kong/kong.yml:/kong/kong.yml:ro');
    expect(kong.ports).to.include('127.0.0.1:8001:8001');
    expect(kong.depends_on).to.deep.equal({
      pluginserver: { condition: 'service_healthy' },
      issuer: { condition: 'service_healthy' },
      echo: { condition: 'service_healthy' },
    });
    for (const name of Object.keys(services).filter((n) => !/migrations|cert/.test(n))) {
      expect(services[name].healthcheck?.test?.[0], name).to.equal('CMD');
    }
  });

  for (const kong of proxies) {
    it(`${kong}: its own plugin server, as kong, restarted by Compose, healthy before Kong starts, on the socket Kong is told`, () => {
      const env = services[kong].environment as Obj;
      expect(Object.keys(env).filter((k) => k.endsWith('_START_CMD')), 'no start command').to.deep.equal([]);
      const volume = socketVolume(kong);
      const servers = Object.keys(services).filter((n) => isPluginServer(n) && socketVolume(n) === volume);
      expect(servers, `one plugin server on volume ${volume}`).to.have.length(1);
      const ps = services[servers[0]!] as Obj;
      expect(profiles(servers[0]!)).to.deep.equal(profiles(kong));
      expect(services[kong].depends_on[servers[0]!]).to.deep.equal({ condition: 'service_healthy' });
      expect(ps).to.include({ restart: 'always', user: 'kong' });
      expect(compose.volumes).to.have.property(volume!);
      const command = interpolate([...ps.entrypoint, ...ps.command]);
      expect(socketOf(command)).to.equal(imageSocket);
      const health = ps.healthcheck.test as string[];
      expect(health).to.include('--health');
      expect(socketOf(health)).to.equal(imageSocket);
    });
  }

  it("the plugin server's command and healthcheck, run on this checkout: unhealthy before it listens, healthy once it answers", async function () {
    this.timeout(30_000);
    const ps = services.pluginserver as Obj;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'okta-jwt-compose-'));
    const relocate = (words: string[]) => localCommand(interpolate(words)).map((w) => (w === path.dirname(imageSocket) ? dir : w));
    const healthcheck = () =>
      new Promise<number>((resolve) => {
        const [bin, ...args] = relocate(ps.healthcheck.test.slice(1));
        spawn(bin!, args, { stdio: 'ignore' }).once('exit', (code) => resolve(code ?? -1));
      });
    try {
      expect(await healthcheck()).to.equal(1);
      const [bin, ...args] = relocate([...ps.entrypoint, ...ps.command]);
      const server = spawn(bin!, args, { stdio: 'ignore' });
      try {
        const socket = path.join(dir, path.basename(imageSocket));
        for (let i = 0; i < 300 && !(await socketAccepts(socket)); i++) await new Promise((r) => setTimeout(r, 25));
        expect(await healthcheck()).to.equal(0);
      } finally {
        server.kill('SIGTERM');
        await new Promise((r) => server.once('exit', r));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('profile postgres: migrations bootstrap first, then Kong in DB mode on the same database', () => {
    const migrations = services['kong-migrations'] as Obj;
    expect(migrations.command).to.deep.equal(['kong', 'migrations', 'bootstrap']);
    expect(services['kong-pg'].environment).to.deep.include(migrations.environment);
    expect(migrations.environment).to.include({ KONG_DATABASE: 'postgres', KONG_PG_HOST: 'postgres', KONG_PG_PASSWORD: services.postgres.environment.POSTGRES_PASSWORD });
    expect(services['kong-pg'].depends_on['kong-migrations']).to.deep.equal({ condition: 'service_completed_successfully' });
    expect(migrations.depends_on.postgres).to.deep.equal({ condition: 'service_healthy' });
  });

  it('profile hybrid: a control plane on Postgres with no plugin server, a DB-less data plane with one, one cluster certificate', () => {
    const cp = services['kong-cp'] as Obj;
    const dp = services['kong-dp'] as Obj;
    expect(cp.environment).to.include({ KONG_ROLE: 'control_plane', KONG_DATABASE: 'postgres', KONG_PG_HOST: 'cp-postgres' });
    expect(socketVolume('kong-cp'), 'the control plane never runs requests').to.equal(undefined);
    expect(Object.keys(cp.depends_on).filter(isPluginServer)).to.deep.equal([]);
    expect(dp.environment).to.include({ KONG_ROLE: 'data_plane', KONG_DATABASE: 'off' });
    expect(dp.environment.KONG_CLUSTER_CONTROL_PLANE).to.equal(`kong-cp:${cp.environment.KONG_CLUSTER_LISTEN.split(':')[1]}`);
    const cert = services['hybrid-cert'] as Obj;
    expect(cert.command[0]).to.include(`kong hybrid gen_cert ${cp.environment.KONG_CLUSTER_CERT} ${cp.environment.KONG_CLUSTER_CERT_KEY}`);
    for (const node of [cp, dp]) {
      expect(node.environment).to.include({ KONG_CLUSTER_CERT: cp.environment.KONG_CLUSTER_CERT, KONG_CLUSTER_CERT_KEY: cp.environment.KONG_CLUSTER_CERT_KEY });
      expect(node.volumes).to.include('cluster-cert:/cluster:ro');
    }
    expect(cert.volumes).to.deep.equal(['cluster-cert:/cluster']);
    expect(cp.depends_on['hybrid-cert']).to.deep.equal({ condition: 'service_completed_successfully' });
  });

  it('profile kong-managed: Kong starts the plugin server itself on the socket the image names', () => {
    const start = interpolate(services['kong-managed'].environment.KONG_PLUGINSERVER_OKTA_JWT_START_CMD.split(' '));
    expect(socketOf(start)).to.equal(imageSocket);
    expect(flag(start, '-d')).to.equal(flag(dockerfileEnv(read('kong/Dockerfile')).KONG_PLUGINSERVER_OKTA_JWT_QUERY_CMD!, '-d'));
    expect(start[0]).to.equal(IMAGE_NODE);
    expect(socketVolume('kong-managed')).to.equal(undefined);
  });

  it('publishes every host port once, admin ports on loopback only; only the DB-less stack runs without a profile', () => {
    const published = Object.values(services).flatMap((s: Obj) => (s.ports ?? []) as string[]);
    const hostPorts = published.map((p) => p.split(':').slice(0, -1).join(':'));
    expect(new Set(hostPorts).size).to.equal(hostPorts.length);
    for (const name of proxies.concat('kong-cp', 'kong-managed')) {
      for (const p of (services[name].ports ?? []) as string[]) if (p.endsWith(':8001')) expect(p, name).to.match(/^127\.0\.0\.1:/);
    }
    expect(Object.keys(services).filter((n) => profiles(n).length === 0).sort()).to.deep.equal(['echo', 'issuer', 'kong', 'pluginserver']);
  });
});
