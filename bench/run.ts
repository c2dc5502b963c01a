// `npm run bench` (issue 7): okta-jwt through the real plugin server, driven by the Kong double over
// HTTP with several keep-alive connections, side by side with a reference plugin (the floor) and the
// same job done with @okta/jwt-verifier; then plain verification throughput. Writes
// latest.{json,md,svg} to bench/out/ (untracked); `npm run bench -- --update-results` writes the
// tracked bench/results/ instead. Knobs (environment):
//   BENCH_REQUESTS (2500 per pass), BENCH_CONNECTIONS (16), BENCH_REPS (5), BENCH_WARMUP (1500 per case),
//   BENCH_SERIAL_REQUESTS (500 per pass, 1 connection), BENCH_WORKERS (4 simulated nginx workers),
//   BENCH_VERIFY_ROUNDS (7), BENCH_VERIFY_SAMPLE_MS (300), BENCH_VERIFY_IN_FLIGHT (32),
//   BENCH_MEMORY_REQUESTS (2500 per okta-jwt route and server), BENCH_STARTUP_RUNS (5), BENCH_OUT (any folder), OKTA_JWT_PLUGIN_SERVER=stock (kong-pdk's server instead of ours),
//   BENCH_REPLAY_REQUESTS (10000 per pass), BENCH_REPLAY_REPS (5), BENCH_REPLAY_WARMUP (5000 per case), BENCH_REPLAY_CONCURRENCY (10): the socket replay (socket-replay.ts),
//   BENCH_MISS_REQUESTS (2000 per pass), BENCH_MISS_WARMUP (1000), BENCH_MISS_REPS (3): first-seen tokens in the replay (miss-replay.ts),
//   BENCH_CASES (e.g. "a,b": a subset, for profiling; (a) always runs), BENCH_CPU_PROF_DIR (V8 CPU
//   profiles of the plugin servers).
import { DEV_AUDIENCE } from '../dev/issuer';
import { REPO_ROOT } from '../spec/support/plugin-server/launch';
import { CASES as ALL_CASES, startBenchGateway } from './bench-gateway';
import { checkCase, runPairedCpuPass, runPass, type PairedCpu, type PassResult } from './e2e-bench';
import { machineDescription, pluginRevision } from './machine';
import { cpuSource } from './process-cpu';
import { evaluateTargets, RECORDED, resultsDir, writeResults, type BenchResults } from './results';
import { RpcTally } from './rpc-tally';
import { measureServerMemory } from './server-memory';
import { runMissReplay } from './miss-replay';
import { replayCases, replayHeaders, runSocketReplay } from './socket-replay';
import { runVerifyBench } from './verify-bench';
import { runRevocationBench } from './revocation';
import { benchSharedState } from './shared-state';

function intFromEnv(name: string, fallback: number): number {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
}

const settings = {
  requestsPerPass: intFromEnv('BENCH_REQUESTS', 2500),
  connections: intFromEnv('BENCH_CONNECTIONS', 16),
  repetitions: intFromEnv('BENCH_REPS', 5),
  warmUpRequests: intFromEnv('BENCH_WARMUP', 1500),
  serialRequestsPerPass: intFromEnv('BENCH_SERIAL_REQUESTS', 500),
  workers: intFromEnv('BENCH_WORKERS', 4),
  verifyRounds: intFromEnv('BENCH_VERIFY_ROUNDS', 7),
  verifySampleMs: intFromEnv('BENCH_VERIFY_SAMPLE_MS', 300),
  verifyInFlight: intFromEnv('BENCH_VERIFY_IN_FLIGHT', 32),
  memoryRequests: intFromEnv('BENCH_MEMORY_REQUESTS', 2500),
  startupRuns: intFromEnv('BENCH_STARTUP_RUNS', 5),
  replayRequests: intFromEnv('BENCH_REPLAY_REQUESTS', 10000),
  replayRepetitions: intFromEnv('BENCH_REPLAY_REPS', 5),
  // Per case, before the measured passes: the first thousands of requests still run half-optimised code.
  replayWarmUp: intFromEnv('BENCH_REPLAY_WARMUP', 5000),
  // As issue 16's wrk -c10 against one nginx worker: ten requests in flight.
  replayConcurrency: intFromEnv('BENCH_REPLAY_CONCURRENCY', 10),
  // Every miss needs a token minted beforehand (about 1 ms each): fewer than the hit passes.
  missRequests: intFromEnv('BENCH_MISS_REQUESTS', 2000),
  missWarmUp: intFromEnv('BENCH_MISS_WARMUP', 1000),
  missRepetitions: intFromEnv('BENCH_MISS_REPS', 3),
};

/**
 * A browser-shaped request's other headers (about 1 KiB): okta-jwt reads every request header
 * (get_headers), the reference plugin only Authorization, so this pass shows what that costs on the socket.
 */
const BROWSER_HEADERS: Record<string, string> = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  accept: 'application/json, text/plain, */*',
  'accept-language': 'en-GB,en;q=0.9,de;q=0.8',
  'accept-encoding': 'gzip, deflate, br, zstd',
  cookie: `session=${'s'.repeat(200)}; prefs=${'p'.repeat(120)}`,
  origin: 'https://app.example.com',
  referer: 'https://app.example.com/orders?page=2',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  'x-request-id': '5b0c1a3e-7c55-4d0e-9d7b-3f3c2d9b8a11',
  'sec-fetch-mode': 'cors',
};
const HEADER_HEAVY_SUFFIX = '+hdr';

