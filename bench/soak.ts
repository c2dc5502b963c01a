// Soak benchmark (npm run bench:soak): the same number of rejected requests (the plugin calls
// kong.response.exit) sent to okta-jwt-pluginserver and to kong-pdk's stock kong-js-pluginserver in
// one run, driven as Kong drives them (one StartInstance per worker, then HandleEvent → Step → exit,
// several workers in parallel). Reports resident memory after a forced GC: at start, after a warm-up,
// every SAMPLE_EVERY requests, and at the end. Writes bench/results/soak.json.
//   SOAK_REQUESTS (default 200000), SOAK_WARMUP (20000), SOAK_WORKERS (4)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, fixtureDir, launchServer, type ServerKind } from '../spec/support/plugin-server/launch';
import { kongWorker, runRejectedLoad, startProbeInstance } from '../spec/support/plugin-server/kong-load';
import { GC_NODE_ARGS, memoryAfterGc } from '../spec/support/plugin-server/memory';

const MB = 1024 * 1024;
const REQUESTS = intFromEnv('SOAK_REQUESTS', 200_000);
const WARM_UP = intFromEnv('SOAK_WARMUP', 20_000);
const WORKERS = intFromEnv('SOAK_WORKERS', 4);
const SAMPLE_EVERY = Math.max(1, Math.round(REQUESTS / 10));

interface Sample {
  requests: number;
  rssMB: number;
  heapUsedMB: number;
}

interface ServerResult {
  server: string;
  startMB: number;
  afterWarmUpMB: number;
  endMB: number;
  /** RSS growth over the measured requests (end − after warm-up). */
  rssGrowthMB: number;
  heapGrowthMB: number;
  bytesPerRequest: number;
  seconds: number;
  requestsPerSecond: number;
  samples: Sample[];
}

function intFromEnv(name: string, fallback: number): number {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
}

const round = (n: number, digits = 1) => Number(n.toFixed(digits));

async function soak(kind: ServerKind): Promise<ServerResult> {
  // Default V8 sizing, as Kong runs the server; only the GC hook is preloaded.
  const proc = await launchServer({ kind, pluginsDir: fixtureDir('probe'), nodeArgs: GC_NODE_ARGS });
  try {
    const start = await memoryAfterGc(proc);
    const workers = [];
    for (let w = 0; w < WORKERS; w++) {
      const rpc = kongWorker(proc.socketPath, w);
      workers.push({ rpc, instanceId: await startProbeInstance(rpc, 'reject') });
    }
    await runRejectedLoad(workers, WARM_UP);
    const warm = await memoryAfterGc(proc);
    const samples: Sample[] = [{ requests: 0, rssMB: round(warm.rss / MB), heapUsedMB: round(warm.heapUsed / MB) }];
    let busyMs = 0;
    for (let done = 0; done < REQUESTS; ) {
      const batch = Math.min(SAMPLE_EVERY, REQUESTS - done);
      const t0 = performance.now();
      await runRejectedLoad(workers, batch);
      busyMs += performance.now() - t0;
      done += batch;
      const m = await memoryAfterGc(proc);
      samples.push({ requests: done, rssMB: round(m.rss / MB), heapUsedMB: round(m.heapUsed / MB) });
      process.stderr.write(`  ${kind}: ${done} requests, rss ${round(m.rss / MB)} MB\n`);
    }
    workers.forEach((w) => w.rpc.closeAll());
    const end = samples[samples.length - 1]!;
    const rssGrowthMB = end.rssMB - samples[0]!.rssMB;
    return {
      server: kind === 'hardened' ? 'okta-jwt-pluginserver' : 'kong-js-pluginserver (kong-pdk 0.6.0)',
      startMB: round(start.rss / MB),
      afterWarmUpMB: samples[0]!.rssMB,
      endMB: end.rssMB,
      rssGrowthMB: round(rssGrowthMB),
      heapGrowthMB: round(end.heapUsedMB - samples[0]!.heapUsedMB),
      bytesPerRequest: REQUESTS ? Math.round((rssGrowthMB * MB) / REQUESTS) : 0,
      seconds: round(busyMs / 1000),
      requestsPerSecond: Math.round(REQUESTS / (busyMs / 1000)),
      samples,
    };
  } finally {
    await proc.stop();
  }
}

async function main(): Promise<void> {
  process.stderr.write(`soak: ${REQUESTS} rejected requests per server after ${WARM_UP} warm-up, ${WORKERS} workers\n`);
  const results: Record<ServerKind, ServerResult> = { hardened: await soak('hardened'), stock: await soak('stock') };
  const rows = Object.values(results).map((r) =>
    [r.server, r.startMB, r.afterWarmUpMB, r.endMB, r.rssGrowthMB, r.heapGrowthMB, r.bytesPerRequest, r.requestsPerSecond].join(' | '),
  );
  console.log(`\nResident memory after a forced GC, ${REQUESTS} rejected requests per server (MB)\n`);
  console.log('| server | start | after warm-up | end | RSS growth | heap growth | bytes/request | requests/s |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(`| ${row} |`);
  const out = path.join(REPO_ROOT, 'bench', 'results', 'soak.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    requests: REQUESTS,
    warmUp: WARM_UP,
    workers: WORKERS,
    results,
  };
  fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nwritten: ${path.relative(REPO_ROOT, out)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
