// What the double saw: every MessagePack-RPC frame on the plugin-server sockets and the lines the
// double writes to its Kong-style "error.log". Tests read and reset these.

export type FrameDirection = 'kong->ps' | 'ps->kong';

export interface RpcFrame {
  /** Global order of frames across all connections. */
  seq: number;
  /** Milliseconds since the double started (monotonic, fractional). */
  t: number;
  dir: FrameDirection;
  /** Plugin-server name. */
  server: string;
  /** Simulated nginx worker (0-based). */
  worker: number;
  /** Connection number, unique per double. */
  conn: number;
  msgid: number;
  /** RPC method of the request (for replies: of the request they answer). */
  method: string;
  /** The decoded frame exactly as msgpack-decoded ([0,id,method,params] or [1,id,err,result]). */
  frame: unknown[];
  /** The exact bytes on the wire. */
  raw: Uint8Array;
}

export type LogLevel = 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'crit' | 'alert' | 'emerg';

export interface LogLine {
  t: number;
  level: LogLevel;
  message: string;
}

/** Frames kept by default: far more than one test or one benchmark pass (2,500 requests) sends. */
export const MAX_RECORDED_FRAMES = 50000;

export class RpcRecorder {
  readonly frames: RpcFrame[] = [];
  private seq = 0;
  /** Set to false for long runs (benchmark, local gateway) so frames are not recorded at all. */
  enabled = true;
  /** Only the newest `maxFrames` are kept (older ones are dropped in batches), so memory stays bounded. */
  constructor(private readonly clock: () => number, private readonly maxFrames = MAX_RECORDED_FRAMES) {}

  record(frame: Omit<RpcFrame, 'seq' | 't'>): void {
    if (!this.enabled) return;
    this.frames.push({ ...frame, seq: ++this.seq, t: this.clock() });
    // Dropping a tenth at a time keeps the cost of the shift amortised.
    if (this.frames.length > this.maxFrames) this.frames.splice(0, this.frames.length - this.maxFrames + Math.ceil(this.maxFrames / 10));
  }

  reset(): void {
    this.frames.length = 0;
  }
}

export class ErrorLog {
  readonly lines: LogLine[] = [];
  private readonly followers: Array<(line: LogLine) => void> = [];
  constructor(private readonly clock: () => number) {}

  log(level: LogLevel, message: string): void {
    const line = { t: this.clock(), level, message };
    this.lines.push(line);
    for (const follower of this.followers) follower(line);
  }

  /** Calls `fn` with every line logged from now on, like `tail -f error.log` (npm start prints them). */
  follow(fn: (line: LogLine) => void): void {
    this.followers.push(fn);
  }

  /** The lines as Kong would print them: `[level] message`. */
  text(): string {
    return this.lines.map((l) => `[${l.level}] ${l.message}`).join('\n');
  }

  reset(): void {
    this.lines.length = 0;
  }
}
