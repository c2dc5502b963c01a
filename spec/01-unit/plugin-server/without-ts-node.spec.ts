// kong-pdk's loader registers ts-node on load; okta-jwt-pluginserver serves compiled JavaScript and
// must load neither ts-node nor TypeScript (tens of MB resident, a slower start in every process).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, serverBinary } from '../../support/plugin-server/launch';

/** Files of ts-node, TypeScript or ts-node's own dependencies that a process loaded, as a preload reports at exit. */
function compilerFilesLoaded(script: string, args: string[]): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'okta-jwt-tsnode-'));
  const preload = path.join(dir, 'report.js');
  fs.writeFileSync(
    preload,
    `process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(Object.values(require.cache)
       .filter((m) => m.loaded && !(m.exports && Object.keys(m.exports).join() === 'register'))
       .map((m) => m.filename).filter((f) => /[\\\\/]node_modules[\\\\/](ts-node|typescript|@cspotcode)[\\\\/]/.test(f))) + '\\n'));`,
  );
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['-r', preload, script, ...args], { cwd: REPO_ROOT, timeout: 20_000 }, (err, _stdout, stderr) => {
      fs.rmSync(dir, { recursive: true, force: true });
      const line = /^LOADED (.*)$/m.exec(stderr);
      if (err || !line) reject(err ?? new Error(`no report: ${stderr}`));
      else resolve(JSON.parse(line[1]!) as string[]);
    }),
  );
}

describe('plugin server: no ts-node or TypeScript at run time', function () {
  this.timeout(30_000);
  const args = ['-d', path.join(REPO_ROOT, 'dist', 'plugins'), '--dump-all-plugins'];

  it('okta-jwt-pluginserver loads okta-jwt without loading ts-node or TypeScript', async () => {
    expect(await compilerFilesLoaded(serverBinary('hardened'), args)).to.deep.equal([]);
  });

  it("kong-pdk's own kong-js-pluginserver does load them (what the check above would catch)", async () => {
    const loaded = await compilerFilesLoaded(serverBinary('stock'), args);
    expect(loaded.some((f) => f.includes(`${path.sep}typescript${path.sep}`))).to.equal(true);
  });
});
