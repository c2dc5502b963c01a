// Offline checks of deploy/: the VM kong.conf / environment and systemd unit, the Kubernetes
// manifests and Helm values, the decK state. Each must name the same socket and plugin directory
// on both sides (Kong, plugin server), carry no start command, and its plugin configs must pass
// okta-jwt's schema and config checks with the fail-closed guard beside them.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { GUARD_LUA, IMAGE_NODE, PLUGIN_NAME, REPO, dockerfileEnv, flag, pluginConfigError, read, readYamlDocs, socketOf, type Obj } from '../../support/deploy-assets';

/** systemd unit / kong.conf: `key = value` or `Key=value` lines by section (repeated keys kept in order). */
function iniSections(text: string): Record<string, Record<string, string[]>> {
  const sections: Record<string, Record<string, string[]>> = { '': {} };
  let current = sections['']!;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = sections[header[1]!] = {};
      continue;
    }
    const eq = line.indexOf('=');
    expect(eq, `not key=value: ${line}`).to.be.above(0);
    (current[line.slice(0, eq).trim()] ??= []).push(line.slice(eq + 1).trim());
  }
  return sections;
}

const one = (section: Record<string, string[]>, key: string) => {
  expect(section[key], key).to.have.length(1);
  return section[key]![0]!;
};

