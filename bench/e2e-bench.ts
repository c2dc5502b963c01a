// End-to-end passes through the double: each pass sends a fixed number of requests to one case's
// route and measures throughput, latency, the plugin server's CPU time and the RPC round trips.
import { performance } from 'node:perf_hooks';
import { send } from '../spec/support/http-client';
import type { BenchCase, BenchGateway } from './bench-gateway';
import { CLAIMS_TO_HEADERS } from './claim-mapping';
import { runLoad } from './load-driver';
import { processCpuNs } from './process-cpu';
import type { RecordingMode, RpcTally } from './rpc-tally';
import { percentile } from './stats';

export interface PassSpec {
  requests: number;
  connections: number;
  /** Label of the pass in the results (default the case id). */
  label?: string;
  /** Request headers besides Authorization (the load driver adds Host and Connection). */
  extraHeaders?: Record<string, string>;
}

export interface PassResult {
  case: string;
  recording: RecordingMode;
  requests: number;
  errors: number;
  requestsPerSecond: number;
  p50Us: number;
  p99Us: number;
  /** Plugin-server CPU time (all threads) per request. */
  serverCpuUsPerRequest: number;
  /** CPU time of this process (the double, the upstream and the load driver) per request. */
  doubleCpuUsPerRequest: number;
  /** Kong → plugin-server RPCs per request (HandleEvent + Steps). */
  rpcsPerRequest: number;
  /** PDK calls per request (Step frames). */
  pdkCallsPerRequest: number;
  /** Bytes on the plugin-server socket per request: Kong → plugin server, and back. */
  bytesToServerPerRequest: number;
  bytesFromServerPerRequest: number;
  /** The plugin's access phase as Kong's side sees it (HandleEvent sent → "ret" received). */
  phaseP50Us: number;
  phaseP99Us: number;
}

/** One request through the case; throws unless it was proxied with the mapped headers set. */
export async function checkCase(gw: BenchGateway, c: BenchCase): Promise<void> {
  const res = await send('GET', gw.double.proxyUrl + c.path, [['Authorization', `Bearer ${gw.token}`]]);
  if (res.status !== 200) throw new Error(`case ${c.id} (${c.path}) answered ${res.status}: ${res.text.slice(0, 200)}`);
  const upstream = res.json<{ headers: Record<string, string> }>().headers;
  const missing = CLAIMS_TO_HEADERS.filter(({ header }) => typeof upstream[header.toLowerCase()] !== 'string');
  if (missing.length) throw new Error(`case ${c.id}: upstream lacks ${missing.map((m) => m.header).join(', ')}`);
}

export async function runPass(gw: BenchGateway, tally: RpcTally, c: BenchCase, spec: PassSpec, recording: RecordingMode): Promise<PassResult> {
  const pid = gw.pidOf(c.server);
  tally.setMode(recording);
  gw.echo.reset();
  const cpu0 = processCpuNs(pid);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const load = await runLoad({
    url: gw.double.proxyUrl + c.path,
    headers: { ...spec.extraHeaders, authorization: `Bearer ${gw.token}` },
    requests: spec.requests,
    connections: spec.connections,
    expectStatus: 200,
  });
  const cpu1 = processCpuNs(pid);
  const own = process.cpuUsage(own0);
  const elapsedMs = performance.now() - t0;
  const trips = tally.take().get(c.server) ?? { events: 0, pdkCalls: 0, other: 0, bytesToServer: 0, bytesFromServer: 0, eventMs: [] };
  const phaseUs = trips.eventMs.map((ms) => ms * 1000);
  gw.echo.reset();
  const n = load.requests;
  return {
    case: spec.label ?? c.id,
    recording,
    requests: n,
    errors: load.errors,
    requestsPerSecond: (n / elapsedMs) * 1000,
    p50Us: percentile(load.latenciesUs, 50),
    p99Us: percentile(load.latenciesUs, 99),
    serverCpuUsPerRequest: (cpu1 - cpu0) / 1000 / n,
    doubleCpuUsPerRequest: (own.user + own.system) / n,
    rpcsPerRequest: (trips.events + trips.pdkCalls) / n,
    pdkCallsPerRequest: trips.pdkCalls / n,
    bytesToServerPerRequest: trips.bytesToServer / n,
    bytesFromServerPerRequest: trips.bytesFromServer / n,
    phaseP50Us: percentile(phaseUs, 50),
    phaseP99Us: percentile(phaseUs, 99),
  };
}

export interface PairedCpu {
  case: string;
  /** Plugin-server CPU per request of the case and of the reference, measured over the same interval. */
  serverCpuUsPerRequest: number;
  referenceCpuUsPerRequest: number;
  ratio: number;
}

/**
 * The case and the reference (on different plugin servers) loaded at the same time, half the
 * connections each, so both see the same machine: on a shared host the CPU cost of a request
 * drifts by tens of percent from one pass to the next, and a ratio taken within one interval
 * cancels that drift.
 */
export async function runPairedCpuPass(gw: BenchGateway, tally: RpcTally, c: BenchCase, reference: BenchCase, spec: PassSpec): Promise<PairedCpu> {
  if (c.server === reference.server) throw new Error('a paired pass needs two plugin servers');
  tally.setMode('count');
  gw.echo.reset();
  const pids = [gw.pidOf(c.server), gw.pidOf(reference.server)] as const;
  const cpu0 = pids.map(processCpuNs);
  const connections = Math.max(1, spec.connections >> 1);
  const load = (target: BenchCase) =>
    runLoad({ url: gw.double.proxyUrl + target.path, headers: { authorization: `Bearer ${gw.token}` }, requests: spec.requests, connections, expectStatus: 200 });
  const [mine, ref] = await Promise.all([load(c), load(reference)]);
  const cpu1 = pids.map(processCpuNs);
  tally.take();
  gw.echo.reset();
  if (mine.errors || ref.errors) throw new Error(`paired pass ${c.id}: ${mine.errors + ref.errors} non-200 answers`);
  const serverCpuUsPerRequest = (cpu1[0]! - cpu0[0]!) / 1000 / mine.requests;
  const referenceCpuUsPerRequest = (cpu1[1]! - cpu0[1]!) / 1000 / ref.requests;
  return { case: c.id, serverCpuUsPerRequest, referenceCpuUsPerRequest, ratio: serverCpuUsPerRequest / referenceCpuUsPerRequest };
}
