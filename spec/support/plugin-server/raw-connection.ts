// A raw Unix-socket connection to a plugin server that writes exactly the bytes a test chooses
// (split or coalesced messages) and collects the decoded replies, whatever their order.
import net from 'node:net';
import { decode, encode } from '@msgpack/msgpack';
import { FrameSplitter } from '../../../server/msgpack-frames';

export type Reply = [type: number, msgid: number, error: string | null, result: unknown];

export function request(msgid: number, method: string, param: unknown): Uint8Array {
  return encode([0, msgid, method, [param]]);
}

export class RawConnection {
  private readonly replies = new Map<number, Reply>();
  private readonly waiters = new Map<number, (r: Reply) => void>();
  private readonly splitter = new FrameSplitter();
  private closedWith?: Error;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.splitter.push(chunk)) {
        const reply = decode(frame) as Reply;
        const waiter = this.waiters.get(reply[1]);
        if (waiter) {
          this.waiters.delete(reply[1]);
          waiter(reply);
        } else this.replies.set(reply[1], reply);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closedWith = new Error('connection closed by the plugin server');
      for (const w of this.waiters.values()) w([1, -1, this.closedWith.message, null]);
      this.waiters.clear();
    });
  }

  static open(socketPath: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(socketPath);
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Writes `bytes`; resolves once the kernel took them. */
  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  /** The reply with this msgid; a closed connection yields a reply whose msgid is -1. Times out after `ms`. */
  reply(msgid: number, ms = 5000): Promise<Reply> {
    const ready = this.replies.get(msgid);
    if (ready) {
      this.replies.delete(msgid);
      return Promise.resolve(ready);
    }
    if (this.closedWith) return Promise.resolve([1, -1, this.closedWith.message, null]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(msgid);
        reject(new Error(`no reply to msgid ${msgid} within ${ms} ms`));
      }, ms);
      this.waiters.set(msgid, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