describe('deploy assets: VMs (deploy/vm)', () => {
  const conf = iniSections(read('deploy/vm/kong.conf'))['']!;
  const envFile = Object.fromEntries(
    read('deploy/vm/kong.env').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const unit = iniSections(read('deploy/vm/okta-jwt-pluginserver.service'));
  const service = unit.Service!;
  const start = one(service, 'ExecStart');
  const query = one(conf, 'pluginserver_okta_jwt_query_cmd');

  it('kong.conf: okta-jwt with its own plugin server, a socket and a query command, no start command', () => {
    expect(one(conf, 'plugins').split(',')).to.deep.equal(['bundled', PLUGIN_NAME]);
    expect(one(conf, 'pluginserver_names')).to.equal(PLUGIN_NAME);
    expect(Object.keys(conf).filter((k) => k.startsWith('pluginserver_okta_jwt_')).sort()).to.deep.equal(['pluginserver_okta_jwt_query_cmd', 'pluginserver_okta_jwt_socket']);
    expect(query.split(' ')).to.include('--dump-all-plugins');
    for (const word of query.split(' ').filter((w) => w.includes('/'))) expect(word.startsWith('/'), word).to.equal(true);
  });

  it('kong.env says exactly what kong.conf says, in the KONG_ spelling', () => {
    const fromConf = Object.fromEntries(Object.entries(conf).map(([k, [v]]) => [`KONG_${k.toUpperCase()}`, v]));
    expect(envFile).to.deep.equal(fromConf);
  });

  it('the systemd unit runs the server as kong on the socket and plugin directory Kong uses, always restarted, never rate-limited out', () => {
    expect(socketOf(start)).to.equal(one(conf, 'pluginserver_okta_jwt_socket'));
    expect(flag(start, '-d')).to.equal(flag(query, '-d'));
    expect(start.split(' ')[0]).to.equal(query.split(' ')[0]);
    expect(one(service, 'Restart')).to.equal('always');
    expect(one(unit.Unit!, 'StartLimitIntervalSec')).to.equal('0');
    expect(one(service, 'User')).to.equal('kong');
    expect(one(service, 'Group')).to.equal('kong');
    // The socket's folder is the unit's RuntimeDirectory, and group kong (Kong's workers) may connect.
    expect(`/run/${one(service, 'RuntimeDirectory')}`).to.equal(flag(start, '-p'));
    expect(one(service, 'UMask')).to.equal('0007');
    expect(one(conf, 'nginx_user')).to.equal('kong kong');
    expect(unit.Install!.WantedBy).to.deep.equal(['multi-user.target']);
  });

  it('the unit is started only once the server answers --health on that socket; Kong waits for it', () => {
    const post = one(service, 'ExecStartPost');
    const health = /(\S+ \S+ --health [^>]*?)\s*>/.exec(post)![1]!;
    expect(health.split(' ')[1]).to.equal(start.split(' ')[1]);
    expect(socketOf(health)).to.equal(socketOf(start));
    const dropIn = iniSections(read('deploy/vm/kong.service.d/okta-jwt.conf')).Unit!;
    expect(dropIn).to.deep.equal({ Wants: ['okta-jwt-pluginserver.service'], After: ['okta-jwt-pluginserver.service'] });
  });
});

describe('deploy assets: Kubernetes (deploy/kubernetes)', () => {
  const imageEnv = dockerfileEnv(read('kong/Dockerfile'));
  const envOf = (container: Obj) => Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e.value]));

  /** The pod spec's two containers share the socket folder, and the sidecar listens where Kong looks. */
  function checkSidecar(sidecar: Obj, kongEnv: Record<string, string>, kongMounts: Obj[], volumes: Obj[]) {
    const argv = [...sidecar.command, ...sidecar.args] as string[];
    expect(argv[0]).to.equal(IMAGE_NODE);
    expect(socketOf(argv)).to.equal(kongEnv.KONG_PLUGINSERVER_OKTA_JWT_SOCKET);
    expect(flag(argv, '-d')).to.equal(flag(kongEnv.KONG_PLUGINSERVER_OKTA_JWT_QUERY_CMD!, '-d'));
    expect(Object.keys(kongEnv).filter((k) => k.endsWith('_START_CMD'))).to.deep.equal([]);
    const socketDir = flag(argv, '-p');
    const sidecarMount = (sidecar.volumeMounts as Obj[]).find((m) => m.mountPath === socketDir)!;
    expect(kongMounts.find((m) => m.mountPath === socketDir)?.name).to.equal(sidecarMount.name);
    expect(volumes.find((v) => v.name === sidecarMount.name)).to.have.property('emptyDir');
    const probe = sidecar.livenessProbe.exec.command as string[];
    expect(probe).to.include('--health');
    expect(socketOf(probe)).to.equal(socketOf(argv));
  }

  it('kong-okta-jwt.yaml: Kong plus the plugin server as a sidecar on an emptyDir socket, both as kong (uid 1000)', () => {
    const [deployment, service] = readYamlDocs('deploy/kubernetes/kong-okta-jwt.yaml');
    expect(deployment).to.include({ apiVersion: 'apps/v1', kind: 'Deployment' });
    expect(service).to.include({ apiVersion: 'v1', kind: 'Service' });
    const pod = deployment!.spec.template.spec as Obj;
    expect(deployment!.spec.selector.matchLabels).to.deep.equal(deployment!.spec.template.metadata.labels);
    expect(pod.securityContext).to.include({ runAsUser: 1000, runAsNonRoot: true });
    const kong = (pod.containers as Obj[]).find((c) => c.name === 'kong')!;
    const sidecar = (pod.containers as Obj[]).find((c) => c.name === 'okta-jwt-pluginserver')!;
    const kongEnv = envOf(kong);
    for (const key of ['KONG_PLUGINS', 'KONG_PLUGINSERVER_NAMES', 'KONG_PLUGINSERVER_OKTA_JWT_SOCKET', 'KONG_PLUGINSERVER_OKTA_JWT_QUERY_CMD']) {
      expect(kongEnv[key], key).to.equal(imageEnv[key]);
    }
    checkSidecar(sidecar, kongEnv, kong.volumeMounts, pod.volumes);
    expect(sidecar.image).to.equal(kong.image);
    expect(kongEnv.KONG_ADMIN_LISTEN).to.match(/^127\.0\.0\.1:/);
    expect(service!.spec.selector).to.deep.equal(deployment!.spec.template.metadata.labels);
  });

  it("kong-helm-values.yaml: the same sidecar through the chart's sidecarContainers and user-defined volumes", () => {
    const [values] = readYamlDocs('deploy/kubernetes/kong-helm-values.yaml') as [Obj];
    // The chart prefixes each env key with KONG_ and upper-cases it.
    const kongEnv = Object.fromEntries(Object.entries(values.env as Obj).map(([k, v]) => [`KONG_${k.toUpperCase()}`, v]));
    for (const key of ['KONG_PLUGINS', 'KONG_PLUGINSERVER_NAMES', 'KONG_PLUGINSERVER_OKTA_JWT_SOCKET', 'KONG_PLUGINSERVER_OKTA_JWT_QUERY_CMD']) {
      expect(kongEnv[key], key).to.equal(imageEnv[key]);
    }
    const [sidecar] = values.deployment.sidecarContainers as Obj[];
    checkSidecar(sidecar!, kongEnv, values.deployment.userDefinedVolumeMounts, values.deployment.userDefinedVolumes);
    expect(sidecar!.securityContext.runAsUser).to.equal(1000);
    expect(sidecar!.image).to.equal(`${values.image.repository}:${values.image.tag}`);
  });

  it('okta-jwt-plugins.yaml: KongPlugin / KongClusterPlugin for okta-jwt with valid configs, each with the guard, attached by annotation', () => {
    const docs = readYamlDocs('deploy/kubernetes/okta-jwt-plugins.yaml');
    const plugins = docs.filter((d) => d.apiVersion === 'configuration.konghq.com/v1');
    expect(plugins.map((p) => p.kind).sort()).to.deep.equal(['KongClusterPlugin', 'KongClusterPlugin', 'KongPlugin', 'KongPlugin']);
    for (const kind of ['KongPlugin', 'KongClusterPlugin']) {
      const ofKind = plugins.filter((p) => p.kind === kind);
      const okta = ofKind.find((p) => p.plugin === PLUGIN_NAME)!;
      expect(pluginConfigError(okta.config), okta.metadata.name).to.equal(undefined);
      expect(okta.config.fail_closed_guard).to.equal(true);
      const guard = ofKind.find((p) => p.plugin === 'post-function')!;
      expect(guard.config).to.deep.equal({ access: [GUARD_LUA] });
      if (kind === 'KongClusterPlugin') {
        for (const p of ofKind) expect(p.metadata.annotations['kubernetes.io/ingress.class'], p.metadata.name).to.equal('kong');
        expect(okta.metadata).not.to.have.property('namespace');
      } else {
        expect(okta.metadata.namespace).to.equal(guard.metadata.namespace);
        const ingress = docs.find((d) => d.kind === 'Ingress')!;
        expect(ingress.metadata.namespace).to.equal(okta.metadata.namespace);
        expect(ingress.metadata.annotations['konghq.com/plugins'].split(',')).to.deep.equal([okta.metadata.name, guard.metadata.name]);
        expect(ingress.spec.ingressClassName).to.equal('kong');
      }
    }
  });
});

