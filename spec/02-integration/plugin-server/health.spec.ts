// `okta-jwt-pluginserver --health`: the container/supervisor healthcheck. It must pass only when a
// server answers on the socket for the plugin, and fail (exit 1, a reason on stderr) for a missing
// socket, a listener that never answers, or a server that does not serve the plugin.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, SERVER_KINDS, launchServer, serverBinary } from '../../support/plugin-server/launch';

const PLUGINS_DIR = path.join(REPO_ROOT, 'dist', 'plugins');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the health check as a container healthcheck does: its own process, exit code read. */
function health(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [serverBinary('hardened'), '--health', ...args], { timeout: 15_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

const socketArgs = (socketPath: string) => ['-p', path.dirname(socketPath), '--sock-name', path.basename(socketPath)];

describe('plugin server: okta-jwt-pluginserver --health', function () {
  this.timeout(30_000);

  for (const kind of SERVER_KINDS) {
    it(`passes when ${kind === 'hardened' ? 'okta-jwt-pluginserver' : 'kong-js-pluginserver'} answers plugin.GetPluginInfo for okta-jwt on the socket`, async () => {
      const proc = await launchServer({ kind, pluginsDir: PLUGINS_DIR });
      try {
        // The start command's own flags, -d included, are accepted as they are.
        const ok = await health(...socketArgs(proc.socketPath), '-d', PLUGINS_DIR);
        expect(ok).to.include({ code: 0 });
        expect(ok.stdout).to.equal(`healthy: ${proc.socketPath} serves okta-jwt\n`);
        const other = await health(...socketArgs(proc.socketPath), '--plugin', 'not-served');
        expect(other.code).to.equal(1);
        expect(other.stderr).to.match(/^unhealthy: .*ps\.sock: the server answered: .+\n$/);
      } finally {
        await proc.stop();
      }
    });
  }

  describe('fails with exit 1', () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'okta-jwt-health-'))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('when there is no socket', async () => {
      const res = await health(...socketArgs(path.join(dir, 'ps.sock')));
      expect(res.code).to.equal(1);
      expect(res.stderr).to.match(/^unhealthy: .*ps\.sock: connect ENOENT/);
    });

    it('when something accepts connections on the socket but never answers', async () => {
      const silent = net.createServer(() => undefined).listen(path.join(dir, 'ps.sock'));
      await new Promise((r) => silent.once('listening', r));
      try {
        const started = Date.now();
        const res = await health(...socketArgs(path.join(dir, 'ps.sock')), '--timeout-ms', '300');
        expect(res.code).to.equal(1);
        expect(res.stderr).to.include('no answer within 300 ms');
        expect(Date.now() - started).to.be.below(10_000);
      } finally {
        silent.close();
      }
    });

    it('when the peer closes the connection without answering', async () => {
      const closing = net.createServer((s) => s.on('data', () => s.destroy())).listen(path.join(dir, 'ps.sock'));
      await new Promise((r) => closing.once('listening', r));
      try {
        const res = await health(...socketArgs(path.join(dir, 'ps.sock')));
        expect(res.code).to.equal(1);
        expect(res.stderr).to.include('connection closed without an answer');
      } finally {
        closing.close();
      }
    });
  });

  it('refuses a bad --timeout-ms with exit 2 and the usage', async () => {
    const res = await health('--timeout-ms', 'soon');
    expect(res.code).to.equal(2);
    expect(res.stderr).to.include('--timeout-ms must be a positive whole number').and.include('Usage: okta-jwt-pluginserver --health');
  });
});
