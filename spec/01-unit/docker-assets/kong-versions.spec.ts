// Every shipped Kong configuration gives each Kong version what it needs (cli/kong-versions.ts, from
// Kong's source and recorded on 3.4.2 and 3.9.3): a start command on Kong 3.4 (else okta-jwt never
// runs), none on Kong 3.9 (else GET / answers 500), judged by the doctor's own rules; and every
// shipped okta-jwt configuration carries the fail-closed guard.
import { execFile } from 'node:child_process';
import { expect } from 'chai';
import { parse } from 'yaml';
import { pluginServerChecks, readKongSettings } from '../../../cli/kong-node';
import { PLACEHOLDER_START_CMD, parseKongVersion, readinessNeedsStartCommand, startCommandBreaksAdminRoot } from '../../../cli/kong-versions';
import { GUARD_LUA, PLUGIN_NAME, REPO, dockerfileEnv, pluginConfigError, read, readYamlDocs, type Obj } from '../../support/deploy-assets';

const VERSIONS = ['3.0.1', '3.1.0', '3.3.1', '3.4.0', '3.4.2', '3.4.3.12', '3.5.0', '3.8.1', '3.9.0', '3.9.3', '3.10.0', '3.11.1'];
const version = (text: string) => parseKongVersion(text)!;

/** kong/version-settings.sh for this `kong version` output: what kong/Dockerfile appends to /etc/kong/kong.conf. */
function versionSettings(kongVersion: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('/bin/sh', [`${REPO}/kong/version-settings.sh`, kongVersion], { env: {} }, (err, out) => (err ? reject(err) : resolve(out))),
  );
}

/** The image's settings: its KONG_ variables and what version-settings.sh wrote for the base image's version. */
async function imageSettings(kongVersion: string): Promise<Obj> {
  const env = Object.entries(dockerfileEnv(read('kong/Dockerfile'))).filter(([k]) => k.startsWith('KONG_')).map(([k, v]) => `${k}=${v}`);
  return { ...readKongSettings(await versionSettings(kongVersion)), ...readKongSettings(env.join('\n')) };
}

const envSettings = (env: Record<string, unknown>) => readKongSettings(Object.entries(env).map(([k, v]) => `${k}=${String(v)}`).join('\n'));
const failures = (kongVersion: string, settings: Obj) => pluginServerChecks(version(kongVersion), settings).filter((c) => c.status === 'fail').map((c) => c.id);