describe('deploy assets: decK state (deploy/deck/okta-jwt.yaml)', () => {
  const text = read('deploy/deck/okta-jwt.yaml');
  const placeholders = [...text.matchAll(/\$\{\{ env "([A-Z0-9_]+)" \}\}/g)].map((m) => m[1]!);
  /** The file as decK renders it with these variables set. */
  const rendered = (vars: Record<string, string>) => parse(text.replace(/\$\{\{ env "([A-Z0-9_]+)" \}\}/g, (_, name: string) => vars[name]!)) as Obj;
  const example = {
    DECK_ORDERS_UPSTREAM_URL: 'http://orders.internal:8080',
    DECK_OKTA_ISSUER: 'https://dev-123.okta.com/oauth2/default',
    DECK_OKTA_AUDIENCE: 'api://default',
  };

  it('takes the upstream, issuer and audience from DECK_ variables (decK reads only DECK_-prefixed ones)', () => {
    expect([...new Set(placeholders)].sort()).to.deep.equal(Object.keys(example).sort());
    // Every url and issuer value is a placeholder.
    const values = [...text.matchAll(/^[ \t-]*(?:url|issuer):[ \t]*(.*)$/gm)].map((m) => m[1]);
    expect(values).to.have.length(2);
    for (const v of values) expect(v).to.match(/^\$\{\{ env "DECK_[A-Z_]+" \}\}$/);
  });

  it('renders to okta-jwt with a config okta-jwt accepts, and the guard after it on the same route', () => {
    const doc = rendered(example);
    expect(doc._format_version).to.equal('3.0');
    const route = doc.services[0].routes[0] as Obj;
    expect(doc.services[0].url).to.equal(example.DECK_ORDERS_UPSTREAM_URL);
    const [okta, guard] = route.plugins as Obj[];
    expect(okta!.name).to.equal(PLUGIN_NAME);
    expect(pluginConfigError(okta!.config)).to.equal(undefined);
    expect(okta!.config.fail_closed_guard).to.equal(true);
    expect(guard).to.deep.equal({ name: 'post-function', config: { access: [GUARD_LUA] } });
  });

  it('renders to a config okta-jwt refuses when the issuer variable holds an Okta org issuer', () => {
    const doc = rendered({ ...example, DECK_OKTA_ISSUER: 'https://dev-123.okta.com' });
    expect(pluginConfigError(doc.services[0].routes[0].plugins[0].config)).to.be.a('string');
  });
});

/** Every route of a declarative (kong.yml / decK) document: under its services and at the top level. */
function routesOf(doc: Obj): Obj[] {
  const nested = ((doc?.services ?? []) as Obj[]).flatMap((s) => (s?.routes ?? []) as Obj[]);
  return [...nested, ...((doc?.routes ?? []) as Obj[])];
}

