// The plugin server's socket side, replacing kong-pdk's Listener, which decodes each socket read on
// its own (a message split at the wrong byte or two messages in one read kill the process) with a
// decoder that throws on a map key named __proto__ (a client header of that name made the server
// drop Kong's get_headers reply, and Kong proxies a request whose plugin server does not answer).
// Here FrameSplitter cuts whole messages out of the byte stream, decodeMessage turns each into plain
// data, and calls are dispatched as the stock listener does (same replies, same error strings), to
// the methods Kong calls only (SERVED_RPC_METHODS). The socket is created owner-and-group only.
// Kong refuses a request only when the plugin asks it to: an RPC error or a closed connection make
// it log and proxy (kong/runloop/plugin_servers/rpc/mp_rpc.lua). So a message that cannot be fully
// decoded is never answered with either while it belongs to a request: see answerUndecodable.
import fs from 'node:fs';
import net from 'node:net';
import type Server from 'kong-pdk/server';
import { FrameSplitter } from './msgpack-frames';
import { decodeMessage } from './msgpack-decode';
import { kongPdkMsgpack } from './kong-pdk-msgpack';
import { printable, type HardenedServer } from './hardened-server';
import { callOnce } from './call-once';
import { listenOwnerAndGroupOnly } from './private-socket';
import { stopReading } from './stop-reading';

type RpcMethod = (...args: unknown[]) => unknown;
type Reply = (msgid: number, error: string | undefined, result?: unknown) => void;
type Encoder = InstanceType<typeof kongPdkMsgpack.Encoder>;
/**
 * Passes an idle connection, unread, to the process that serves Kong's new connections; `passed`
 * says whether its descriptor reached that process (then this process closes its copy).
 */
export type HandBack = (socket: net.Socket, passed: (ok: boolean) => void) => void;

/** A call as Kong sends it: [0, msgid, "plugin.<Method>", [args…]]. */
interface RpcCall {
  msgid: number;
  method: string;
  args: unknown;
}

interface Connection {
  /** Calls received and not yet answered (Kong sends one at a time). */
  pending: number;
  /** The event of the last reply sent: Kong's next call is often its Step, on this same pooled connection. */
  lastEvent?: number;
  readonly splitter: FrameSplitter;
  /** Being handed back: reading stopped, its descriptor on its way to the supervisor. */
  leaving: boolean;
  /** Dispatching the calls of one read: those after the current one are read but not yet pending. */
  dispatching: boolean;
}

/** Bound on a call passed to the process that owns its event (Kong's own read timeout is 60 s). */
const FORWARD_TIMEOUT_MS = 30_000;

export class FramedListener {
  private server?: net.Server;
  private readonly sockets = new Map<net.Socket, Connection>();
  private readonly logger: Server.Logger;
  private draining = false;
  /**
   * The private socket of the process this one replaced, while it finishes its events: a Step for
   * an event this process does not know is passed there.
   */
  predecessor?: string;
  /**
   * While draining: the private socket of the process that replaced this one. Every call on Kong's
   * connections except a Step of this process's own events is passed there, so new requests and
   * instances live in the new process only (answering "no plugin instance" here instead would send
   * Kong back and forth between the two while its pool holds connections to both).
   */
  private successor?: string;
  /** While draining under a supervisor: where idle connections go instead of being closed. */
  private handBack?: HandBack;

  /** `debug`: the log level is debug, so each call is logged (the line is not even built otherwise). */
  constructor(private readonly ps: HardenedServer, private readonly debug = false) {
    this.logger = ps.getLogger();
  }

