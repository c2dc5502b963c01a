// Bytes Node's HTTP client refuses to send (NUL, DEL, raw UTF-8, CR inside a value): written to the
// proxy over a plain socket. Returns the status code and the whole response text.
import net from 'node:net';

/**
 * `halfClose`: end the writing side with the request (what a parse error answered at once needs);
 * false for a request that must reach the plugins (Node's server aborts a request whose client
 * half-closed), which then has to say `Connection: close`.
 */
export function rawRequest(proxyUrl: string, head: Buffer, halfClose = true): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => (halfClose ? socket.end(head) : socket.write(head)));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
    socket.setTimeout(10000, () => socket.destroy(new Error('raw request timed out')));
  });
}

/** GET /echo/case with one extra header line given as raw bytes. */
export function requestWithHeaderBytes(proxyUrl: string, headerLine: Buffer): Promise<{ status: number; text: string }> {
  const { host } = new URL(proxyUrl);
  return rawRequest(
    proxyUrl,
    Buffer.concat([Buffer.from(`GET /echo/case HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n`), headerLine, Buffer.from('\r\n\r\n')]),
  );
}
