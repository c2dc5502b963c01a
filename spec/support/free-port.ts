// For servers that must be told their port before they start (a child process's --metrics port, an
// issuer whose public URL names its port). A port free at the moment of asking can be taken by
// anything before the server binds it, so the start is retried on another port when it lost that
// race. Servers that can listen on port 0 and report their port should do that instead (dev/listen.ts).
import net from 'node:net';
import type { AddressInfo } from 'node:net';

const ATTEMPTS = 10;

/** A loopback port free at the moment of asking; tests use withFreePort (benchmarks take the race). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The error a start throws when its port was taken meanwhile (the server's own EADDRINUSE, or one naming it). */
export function portTaken(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'EADDRINUSE' || /EADDRINUSE/.test(String((err as Error)?.message));
}

/** Runs `start` with a free loopback port, again with another one while it fails because that port was taken. */
export async function withFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (err) {
      if (!portTaken(err) || attempt >= ATTEMPTS) throw err;
    }
  }
}
