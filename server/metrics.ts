// The metrics of okta-jwt-pluginserver's optional Prometheus endpoint (metrics-address.ts turns it
// on, metrics-server.ts serves it). prom-client's registry holds its default process metrics and
// okta-jwt's own, which the plugin feeds through the sink installed here in its process-wide slot
// (plugin/metrics/sink.ts defines the contract; spec/01-unit/plugin-server/metrics.spec.ts checks
// this side against it).
// Label values come from configuration (route, service and key-set ids) and the plugin's fixed
// codes, and each label set is capped, so no request can grow the series count. A label with no
// value is left out rather than sent empty. Gauges of the plugin's state (build info, cache sizes)
// are read from the plugin's published stats when scraped, never on the request path.
// prom-client: the Prometheus client for Node that Prometheus' own docs list, maintained, with the
// standard process_* / nodejs_* collectors; okta-jwt only adds its own series.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** plugin/metrics/sink.ts METRICS_SINK_SLOT (Symbol.for: the same symbol in every module tree). */
export const METRICS_SINK_SLOT = Symbol.for('okta-jwt.metrics-sink');
/** plugin/metrics/sink.ts PLUGIN_STATS_SLOT: the plugin's version and cache sizes, read at scrape time. */
export const PLUGIN_STATS_SLOT = Symbol.for('okta-jwt.plugin-stats');

interface PluginStats {
  version: string;
  verifiedTokens(): number;
  dpopProofs(): number;
  /** Absent in a plugin older than the revocation list. */
  revocations?(): number;
}

const pluginStats = (): PluginStats | undefined => (globalThis as { [PLUGIN_STATS_SLOT]?: PluginStats })[PLUGIN_STATS_SLOT];

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
  // Labels without a value are left out, never sent empty: an allow has no status or reason, a
  // global plugin no route or service.
  const decisionTally = new Tally<'decision' | 'status' | 'reason' | 'route' | 'service'>();
  const cacheTally = new Tally<'result'>();
  new Counter({
    name: 'okta_jwt_decisions_total',
    help: 'Requests judged by okta-jwt, by decision (allow, deny, pass, observe = dry-run); refusals by status and reason code; by route and service id where the plugin is scoped to one.',
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
  // A timestamp, not an age: Prometheus computes the age at query time (time() - this), the value
  // never depends on when the render ran, and a key set that stopped refreshing stays visible.
  const lastSuccess = new Gauge({
    name: 'okta_jwt_key_set_last_success_timestamp_seconds',
    help: 'Unix time of the last successful key-set fetch, by key set (jwks_uri or issuer).',
    labelNames: ['key_set'] as const,
    registers,
  });
  new Gauge({
    name: 'okta_jwt_build_info',
    help: 'Always 1; the version label is the okta-jwt code serving requests.',
    labelNames: ['version'] as const,
    registers,
    collect() {
      const version = pluginStats()?.version;
      this.reset();
      if (version !== undefined) this.set({ version }, 1);
    },
  });
  /** A gauge read at scrape time from the plugin's own counts (0 before the plugin is loaded). */
  const countGauge = (name: string, help: string, read: (stats: PluginStats) => number | undefined) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const stats = pluginStats();
        this.set((stats === undefined ? undefined : read(stats)) ?? 0);
      },
    });
  countGauge('okta_jwt_token_cache_entries', 'Entries in the verified-token cache of this process (expired ones not yet dropped included).', (s) => s.verifiedTokens());
  countGauge('okta_jwt_dpop_replay_cache_entries', 'DPoP proofs this process remembers against replay (expired ones not yet dropped included).', (s) => s.dpopProofs());
  countGauge(
    'okta_jwt_revocations',
    'Revoked subjects this process holds (received by its SSF receivers or copied from the shared list; expired ones not yet dropped included).',
    (s) => s.revocations?.(),
  );
  const verification = new Histogram({
    name: 'okta_jwt_verification_duration_seconds',
    help: 'Time to verify one access token (a cache hit, or the signature and claim checks), by result.',
    labelNames: ['result'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers,
  });

  const ssfSets = new Counter({
    name: 'okta_jwt_ssf_sets_total',
    help: 'Security Event Tokens pushed to okta-jwt SSF receivers, by outcome (accepted, unavailable, or the RFC 8935 error they were refused with).',
    labelNames: ['outcome'] as const,
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
      const { routeId, serviceId } = scope;
      const bounded = (routeId !== null || serviceId !== null) && scopeLabel(`${routeId} ${serviceId}`) === OTHER;
      decisionTally.add(bounded ? `${kind} ${status} ${reason}` : `${kind} ${status} ${reason} ${routeId} ${serviceId}`, () => {
        const labels: Partial<Record<'decision' | 'status' | 'reason' | 'route' | 'service', string>> = { decision: kind };
        if (status !== null) labels.status = String(status);
        if (reason !== null) labels.reason = reason;
        if (bounded) labels.route = labels.service = OTHER;
        else {
          if (routeId !== null) labels.route = routeId;
          if (serviceId !== null) labels.service = serviceId;
        }
        return labels as Record<'decision' | 'status' | 'reason' | 'route' | 'service', string>;
      });
    },
    tokenCache(hit: boolean): void {
      cacheTally.add(hit ? 'hit' : 'miss', () => ({ result: hit ? 'hit' : 'miss' }));
    },
    keySetFetch(keySet: string, outcome: 'success' | 'failure'): void {
      const label = keySetLabel(keySet);
      fetches.inc({ key_set: label, outcome });
      if (outcome === 'success') lastSuccess.set({ key_set: label }, Date.now() / 1000);
    },
    verification(seconds: number, ok: boolean): void {
      verification.observe({ result: ok ? 'valid' : 'invalid' }, seconds);
    },
    ssfSet(outcome: string): void {
      ssfSets.inc({ outcome });
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
