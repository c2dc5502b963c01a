// The HTTP side of the Prometheus endpoint. It runs on the plugin server's event loop, the loop that
// answers every RPC Kong sends for every request, so nothing a scraper (or anyone who can reach the
// port) does may cost that loop more than a small, fixed amount:
// - a render (prom-client walking every series: milliseconds) happens at most once per
//   RENDER_INTERVAL_MS; scrapes during a render wait for it, later ones in the interval get its bytes;
// - at most MAX_CONNECTIONS connections; the kernel hands over more, Node closes them at once;
// - a client that is slow to send its request (slowloris) or idles on a kept-alive connection is cut off;
// - only GET or HEAD /metrics without a body is served; anything else gets a small fixed answer
//   and the connection is closed without reading what the client sends.
import http from 'node:http';
import type { Registry } from 'prom-client';
import type { MetricsAddress } from './metrics-address';

/**
 * How long one render serves every scrape. Prometheus scrapes every 10–60 s, so bytes up to 1 s old
 * are as fresh as any scraper can tell, and a burst of scrapes (several Prometheus servers, a
 * dashboard polling, a misbehaving client) costs at most one render per second.
 */
export const RENDER_INTERVAL_MS = 1000;
/** Enough for a few Prometheus servers and an operator's curl; a flood is refused before any parsing. */
export const MAX_CONNECTIONS = 8;
/** The whole request head must arrive within this; a scraper sends it in one packet. */
export const HEADERS_TIMEOUT_MS = 5000;
const REQUEST_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5000;
const MAX_REQUESTS_PER_CONNECTION = 100;
/** How often Node looks for connections past the two timeouts above (its default is 30 s). */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/**
 * The rendered text, made at most once per `intervalMs`: every call in the interval gets the same
 * promise, the one of the render in flight included. A failed render is kept for the interval too,
 * so a failing registry cannot be made to render on every scrape.
 */
export function renderEvery(render: () => Promise<string>, intervalMs = RENDER_INTERVAL_MS, now: () => number = Date.now): () => Promise<Buffer> {
  let renderedAt = -Infinity;
  let bytes: Promise<Buffer> | undefined;
  return () => {
    const t = now();
    if (bytes === undefined || t - renderedAt >= intervalMs) {
      renderedAt = t;
      bytes = render().then((text) => Buffer.from(text));
      // Handled by each scrape; this keeps a render nobody waits for from being an unhandled rejection.
      bytes.catch(() => undefined);
    }
    return bytes;
  };
}

/** GET or HEAD /metrics in Prometheus' text format; a bounded, fixed answer to anything else. */
export function serveMetrics(registry: Registry, address: MetricsAddress): http.Server {
  const scrape = renderEvery(() => registry.metrics());
  const server = http.createServer(
    {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    (req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/metrics') return refuse(res, 404, 'not found\n');
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
      if (hasBody(req)) return refuse(res, 400, 'a scrape has no body\n');
      scrape().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType, 'content-length': body.length }).end(req.method === 'HEAD' ? undefined : body),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
      );
    },
  );
  server.maxConnections = MAX_CONNECTIONS;
  server.maxRequestsPerSocket = MAX_REQUESTS_PER_CONNECTION;
  // An open connection that sends nothing at all.
  server.timeout = REQUEST_TIMEOUT_MS;
  // Never what keeps the process alive: the plugin socket is.
  server.listen(address.port, address.host).unref();
  return server;
}

function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** A small fixed answer; then the connection is closed, so whatever else the client sends is never read. */
function refuse(res: http.ServerResponse, status: number, text: string, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'text/plain', 'content-length': text.length, connection: 'close' });
  res.end(text, () => res.socket?.destroy());
}
