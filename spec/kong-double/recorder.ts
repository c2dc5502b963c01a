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

export class RpcRecorder {
  readonly frames: RpcFrame[] = [];
  private seq = 0;
  /** Set to false for long runs (benchmark, local gateway) so frames do not accumulate. */
  enabled = true;
  constructor(private readonly clock: () => number) {}

  record(frame: Omit<RpcFrame, 'seq' | 't'>): void {
    if (!this.enabled) return;
    this.frames.push({ ...frame, seq: ++this.seq, t: this.clock() });
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
