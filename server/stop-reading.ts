// A connection handed to another process (supervisor.ts, worker.ts) must carry every byte Kong wrote
// that no one has answered yet. Node keeps reading a socket into its stream buffer even when the
// stream is paused (pause() only stops the 'data' events), and bytes read into one process are lost
// to the next owner. So reading is stopped on the descriptor itself: what Kong writes from then on
// stays in the kernel's buffer, and the next owner reads it.
import type net from 'node:net';

interface ReadableHandle {
  reading?: boolean;
  readStop?: () => number;
}

/** True when the descriptor no longer reads (false: the socket is gone or cannot be stopped, do not pass it on). */
export function stopReading(socket: net.Socket): boolean {
  socket.pause();
  const handle = (socket as unknown as { _handle?: ReadableHandle | null })._handle;
  if (typeof handle?.readStop !== 'function' || handle.readStop() !== 0) return false;
  // What net.Socket checks before it starts reading again (on resume()).
  handle.reading = false;
  return socket.readableLength === 0;
}
