// Start-up benchmark (npm run bench:startup): starts a plugin server on a temp socket the way Kong's
// start command does and reports the time from spawn to the first answer to plugin.GetPluginInfo
// (okta-jwt) and the resident memory right after it (/proc/<pid>/status VmRSS), median of RUNS.
//   node dist/test/bench/startup.js [SERVER_BIN ...]   (default: okta-jwt-pluginserver and kong-js-pluginserver)
//   STARTUP_RUNS (default 5)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { askPluginInfo } from '../server/health';
import { REPO_ROOT, serverBinary } from '../spec/support/plugin-server/launch';

const RUNS = Number(process.env.STARTUP_RUNS ?? 5);
const PLUGINS_DIR = path.join(REPO_ROOT, 'dist', 'plugins');

function rssMB(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
  return Number(kb) / 1024;
}

async function once(bin: string): Promise<{ ms: number; mb: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'okta-jwt-startup-'));
  const started = performance.now();
  const child = spawn(process.execPath, [bin, '-p', dir, '--sock-name', 'ps.sock', '-d', PLUGINS_DIR], { stdio: 'ignore' });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${bin} exited with ${child.exitCode}`);
      try {
        await askPluginInfo({ socketPath: path.join(dir, 'ps.sock'), plugin: 'okta-jwt', timeoutMs: 2000 });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    return { ms: performance.now() - started, mb: rssMB(child.pid!) };
  } finally {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const bins = process.argv.length > 2 ? process.argv.slice(2) : [serverBinary('hardened'), serverBinary('stock')];
  for (const bin of bins) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await once(bin));
    const ms = median(runs.map((r) => r.ms));
    const mb = median(runs.map((r) => r.mb));
    console.log(`${path.relative(REPO_ROOT, bin)}: first answer after ${ms.toFixed(0)} ms, RSS ${mb.toFixed(1)} MB (median of ${RUNS}, Node ${process.version})`);
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
