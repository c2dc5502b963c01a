// Plugin-server start-up and memory, ours against kong-pdk's stock server (issue 16): for each, the
// time from spawn to the first answer and the RSS right after it (startup.ts), then the RSS (now and
// peak) of the server running okta-jwt after the same load through the double: the cache-hit and
// the cache-off route, one after the other.
import { serverBinary, SERVER_KINDS, type ServerKind } from '../spec/support/plugin-server/launch';
import { CASES, startBenchGateway } from './bench-gateway';
import { runPass } from './e2e-bench';
import { RpcTally } from './rpc-tally';
import { measureStartup, statusMiB } from './startup';

export interface ServerMemory {
  kind: ServerKind;
  /** Spawn → first answer to plugin.GetPluginInfo, median of the start-up runs. */
  firstAnswerMs: number;
  rssAfterStartMiB: number;
  /** After `requestsPerRoute` requests on each okta-jwt route. */
  rssAfterLoadMiB: number;
  peakRssMiB: number;
  requestsPerRoute: number;
}

export async function measureServerMemory(opts: { workers: number; connections: number; requestsPerRoute: number; startupRuns: number }): Promise<ServerMemory[]> {
  const out: ServerMemory[] = [];
  const oktaRoutes = CASES.filter((c) => c.server === 'okta-jwt');
  for (const kind of SERVER_KINDS) {
    const { firstAnswerMs, rssMiB } = await measureStartup(serverBinary(kind), opts.startupRuns);
    const gw = await startBenchGateway({ workers: opts.workers, serverKind: kind });
    try {
      const tally = new RpcTally(gw.double);
      for (const c of oktaRoutes) await runPass(gw, tally, c, { requests: opts.requestsPerRoute, connections: opts.connections }, 'count');
      const pid = gw.pidOf('okta-jwt');
      out.push({ kind, firstAnswerMs, rssAfterStartMiB: rssMiB, rssAfterLoadMiB: statusMiB(pid), peakRssMiB: statusMiB(pid, 'VmHWM'), requestsPerRoute: opts.requestsPerRoute });
    } finally {
      await gw.close();
    }
  }
  return out;
}
