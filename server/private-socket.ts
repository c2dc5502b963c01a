// The plugin server's Unix socket is its whole API: whoever can connect can start instances with
// any config and drive events. So it is created readable and writable by its owner and group only
// (Kong's user gets in through the group), from its first instant: the socket file is made by
// bind() with the process umask applied, so a restrictive umask around the (synchronous) bind
// leaves no moment in which another user could connect. A chmod after listen() would.
import type net from 'node:net';

/** Owner and group: read and write (connecting needs write); others nothing. */
export const SOCKET_MODE = 0o660;

/** Starts `server` listening on a new Unix socket at `socketPath`, created with SOCKET_MODE. */
export function listenOwnerAndGroupOnly(server: net.Server, socketPath: string): net.Server {
  const previous = process.umask(0o777 & ~SOCKET_MODE);
  try {
    // For a path, Node binds inside listen() itself; only 'listening' and errors come later.
    server.listen(socketPath);
  } finally {
    process.umask(previous);
  }
  return server;
}
