// Plugin-server CPU per request with Kong's side replayed straight onto the socket: no HTTP front,
// no router, no upstream. Each case is one plugin in its own plugin-server process; a driver plays
// Kong's mp_rpc loop (HandleEvent, then one Step per PDK call) with canned answers for the request
// the real-Kong table in issue 16 used (Host + an 817-byte Authorization). Through the double the
// driver and the double share the two cores with the server and its CPU figure moves ±20 %; here
// the driver is small, so the ratios between cases are steady enough to compare against 1.15.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { RpcClient } from '../spec/kong-double/msgpack-rpc-client';
import { RpcRecorder } from '../spec/kong-double/recorder';
import type { PdkOutcome } from '../spec/kong-double/pdk';
import { runEvent } from '../spec/kong-double/bridge';
import { InstanceRegistry } from '../spec/kong-double/instances';
import { toStartInstanceConfig, validatePluginConfig, type DumpedSchema } from '../spec/kong-double/schema';
import { launchServer, REPO_ROOT, serverBinary, type ServerKind, type ServerProcess } from '../spec/support/plugin-server/launch';
import { DEV_AUDIENCE } from '../dev/dev-identity';
import { oktaJwtBenchConfig } from './bench-gateway';
import { processCpuNs } from './process-cpu';
import { median } from './stats';

export interface ReplayCase {
  id: string;
  title: string;
  server: ServerKind;
  /** The compiled plugin folder and the plugin's name in it. */
  pluginsDir: string;
  plugin: string;
  config: Record<string, unknown>;
  /** Extra server arguments (e.g. --metrics). */
  args?: string[];
  /** A command the server runs under (replay-instructions.ts: callgrind), and node flags for it. */
  wrapper?: string[];
  nodeArgs?: string[];
  /** The request of each event, when not the run's one request (e.g. a fresh token each time). */
  request?: () => Record<string, string[]>;
}

export interface ReplayResult {
  id: string;
  title: string;
  server: ServerKind;
  /** Median over the repetitions. */
  cpuUsPerRequest: number;
  perRepetition: number[];
  pdkCallsPerRequest: number;
  /** Socket bytes per request, Kong to the plugin server and back (every frame of the event). */
  bytesToServerPerRequest: number;
  bytesFromServerPerRequest: number;
}

const PLUGIN_DIRS = {
  okta: path.join(REPO_ROOT, 'dist', 'plugins'),
  reference: path.join(REPO_ROOT, 'dist', 'test', 'bench', 'plugins', 'bench-reference'),
  floor: path.join(REPO_ROOT, 'dist', 'test', 'bench', 'plugins', 'bench-floor'),
};

/**
 * The cases: issue 16's floor (the reference plugin on kong-pdk's stock server), the same plugin on
 * okta-jwt-pluginserver, okta-jwt with a cached token on both servers, and the least-work plugin
 * making okta-jwt's PDK calls (b0).
 */
export function replayCases(issuer: string): ReplayCase[] {
  const okta = { pluginsDir: PLUGIN_DIRS.okta, plugin: 'okta-jwt', config: oktaJwtBenchConfig(issuer) };
  const reference = { pluginsDir: PLUGIN_DIRS.reference, plugin: 'bench-reference', config: {} };
  return [
    { id: 'a-stock', title: 'reference plugin (get_header + set_headers) on the stock kong-js-pluginserver: issue 16\'s floor', server: 'stock', ...reference },
    { id: 'a', title: 'reference plugin on okta-jwt-pluginserver', server: 'hardened', ...reference },
    { id: 'b', title: 'okta-jwt, verified-token cache hit, on okta-jwt-pluginserver', server: 'hardened', ...okta },
    { id: 'b-guard', title: 'okta-jwt with fail_closed_guard, cache hit, on okta-jwt-pluginserver', server: 'hardened', ...okta, config: { ...okta.config, fail_closed_guard: true } },
    { id: 'b-stock', title: 'okta-jwt, verified-token cache hit, on the stock server', server: 'stock', ...okta },
    { id: 'b0', title: 'floor for (b): SHA-256 + Map hit, okta-jwt\'s PDK calls, on okta-jwt-pluginserver', server: 'hardened', pluginsDir: PLUGIN_DIRS.floor, plugin: 'bench-floor', config: { issuer, audience: DEV_AUDIENCE, cache: true } },
  ];
}

/** The request of issue 16's real-Kong table (wrk): Host and the bearer token, as get_headers hands them over. */
export function replayHeaders(token: string): Record<string, string[]> {
  return { host: ['127.0.0.1:8000'], authorization: [`Bearer ${token}`] };
}

/** Kong's answer to each PDK call the cases make on the allow path; anything else stops the bench. */
function pdkAnswer(method: string, args: unknown, headers: Record<string, string[]>): PdkOutcome {
  switch (method) {
    case 'kong.request.get_headers':
      return { kind: 'value', value: headers };
    case 'kong.request.get_header': {
      const name = String((args as unknown[])[0]).toLowerCase();
      return { kind: 'value', value: headers[name]?.[0] ?? null };
    }
    case 'kong.service.request.set_headers':
    case 'kong.ctx.shared.set':
      return { kind: 'value', value: undefined };
    default:
      throw new Error(`socket replay: unexpected PDK call ${method} (the case did not take the allow path)`);
  }
}

