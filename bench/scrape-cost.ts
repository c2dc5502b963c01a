// What Prometheus scrapes cost the requests Kong sends (npm run bench:scrape). The metrics endpoint
// runs on the plugin server's event loop, so every scrape competes with Kong's RPCs. One
// okta-jwt-pluginserver with --metrics, okta-jwt with a cached token; Kong's side replayed onto the
// socket (socket-replay.ts, ten events in flight), each event timed from HandleEvent to "ret":
// without scrapers, then with SCRAPE_CLIENTS clients (in another process) scraping /metrics back to
// back, alternating so a slow moment of the machine lands on both. Prints p50/p99 of each and their ratios.
//   SCRAPE_CLIENTS (50), SCRAPE_REQUESTS (4000 events per pass), SCRAPE_REPS (3), SCRAPE_CONCURRENCY (10)
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startDevIssuer } from '../dev/issuer';
import { REPO_ROOT } from '../spec/support/plugin-server/launch';
import { freePort } from '../spec/support/free-port';
import { oktaJwtBenchConfig } from './bench-gateway';
import { BENCH_TOKEN_CLAIMS } from './claim-mapping';
import { oneEvent, replayHeaders, startReplay, stopReplay, type Running } from './socket-replay';
import { median, percentile } from './stats';

function intFromEnv(name: string, fallback: number): number {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
}

const CLIENTS = intFromEnv('SCRAPE_CLIENTS', 50);
const REQUESTS = intFromEnv('SCRAPE_REQUESTS', 4000);
const REPS = intFromEnv('SCRAPE_REPS', 3);
const CONCURRENCY = intFromEnv('SCRAPE_CONCURRENCY', 10);
/** A scraper whose connection was refused tries again after this (a tight loop would measure the bench, not the server). */
const RETRY_MS = 10;
const SCRAPER_FLAG = '--scrapers';

const log = (msg: string) => process.stderr.write(`[scrape-cost] ${msg}\n`);

/** Milliseconds per event, `requests` events with `CONCURRENCY` in flight. */
async function timedEvents(run: Running, headers: Record<string, string[]>, requests: number): Promise<number[]> {
  const times: number[] = [];
  let left = requests;
  const loop = async () => {
    while (left-- > 0) {
      const t = performance.now();
      await oneEvent(run, headers);
      times.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return times;
}

/**
 * `clients` loops scraping `url` back to back on keep-alive connections, in a child process (this
 * one's loops would otherwise slow the replay driver and be counted as the server's cost).
 */
function scrapers(url: string, clients: number): { stop(): Promise<{ served: number; refused: number }> } {
  const child = spawn(process.execPath, [__filename, SCRAPER_FLAG, url, String(clients)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      return JSON.parse(out) as { served: number; refused: number };
    },
  };
}

/** The child's side: scrape until SIGTERM, then print the counts. */
function runScrapers(url: string, clients: number): void {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  let served = 0;
  let refused = 0;
  const scrape = () =>
    new Promise<void>((resolve) => {
      const req = http.get(url, { agent }, (res) => {
        res.resume().on('end', () => (res.statusCode === 200 ? served++ : refused++, resolve()));
      });
      req.on('error', () => (refused++, setTimeout(resolve, RETRY_MS)));
    });
  for (let i = 0; i < clients; i++) void (async () => { for (;;) await scrape(); })();
  process.once('SIGTERM', () => process.stdout.write(JSON.stringify({ served, refused }), () => process.exit(0)));
}

async function main(): Promise<void> {
  const issuer = await startDevIssuer();
  const port = await freePort();
  const run = await startReplay({
    id: 'scrape',
    title: 'okta-jwt, verified-token cache hit, with --metrics',
    server: 'hardened',
    pluginsDir: path.join(REPO_ROOT, 'dist', 'plugins'),
    plugin: 'okta-jwt',
    config: oktaJwtBenchConfig(issuer.issuer),
    args: ['--metrics', String(port)],
  });
  try {
    const headers = replayHeaders(await issuer.mint(BENCH_TOKEN_CLAIMS));
    await timedEvents(run, headers, REQUESTS);
    const quiet: number[][] = [];
    const busy: number[][] = [];
    let scrapesPerSecond = 0;
    let refusedPerSecond = 0;
    for (let rep = 1; rep <= REPS; rep++) {
      quiet.push(await timedEvents(run, headers, REQUESTS));
      const load = scrapers(`http://127.0.0.1:${port}/metrics`, CLIENTS);
      const started = performance.now();
      busy.push(await timedEvents(run, headers, REQUESTS));
      const seconds = (performance.now() - started) / 1000;
      const { served, refused } = await load.stop();
      scrapesPerSecond += served / seconds / REPS;
      refusedPerSecond += refused / seconds / REPS;
      log(`repetition ${rep}/${REPS} done`);
    }
    const p = (passes: number[][], q: number) => median(passes.map((times) => percentile(times, q)));
    const [q50, q99, b50, b99] = [p(quiet, 50), p(quiet, 99), p(busy, 50), p(busy, 99)];
    const ms = (n: number) => `${n.toFixed(2)} ms`;
    process.stdout.write(
      [
        `socket replay, ${REQUESTS} events per pass, ${CONCURRENCY} in flight, median of ${REPS} passes; event = HandleEvent to "ret"`,
        `0 scrapers:          p50 ${ms(q50)}  p99 ${ms(q99)}`,
        `${CLIENTS} scrapers:         p50 ${ms(b50)}  p99 ${ms(b99)}  (${scrapesPerSecond.toFixed(0)} scrapes/s served, ${refusedPerSecond.toFixed(0)}/s refused)`,
        `ratio ${CLIENTS} / 0 scrapers: p50 ${(b50 / q50).toFixed(2)}  p99 ${(b99 / q99).toFixed(2)}`,
        '',
      ].join('\n'),
    );
  } finally {
    await stopReplay(run);
    await issuer.close();
  }
}

if (process.argv[2] === SCRAPER_FLAG) {
  runScrapers(process.argv[3]!, Number(process.argv[4]));
} else {
  main().catch((err) => {
    process.stderr.write(`[scrape-cost] failed: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  });
}
