// The package as users get it: `npm pack` of this checkout (already built by `npm test`; the
// `prepack` script builds for a real pack), installed with `npm install --omit=dev` into an empty
// folder, then its bins run from there without the repository: the plugin server's query command,
// a served socket answering --health, and `okta-jwt doctor`. Uses npm's cache (--prefer-offline).
import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { socketAccepts } from '../kong-double/plugin-server';
import { REPO } from '../support/deploy-assets';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(file: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(file, args, { cwd, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    ),
  );
}

describe('package: npm pack, npm install --omit=dev, run without the repository', function () {
  this.timeout(300_000);
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { name: string; version: string; scripts: Record<string, string> };
  let tmp: string;
  let installed: string;
  let bin: (name: string) => string;
  let packed: string[];

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'okta-jwt-pack-'));
    // --ignore-scripts: prepack would rebuild (and clean) the dist/ these tests run from.
    const pack = await run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], REPO);
    expect(pack.code, pack.stderr).to.equal(0);
    const [info] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }];
    packed = info.files.map((f) => f.path);
    const install = await run(npm, ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--prefix', path.join(tmp, 'app'), path.join(tmp, info.filename)], tmp);
    expect(install.code, install.stderr).to.equal(0);
    installed = path.join(tmp, 'app', 'node_modules', pkg.name);
    bin = (name) => path.join(tmp, 'app', 'node_modules', '.bin', name);
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('packs the compiled plugin, server and doctor, LICENSE and CHANGELOG, and builds before packing', () => {
    for (const file of ['bin/okta-jwt', 'bin/okta-jwt-pluginserver', 'dist/plugins/okta-jwt/index.js', 'dist/server/launcher.js', 'dist/cli/cli/doctor.js', 'LICENSE', 'CHANGELOG.md', 'README.md']) {
      expect(packed, file).to.include(file);
    }
    expect(packed.filter((f) => /^(spec|plugin|server|cli|dev|bench|dist\/test|node_modules)\//.test(f) || f.endsWith('.ts'))).to.deep.equal([]);
    expect(pkg.scripts.prepack).to.equal('npm run build');
    expect(fs.readFileSync(path.join(installed, 'LICENSE'), 'utf8')).to.include('Apache License\n                           Version 2.0, January 2004');
  });

  it('installs no development dependency', () => {
    for (const dev of ['mocha', 'chai', '@okta/jwt-verifier', 'fast-check']) expect(fs.existsSync(path.join(tmp, 'app', 'node_modules', dev)), dev).to.equal(false);
  });

  it('okta-jwt-pluginserver --help, --version and its query command give the package version', async () => {
    const help = await run(bin('okta-jwt-pluginserver'), ['--help'], tmp);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.include('--plugins-directory');
    const version = await run(bin('okta-jwt-pluginserver'), ['--version'], tmp);
    expect(version).to.include({ code: 0, stdout: `${pkg.version}\n` });
    const dump = await run(bin('okta-jwt-pluginserver'), ['-d', path.join(installed, 'dist', 'plugins'), '--dump-all-plugins'], tmp);
    expect(dump.code, dump.stderr).to.equal(0);
    expect(JSON.parse(dump.stdout)[0]).to.include({ Name: 'okta-jwt', Version: pkg.version });
  });

  /** Starts the installed server on <tmp>/<sockName> and runs --health against it. */
  async function serveAndCheckHealth(sockName: string) {
    const server = spawn(bin('okta-jwt-pluginserver'), ['-p', tmp, '--sock-name', sockName, '-d', path.join(installed, 'dist', 'plugins')], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 400 && !(await socketAccepts(path.join(tmp, sockName))); i++) await new Promise((r) => setTimeout(r, 25));
      return await run(bin('okta-jwt-pluginserver'), ['--health', '-p', tmp, '--sock-name', sockName], tmp);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  }

  it('serves the socket, and --health says so', async () => {
    expect(await serveAndCheckHealth('ps.sock')).to.include({ code: 0, stdout: `healthy: ${path.join(tmp, 'ps.sock')} serves okta-jwt\n` });
  });

  it('okta-jwt-pluginserver still serves and answers --health with TypeScript deleted (as kong/Dockerfile does)', async () => {
    const app = path.join(tmp, 'app', 'node_modules');
    expect(fs.existsSync(path.join(app, 'typescript', 'package.json')), 'kong-pdk brought TypeScript in').to.equal(true);
    for (const dir of [path.join(app, 'typescript'), path.join(app, 'kong-pdk', 'node_modules', 'typescript')]) fs.rmSync(dir, { recursive: true, force: true });
    const health = await serveAndCheckHealth('trim.sock');
    expect(health.code, health.stderr).to.equal(0);
  });

  it('okta-jwt doctor --help, and a report on a config whose issuer does not answer (loopback, closed port)', async () => {
    const help = await run(bin('okta-jwt'), ['doctor', '--help'], tmp);
    expect(help.code).to.equal(0);
    expect(help.stdout + help.stderr).to.match(/^Usage: okta-jwt doctor/); // the usage goes to stderr
    const args = ['doctor', '--issuer', 'http://127.0.0.1:9/oauth2/default', '--audience', 'api://default', '--timeout-ms', '500', '--json'];
    const report = await run(bin('okta-jwt'), args, tmp);
    expect(report.code, 'exit 3: issuer unreachable').to.equal(3);
    const checks = (JSON.parse(report.stdout) as { checks: { id: string; status: string }[] }).checks;
    expect(checks).to.deep.include({ id: 'config.plugin', status: 'pass', detail: 'the plugin accepts this config', field: null });
    expect(checks.find((c) => c.id === 'issuer.discovery')?.status).to.equal('fail');
  });
});
