// Start-up benchmark (npm run bench:startup; npm run bench runs it too): starts a plugin server on a
// temp socket the way Kong's start command does and reports the time from spawn to the first answer
// to plugin.GetPluginInfo (okta-jwt) and the resident memory right after it (/proc/<pid>/status
// VmRSS), median of RUNS.
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

/** A /proc/<pid>/status memory field (VmRSS now, VmHWM the peak) in MiB. */
export function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
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
    return { ms: performance.now() - started, mb: statusMiB(child.pid!) };
  } finally {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median over `runs` starts: spawn → first answer (ms), and VmRSS right after it (MiB). */
export async function measureStartup(bin: string, runs = RUNS): Promise<{ firstAnswerMs: number; rssMiB: number }> {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await once(bin));
  return { firstAnswerMs: median(results.map((r) => r.ms)), rssMiB: median(results.map((r) => r.mb)) };
}

async function main(): Promise<void> {
  const bins = process.argv.length > 2 ? process.argv.slice(2) : [serverBinary('hardened'), serverBinary('stock')];
  for (const bin of bins) {
    const { firstAnswerMs, rssMiB } = await measureStartup(bin);
    console.log(`${path.relative(REPO_ROOT, bin)}: first answer after ${firstAnswerMs.toFixed(0)} ms, RSS ${rssMiB.toFixed(1)} MiB (median of ${RUNS}, Node ${process.version})`);
  }
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