describe('every route sets strip_path (a hand-written decK 1.x file does not get Kong\'s default)', () => {
  const shipped = [
    ...fs.readdirSync(path.join(REPO, 'kong')).filter((f) => /\.ya?ml$/.test(f)).map((f) => `kong/${f}`),
    ...fs.readdirSync(path.join(REPO, 'deploy/deck')).filter((f) => /\.ya?ml$/.test(f)).map((f) => `deploy/deck/${f}`),
  ];
  const docs = ['README.md', ...fs.readdirSync(path.join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

  it('in the shipped declarative files', () => {
    expect(shipped).to.include.members(['kong/kong.yml', 'deploy/deck/okta-jwt.yaml']);
    for (const file of shipped) {
      const routes = readYamlDocs(file).flatMap(routesOf);
      expect(routes.length, file).to.be.above(0);
      for (const route of routes) expect(route.strip_path, `${file}: route ${route.name}`).to.be.a('boolean');
    }
  });

  it('on the Ingress of the Kubernetes example (konghq.com/strip-path)', () => {
    const ingresses = readYamlDocs('deploy/kubernetes/okta-jwt-plugins.yaml').filter((d) => d.kind === 'Ingress');
    expect(ingresses.length).to.be.above(0);
    for (const ingress of ingresses) expect(ingress.metadata.annotations['konghq.com/strip-path']).to.be.oneOf(['true', 'false']);
  });

  it('in the examples of the README and docs/ (YAML routes, Ingresses, Admin API route creation)', () => {
    let seen = 0;
    for (const file of docs) {
      const text = read(file);
      for (const [, lang, body] of text.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)) {
        if (lang === 'yaml' && /^\s*(?:routes:|kind: Ingress)/m.test(body!)) {
          for (const doc of body!.split(/^---$/m).map((d) => parse(d.replace(/…/g, 'x')) as Obj)) {
            for (const route of routesOf(doc)) {
              seen++;
              expect(route.strip_path, `${file}: route ${route.name}`).to.be.a('boolean');
            }
            if (doc?.kind === 'Ingress') {
              seen++;
              expect(doc.metadata.annotations, `${file}: Ingress ${doc.metadata.name}`).to.have.property('konghq.com/strip-path');
            }
          }
        }
        if (lang === 'sh') {
          for (const command of body!.replace(/\\\n/g, ' ').split('\n').filter((l) => /curl .*\/routes(?:['" ]|$)/.test(l) && /-X POST|--data|-d /.test(l))) {
            seen++;
            expect(command, `${file}: ${command}`).to.match(/strip_path=(?:true|false)|"strip_path":\s*(?:true|false)/);
          }
        }
      }
    }
    expect(seen).to.be.above(3);
  });
});

describe('docs/fail-closed-guard.md', () => {
  const text = read('docs/fail-closed-guard.md');
  const yamlBlocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it('shows the shipped post-function as Lua, in kong.yml, decK and KongPlugin form, and in the Admin API call', () => {
    expect(text.match(/```lua\n([^\n]*)\n```/)?.[1]).to.equal(GUARD_LUA);
    const accessLists = yamlBlocks.flatMap((block) => block.split(/^---$/m).map((doc) => parse(doc) as Obj)).flatMap(function find(v: unknown): unknown[] {
      if (typeof v !== 'object' || v === null) return [];
      const o = v as Obj;
      return [...(Array.isArray(o.access) ? [o.access] : []), ...Object.values(o).flatMap(find)];
    });
    expect(accessLists).to.deep.equal([[GUARD_LUA], [GUARD_LUA], [GUARD_LUA]]);
    const posted = [...text.matchAll(/-d '(\{"name":"post-function".*\})'/g)].map((m) => JSON.parse(m[1]!) as Obj);
    expect(posted).to.deep.equal([{ name: 'post-function', config: { access: [GUARD_LUA] } }]);
  });

  it('is the post-function every example in README.md and docs/ shows (no earlier form left)', () => {
    const docs = ['README.md', ...fs.readdirSync(path.join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    let seen = 0;
    for (const file of docs) {
      for (const line of read(file).split('\n').filter((l) => l.includes('kong.ctx.shared.okta_jwt_guard') && l.includes('kong.response.exit'))) {
        seen++;
        expect(line.replace(/\\"/g, '"'), file).to.include(GUARD_LUA);
      }
    }
    expect(seen).to.be.above(3);
  });

  it('its okta-jwt configs pass Kong\'s schema and the plugin\'s checks, with fail_closed_guard', () => {
    const configs = yamlBlocks.flatMap((block) => block.split(/^---$/m).map((doc) => parse(doc.replace(/\$\{\{ env "DECK_OKTA_ISSUER" \}\}/, 'https://dev-123.okta.com/oauth2/default').replace(/\$\{\{ env "DECK_OKTA_AUDIENCE" \}\}/, 'api://default')) as Obj))
      .flatMap(function find(v: unknown): Obj[] {
        if (typeof v !== 'object' || v === null) return [];
        const o = v as Obj;
        return [...((o.name === PLUGIN_NAME || o.plugin === PLUGIN_NAME) ? [o.config as Obj] : []), ...Object.values(o).flatMap(find)];
      });
    expect(configs).to.have.length(3);
    for (const config of configs) expect(pluginConfigError(config)).to.equal(undefined);
  });
});
