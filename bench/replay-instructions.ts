// Instructions per request in the socket replay, counted by valgrind's callgrind on the plugin-server
// process: unlike CPU time, the count does not move with what else the machine runs, so the ratios
// between cases can be compared on a busy 2-core machine. Each case runs alone under callgrind:
// warm-up (not counted), then the counters are zeroed, `requests` events run, and the counters are
// dumped; the dump's total over `requests` is the figure. Slow (callgrind runs node ~50× slower).
//   node dist/test/bench/replay-instructions.js [case …]   cases: a, b, b-guard, miss (default: all)
//   REPLAY_IR_REQUESTS (3000), REPLAY_IR_WARMUP (20000), REPLAY_IR_OUT (folder kept with the dumps),
//   REPLAY_IR_PERF_MAP=1 (node --perf-basic-prof: /tmp/perf-<pid>.map names the JIT's frames in the dump).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevIssuer } from '../dev/issuer';
import { BENCH_TOKEN_CLAIMS } from './claim-mapping';
import { freshTokens } from './miss-replay';
import { drive, replayCases, replayHeaders, startReplay, stopReplay, type ReplayCase } from './socket-replay';

const requests = Number(process.env.REPLAY_IR_REQUESTS ?? 3000);
// Long: after 3,000 requests V8 was still optimising okta-jwt's functions, a quarter of the counted instructions.
const warmUp = Number(process.env.REPLAY_IR_WARMUP ?? 20000);
const concurrency = 10;

/** The `totals:` (or `summary:`) line of a callgrind dump: instructions executed. */
function dumpTotal(file: string): number {
  const m = /^(?:totals|summary): (\d+)/m.exec(fs.readFileSync(file, 'utf8'));
  if (m === null) throw new Error(`${file}: no totals line`);
  return Number(m[1]);
}

async function main(): Promise<void> {
  const out = process.env.REPLAY_IR_OUT ?? fs.mkdtempSync(path.join(os.tmpdir(), 'replay-ir-'));
  fs.mkdirSync(out, { recursive: true });
  const issuer = await startDevIssuer();
  try {
    const token = await issuer.mint(BENCH_TOKEN_CLAIMS);
    const byId = new Map(replayCases(issuer.issuer).map((c) => [c.id, c]));
    const b = byId.get('b')!;
    const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['a', 'b', 'b-guard', 'miss'];
    const results: Record<string, number> = {};
    for (const id of wanted) {
      const base: ReplayCase = id === 'miss' ? { ...b, id: 'miss' } : byId.get(id)!;
      if (base === undefined) throw new Error(`unknown case ${id}`);
      const tokens = id === 'miss' ? await freshTokens(issuer, warmUp + requests) : [];
      let next = 0;
      const replay: ReplayCase = {
        ...base,
        // Under callgrind on a busy machine the first key-set fetch can outlast the 5 s default and the
        // case would take the refusal path: give it time (the count covers requests after warm-up only).
        config: base.plugin === 'okta-jwt' ? { ...base.config, key_set: { timeout_ms: 60_000, connect_timeout_ms: 60_000 } } : base.config,
        wrapper: ['valgrind', '--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${path.join(out, `${id}.%p`)}`],
        // Optimising compiles on the main thread: valgrind runs one thread at a time, so with V8's
        // background compiler the tier a function has reached after the warm-up depends on scheduling
        // (one run counted 425k instructions a request, 30 % of them the compiler and the rest mostly
        // baseline code); this way it depends on the request count only. With the perf map, the JIT's
        // code addresses by function name (/tmp/perf-<pid>.map), to read the dump's unnamed frames.
        nodeArgs: ['--no-concurrent-recompilation', ...(process.env.REPLAY_IR_PERF_MAP === '1' ? ['--perf-basic-prof'] : [])],
        request: id === 'miss' ? () => replayHeaders(tokens[next++]!) : undefined,
      };
      const run = await startReplay(replay);
      try {
        const headers = replayHeaders(token);
        await drive(run, headers, warmUp, concurrency);
        execFileSync('callgrind_control', ['-z', String(run.proc.pid)]);
        await drive(run, headers, requests, concurrency);
        execFileSync('callgrind_control', ['-d', String(run.proc.pid)]);
        const dump = fs.readdirSync(out).filter((f) => f.startsWith(`${id}.${run.proc.pid}.`)).sort().pop();
        if (dump === undefined) throw new Error(`${id}: no callgrind dump in ${out}`);
        results[id] = dumpTotal(path.join(out, dump)) / requests;
        process.stderr.write(`[replay-ir] ${id}: ${Math.round(results[id]!)} instructions per request (${path.join(out, dump)})\n`);
      } finally {
        await stopReplay(run);
      }
    }
    const a = results.a;
    for (const [id, ir] of Object.entries(results)) {
      const ratio = a !== undefined && id !== 'a' && id !== 'miss' ? ` (${(ir / a).toFixed(3)}× a)` : '';
      process.stdout.write(`${id}\t${Math.round(ir)}${ratio}\n`);
    }
    if (results.miss !== undefined && results.b !== undefined) process.stdout.write(`miss - b\t${Math.round(results.miss - results.b)}\n`);
  } finally {
    await issuer.close();
  }
}

main().catch((err) => {
  process.stderr.write(`[replay-ir] failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
