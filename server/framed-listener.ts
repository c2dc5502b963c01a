// kong-pdk's Listener with a correct stream decoder. The stock connection handler (method dispatch,
// replies, error strings) is kept as is; it is fed one complete message per 'data' event, cut out of
// the byte stream by FrameSplitter, so split, coalesced and > 64 KiB messages all decode.
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import Listener from 'kong-pdk/listener';
import { FrameSplitter, objectEnd } from './msgpack-frames';

/** The part of a client socket the stock handler uses: 'data' events, write() and its encoder slot. */
interface StockClient extends EventEmitter {
  write(data: Uint8Array): boolean;
}
type StockConnectionHandler = (client: StockClient) => void;

export class FramedListener extends Listener {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  override serve(): net.Server {
    const server = super.serve();
    const [stockHandler] = server.listeners('connection') as StockConnectionHandler[];
    if (!stockHandler) throw new Error('kong-pdk Listener.serve() registered no connection handler');
    server.removeListener('connection', stockHandler);
    server.on('connection', (socket: net.Socket) => this.accept(socket, stockHandler));
    this.server = server;
    return server;
  }

  /** Stops accepting, closes every connection; the socket file is removed when the server closes. */
  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private accept(socket: net.Socket, stockHandler: StockConnectionHandler): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    // A peer that vanishes (Kong worker killed) must not crash the server through an 'error' without listener.
    socket.on('error', (err) => this.logger.debug(`connection error: ${err.message}`));

    const client = new EventEmitter() as StockClient;
    // Replies to calls that finish after the peer left are dropped.
    client.write = (data) => (socket.writable ? socket.write(data) : false);
    stockHandler(client);

    const splitter = new FrameSplitter();
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of splitter.push(chunk)) {
          if (!isRequestShape(frame)) throw new Error('message is not [type, msgid, "method", params]');
          client.emit('data', frame);
        }
      } catch (err) {
        this.logger.error(`closing connection after malformed input: ${(err as Error).message}`);
        socket.destroy();
      }
    });
  }
}

/** A 4-element array whose third element is a string: the stock handler would throw on anything else. */
function isRequestShape(frame: Uint8Array): boolean {
  if (frame[0] !== 0x94) return false;
  const methodAt = objectEnd(frame, objectEnd(frame, 1));
  const marker = frame[methodAt]!;
  return (marker >= 0xa0 && marker <= 0xbf) || marker === 0xd9 || marker === 0xda || marker === 0xdb;
}
