// Restart benchmark (npm run bench:restart): valid requests refused per plugin-server crash and per
// upgrade, through the Kong double (2 workers, okta-jwt with the fail-closed guard, the server run
// beside it and started again 100 ms after it exits, as systemd `Restart=always` or compose
// `restart: always` do), with okta-jwt-pluginserver --supervise and without it. Load: RESTART_CLIENTS
// clients sending valid tokens back to back, one more sending forged ones (none may be proxied).
// A crash is SIGKILL of the process serving the socket (the active worker under --supervise); under
// --supervise also a crash of both workers (the standby, then the active one: a crash loop faster than a
// worker loads, so Kong's requests meet no loaded worker); an upgrade is SIGHUP under --supervise, and a
// stop (SIGTERM) plus the restart without it.
// Where the time goes, per event: when the new process served (the supervisor's switch, or the
// restarted server listening), when the first valid request sent after the event was answered 200,
// and why Kong's calls failed (the double's error log: "no data" is a call on a connection of the
// dead process, "connection refused" a connect with nobody listening, "no plugin instance" the new
// process asking Kong to start its instances again: not a refusal).
// Writes bench/results/restart.json.
//   RESTART_EVENTS (default 5 of each), RESTART_CLIENTS (default 5)
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { machineDescription } from './machine';
import { startRestartGateway, steadyLoad, type RestartGateway } from '../spec/support/plugin-server/restart-gateway';
import { repoRoot } from '../spec/support/repo-paths';

const EVENTS = Number(process.env.RESTART_EVENTS ?? 5);
const CLIENTS = Number(process.env.RESTART_CLIENTS ?? 5);
/** Load before each event, and after the server serves again. */
const STEADY_MS = 500;

type Mode = 'supervised' | 'plain';
type Kind = 'crash' | 'crash-both' | 'upgrade';
/** The events each server goes through, with their label in the table. */
const EVENTS_OF: Record<Mode, Array<[Kind, string]>> = {
  supervised: [['crash', 'crash (SIGKILL)'], ['crash-both', 'crash of both workers (SIGKILL)'], ['upgrade', 'upgrade (SIGHUP)']],
  plain: [['crash', 'crash (SIGKILL)'], ['upgrade', 'upgrade (stop + restart)']],
};

