// kong-pdk's plugin Server with bounded state. The stock server deletes an event only when a Step
// answers "ret"; an event whose handler ended with kong.response.exit/error (Kong never sends a Step
// after those), answered "ret" straight from HandleEvent, or was abandoned by Kong (a Lua-side PDK
// error, a timed-out socket) stays in its map forever. Its idle-instance sweep is also unusable (the
// stock bin cancels it; it polls every `ttl` milliseconds). Events run on our own exchange and `kong`
// object (pdk-bridge.ts: the same PDK calls in the same order, at less cost per request). The
// config in StartInstance and CloseInstance replies has its secrets redacted (secret-fields.ts):
// Kong keeps that copy but never reads it. RPC behaviour is otherwise unchanged.
import Server from 'kong-pdk/server';
import type { Instance } from 'kong-pdk/lib/mod';
import { EventExchange, eventPdk, TERMINAL_METHODS } from './pdk-bridge';
import type { ServerSettings } from './settings';
import { withEntityChecks } from './plugin-info';
import { firstIdOfThisProcess } from './unique-ids';
import { withoutSecrets } from './secret-fields';

const RET = 'ret';

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
    this.countIdsFrom(firstIdOfThisProcess());
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

  /** The stock plugin info, plus the config record's entity checks (plugin-info.ts). */
  override async GetPluginInfo(name: string): Promise<Server.PluginInfo> {
    return withEntityChecks(await super.GetPluginInfo(name), this.getPlugins().get(name));
  }

  override async StartInstance(cfg: { Name: string; Config: string }): Promise<Server.InstanceStatus> {
    return this.redacted(await super.StartInstance(cfg));
  }

  override async CloseInstance(iid: number): Promise<Server.InstanceStatus> {
    return this.redacted(await super.CloseInstance(iid));
  }

  private redacted(status: Server.InstanceStatus): Server.InstanceStatus {
    return { ...status, Config: withoutSecrets(this.getPlugins().get(status.Name)?.getSchema(), status.Config) };
  }

  /**
   * Starts the phase handler (on the next turn, as the stock server, so a busy handler cannot starve
   * socket reads) and answers with its first PDK call, or "ret".
   */
  override async HandleEvent(event: { InstanceId: number; EventName: string }): Promise<Server.EventReply> {
    const iid = event.InstanceId;
    const instance = this.instances.get(iid);
    // Kong restarts the instance when the error starts with "no plugin instance".
    if (instance === undefined) throw new this.Error(`no plugin instance #${iid}`);
    instance.resetExpireTs();
    const eid = this.eventID++;
    const exchange = new EventExchange();
    this.events.set(eid, exchange);
    setImmediate(() => void this.runHandler(instance, event.EventName, iid, exchange));
    const first = await exchange.fromHandler.take();
    instance.resetExpireTs();
    return this.settle({ Data: first, EventId: eid });
  }

  /** Hands Kong's answer to the handler and answers with the handler's next PDK call, or "ret". */
  protected override async step(data: { EventId: number; Data?: unknown }, isError: boolean): Promise<Server.EventReply> {
    const eid = data.EventId;
    const exchange = this.events.get(eid) as EventExchange | undefined;
    // Only an event of a process that died or was replaced can be unknown here (Kong sends no Step
    // after "ret" or exit): the request is refused, not left to Kong, which would proxy it.
    if (exchange === undefined) return this.refuseEvent(eid);
    this.lastActivity.set(eid, Date.now());
    exchange.toHandler.put(isError ? [undefined, data.Data] : [data.Data, undefined]);
    return this.settle({ Data: await exchange.fromHandler.take(), EventId: eid });
  }

  private async runHandler(instance: Instance, phase: string, iid: number, exchange: EventExchange): Promise<void> {
    try {
      await instance.executePhase(phase, eventPdk(exchange));
    } catch (err) {
      this.getLogger().warn(`unhandled exception in ${instance.name}.${phase} on instance #${iid}: ${printable(err)}`);
    } finally {
      exchange.fromHandler.put(RET);
    }
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

  /**
   * Kong keeps the ids it got from a server that died or was replaced: a successor must never answer
   * them with another configuration's instance or another request's event (unique-ids.ts). A standby
   * calls this again when it starts serving. Lower-case: not callable over RPC.
   */
  countIdsFrom(first: number): void {
    this.instanceID = this.eventID = first;
  }

  /** Whether the event is alive in this process (lower-case: not callable over RPC). */
  hasEvent(eventId: number): boolean {
    return this.events.has(eventId);
  }

  /** Events alive in this process: a draining worker exits when none is left. */
  get eventCount(): number {
    return this.events.size;
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

/** Any thrown value as text: a symbol or a prototype-less object must not make the error path throw. */
export function printable(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
