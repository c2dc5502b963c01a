// The metrics of okta-jwt-pluginserver's optional Prometheus endpoint (metrics-address.ts turns it
// on, metrics-server.ts serves it). prom-client's registry holds its default process metrics and
// okta-jwt's own, which the plugin feeds through the sink installed here in its process-wide slot
// (plugin/metrics/sink.ts defines the contract; spec/01-unit/plugin-server/metrics.spec.ts checks
// this side against it).
// Label values come from configuration (route, service and key-set ids) and the plugin's fixed
// codes, and each label set is capped, so no request can grow the series count.
// prom-client: the Prometheus client for Node that Prometheus' own docs list, maintained, with the
// standard process_* / nodejs_* collectors; okta-jwt only adds its own series.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** plugin/metrics/sink.ts METRICS_SINK_SLOT (Symbol.for: the same symbol in every module tree). */
export const METRICS_SINK_SLOT = Symbol.for('okta-jwt.metrics-sink');

/** Distinct route/service pairs and key sets given their own series; later ones are counted as "other". */
export const MAX_SCOPES = 1000;
export const MAX_KEY_SETS = 100;
const OTHER = 'other';

type Scope = { routeId: string | null; serviceId: string | null };

/** Keeps the first `max` distinct values; later ones map to OTHER. */
function boundedValues(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return OTHER;
    seen.add(value);
    return value;
  };
}

/**
 * Counts in a Map on the request path and hands the increments to prom-client when scraped:
 * prom-client hashes the label object on every labelled inc (about 1 µs, more on a loaded host),
 * a Map update costs a small fraction of that. Keys are built from bounded label values only.
 */
class Tally<L extends string> {
  private readonly counts = new Map<string, { labels: Record<L, string>; count: number; reported: number }>();

  add(key: string, labels: () => Record<L, string>): void {
    const entry = this.counts.get(key);
    if (entry !== undefined) entry.count++;
    else this.counts.set(key, { labels: labels(), count: 1, reported: 0 });
  }

  flushInto(counter: Counter<L>): void {
    for (const entry of this.counts.values()) {
      if (entry.count === entry.reported) continue;
      counter.inc(entry.labels, entry.count - entry.reported);
      entry.reported = entry.count;
    }
  }
}

export function createMetricsRegistry() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const decisionTally = new Tally<'decision' | 'status' | 'reason' | 'route' | 'service'>();
  const cacheTally = new Tally<'result'>();
  new Counter({
    name: 'okta_jwt_decisions_total',
    help: 'Requests judged by okta-jwt, by decision (allow, deny, pass, observe = dry-run), refusal status and reason code, route and service id.',
    labelNames: ['decision', 'status', 'reason', 'route', 'service'] as const,
    registers,
    collect() {
      decisionTally.flushInto(this);
    },
  });
  new Counter({
    name: 'okta_jwt_token_cache_lookups_total',
    help: 'Verified-token cache lookups, by result (hit: the signature check was skipped).',
    labelNames: ['result'] as const,
    registers,
    collect() {
      cacheTally.flushInto(this);
    },
  });
  const fetches = new Counter({
    name: 'okta_jwt_key_set_fetches_total',
    help: 'Key-set refreshes (discovery included), by key set (jwks_uri or issuer) and outcome.',
    labelNames: ['key_set', 'outcome'] as const,
    registers,
  });
  const lastSuccess = new Map<string, number>();
  new Gauge({
    name: 'okta_jwt_key_set_age_seconds',
    help: 'Seconds since the key set was last fetched successfully.',
    labelNames: ['key_set'] as const,
    registers,
    collect() {
      const now = Date.now();
      for (const [keySet, at] of lastSuccess) this.set({ key_set: keySet }, (now - at) / 1000);
    },
  });
  const verification = new Histogram({
    name: 'okta_jwt_verification_duration_seconds',
    help: 'Time to verify one access token (a cache hit, or the signature and claim checks), by result.',
    labelNames: ['result'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers,
  });

  const introspection = new Histogram({
    name: 'okta_jwt_introspection_duration_seconds',
    help: 'Calls to an introspection endpoint (answers reused from a cache are not counted), by outcome (active, inactive, error) and duration.',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });

  const scopeLabel = boundedValues(MAX_SCOPES);
  const keySetLabel = boundedValues(MAX_KEY_SETS);
  const sink = {
    decision(kind: string, status: number | null, reason: string | null, scope: Scope): void {
      const route = scope.routeId ?? '';
      const service = scope.serviceId ?? '';
      const bounded = scopeLabel(`${route} ${service}`) === OTHER;
      decisionTally.add(bounded ? `${kind} ${status} ${reason}` : `${kind} ${status} ${reason} ${route} ${service}`, () => ({
        decision: kind, status: status === null ? '' : String(status), reason: reason ?? '', route: bounded ? OTHER : route, service: bounded ? OTHER : service,
      }));
    },
    tokenCache(hit: boolean): void {
      cacheTally.add(hit ? 'hit' : 'miss', () => ({ result: hit ? 'hit' : 'miss' }));
    },
    keySetFetch(keySet: string, outcome: 'success' | 'failure'): void {
      const label = keySetLabel(keySet);
      fetches.inc({ key_set: label, outcome });
      if (outcome === 'success') lastSuccess.set(label, Date.now());
    },
    verification(seconds: number, ok: boolean): void {
      verification.observe({ result: ok ? 'valid' : 'invalid' }, seconds);
    },
    introspection(outcome: 'active' | 'inactive' | 'error', seconds: number): void {
      introspection.observe({ outcome }, seconds);
    },
  };
  return { registry, sink };
}

/** Installs the sink the plugin reports to; from then on every okta-jwt instance in this process feeds the registry. */
export function installMetricsSink(sink: ReturnType<typeof createMetricsRegistry>['sink']): void {
  (globalThis as Record<symbol, unknown>)[METRICS_SINK_SLOT] = sink;
}