export interface Running {
  replay: ReplayCase;
  proc: ServerProcess;
  rpc: RpcClient;
  instanceId: number;
  pdkCalls: number;
  events: number;
}

/** The schema as Kong learns it: the server's `--dump-all-plugins` answer for the named plugin. */
export function pluginSchema(replay: Pick<ReplayCase, 'server' | 'pluginsDir' | 'plugin'>): DumpedSchema {
  const out = execFileSync(process.execPath, [serverBinary(replay.server), '--plugins-directory', replay.pluginsDir, '--dump-all-plugins'], { encoding: 'utf8' });
  const info = (JSON.parse(out) as Array<{ Name: string; Schema: DumpedSchema }>).find((p) => p.Name === replay.plugin);
  if (info === undefined) throw new Error(`socket replay: ${replay.pluginsDir} has no plugin ${replay.plugin}`);
  return info.Schema;
}

/** Starts the case's plugin server and one instance of its plugin, as Kong would. */
export async function startReplay(replay: ReplayCase): Promise<Running> {
  const profileDir = process.env.BENCH_CPU_PROF_DIR;
  const nodeArgs = [...(replay.nodeArgs ?? []), ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(profileDir), '--cpu-prof-name', `replay-${replay.id}.cpuprofile`] : [])];
  const proc = await launchServer({ kind: replay.server, pluginsDir: replay.pluginsDir, nodeArgs, args: replay.args, wrapper: replay.wrapper });
  const recorder = new RpcRecorder(() => 0);
  recorder.enabled = false;
  let conn = 0;
  const rpc = new RpcClient({ server: replay.plugin, worker: 0, socketPath: proc.socketPath, recorder, readTimeoutMs: 60_000, nextConnId: () => ++conn });
  const checked = validatePluginConfig(pluginSchema(replay), replay.config);
  if (!checked.ok) throw new Error(`socket replay: ${replay.id} config refused: ${JSON.stringify(checked.errors)}`);
  const pluginId = `bench-${replay.id}`;
  const config = { ...toStartInstanceConfig(checked.config), __plugin_id: pluginId, __key__: `plugins:${replay.plugin}:bench`, __seq__: 1 };
  const instanceId = await new InstanceRegistry().get(0, rpc, { pluginId, pluginName: replay.plugin, seq: 1, config });
  return { replay, proc, rpc, instanceId, pdkCalls: 0, events: 0 };
}

/** One access event, Kong's side played with canned answers. */
export async function oneEvent(run: Running, headers: Record<string, string[]>): Promise<void> {
  await runEvent(run.rpc, run.instanceId, 'access', (method, args) => {
    run.pdkCalls++;
    return pdkAnswer(method, args, headers);
  });
  run.events++;
}

/** `concurrency` loops, as nginx workers each with requests in flight, until `requests` events ran. */
export async function drive(run: Running, headers: Record<string, string[]>, requests: number, concurrency: number): Promise<void> {
  let left = requests;
  const next = run.replay.request;
  const loop = async () => {
    while (left-- > 0) await oneEvent(run, next === undefined ? headers : next());
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

export interface ReplaySettings {
  requests: number;
  warmUp: number;
  repetitions: number;
  concurrency: number;
}

/**
 * Runs every case interleaved (case 1, case 2, …, then again) so a slow moment of the machine
 * lands on all of them; CPU is the server process's own, all threads, from /proc.
 */
export async function runSocketReplay(cases: readonly ReplayCase[], headers: Record<string, string[]>, settings: ReplaySettings): Promise<ReplayResult[]> {
  const running: Running[] = [];
  try {
    for (const c of cases) running.push(await startReplay(c));
    for (const run of running) await drive(run, headers, settings.warmUp, settings.concurrency);
    const samples = new Map<string, number[]>(cases.map((c) => [c.id, []]));
    for (let rep = 0; rep < settings.repetitions; rep++) {
      for (const run of running) {
        const before = processCpuNs(run.proc.pid);
        await drive(run, headers, settings.requests, settings.concurrency);
        samples.get(run.replay.id)!.push((processCpuNs(run.proc.pid) - before) / 1000 / settings.requests);
      }
    }
    return running.map((run) => ({
      id: run.replay.id,
      title: run.replay.title,
      server: run.replay.server,
      cpuUsPerRequest: median(samples.get(run.replay.id)!),
      perRepetition: samples.get(run.replay.id)!,
      pdkCallsPerRequest: run.pdkCalls / run.events,
      bytesToServerPerRequest: run.rpc.bytes.toServer / run.events,
      bytesFromServerPerRequest: run.rpc.bytes.fromServer / run.events,
    }));
  } finally {
    for (const run of running) await stopReplay(run);
  }
}

export async function stopReplay(run: Running): Promise<void> {
  run.rpc.closeAll();
  await run.proc.stop();
}
