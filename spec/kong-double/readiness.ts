// Kong 3.4's readiness rule for plugin servers (3.1.0 to 3.4.x; Kong removed it in 3.5.0). Each worker
// schedules a connection check only for a server with a start command (plugin_servers/init.lua
// `start()`); the check connects to the socket every 0.1 s for up to 20 s and marks the server ready
// on the first success, or records the last connect error for good (process.lua
// `connection_check_timer`). Until a server is ready, Kong skips its plugins: get_instance_id answers
// "not ready" and mp_rpc.lua's handle_event logs once per worker (process.lua `handle_not_ready`)
// and lets the request go on. A server without a start command is never checked, so never ready
// (batch4 §1); a start command that serves nothing still makes it ready (batch4 §10).
// Kong 3.5 and later have no such state: every server counts as ready.
import { socketAccepts } from './plugin-server';
import type { KongVersion } from './responses';

export type Readiness = { kind: 'ready' } | { kind: 'not-ready'; firstInWorker: boolean } | { kind: 'socket-error'; message: string };

const CHECK_STEP_MS = 100;
const CHECK_TIMEOUT_MS = 20000;

/** Kong's warning, word for word (recorded on 3.4.2, batch4 §1); nginx appends the request context. */
export const notReadyWarning = (plugin: string) =>
  `[lua] process.lua:285: handle_event(): plugin server is not ready, ${plugin} will not be executed in this request`;

export class ServerReadiness {
  private readonly ready: boolean[];
  private readonly socketError: Array<string | undefined>;
  /** process.lua's plugin_already_warned: one table per worker, keyed by plugin name. */
  private readonly warned: Array<Set<string>>;
  private closed = false;

  private constructor(workers: number, readyAtOnce: boolean) {
    this.ready = Array.from({ length: workers }, () => readyAtOnce);
    this.socketError = Array.from({ length: workers }, () => undefined);
    this.warned = Array.from({ length: workers }, () => new Set<string>());
  }

  /**
   * Kong 3.4: with a start command, each worker's connection check starts now (the first attempt is
   * awaited, later ones run in the background); without one the server is never ready.
   * Other versions: ready at once.
   */
  static async start(kongVersion: KongVersion, workers: number, socketPath: string, hasStartCommand: boolean): Promise<ServerReadiness> {
    const readiness = new ServerReadiness(workers, kongVersion !== '3.4.2');
    if (kongVersion === '3.4.2' && hasStartCommand) {
      await Promise.all(readiness.ready.map((_, worker) => readiness.check(worker, socketPath)));
    }
    return readiness;
  }

  /** What get_instance_id finds for this worker's server definition. */
  state(worker: number, plugin: string): Readiness {
    const err = this.socketError[worker];
    if (err !== undefined) return { kind: 'socket-error', message: err };
    if (this.ready[worker]) return { kind: 'ready' };
    const firstInWorker = !this.warned[worker]!.has(plugin);
    this.warned[worker]!.add(plugin);
    return { kind: 'not-ready', firstInWorker };
  }

  close(): void {
    this.closed = true;
  }

  /** Resolves after the first attempt; keeps trying in the background until ready or 20 s. */
  private async check(worker: number, socketPath: string): Promise<void> {
    const attempt = async () => {
      if (await socketAccepts(socketPath)) this.ready[worker] = true;
      return this.ready[worker];
    };
    if (await attempt()) return;
    const started = Date.now();
    const retry = async (): Promise<void> => {
      if (this.closed) return;
      if (await attempt()) return;
      if (Date.now() - started >= CHECK_TIMEOUT_MS) {
        this.socketError[worker] = 'connection refused';
        return;
      }
      setTimeout(() => void retry(), CHECK_STEP_MS).unref();
    };
    setTimeout(() => void retry(), CHECK_STEP_MS).unref();
  }
}
