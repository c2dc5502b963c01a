// An upstream that answers every request with what it received, as JSON:
// {method, url, headers, rawHeaders, body}. It records requests so tests can assert that a
// refused request never reached the upstream, in process or over HTTP from another machine
// (the compose stack): GET /__echo/requests lists them, DELETE /__echo/requests forgets them.
// These two control calls are not recorded.
import http from 'node:http';
import { listen } from './listen';

export interface EchoUpstream {
  url: string;
  port: number;
  /** Requests received since start (or since the last reset). */
  count(): number;
  /** The requests received, oldest first. */
  received(): EchoRecord[];
  reset(): void;
  close(): Promise<void>;
}

export interface EchoRecord {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

export const CONTROL_PATH = '/__echo/requests';

export async function startEchoUpstream(port = 0, host = '127.0.0.1'): Promise<EchoUpstream> {
  let records: EchoRecord[] = [];
  // Accept as many header bytes as nginx passes on (4 × 8 KB), not Node's default 16 KB.
  const server = http.createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
    if (req.url === CONTROL_PATH) {
      if (req.method === 'DELETE') records = [];
      const body = JSON.stringify(req.method === 'DELETE' ? [] : records);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const record: EchoRecord = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      records.push(record);
      const body = JSON.stringify(record);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 5000;
  const actualPort = await listen(server, port, host);
  return {
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    count: () => records.length,
    received: () => records.slice(),
    reset: () => {
      records = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (require.main === module) {
  const port = Number(process.env.PORT ?? 8080);
  const host = process.env.HOST ?? '0.0.0.0';
  startEchoUpstream(port, host).then((u) => console.log(`echo upstream listening on ${host}:${u.port}`));
}
