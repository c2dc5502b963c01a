// Listening on 127.0.0.1 (or another host) for the local stack and the Kong double. Port 0 lets the
// kernel choose a free port at bind time: nothing can take it between choosing and binding, unlike
// probing for a free port first and binding later. The kernel still answers EADDRINUSE to port 0
// when its ephemeral range is momentarily used up (a loaded machine whose loopback connections sit
// in TIME_WAIT); that passes, so an ephemeral listen is retried for a while before it fails.
import type net from 'node:net';
import type { AddressInfo } from 'node:net';

const EPHEMERAL_ATTEMPTS = 40;
const RETRY_DELAY_MS = 250;

function listenOnce(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => reject(err);
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
}

/** Listens on `host:port` (0: a port the kernel picks) and returns the bound port. */
export async function listen(server: net.Server, port: number, host: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      await listenOnce(server, port, host);
      return (server.address() as AddressInfo).port;
    } catch (err) {
      const transient = port === 0 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < EPHEMERAL_ATTEMPTS;
      if (!transient) throw err;
      await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
    }
  }
}
