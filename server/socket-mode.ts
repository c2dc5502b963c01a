// Plugin-server sockets are for Kong only: created owner/group read-write (0660), never world-writable.
// The mode is set at bind time through the umask, so there is no moment where the file is open to all.
import type net from 'node:net';

/** Owner and group read/write; everything else masked at creation. */
const SOCKET_UMASK = 0o117;

/** Listens on a Unix socket path created with mode 0660 (bind happens inside listen(), synchronously). */
export function listenOwnerGroupOnly(server: net.Server, socketPath: string): void {
  const previous = process.umask(SOCKET_UMASK);
  try {
    server.listen(socketPath);
  } finally {
    process.umask(previous);
  }
}