  /** Listens on `socketPath` (a stale file there is replaced). */
  serve(socketPath: string): net.Server {
    try {
      fs.unlinkSync(socketPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const server = listenOwnerAndGroupOnly(net.createServer((socket) => this.accept(socket)), socketPath);
    this.logger.info('server started at', socketPath);
    this.server = server;
    return server;
  }

  /** Serves a connection accepted by another process (the supervisor), as if accepted here. */
  adopt(socket: net.Socket): void {
    // One sent here just before this process began draining: unread, it goes straight back.
    this.release(socket, this.accept(socket));
  }

  /** Stops accepting, closes every connection; the socket file is removed when the server closes. */
  close(): Promise<void> {
    for (const s of this.sockets.keys()) s.destroy();
    const server = this.server;
    return server ? new Promise((resolve) => server.close(() => resolve())) : Promise.resolve();
  }

  /**
   * Stops accepting. From now on a connection leaves this process as soon as it has no call to
   * answer, no partial call read and no open event (Kong's next call on it is often that event's
   * Step): with `handBack` (under a supervisor) it is passed, unread, to the process that replaced
   * this one, so Kong never sees it close; a call Kong writes meanwhile waits in the kernel for the
   * new owner. Without it (stopping) it is closed with the reply that leaves it idle: the close goes
   * out with the reply, so Kong most often sees it before pooling the connection again. An idle
   * connection is then left alone: closing it could race a call Kong is sending on it.
   */
  drain(successor?: string, handBack?: HandBack): void {
    this.draining = true;
    this.successor = successor;
    this.handBack = handBack;
    this.server?.close();
    this.releaseIdle();
  }

  /** Hands back every connection that has become idle (its event may have ended on another connection). */
  releaseIdle(): void {
    for (const [socket, conn] of this.sockets) this.release(socket, conn);
  }

  /** Connections still open (a draining worker waits for Kong to use and release each). */
  get connectionCount(): number {
    return this.sockets.size;
  }

  private done(conn: Connection): boolean {
    return conn.pending === 0 && (conn.lastEvent === undefined || !this.ps.hasEvent(conn.lastEvent));
  }

  /** Passes the connection back if it is idle, nothing of it read or being written. */
  private release(socket: net.Socket, conn: Connection): void {
    const handBack = this.handBack;
    if (handBack === undefined || conn.leaving || conn.dispatching || !this.done(conn) || conn.splitter.buffered > 0) return;
    if (socket.destroyed || !socket.readable || socket.writableLength > 0) return;
    conn.leaving = true;
    if (!stopReading(socket)) return void this.stay(socket, conn);
    handBack(socket, (ok) => {
      if (ok) return void socket.destroy(); // only this process's copy: no shutdown reaches Kong
      // The supervisor is gone: serve it here until it is idle again, then close it with a reply.
      this.handBack = undefined;
      this.stay(socket, conn);
    });
  }

  private stay(socket: net.Socket, conn: Connection): void {
    conn.leaving = false;
    socket.resume();
  }

  private accept(socket: net.Socket): Connection {
    const conn: Connection = { pending: 0, splitter: new FrameSplitter(), leaving: false, dispatching: false };
    this.sockets.set(socket, conn);
    socket.on('close', () => this.sockets.delete(socket));
    // A peer that vanishes (Kong worker killed) must not crash the server through an 'error' without listener.
    socket.on('error', (err) => this.logger.debug(`connection error: ${err.message}`));
    // One encoder per connection, as the stock listener: encode() copies out of its reused buffer.
    const encoder = new kongPdkMsgpack.Encoder();
    // Replies to calls that finish after the peer left are dropped.
    const send = (bytes: Uint8Array, eventId?: number) => {
      conn.pending--;
      conn.lastEvent = eventId;
      if (!socket.writable) return;
      socket.write(bytes);
      if (!this.draining || !this.done(conn)) return;
      // Passed on in the same turn as the reply is handed to the kernel, before Kong's next call is read.
      if (this.handBack !== undefined) return this.release(socket, conn);
      // Closed in the same turn: the close reaches Kong with the reply, and OpenResty checks for it
      // before it pools the connection again.
      if (socket.writableLength === 0) socket.destroy();
      else socket.end();
    };
    const reply: Reply = (msgid, error, result) => send(encodeReply(encoder, msgid, error, result, this.logger), eventOfReply(result));

    socket.on('data', (chunk: Buffer) => {
      // A call answered at once (an undecodable one) must not hand the connection back while calls
      // read with it wait in this loop: they would be answered on a descriptor this process gave away.
      conn.dispatching = true;
      try {
        for (const frame of conn.splitter.push(chunk)) {
          const { value, problem } = decodeMessage(frame);
          const call = asCall(value);
          if (this.debug) this.logger.debug(`rpc: #${call.msgid} method: ${call.method} args: <${frame.length} bytes hidden>`);
          conn.pending++;
          if (problem !== undefined) this.answerUndecodable(call, problem, reply);
          // Draining: the successor first, it runs every event begun since (and asks its own predecessor,
          // this process, about older ones); this process's predecessor may be long gone.
          else if (this.successor !== undefined && !this.ownEvent(call)) this.forward(this.successor, call, frame, send, reply);
          else if (this.ownedElsewhere(call)) this.forward(this.predecessor!, call, frame, send, reply);
          else this.dispatch(call, reply);
        }
      } catch (err) {
        // Only bytes Kong never writes get here (no MessagePack, or not a call): the stream cannot be trusted.
        this.logger.error(`closing connection after malformed input: ${(err as Error).message}`);
        socket.destroy();
      } finally {
        conn.dispatching = false;
      }
      if (this.draining) this.release(socket, conn);
    });
    return conn;
  }

  private dispatch(call: RpcCall, reply: Reply): void {
    const { msgid, method, args } = call;
    const [ns, name] = method.split('.');
    if (ns !== 'plugin') return reply(msgid, `RPC for ${ns} is not supported`);
    const fn = rpcMethod(this.ps, name);
    if (fn === undefined || !Array.isArray(args)) {
      const err = fn === undefined ? `method ${name} not implemented: this server answers only the calls Kong makes` : `${name}: params must be an array`;
      this.logger.error(`rpc: #${msgid} ${err}`);
      return reply(msgid, err);
    }
    const failed = (err: unknown) => {
      this.logger.error(`rpc: # ${msgid} ${printable(err)}`);
      reply(msgid, errorText(err));
    };
    let result: unknown;
    try {
      result = fn.apply(this.ps, args);
    } catch (err) {
      return failed(err);
    }
    Promise.resolve(result).then((value) => reply(msgid, undefined, value), failed);
  }

  /** A Step of an event this process does not know, while the process it replaced may still run it. */
  private ownedElsewhere(call: RpcCall): boolean {
    if (this.predecessor === undefined || !call.method.startsWith('plugin.Step')) return false;
    const eventId = eventIdOf(call);
    return eventId !== undefined && !this.ps.hasEvent(eventId);
  }

  /** A Step of an event alive in this process. */
  private ownEvent(call: RpcCall): boolean {
    const eventId = call.method.startsWith('plugin.Step') ? eventIdOf(call) : undefined;
    return eventId !== undefined && this.ps.hasEvent(eventId);
  }

  /**
   * Relays the other process's reply as is. If it cannot answer, a request's call is refused (never
   * left to Kong, which would proxy), any other call gets an error.
   */
  private forward(to: string, call: RpcCall, frame: Uint8Array, send: (bytes: Uint8Array) => void, reply: Reply): void {
    callOnce(to, frame, FORWARD_TIMEOUT_MS).then(send, (err: Error) => {
      this.logger.warn(`rpc: #${call.msgid} ${call.method}: the other worker did not answer (${err.message})`);
      if (call.method === 'plugin.HandleEvent' || call.method.startsWith('plugin.Step')) reply(call.msgid, undefined, this.ps.refuseEvent(eventIdOf(call)));
      else reply(call.msgid, `the other worker did not answer: ${err.message}`);
    });
  }

  /**
   * A call with a part that could not be decoded. If it belongs to a request (HandleEvent, Step*),
   * Kong is running that request's access phase and waits for the next PDK call: it gets
   * kong.response.exit(500), so the request is refused, and the event is dropped. Any other call
   * gets an error reply (a failed StartInstance is a 500 in Kong too).
   */
  private answerUndecodable(call: RpcCall, problem: string, reply: Reply): void {
    this.logger.error(`rpc: #${call.msgid} ${call.method}: ${problem}; the request is refused`);
    const name = call.method.startsWith('plugin.') ? call.method.slice('plugin.'.length) : '';
    if (name !== 'HandleEvent' && !name.startsWith('Step')) return reply(call.msgid, `${call.method}: ${problem}`);
    reply(call.msgid, undefined, this.ps.refuseEvent(name === 'HandleEvent' ? undefined : eventIdOf(call)));
  }
}

/** The EventId a HandleEvent or Step reply carries. */
function eventOfReply(result: unknown): number | undefined {
  const eventId = result !== null && typeof result === 'object' ? (result as { EventId?: unknown }).EventId : undefined;
  return typeof eventId === 'number' ? eventId : undefined;
}

/** The EventId of a Step call, if it has a numeric one. */
function eventIdOf(call: RpcCall): number | undefined {
  const param: unknown = Array.isArray(call.args) ? call.args[0] : undefined;
  const eventId = param !== null && typeof param === 'object' ? (param as { EventId?: unknown }).EventId : undefined;
  return typeof eventId === 'number' ? eventId : undefined;
}

function asCall(value: unknown): RpcCall {
  if (!Array.isArray(value) || value.length !== 4 || typeof value[1] !== 'number') throw new Error('message is not [type, msgid, method, params]');
  const [, msgid, method, args] = value as [unknown, number, unknown, unknown];
  if (typeof method === 'string' && method.startsWith('plugin.') && SERVED_RPC_METHODS.has(method.slice('plugin.'.length))) return { msgid, method, args };
  // Kong names the Step after a PDK result's `_method` field when it has one (mp_rpc.lua
  // get_step_method), and request data can put one there: a client header or query argument
  // `_method` makes get_headers/get_query results carry it, as a table (sent as an array). Kong
  // still sends the result as a Step's params; dropping the connection or answering an error would
  // make Kong proxy the request unjudged.
  if (Array.isArray(args) && args.length === 1 && typeof (args[0] as { EventId?: unknown } | null)?.EventId === 'number') {
    return { msgid, method: 'plugin.Step', args };
  }
  if (typeof method !== 'string') throw new Error('message is not [type, msgid, "method", params]');
  return { msgid, method, args };
}

/**
 * The RPC methods served. Kong calls only these (mp_rpc.lua, the same list from 2.8 through 3.9):
 * it learns plugin info from the query command, never over the socket. Served besides:
 * GetPluginInfo (--health's probe; the schema is public) and GetServerStats (ours: counts and
 * memory). kong-pdk's server has more: SetPluginDir loads and runs code from any directory,
 * InstanceStatus and GetStatus hand out instances' configs; Kong needs none, so none is served.
 */
export const SERVED_RPC_METHODS: ReadonlySet<string> = new Set([
  'StartInstance', 'CloseInstance', 'HandleEvent',
  'Step', 'StepError', 'StepMultiMap', 'StepCredential', 'StepConsumer', 'StepMemoryStats', 'StepRoute', 'StepService',
  'GetPluginInfo', 'GetServerStats',
]);

function rpcMethod(ps: HardenedServer, name: string | undefined): RpcMethod | undefined {
  if (name === undefined || !SERVED_RPC_METHODS.has(name)) return undefined;
  return (ps as unknown as Record<string, RpcMethod>)[name];
}

/** A result the encoder refuses (a plugin passed e.g. a BigInt to the PDK) becomes an error reply, as in the stock listener. */
function encodeReply(encoder: Encoder, msgid: number, error: string | undefined, result: unknown, logger: Server.Logger): Uint8Array {
  try {
    return encoder.encode([1, msgid, error, result]);
  } catch (err) {
    logger.error(`rpc: # ${msgid} cannot encode the reply: ${errorText(err)}`);
    return encoder.encode([1, msgid, `cannot encode the reply: ${errorText(err)}`, undefined]);
  }
}

/** The stock listener's error text: a string as is, else the message. */
function errorText(err: unknown): string {
  if (typeof err === 'string') return err;
  if (err instanceof Error) return err.message;
  return printable(err);
}
