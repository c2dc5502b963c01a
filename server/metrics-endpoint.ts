// Turns the metrics on for a serving okta-jwt-pluginserver: the plugin's sink first (requests are
// counted from the first one), then the listener. A listener that cannot bind is logged and the
// server keeps serving without metrics: token verification must not depend on a metrics port.
import { createMetricsRegistry, installMetricsSink } from './metrics';
import { serveMetrics } from './metrics-server';
import type { MetricsAddress } from './metrics-address';

interface Logger {
  info(msg: string): void;
  error(msg: string): void;
}

export function startMetrics(address: MetricsAddress, logger: Logger): void {
  const { registry, sink } = createMetricsRegistry();
  installMetricsSink(sink);
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  serveMetrics(registry, address)
    .on('listening', () => logger.info(`metrics on http://${host}:${address.port}/metrics`))
    .on('error', (err) => logger.error(`metrics endpoint ${host}:${address.port} unavailable (${err.message}); serving without it`));
}
