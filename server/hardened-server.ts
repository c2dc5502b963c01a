// kong-pdk's plugin Server with bounded state. The stock server deletes an event only when a Step
// answers "ret"; an event whose handler ended with kong.response.exit/error (Kong never sends a Step
// after those), answered "ret" straight from HandleEvent, or was abandoned by Kong (a Lua-side PDK
// error, a timed-out socket) stays in its map forever. Its idle-instance sweep is also unusable (the
// stock bin cancels it; it polls every `ttl` milliseconds). RPC behaviour is otherwise unchanged.
import Server from 'kong-pdk/server';
import type { ServerSettings } from './settings';

const RET = 'ret';
/** PDK calls that end the request in Kong: no Step ever follows them (kong-pdk's pdk.js NON_RETURN_METHODS). */
const TERMINAL_METHODS = new Set(['kong.response.exit', 'kong.response.error']);

/** Reply of the JS-only RPC `plugin.GetServerStats` (never called by Kong; for tests and operators). */
export interface ServerStats {
  Pid: number;
  /** Events alive (a handler waiting for Kong, or Kong waiting for it). */
  Events: number;
  Instances: number;
  /** process.memoryUsage() in bytes. */
  Rss: number;
  HeapUsed: number;
}

export class HardenedServer extends Server {
  /** Event id → last time Kong or the handler acted on it (ms). */
  private readonly lastActivity = new Map<number, number>();
  private readonly housekeeping: NodeJS.Timeout;

  constructor(pluginDir: string | undefined, logger: Server.Logger, private readonly settings: ServerSettings) {
    super(pluginDir, logger, settings.instanceTtlSeconds);
    const shortestTtlMs = Math.min(settings.instanceTtlSeconds, settings.eventTtlSeconds) * 1000;
    this.housekeeping = setInterval(() => this.sweep(), Math.min(Math.max(shortestTtlMs / 4, 50), 10_000));
    // Never what keeps the process alive (the listening socket does; dump mode must exit).
    this.housekeeping.unref();
  }

  /** Replaced by sweep(): the stock timer runs every `ttl` ms and always uses a 60 s idle limit. */
  protected override clearExpiredPlugins(): undefined {
    return undefined;
  }

  override close(): void {
    clearInterval(this.housekeeping);
    super.close();
  }

  override async HandleEvent(event: { InstanceId: number; EventName: string }): Promise<Server.EventReply> {
    return this.settle(await super.HandleEvent(event));
  }

  protected override async step(data: { EventId: number; Data?: unknown }, isError: boolean): Promise<Server.EventReply> {
    if (this.events.has(data.EventId)) this.lastActivity.set(data.EventId, Date.now());
    return this.settle(await super.step(data, isError));
  }

  /**
   * The answer to a request's RPC that could not be decoded: kong.response.exit(500) as the event's
   * next PDK call, so Kong refuses the request (the Kong default 500 body). The event, if known, is
   * dropped: Kong sends nothing more for it. Lower-case: not callable over RPC.
   */
  refuseEvent(eventId: number | undefined): Server.EventReply {
    const eid = eventId ?? this.eventID++;
    this.events.delete(eid);
    this.lastActivity.delete(eid);
    return { EventId: eid, Data: { Method: 'kong.response.exit', Args: [500, { message: 'An unexpected error occurred' }] } };
  }

  /** JS-only RPC method. */
  async GetServerStats(): Promise<ServerStats> {
    const mem = process.memoryUsage();
    return { Pid: process.pid, Events: this.events.size, Instances: this.instances.size, Rss: mem.rss, HeapUsed: mem.heapUsed };
  }

  /** Forgets an event once Kong can no longer send a Step for it; else notes the activity. */
  private settle(reply: Server.EventReply): Server.EventReply {
    const eid = reply.EventId;
    if (reply.Data === RET || TERMINAL_METHODS.has(reply.Data?.Method)) {
      this.events.delete(eid);
      this.lastActivity.delete(eid);
    } else if (this.events.has(eid)) {
      this.lastActivity.set(eid, Date.now());
    }
    return reply;
  }

  private sweep(): void {
    const now = Date.now();
    const eventDeadline = now - this.settings.eventTtlSeconds * 1000;
    let dropped = 0;
    for (const eid of this.events.keys()) {
      const last = this.lastActivity.get(eid);
      // An event still inside HandleEvent has no timestamp yet: its clock starts now.
      if (last === undefined) this.lastActivity.set(eid, now);
      else if (last < eventDeadline) {
        this.events.delete(eid);
        this.lastActivity.delete(eid);
        dropped++;
      }
    }
    for (const eid of this.lastActivity.keys()) if (!this.events.has(eid)) this.lastActivity.delete(eid);
    if (dropped) this.getLogger().warn(`dropped ${dropped} event(s) Kong left unanswered for ${this.settings.eventTtlSeconds} s`);

    for (const [iid, instance] of this.instances) {
      if (!instance.isExpired(this.settings.instanceTtlSeconds)) continue;
      instance.close();
      this.instances.delete(iid);
      this.getLogger().info(`instance #${iid} of ${instance.name} expired after ${this.settings.instanceTtlSeconds} s unused`);
    }
  }
}
