// Hands one RPC call to the plugin-server process that owns its event and brings back the reply.
// During an upgrade the old worker still runs the events it started, but Kong takes any pooled
// connection for each call (mp_rpc.lua connects per call), so the next Step of such an event often
// reaches the new worker: that worker passes the call, byte for byte, to the old one's private socket.
import net from 'node:net';
import { FrameSplitter } from './msgpack-frames';

/** Sends `frame` (one complete request) to the server on `socketPath`; resolves with its one reply frame. */
export function forwardCall(socketPath: string, frame: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
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
