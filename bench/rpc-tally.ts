// What the double's RPC stream says about each request, per plugin server: the round trips (Kong →
// plugin-server frames: one plugin.HandleEvent per event, one plugin.Step* per PDK call answered)
// the bytes on the socket in each direction (what Kong's Lua side encodes and decodes: the double
// cannot time Lua, and these predict it), and how long each event took as Kong's side sees it (HandleEvent sent → the reply saying "ret":
// the plugin's access phase without the HTTP front, the upstream or other plugins).
// Two modes:
//   'record' — the double's own recorder stores every frame (as tests use it); read at take();
//   'count'  — the recorder's record() is replaced so frames are tallied as they pass and nothing is
//              stored, keeping the recording cost (copies, an ever-growing list, GC) out of the pass.
import { performance } from 'node:perf_hooks';
import type { KongDouble, RpcFrame } from '../spec/kong-double';

export interface RoundTrips {
  events: number;
  /** Step frames: each answers one PDK call. */
  pdkCalls: number;
  /** Any other Kong → plugin-server call (StartInstance, …). */
  other: number;
  /** Bytes on the socket, Kong → plugin server and back: HandleEvent and Step frames and their replies. */
  bytesToServer: number;
  bytesFromServer: number;
}

export interface ServerTally extends RoundTrips {
  /** Duration of every event that ended in "ret", milliseconds. */
  eventMs: number[];
}

export type RecordingMode = 'record' | 'count';

type Recordable = Omit<RpcFrame, 'seq' | 't'>;

interface PendingRequest {
  method: string;
  t: number;
  /** For Step requests: the event they continue. */
  eventId?: number;
}

/** Follows one plugin server's frames; replies are matched to requests by connection and msgid. */
class ServerStream implements ServerTally {
  events = 0;
  pdkCalls = 0;
  other = 0;
  bytesToServer = 0;
  bytesFromServer = 0;
  readonly eventMs: number[] = [];
  private readonly requests = new Map<string, PendingRequest>();
  private readonly started = new Map<number, number>();

  observe(f: Recordable, t: number): void {
    const key = `${f.conn}:${f.msgid}`;
    // Per-request bytes: events and PDK calls, not instance management (StartInstance after an idle
    // instance expired) or notifications, which would smear one-off frames over a short pass.
    const perRequest = (f.method === 'plugin.HandleEvent' || f.method.startsWith('plugin.Step')) && f.frame[0] !== 2;
    if (f.dir === 'kong->ps') {
      if (perRequest) this.bytesToServer += f.raw.length;
      if (f.method === 'plugin.HandleEvent') this.events++;
      else if (f.method.startsWith('plugin.Step')) this.pdkCalls++;
      else this.other++;
      const param = (f.frame[3] as Array<{ EventId?: number }> | undefined)?.[0];
      this.requests.set(key, { method: f.method, t, eventId: f.method === 'plugin.HandleEvent' ? undefined : param?.EventId });
      return;
    }
    if (perRequest) this.bytesFromServer += f.raw.length;
    if (f.frame[0] !== 1) return; // a notification
    const request = this.requests.get(key);
    if (request === undefined) return;
    this.requests.delete(key);
    const reply = (f.frame[3] ?? {}) as { Data?: unknown; EventId?: number };
    const eventId = request.eventId ?? reply.EventId;
    if (eventId === undefined) return;
    if (request.method === 'plugin.HandleEvent') this.started.set(eventId, request.t);
    if (reply.Data === 'ret') {
      const t0 = this.started.get(eventId);
      this.started.delete(eventId);
      if (t0 !== undefined) this.eventMs.push(t - t0);
    }
  }
}

export class RpcTally {
  private streams = new Map<string, ServerStream>();
  private readonly recorder: KongDouble['rpcLog'];

  constructor(double: KongDouble) {
    this.recorder = double.rpcLog;
  }

  setMode(mode: RecordingMode): void {
    this.recorder.reset();
    // Deleting the own property uncovers the recorder's own record() again.
    if (mode === 'record') delete (this.recorder as { record?: unknown }).record;
    else this.recorder.record = (frame: Recordable) => this.observe(frame, performance.now());
  }

  /** The tally per server since the last take(); then starts anew. */
  take(): Map<string, ServerTally> {
    for (const frame of this.recorder.frames) this.observe(frame, frame.t);
    this.recorder.reset();
    const out: Map<string, ServerTally> = this.streams;
    this.streams = new Map();
    return out;
  }

  private observe(frame: Recordable, t: number): void {
    let stream = this.streams.get(frame.server);
    if (stream === undefined) this.streams.set(frame.server, (stream = new ServerStream()));
    stream.observe(frame, t);
  }
}
