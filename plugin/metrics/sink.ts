// What the plugin reports for metrics, through a sink that okta-jwt-pluginserver installs when its
// Prometheus endpoint is on (server/metrics.ts). The plugin never depends on the server: the sink
// sits in a process-wide slot on globalThis (the server and the plugin are separate module trees,
// and kong-pdk's stock server never fills it). Without a sink every report is one property read
// and an optional call that is skipped, arguments included.
import type { ReasonCode } from '../vocabulary/decision';

export type DecisionKind = 'allow' | 'deny' | 'pass' | 'observe';

/**
 * Where Kong applied the plugin instance (its config scope): label values, ids only. Kong's plugin
 * config carries route_id/service_id, not names; a name would take an Admin API or PDK call, which
 * the plugin server does not make (and a rename would split a series).
 */
export interface MetricsScope {
  routeId: string | null;
  serviceId: string | null;
}

export interface MetricsSink {
  /** One per request: what the plugin did; status and reason for a refusal (observe: the one it would have sent). */
  decision(kind: DecisionKind, status: number | null, reason: ReasonCode | null, scope: MetricsScope): void;
  /** One per verified-token cache lookup. */
  tokenCache(hit: boolean): void;
  /** One per key-set refresh (discovery included); `keySet` is the jwks_uri or issuer it is fetched for. */
  keySetFetch(keySet: string, outcome: 'success' | 'failure'): void;
  /** Time to verify one token (signature, or a cache hit, and the claim checks). */
  verification(seconds: number, valid: boolean): void;
  /** One per SET pushed to an SSF receiver: accepted, unavailable (503), or the RFC 8935 error it was refused with. */
  ssfSet(outcome: string): void;
  /** One per call to an introspection endpoint (answers reused from a cache are not calls): its outcome and duration. */
  introspection(outcome: 'active' | 'inactive' | 'error', seconds: number): void;
}

/**
 * What the plugin publishes once, at load, for the server to read when it is scraped (never per
 * request): the version of the code serving requests, and the sizes of its process-wide caches.
 */
export interface PluginStats {
  version: string;
  /** Verified-token cache entries (expired ones not yet dropped included). */
  verifiedTokens(): number;
  /** DPoP proofs remembered against replay. */
  dpopProofs(): number;
  /** Revoked subjects held (plugin/revocation/revocation-list.ts). */
  revocations(): number;
}

export const PLUGIN_STATS_SLOT = Symbol.for('okta-jwt.plugin-stats');

/** The slot's key: Symbol.for, so every copy of this module (and the server) names the same one. */
export const METRICS_SINK_SLOT = Symbol.for('okta-jwt.metrics-sink');

export function metricsSink(): MetricsSink | undefined {
  return (globalThis as { [METRICS_SINK_SLOT]?: MetricsSink })[METRICS_SINK_SLOT];
}

/** Runs one verification, timing it only when a sink is installed. */
export async function timedVerification<T extends { ok: boolean }>(verify: () => Promise<T>): Promise<T> {
  const sink = metricsSink();
  if (sink === undefined) return verify();
  const started = performance.now();
  const result = await verify();
  sink.verification((performance.now() - started) / 1000, result.ok);
  return result;
}
