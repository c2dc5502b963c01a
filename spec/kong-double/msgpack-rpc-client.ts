// Kong's side of MessagePack-RPC (mp_rpc.lua): one client per (plugin server, simulated nginx worker).
// Each call takes an idle pooled connection (or opens one), sends the whole request in ONE write,
// reads until one complete reply (skipping [2,…] notifications), checks type and msgid, then returns
// the connection to the keep-alive pool. Never more than one request per connection at a time.
// The pool is OpenResty's cosocket pool: per socket path, not per event (the HandleEvent and Steps of
// one event may each take a different connection), last returned first taken, and a connection the
// peer closed while it sat idle is dropped, never handed out (after a rename over the path, old and
// new processes' connections share the pool until the old ones close).
import net from 'node:net';
import { decode } from '@msgpack/msgpack';
import { encodeKong } from './kong-msgpack';
import { frameLength } from './msgpack-frames';
import type { RpcRecorder } from './recorder';

/** A transport-level failure (connect error, closed socket, timeout) – not an error reply. */
export class RpcTransportError extends Error {}
/** The plugin server answered [1, id, "<error>", nil]. */
export class RpcErrorReply extends Error {}

export interface RpcClientOptions {
  server: string;
  worker: number;
  socketPath: string;
  recorder: RpcRecorder;
  /** Read timeout per call (OpenResty default 60 s). */
  readTimeoutMs: number;
  nextConnId: () => number;
}

interface PooledConn {
  id: number;
  socket: net.Socket;
  buffer: Buffer;
  closed: boolean;
  /** Set while a call waits for its reply. */
  onData?: () => void;
}

export class RpcClient {
  private msgid = 0;
  private readonly idle: PooledConn[] = [];
  private readonly all = new Set<PooledConn>();
  /** Socket bytes both ways since the client was made (the bench's per-request figures). */
  readonly bytes = { toServer: 0, fromServer: 0 };

  constructor(private readonly opts: RpcClientOptions) {}

  async call(method: string, param: unknown): Promise<unknown> {
    const conn = this.takeIdle() ?? (await this.connect());
    const msgid = ++this.msgid;
    const raw = encodeKong([0, msgid, method, [param]]);
    this.opts.recorder.record({ ...this.tag(conn), dir: 'kong->ps', msgid, method, frame: [0, msgid, method, [param]], raw });
    try {
      if (conn.closed) throw new RpcTransportError('closed');
      conn.socket.write(raw);
      this.bytes.toServer += raw.length;
      const reply = await this.readReply(conn, msgid, method);
      this.release(conn);
      return reply;
    } catch (err) {
      this.discard(conn);
      throw err;
    }
  }

  /**
   * setkeepalive: OpenResty pools the connection unless the peer has closed it (it peeks at the
   * socket). A close sent with the reply is only seen here once the event loop has read past the
   * reply, so the connection joins the pool after that turn, if the peer has not closed it.
   */
  private release(conn: PooledConn): void {
    setImmediate(() => {
      if (conn.closed) this.discard(conn);
      else this.idle.push(conn);
    });
  }

  /** The last connection returned to the pool that the peer has not closed. */
  private takeIdle(): PooledConn | undefined {
    for (let conn = this.idle.pop(); conn !== undefined; conn = this.idle.pop()) {
      if (!conn.closed) return conn;
      this.discard(conn);
    }
    return undefined;
  }

  /** Closes every pooled connection (used on shutdown and when the server goes away). */
  closeAll(): void {
    for (const c of [...this.all]) this.discard(c);
  }

  private tag(conn: PooledConn) {
    return { server: this.opts.server, worker: this.opts.worker, conn: conn.id };
  }

  private connect(): Promise<PooledConn> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.opts.socketPath);
      const conn: PooledConn = { id: this.opts.nextConnId(), socket, buffer: Buffer.alloc(0), closed: false };
      socket.once('connect', () => {
        socket.removeListener('error', onConnectError);
        socket.on('error', () => undefined);
        this.all.add(conn);
        resolve(conn);
      });
      const onConnectError = (e: NodeJS.ErrnoException) => {
        const text = e.code === 'ENOENT' ? 'no such file or directory' : e.code === 'ECONNREFUSED' ? 'connection refused' : e.message;
        reject(new RpcTransportError(text));
      };
      socket.once('error', onConnectError);
      socket.on('data', (chunk: Buffer) => {
        this.bytes.fromServer += chunk.length;
        conn.buffer = conn.buffer.length ? Buffer.concat([conn.buffer, chunk]) : chunk;
        conn.onData?.();
      });
      // The peer closed its side: OpenResty drops such a connection from the pool.
      socket.on('end', () => {
        conn.closed = true;
        conn.onData?.();
        if (this.idle.includes(conn)) this.discard(conn);
      });
      socket.on('close', () => {
        conn.closed = true;
        conn.onData?.();
        this.forget(conn);
      });
    });
  }

  private readReply(conn: PooledConn, msgid: number, method: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const finish = (fn: () => void) => {
        conn.onData = undefined;
        conn.socket.setTimeout(0);
        conn.socket.removeListener('timeout', onTimeout);
        fn();
      };
      const onTimeout = () => finish(() => reject(new RpcTransportError('timeout')));
      conn.socket.setTimeout(this.opts.readTimeoutMs);
      conn.socket.once('timeout', onTimeout);
      conn.onData = () => {
        for (;;) {
          let len: number;
          try {
            len = frameLength(conn.buffer);
          } catch (e) {
            return finish(() => reject(new RpcTransportError(String((e as Error).message))));
          }
          if (len < 0) {
            if (conn.closed) finish(() => reject(new RpcTransportError('no data')));
            return;
          }
          const raw = conn.buffer.subarray(0, len);
          conn.buffer = conn.buffer.subarray(len);
          const frame = decode(raw) as unknown[];
          this.opts.recorder.record({ ...this.tag(conn), dir: 'ps->kong', msgid: Number(frame[1]), method, frame, raw: Uint8Array.from(raw) });
          if (frame[0] === 2) continue; // notification: Kong handles serverPid, ignores the rest
          if (frame[0] !== 1 || frame[1] !== msgid) {
            return finish(() => reject(new RpcTransportError('unexpected RPC response ID from Go plugin server')));
          }
          const err = frame[2];
          return finish(() => (err != null ? reject(new RpcErrorReply(String(err))) : resolve(frame[3])));
        }
      };
      if (conn.buffer.length || conn.closed) conn.onData();
    });
  }

  private discard(conn: PooledConn): void {
    conn.closed = true;
    conn.socket.destroy();
    this.forget(conn);
  }

  private forget(conn: PooledConn): void {
    this.all.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }
}