const selected = process.env.BENCH_CASES ? new Set(['a', ...process.env.BENCH_CASES.split(',').map((id) => id.trim())]) : null;
const CASES = ALL_CASES.filter((c) => selected === null || selected.has(c.id));

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

async function main(): Promise<void> {
  const outDir = resultsDir(REPO_ROOT, process.argv.slice(2), process.env);
  const machineAtStart = machineDescription();
  const started = Date.now();
  const gw = await startBenchGateway({ workers: settings.workers });
  const passes: PassResult[] = [];
  const serial: PassResult[] = [];
  const paired: PairedCpu[] = [];
  const headerHeavy: PassResult[] = [];
  try {
    const tally = new RpcTally(gw.double);
    for (const c of CASES) await checkCase(gw, c);
    log(`plugin server: ${gw.serverKind}; warm-up ${settings.warmUpRequests} requests per case`);
    for (const c of CASES) await runPass(gw, tally, c, { requests: settings.warmUpRequests, connections: settings.connections }, 'count');
    const reference = CASES[0]!;
    for (let rep = 1; rep <= settings.repetitions; rep++) {
      for (const c of CASES) {
        passes.push(await runPass(gw, tally, c, { requests: settings.requestsPerPass, connections: settings.connections }, 'count'));
      }
      // The reference again with the double storing every RPC frame, as tests use it: what recording costs.
      passes.push(await runPass(gw, tally, reference, { requests: settings.requestsPerPass, connections: settings.connections, label: RECORDED }, 'record'));
      for (const c of CASES) {
        serial.push(await runPass(gw, tally, c, { requests: settings.serialRequestsPerPass, connections: 1 }, 'count'));
      }
      for (const c of CASES.slice(1)) {
        paired.push(await runPairedCpuPass(gw, tally, c, reference, { requests: settings.requestsPerPass >> 1, connections: settings.connections }));
      }
      const last = passes.slice(-CASES.length - 1).map((p) => `${p.case} ${Math.round(p.requestsPerSecond)}/s ${p.serverCpuUsPerRequest.toFixed(0)}µs`);
      log(`repetition ${rep}/${settings.repetitions}: ${last.join(', ')}`);
    }
    for (const c of CASES.filter((x) => ['a', 'b', 'b0'].includes(x.id))) {
      const spec = { requests: settings.requestsPerPass, connections: settings.connections, extraHeaders: BROWSER_HEADERS, label: c.id + HEADER_HEAVY_SUFFIX };
      headerHeavy.push(await runPass(gw, tally, c, spec, 'count'));
    }
    const cpu = cpuSource(gw.pidOf('okta-jwt'));
    await gw.closeProxy();
    log(`socket replay: Kong's frames straight onto each plugin server, ${settings.replayConcurrency} in flight`);
    const replay = await runSocketReplay(replayCases(gw.issuer.issuer), replayHeaders(gw.token), {
      requests: settings.replayRequests,
      warmUp: settings.replayWarmUp,
      repetitions: settings.replayRepetitions,
      concurrency: settings.replayConcurrency,
    });
    log(`cache misses: ${settings.missRequests} fresh tokens per pass against one cached token`);
    const miss = await runMissReplay(gw.issuer, gw.token, {
      requests: settings.missRequests,
      warmUp: settings.missWarmUp,
      repetitions: settings.missRepetitions,
      concurrency: settings.replayConcurrency,
    });
    log('verification micro-benchmark');
    const verify = await runVerifyBench({
      issuer: gw.issuer.issuer,
      jwksUri: gw.issuer.jwksUri,
      token: gw.token,
      audience: DEV_AUDIENCE,
      rounds: settings.verifyRounds,
      sampleMs: settings.verifySampleMs,
      inFlight: settings.verifyInFlight,
    });
    await benchSharedState(gw.issuer, outDir, log);
    await gw.close();
    log('plugin servers: start-up, and memory after the same load (ours, then the stock server)');
    const servers = await measureServerMemory({ workers: settings.workers, connections: settings.connections, requestsPerRoute: settings.memoryRequests, startupRuns: settings.startupRuns });
    const results: BenchResults = {
      date: new Date(started).toISOString(),
      durationSeconds: Math.round((Date.now() - started) / 1000),
      machine: { ...machineAtStart, loadAverageAtEnd: machineDescription().loadAverageAtStart },
      revision: pluginRevision(REPO_ROOT),
      pluginServer: gw.serverKind,
      cpuSource: cpu,
      settings,
      cases: Object.fromEntries([...CASES.map((c) => [c.id, c.title]), [RECORDED, `${reference.title}, every RPC frame recorded by the double`]]),
      passes,
      serial,
      paired,
      headerHeavy,
      replay,
      miss,
      servers,
      verify,
      targets: [],
    };
    results.targets = evaluateTargets(results);
    const files = writeResults(outDir, results);
    log(`wrote ${files.join(', ')}`);
    for (const t of results.targets) log(`${t.met ? "MET   " : "MISSED"} ${t.id}: ${t.value.toFixed(2)} (floor ${t.floor?.toFixed(2) ?? "—"}; target ${t.comparison} ${t.threshold}) — ${t.description}`);
    await runRevocationBench(outDir);
  } finally {
    await gw.close();
  }
}

main().catch((err) => {
  process.stderr.write(`[bench] failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
