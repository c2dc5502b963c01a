// Bytes Node's HTTP client refuses to send (NUL, DEL, raw UTF-8, CR inside a value): written to the
// proxy over a plain socket. Returns the status code and the whole response text.
import net from 'node:net';

export function rawRequest(proxyUrl: string, head: Buffer): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.end(head));
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
