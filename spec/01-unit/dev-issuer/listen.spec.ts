// dev/listen.ts: an ephemeral listen survives the kernel's transient EADDRINUSE for port 0 (its
// ephemeral range momentarily used up on a busy machine); a fixed port that is taken fails at once.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { listen } from '../../../dev/listen';

/** A server whose first `failures` listens fail with EADDRINUSE, as net.Server reports it. */
function flakyServer(failures: number): net.Server & { attempts: number } {
  const server = Object.assign(new EventEmitter(), {
    attempts: 0,
    listen(_port: number, _host: string, done: () => void) {
      server.attempts++;
      if (server.attempts <= failures) setImmediate(() => server.emit('error', Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1'), { code: 'EADDRINUSE' })));
      else setImmediate(done);
      return server;
    },
    address: () => ({ port: 43210 }) as AddressInfo,
  });
  return server as unknown as net.Server & { attempts: number };
}

describe('listening on an ephemeral port (dev/listen.ts)', () => {
  it('retries port 0 after EADDRINUSE and returns the port it got', async () => {
    const server = flakyServer(2);
    expect(await listen(server, 0, '127.0.0.1')).to.equal(43210);
    expect(server.attempts).to.equal(3);
    expect(server.listenerCount('error')).to.equal(0);
  });

  it('fails at once when a fixed port is taken', async () => {
    const taken = net.createServer();
    const port = await listen(taken, 0, '127.0.0.1');
    try {
      const error = await listen(net.createServer(), port, '127.0.0.1').then(() => null, (e: NodeJS.ErrnoException) => e);
      expect(error?.code).to.equal('EADDRINUSE');
    } finally {
      taken.close();
    }
  });
});
