// Restart benchmark (npm run bench:restart): valid requests refused per plugin-server crash and per
// upgrade, through the Kong double (2 workers, okta-jwt with the fail-closed guard, the server run
// beside it and started again 100 ms after it exits, as systemd `Restart=always` or compose
// `restart: always` do), with okta-jwt-pluginserver --supervise and without it. Load: RESTART_CLIENTS
// clients sending valid tokens back to back, one more sending forged ones (none may be proxied).
// A crash is SIGKILL of the process serving the socket (the active worker under --supervise); an
// upgrade is SIGHUP under --supervise, and a stop (SIGTERM) plus the restart without it.
// Writes bench/results/restart.json.
//   RESTART_EVENTS (default 5 of each), RESTART_CLIENTS (default 5)
import fs from 'node:fs';
import path from 'node:path';
import { machineDescription } from './machine';
import { startRestartGateway, steadyLoad, type RestartGateway } from '../spec/support/plugin-server/restart-gateway';
import { repoRoot } from '../spec/support/repo-paths';

const EVENTS = Number(process.env.RESTART_EVENTS ?? 5);
const CLIENTS = Number(process.env.RESTART_CLIENTS ?? 5);
/** Load before each event, and after the server serves again. */
const STEADY_MS = 500;

type Mode = 'supervised' | 'plain';
type Kind = 'crash' | 'upgrade';

interface EventResult {
  /** Valid requests answered other than 200 (the guard's 503, Kong's 500) or not at all. */
  refused: number;
  validSent: number;
  /** Of those, sent before the event (in flight when the process died or was replaced). */
  inFlight: number;
  /** From the event to the last refused request's answer: how long the server was not there (0 when none). */
  refusedForMs: number;
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
  const load = steadyLoad(gw, CLIENTS);
  await sleep(STEADY_MS);
  const at = performance.now();
  if (kind === 'crash') process.kill(serving, 'SIGKILL');
  else process.kill(gw.processPid(), mode === 'supervised' ? 'SIGHUP' : 'SIGTERM');
  await recovered(gw, mode, serving);
  await sleep(STEADY_MS);
  const sent = await load.stop();
  const refused = sent.filter((r) => r.valid && r.status !== 200);
  const forged = sent.filter((r) => !r.valid && r.status !== 0 && r.status < 400).length;
  return {
    refused: refused.length,
    validSent: sent.filter((r) => r.valid).length,
    inFlight: refused.filter((r) => r.sentAt < at).length,
    refusedForMs: refused.length ? Math.max(0, Math.round(Math.max(...refused.map((r) => r.doneAt)) - at)) : 0,
    unauthenticatedProxied: forged,
  };
}

async function measure(mode: Mode): Promise<Record<Kind, EventResult[]>> {
  const gw = await startRestartGateway({ supervise: mode === 'supervised', drainTimeoutSeconds: 5 });
  try {
    if (mode === 'supervised') await gw.waitForStandby(await gw.servingPid());
    const results: Record<Kind, EventResult[]> = { crash: [], upgrade: [] };
    for (const kind of ['crash', 'upgrade'] as const) {
      for (let i = 0; i < EVENTS; i++) {
        const r = await oneEvent(gw, mode, kind);
        results[kind].push(r);
        process.stderr.write(`  ${mode} ${kind} ${i + 1}: ${r.refused} of ${r.validSent} valid refused (${r.inFlight} in flight), the last ${r.refusedForMs} ms after; ${r.unauthenticatedProxied} forged proxied\n`);
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
  process.stderr.write(`restart: ${EVENTS} crashes and ${EVENTS} upgrades per mode, ${CLIENTS} clients\n`);
  const results = { supervised: await measure('supervised'), plain: await measure('plain') };
  console.log('\nValid requests refused per event (mean over the events), of them in flight at the event, and how long after the event the last refused one was answered\n');
  console.log('| server | event | refused per event | in flight | refused until (ms after) | forged proxied |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const mode of ['supervised', 'plain'] as const) {
    for (const kind of ['crash', 'upgrade'] as const) {
      const rs = results[mode][kind];
      const label = mode === 'supervised' ? 'okta-jwt-pluginserver --supervise' : 'okta-jwt-pluginserver, restarted 100 ms after exit';
      const event = kind === 'crash' ? 'crash (SIGKILL)' : mode === 'supervised' ? 'upgrade (SIGHUP)' : 'upgrade (stop + restart)';
      console.log(`| ${label} | ${event} | ${mean(rs.map((r) => r.refused))} | ${mean(rs.map((r) => r.inFlight))} | ${mean(rs.map((r) => r.refusedForMs))} | ${rs.reduce((a, r) => a + r.unauthenticatedProxied, 0)} |`);
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
