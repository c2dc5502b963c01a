// Turns the metrics on for a serving okta-jwt-pluginserver: the plugin's sink first (requests are
// counted from the first one), then the listener. A listener that cannot bind is logged and the
// server keeps serving without metrics: token verification must not depend on a metrics port.
import type http from 'node:http';
import { createMetricsRegistry, installMetricsSink } from './metrics';
import { serveMetrics } from './metrics-server';
import type { MetricsAddress } from './metrics-address';

interface Logger {
  info(msg: string): void;
  error(msg: string): void;
}

/**
 * `waitForPortMs`: a worker taking over from one that is still draining retries a port in use for
 * that long (the old worker closes its endpoint when it starts draining).
 */
export function startMetrics(address: MetricsAddress, logger: Logger, waitForPortMs = 0): http.Server {
  const { registry, sink } = createMetricsRegistry();
  installMetricsSink(sink);
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const deadline = Date.now() + waitForPortMs;
  const server = serveMetrics(registry, address);
  server
    .on('listening', () => logger.info(`metrics on http://${host}:${address.port}/metrics`))
    .on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' && Date.now() < deadline) return void setTimeout(() => server.listen(address.port, address.host), 100).unref();
      logger.error(`metrics endpoint ${host}:${address.port} unavailable (${err.message}); serving without it`);
    });
  return server;
}
