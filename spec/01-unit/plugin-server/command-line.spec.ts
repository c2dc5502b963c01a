// What operators and Kong run on the two binaries: `--help` lists okta-jwt-pluginserver's own flags
// and environment (not kong-pdk's stock help), `--version` prints the package version on both, and
// the query command Kong runs (--dump-all-plugins) still answers JSON.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, serverBinary } from '../../support/plugin-server/launch';

const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function run(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 15_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }));
  });
}

describe('the command lines of okta-jwt-pluginserver and okta-jwt', () => {
  const server = serverBinary('hardened');
  const doctor = path.join(REPO_ROOT, 'bin', 'okta-jwt');

  it('okta-jwt-pluginserver --help lists its own flags and every environment variable it reads', async () => {
    for (const flag of ['--help', '-h']) {
      const { code, stdout } = await run(server, [flag]);
      expect(code).to.equal(0);
      for (const word of ['--metrics ADDR', '--supervise', '--health', '--version', '--dump-all-plugins', '-d, --plugins-directory',
        'OKTA_JWT_METRICS_ADDR', 'OKTA_JWT_PS_INSTANCE_TTL', 'OKTA_JWT_PS_EVENT_TTL', 'OKTA_JWT_PS_DRAIN_TIMEOUT', 'HTTPS_PROXY']) {
        expect(stdout, word).to.include(word);
      }
    }
    // Every OKTA_JWT_* variable the server's code reads is in the help.
    const sources = fs.readdirSync(path.join(REPO_ROOT, 'server')).filter((f) => f.endsWith('.ts')).map((f) => fs.readFileSync(path.join(REPO_ROOT, 'server', f), 'utf8')).join('\n');
    const { stdout } = await run(server, ['--help']);
    for (const name of new Set(sources.match(/OKTA_JWT_[A-Z_]+/g))) expect(stdout, name).to.include(name);
  });

  it('--version prints the package version on both binaries, and Kong\'s query command still answers', async () => {
    expect(await run(server, ['--version'])).to.deep.equal({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    expect(await run(doctor, ['--version'])).to.deep.equal({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    expect(await run(doctor, ['doctor', '--version'])).to.deep.equal({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    const dump = await run(server, ['-d', path.join(REPO_ROOT, 'dist', 'plugins'), '--dump-all-plugins']);
    expect(dump.code, dump.stderr).to.equal(0);
    expect(JSON.parse(dump.stdout)[0]).to.include({ Name: 'okta-jwt', Version: VERSION });
  });

  it('okta-jwt --help prints its usage to stdout and exits 0; no command exits 2', async () => {
    const help = await run(doctor, ['--help']);
    expect([help.code, help.stdout]).to.satisfy(([code, out]: [number, string]) => code === 0 && out.includes('okta-jwt --version'));
    expect((await run(doctor, [])).code).to.equal(2);
  });
});