interface EventResult {
  /** Valid requests answered other than 200 (the guard's 503, Kong's 500) or not at all. */
  refused: number;
  validSent: number;
  /** Of those, sent before the event (in flight when the process died or was replaced). */
  inFlight: number;
  /** From the event to the last refused request's answer (0 when none): the double's own lag included. */
  refusedForMs: number;
  /**
   * The refusals as time: refused ÷ the valid requests answered per ms just before the event. What
   * "the server was killed every 4.5 s and 84–90 % were served" measures on real Kong (0.45–0.6 s).
   */
  refusedTrafficMs: number;
  /** From the event to the new process serving (its log line), and to the first 200 sent after the event. */
  servingAfterMs: number | null;
  firstSuccessAfterMs: number | null;
  /** The double's errors for okta-jwt's calls after the event, by message (ids left out). */
  kongErrors: Record<string, number>;
  /**
   * The longest the double's own event loop (which also runs the clients, the issuer and the
   * upstream) was held up around the event: a refusal or an answer is seen no sooner than that.
   */
  benchLoopLagMaxMs: number;
  unauthenticatedProxied: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Until the socket answers again from a process other than `before` (and, supervised, a standby waits). */
async function recovered(gw: RestartGateway, mode: Mode, before: number): Promise<void> {
  for (;;) {
    const pid = await gw.servingPid().catch(() => undefined);
    if (pid !== undefined && pid !== before) {
      if (mode === 'supervised') await gw.waitForStandby(pid);
      return;
    }
    await sleep(20);
  }
}

async function oneEvent(gw: RestartGateway, mode: Mode, kind: Kind): Promise<EventResult> {
  const serving = await gw.servingPid();
  const standby = kind === 'crash-both' ? await gw.waitForStandby(serving) : undefined;
  const load = steadyLoad(gw, CLIENTS);
  await sleep(STEADY_MS);
  const [outputFrom, errorsFrom] = [gw.output.length, gw.errorLog.lines.length];
  const loopLag = monitorEventLoopDelay({ resolution: 5 });
  loopLag.enable();
  const at = performance.now();
  const atWall = Date.now();
  if (standby !== undefined) process.kill(standby, 'SIGKILL');
  if (kind !== 'upgrade') process.kill(serving, 'SIGKILL');
  else process.kill(gw.processPid(), mode === 'supervised' ? 'SIGHUP' : 'SIGTERM');
  await recovered(gw, mode, serving);
  loopLag.disable();
  await sleep(STEADY_MS);
  const sent = await load.stop();
  const refused = sent.filter((r) => r.valid && r.status !== 200);
  // The rate before the event: its last STEADY_MS minus the first 100 ms (clients ramping up).
  const rateWindowMs = STEADY_MS - 100;
  const answeredBefore = sent.filter((r) => r.valid && r.status === 200 && r.doneAt < at && r.doneAt >= at - rateWindowMs).length;
  const forged = sent.filter((r) => !r.valid && r.status !== 0 && r.status < 400).length;
  const firstSuccess = sent.filter((r) => r.valid && r.status === 200 && r.sentAt > at).sort((a, b) => a.doneAt - b.doneAt)[0];
  // The last: after a crash of both workers the standby may be switched to and found dead right after.
  const servingLine = gw.output.slice(outputFrom).filter((l) => (mode === 'supervised' ? / serving on / : /server started at /).test(l)).pop();
  const servingAt = servingLine === undefined ? NaN : Date.parse(servingLine.split(' ')[0]!);
  return {
    refused: refused.length,
    validSent: sent.filter((r) => r.valid).length,
    inFlight: refused.filter((r) => r.sentAt < at).length,
    refusedForMs: refused.length ? Math.max(0, Math.round(Math.max(...refused.map((r) => r.doneAt)) - at)) : 0,
    refusedTrafficMs: refused.length === 0 ? 0 : answeredBefore === 0 ? NaN : Math.round((refused.length * rateWindowMs) / answeredBefore),
    servingAfterMs: Number.isNaN(servingAt) ? null : Math.max(0, servingAt - atWall),
    firstSuccessAfterMs: firstSuccess === undefined ? null : Math.round(firstSuccess.doneAt - at),
    kongErrors: kongErrors(gw.errorLog.lines.slice(errorsFrom).map((l) => l.message)),
    benchLoopLagMaxMs: Math.round(loopLag.max / 1e6),
    unauthenticatedProxied: forged,
  };
}

/** The double's mp_rpc.lua errors for okta-jwt, counted by message with instance ids left out. */
function kongErrors(messages: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of messages) {
    const match = m.match(/mp_rpc\.lua \[okta-jwt\] (.*)$/);
    if (match) {
      const reason = match[1]!.replace(/#\d+/g, '#…');
      counts[reason] = (counts[reason] ?? 0) + 1;
    }
  }
  return counts;
}

async function measure(mode: Mode): Promise<Partial<Record<Kind, EventResult[]>>> {
  const gw = await startRestartGateway({ supervise: mode === 'supervised', drainTimeoutSeconds: 5 });
  try {
    if (mode === 'supervised') await gw.waitForStandby(await gw.servingPid());
    const results: Partial<Record<Kind, EventResult[]>> = {};
    for (const [kind] of EVENTS_OF[mode]) {
      results[kind] = [];
      for (let i = 0; i < EVENTS; i++) {
        const r = await oneEvent(gw, mode, kind);
        results[kind]!.push(r);
        const errors = Object.entries(r.kongErrors).map(([m, n]) => `${m} ×${n}`).join(', ') || 'none';
        process.stderr.write(
          `  ${mode} ${kind} ${i + 1}: ${r.refused} of ${r.validSent} valid refused (${r.inFlight} in flight; ${r.refusedTrafficMs} ms of traffic), the last ${r.refusedForMs} ms after; ` +
            `serving ${r.servingAfterMs} ms after, first 200 ${r.firstSuccessAfterMs} ms after; Kong's errors: ${errors}; ` +
            `the double's loop held up to ${r.benchLoopLagMaxMs} ms; ${r.unauthenticatedProxied} forged proxied\n`,
        );
      }
    }
    if (gw.unauthenticatedUpstream() !== 0) throw new Error(`${mode}: ${gw.unauthenticatedUpstream()} unauthenticated request(s) reached the upstream`);
    return results;
  } finally {
    await gw.close();
  }
}

const mean = (xs: number[]) => Math.round((xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1)) * 10) / 10;

async function main(): Promise<void> {
  const machine = machineDescription();
  process.stderr.write(`restart: ${EVENTS} of each event per mode, ${CLIENTS} clients\n`);
  const results = { supervised: await measure('supervised'), plain: await measure('plain') };
  console.log('\nValid requests refused per event (mean over the events), of them in flight at the event, the refusals as ms of traffic at the rate just before the event (worst event in brackets), how long after the event the last refused one was answered, the new process served, and the first request sent after the event was answered 200; the longest the event loop of the double was held up meanwhile\n');
  console.log('| server | event | refused per event | in flight | refused traffic (ms) | refused until (ms after) | serving (ms after) | first 200 (ms after) | loop lag of the double (max ms) | forged proxied |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const mode of ['supervised', 'plain'] as const) {
    for (const [kind, event] of EVENTS_OF[mode]) {
      const rs = results[mode][kind]!;
      const label = mode === 'supervised' ? 'okta-jwt-pluginserver --supervise' : 'okta-jwt-pluginserver, restarted 100 ms after exit';
      const known = (xs: Array<number | null>) => xs.filter((x): x is number => x !== null);
      console.log(
        `| ${label} | ${event} | ${mean(rs.map((r) => r.refused))} | ${mean(rs.map((r) => r.inFlight))} | ` +
          `${mean(rs.map((r) => r.refusedTrafficMs))} (${Math.max(...rs.map((r) => r.refusedTrafficMs))}) | ${mean(rs.map((r) => r.refusedForMs))} | ` +
          `${mean(known(rs.map((r) => r.servingAfterMs)))} | ${mean(known(rs.map((r) => r.firstSuccessAfterMs)))} | ${mean(rs.map((r) => r.benchLoopLagMaxMs))} | ` +
          `${rs.reduce((a, r) => a + r.unauthenticatedProxied, 0)} |`,
      );
    }
  }
  const out = path.join(repoRoot(), 'bench', 'results', 'restart.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), machine: { ...machine, loadAverageAtEnd: machineDescription().loadAverageAtStart }, events: EVENTS, clients: CLIENTS, results }, null, 2) + '\n');
  console.log(`\nwritten: ${path.relative(repoRoot(), out)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
