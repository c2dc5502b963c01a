// `npm run bench` (issue 7): okta-jwt through the real plugin server, driven by the Kong double over
// HTTP with several keep-alive connections, side by side with a reference plugin (the floor) and the
// same job done with @okta/jwt-verifier; then plain verification throughput. Writes
// latest.{json,md,svg} to bench/out/ (untracked); `npm run bench -- --update-results` writes the
// tracked bench/results/ instead. Knobs (environment):
//   BENCH_REQUESTS (2500 per pass), BENCH_CONNECTIONS (16), BENCH_REPS (5), BENCH_WARMUP (1500 per case),
//   BENCH_SERIAL_REQUESTS (500 per pass, 1 connection), BENCH_WORKERS (4 simulated nginx workers),
//   BENCH_VERIFY_ROUNDS (7), BENCH_VERIFY_SAMPLE_MS (300), BENCH_VERIFY_IN_FLIGHT (32),
//   BENCH_OUT (any folder), OKTA_JWT_PLUGIN_SERVER=stock (kong-pdk's server instead of ours),
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
import { runVerifyBench } from './verify-bench';

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
};

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
    const cpu = cpuSource(gw.pidOf('okta-jwt'));
    await gw.closeProxy();
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
      verify,
      targets: [],
    };
    results.targets = evaluateTargets(results);
    const files = writeResults(outDir, results);
    log(`wrote ${files.join(', ')}`);
    for (const t of results.targets) log(`${t.met ? "MET   " : "MISSED"} ${t.id}: ${t.value.toFixed(2)} (floor ${t.floor?.toFixed(2) ?? "—"}; target ${t.comparison} ${t.threshold}) — ${t.description}`);
  } finally {
    await gw.close();
  }
}

main().catch((err) => {
  process.stderr.write(`[bench] failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
