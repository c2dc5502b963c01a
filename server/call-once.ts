// One RPC call on a fresh connection to a plugin-server socket: the request frame out, the first
// reply frame back. Used by `--health`, and by a worker passing a call, byte for byte, to the worker
// that owns its event or that replaced it (framed-listener.ts).
import net from 'node:net';
import { FrameSplitter } from './msgpack-frames';

/** Sends `frame` (one complete request) to the server on `socketPath`; resolves with its one reply frame. */
export function callOnce(socketPath: string, frame: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    const splitter = new FrameSplitter();
    const done = (err: Error | null, reply?: Uint8Array) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => done(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => socket.write(frame));
    socket.on('error', (err) => done(err));
    socket.on('close', () => done(new Error('connection closed without an answer')));
    socket.on('data', (chunk: Buffer) => {
      try {
        const [reply] = splitter.push(chunk);
        if (reply !== undefined) done(null, reply);
      } catch (err) {
        done(err as Error);
      }
    });
  });
}
