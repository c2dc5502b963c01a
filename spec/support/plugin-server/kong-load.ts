// Drives a plugin server the way Kong does (the double's RpcClient: pooled connections, one call at
// a time per connection, one client per simulated nginx worker) with requests the ps-probe plugin
// rejects: StartInstance once per worker, then per request HandleEvent → get_header → Step → exit.
import { RpcClient } from '../../kong-double/msgpack-rpc-client';
import { RpcRecorder } from '../../kong-double/recorder';
import type { ServerStats } from '../../../server/hardened-server';

/** Keeps no frames: a soak run makes millions of calls. */
class DiscardingRecorder extends RpcRecorder {
  override record(): void {}
}

interface EventReply {
  Data: 'ret' | { Method: string; Args: unknown[] };
  EventId: number;
}

let connIds = 0;

export function kongWorker(socketPath: string, worker = 0): RpcClient {
  return new RpcClient({
    server: 'ps-probe',
    worker,
    socketPath,
    recorder: new DiscardingRecorder(() => 0),
    readTimeoutMs: 10_000,
    nextConnId: () => ++connIds,
  });
}

export async function startProbeInstance(rpc: RpcClient, mode: string): Promise<number> {
  const reply = (await rpc.call('plugin.StartInstance', { Name: 'ps-probe', Config: JSON.stringify({ mode }) })) as { Id: number };
  return reply.Id;
}

/** One request the plugin rejects; throws if the exchange differs from Kong's view of it. */
export async function rejectedRequest(rpc: RpcClient, instanceId: number): Promise<void> {
  const first = (await rpc.call('plugin.HandleEvent', { InstanceId: instanceId, EventName: 'access' })) as EventReply;
  expectCall(first, 'kong.request.get_header');
  // The header is absent: Kong's reply carries no Data (a Lua table drops nil fields).
  const second = (await rpc.call('plugin.Step', { EventId: first.EventId })) as EventReply;
  expectCall(second, 'kong.response.exit');
  // Kong stops here: it sends nothing more for this event.
}

function expectCall(reply: EventReply, method: string): void {
  if (reply.Data === 'ret' || reply.Data.Method !== method) {
    throw new Error(`expected a ${method} step, got ${JSON.stringify(reply.Data)}`);
  }
}

/** `total` rejected requests spread over the workers, each worker sequential (as one nginx worker's coroutine). */
export async function runRejectedLoad(workers: Array<{ rpc: RpcClient; instanceId: number }>, total: number): Promise<void> {
  let issued = 0;
  await Promise.all(
    workers.map(async ({ rpc, instanceId }) => {
      while (issued < total) {
        issued++;
        await rejectedRequest(rpc, instanceId);
      }
    }),
  );
}

/** The hardened server's JS-only status call. */
export async function serverStats(rpc: RpcClient): Promise<ServerStats> {
  return (await rpc.call('plugin.GetServerStats', null)) as ServerStats;
}