describe('Kong versions: what each needs from the plugin-server settings', () => {
  it('the rule: 3.1 to 3.4 need a start command for readiness, 3.9 breaks GET / with one, nothing else does', () => {
    const needs = VERSIONS.filter((v) => readinessNeedsStartCommand(version(v)));
    const breaks = VERSIONS.filter((v) => startCommandBreaksAdminRoot(version(v)));
    expect([needs, breaks]).to.deep.equal([['3.1.0', '3.3.1', '3.4.0', '3.4.2', '3.4.3.12'], ['3.9.0', '3.9.3']]);
    expect(parseKongVersion('kong/3.9.3')?.text).to.equal('3.9.3');
    expect(parseKongVersion('3.4.3.5-enterprise-edition')).to.include({ major: 3, minor: 4 });
    expect(parseKongVersion('next')).to.equal(null);
  });

  for (const v of VERSIONS) {
    it(`kong/version-settings.sh ${v}: the image gets a start command exactly when the doctor's rule says Kong ${v} needs one`, async () => {
      const expected = readinessNeedsStartCommand(version(v)) ? `pluginserver_okta_jwt_start_cmd = ${PLACEHOLDER_START_CMD}\n` : '';
      expect(await versionSettings(v)).to.equal(expected);
    });
  }

  it('kong/Dockerfile runs version-settings.sh on its own Kong and appends the result to /etc/kong/kong.conf, as root before USER kong', () => {
    const dockerfile = read('kong/Dockerfile');
    const run = dockerfile.indexOf('version-settings.sh "$(kong version)" >> /etc/kong/kong.conf');
    expect(run).to.be.above(0);
    expect(dockerfile.lastIndexOf('\nUSER root', run)).to.be.above(dockerfile.lastIndexOf('\nFROM ', run));
    expect(dockerfile.indexOf('\nUSER kong', run)).to.be.above(run);
  });

  it('the image: built FROM 3.4.2 it is ready for Kong 3.4, built FROM 3.9.3 (the default) it keeps GET / at 200, and the other way round fails', async () => {
    expect(dockerfileEnv(read('kong/Dockerfile'))).to.not.have.property('KONG_PLUGINSERVER_OKTA_JWT_START_CMD');
    for (const v of ['3.4.2', '3.9.3', '3.10.0']) expect(failures(v, await imageSettings(v)), v).to.deep.equal([]);
    expect(failures('3.4.2', await imageSettings('3.9.3'))).to.deep.equal(['kong.plugin_server.ready']);
    expect(failures('3.9.3', await imageSettings('3.4.2'))).to.deep.equal(['kong.admin_root']);
  });

  it('docker-compose.yml: every Kong service gets what its image\'s Kong needs; only profile kong-managed starts the server itself (GET / 500 on 3.9, documented)', async () => {
    const [compose] = readYamlDocs('docker-compose.yml') as [Obj];
    const baseImage = /^ARG KONG_IMAGE=kong:(\S+)$/m.exec(read('kong/Dockerfile'))![1]!;
    const kongs = Object.entries(compose.services as Obj).filter(([, s]) => s.build?.target === 'kong' && !s.entrypoint && !s.command);
    const verdicts = await Promise.all(kongs.map(async ([name, s]) => {
      const kongVersion = String(s.build.args?.KONG_IMAGE ?? `kong:${baseImage}`).replace(/^kong:/, '');
      return [name, kongVersion, failures(kongVersion, { ...(await imageSettings(kongVersion)), ...envSettings(s.environment ?? {}) })];
    }));
    expect(verdicts.sort()).to.deep.equal([
      ['kong', '3.9.3', []], ['kong-cp', '3.9.3', []], ['kong-dp', '3.9.3', []],
      ['kong-lts', '3.4.2', []], ['kong-managed', '3.9.3', ['kong.admin_root']], ['kong-pg', '3.9.3', []],
    ]);
  });

  it('deploy/vm: kong.conf (and kong.env) for Kong 3.5 and later; plus kong-3.4.conf (kong-3.4.env) for Kong 3.4.x, never on 3.9', () => {
    for (const [base, addOn] of [['deploy/vm/kong.conf', 'deploy/vm/kong-3.4.conf'], ['deploy/vm/kong.env', 'deploy/vm/kong-3.4.env']] as const) {
      const alone = readKongSettings(read(base));
      const with34 = readKongSettings(read(base) + '\n' + read(addOn));
      expect(Object.keys(readKongSettings(read(addOn))), addOn).to.deep.equal(['pluginserver_okta_jwt_start_cmd']);
      expect(with34.pluginserver_okta_jwt_start_cmd, addOn).to.equal(PLACEHOLDER_START_CMD);
      for (const v of ['3.5.0', '3.9.3', '3.10.0']) expect(failures(v, alone), `${base} on ${v}`).to.deep.equal([]);
      expect(failures('3.4.2', alone), `${base} alone on 3.4.2`).to.deep.equal(['kong.plugin_server.ready']);
      expect(failures('3.4.2', with34), `${addOn} on 3.4.2`).to.deep.equal([]);
      expect(failures('3.9.3', with34), `${addOn} on 3.9.3`).to.deep.equal(['kong.admin_root']);
    }
  });

  it('deploy/kubernetes: the Kong container (manifest and Helm values) sets no start command, so an image of either version is right', async () => {
    const [deployment] = readYamlDocs('deploy/kubernetes/kong-okta-jwt.yaml');
    const kong = (deployment!.spec.template.spec.containers as Obj[]).find((c) => c.name === 'kong')!;
    const podEnv = envSettings(Object.fromEntries((kong.env as Obj[]).map((e) => [e.name, e.value])));
    const [values] = readYamlDocs('deploy/kubernetes/kong-helm-values.yaml') as [Obj];
    const helmEnv = envSettings(Object.fromEntries(Object.entries(values.env as Obj).map(([k, v]) => [`KONG_${k.toUpperCase()}`, v])));
    for (const v of ['3.4.2', '3.9.3']) {
      expect(failures(v, { ...(await imageSettings(v)), ...podEnv }), `manifest on ${v}`).to.deep.equal([]);
      expect(failures(v, { ...(await imageSettings(v)), ...helmEnv }), `Helm values on ${v}`).to.deep.equal([]);
    }
  });
});

describe('every shipped okta-jwt configuration carries the fail-closed guard', () => {
  /** Every plugin list in a declarative document: the guard beside each okta-jwt, okta-jwt marking. */
  function pluginLists(node: unknown, found: Obj[][] = []): Obj[][] {
    if (Array.isArray(node)) {
      if (node.some((p) => p?.name === PLUGIN_NAME)) found.push(node as Obj[]);
      for (const item of node) pluginLists(item, found);
    } else if (node && typeof node === 'object') for (const v of Object.values(node)) pluginLists(v, found);
    return found;
  }

  for (const file of ['kong/kong.yml', 'deploy/deck/okta-jwt.yaml']) {
    it(`${file}: each okta-jwt has fail_closed_guard and the guard post-function beside it`, () => {
      const text = read(file).replace(/\$\{\{ env "DECK_OKTA_ISSUER" \}\}/g, 'https://dev-123.okta.com/oauth2/default').replace(/\$\{\{ env "[A-Z_]+" \}\}/g, 'x');
      const lists = pluginLists(parse(text));
      expect(lists).to.not.have.length(0);
      for (const plugins of lists) {
        const okta = plugins.find((p) => p.name === PLUGIN_NAME)!;
        expect(pluginConfigError(okta.config)).to.equal(undefined);
        expect(plugins.filter((p) => p.name === 'post-function').map((p) => p.config)).to.deep.equal([{ access: [GUARD_LUA] }]);
      }
    });
  }

  it('deploy/kubernetes/okta-jwt-plugins.yaml: every okta-jwt KongPlugin/KongClusterPlugin has a guard of the same kind (and namespace) with fail_closed_guard set', () => {
    const docs = readYamlDocs('deploy/kubernetes/okta-jwt-plugins.yaml');
    const okta = docs.filter((d) => d.plugin === PLUGIN_NAME);
    expect(okta).to.not.have.length(0);
    for (const p of okta) {
      expect(p.config.fail_closed_guard, p.metadata.name).to.equal(true);
      const guard = docs.find((d) => d.kind === p.kind && d.plugin === 'post-function' && d.metadata.namespace === p.metadata.namespace);
      expect(guard?.config, p.metadata.name).to.deep.equal({ access: [GUARD_LUA] });
    }
  });
});
