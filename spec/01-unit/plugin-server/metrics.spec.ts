// okta-jwt-pluginserver's metrics: where the endpoint listens (--metrics / OKTA_JWT_METRICS_ADDR),
// the server's sink against the plugin's contract, and the bound on label values.
import { expect } from 'chai';
import type { MetricsSink } from '../../../plugin/metrics/sink';
import { METRICS_SINK_SLOT as PLUGIN_SLOT, metricsSink } from '../../../plugin/metrics/sink';
import { takeMetricsAddress } from '../../../server/metrics-address';
import { MAX_SCOPES, METRICS_SINK_SLOT, PLUGIN_STATS_SLOT, createMetricsRegistry, installMetricsSink } from '../../../server/metrics';
import { PLUGIN_STATS_SLOT as PLUGIN_SIDE_STATS_SLOT } from '../../../plugin/metrics/sink';

describe('okta-jwt-pluginserver metrics', () => {
  describe('the listen address', () => {
    const take = (argv: string[], env: Record<string, string> = {}) => {
      const rest = [...argv];
      return { address: takeMetricsAddress(rest, env), rest };
    };

    it('is off unless the flag or OKTA_JWT_METRICS_ADDR gives one', () => {
      expect(take(['-d', 'x']).address).to.equal(null);
      expect(take([], { OKTA_JWT_METRICS_ADDR: '' }).address).to.equal(null);
    });

    it('binds a bare port to 127.0.0.1 and keeps an explicit host', () => {
      expect(take(['--metrics', '9542']).address).to.deep.equal({ host: '127.0.0.1', port: 9542 });
      expect(take(['--metrics=0.0.0.0:9542']).address).to.deep.equal({ host: '0.0.0.0', port: 9542 });
      expect(take(['--metrics', '[::1]:9542']).address).to.deep.equal({ host: '::1', port: 9542 });
      expect(take([], { OKTA_JWT_METRICS_ADDR: '9100' }).address).to.deep.equal({ host: '127.0.0.1', port: 9100 });
    });

    it('takes the flag out of argv for kong-pdk\'s parser, and the flag wins over the environment', () => {
      const { address, rest } = take(['-p', '/tmp', '--metrics', 'localhost:9000', '-d', 'dir'], { OKTA_JWT_METRICS_ADDR: '9100' });
      expect(address).to.deep.equal({ host: 'localhost', port: 9000 });
      expect(rest).to.deep.equal(['-p', '/tmp', '-d', 'dir']);
    });

    for (const [argv, env, message] of [
      [['--metrics'], {}, /--metrics needs an address/],
      [['--metrics', '-d'], {}, /--metrics needs an address/],
      [['--metrics', '70000'], {}, /--metrics must be host:port or a port \(1-65535\).*"70000"/],
      [['--metrics', 'http://x:1'], {}, /--metrics must be host:port/],
      [[], { OKTA_JWT_METRICS_ADDR: 'host:' }, /OKTA_JWT_METRICS_ADDR must be host:port/],
    ] as Array<[string[], Record<string, string>, RegExp]>) {
      it(`refuses ${JSON.stringify(argv)} ${JSON.stringify(env)} naming the setting`, () => {
        expect(() => take(argv, env)).to.throw(message);
      });
    }
  });

  describe('the sink', () => {
    afterEach(() => delete (globalThis as Record<symbol, unknown>)[METRICS_SINK_SLOT]);

    it('is the plugin\'s contract, installed in the slot the plugin reads (none: the plugin reports nothing)', () => {
      expect(METRICS_SINK_SLOT).to.equal(PLUGIN_SLOT);
      expect(PLUGIN_STATS_SLOT).to.equal(PLUGIN_SIDE_STATS_SLOT);
      expect(metricsSink()).to.equal(undefined);
      const { sink } = createMetricsRegistry();
      const typed: MetricsSink = sink; // compile-time: the server's sink satisfies the plugin's interface
      installMetricsSink(sink);
      expect(metricsSink()).to.equal(typed);
    });

    it('counts introspection calls by outcome, with their duration', async () => {
      const { registry, sink } = createMetricsRegistry();
      sink.introspection('active', 0.02);
      sink.introspection('active', 0.03);
      sink.introspection('error', 2);
      const values = (await registry.getSingleMetric('okta_jwt_introspection_duration_seconds')!.get()).values;
      const count = (outcome: string) => values.find((v) => (v as { metricName?: string }).metricName === 'okta_jwt_introspection_duration_seconds_count' && v.labels.outcome === outcome)?.value;
      expect([count('active'), count('error')]).to.deep.equal([2, 1]);
    });

    it(`gives at most ${MAX_SCOPES} route/service pairs their own series; the rest count as "other"`, async () => {
      const { registry, sink } = createMetricsRegistry();
      for (let i = 0; i < MAX_SCOPES + 5; i++) sink.decision('deny', 401, 'token_missing', { routeId: `r${i}`, serviceId: null });
      sink.decision('deny', 401, 'token_missing', { routeId: 'r0', serviceId: null });
      const values = (await registry.getSingleMetric('okta_jwt_decisions_total')!.get()).values;
      expect(values).to.have.length(MAX_SCOPES + 1);
      expect(values.find((v) => v.labels.route === 'other')?.value).to.equal(5);
      expect(values.find((v) => v.labels.route === 'r0')?.value).to.equal(2);
    });

    it('counts SETs pushed to SSF receivers by outcome', async () => {
      const { registry, sink } = createMetricsRegistry();
      for (const outcome of ['accepted', 'accepted', 'invalid_key', 'unavailable']) sink.ssfSet(outcome);
      const values = (await registry.getSingleMetric('okta_jwt_ssf_sets_total')!.get()).values;
      expect(Object.fromEntries(values.map((v) => [v.labels.outcome, v.value]))).to.deep.equal({ accepted: 2, invalid_key: 1, unavailable: 1 });
    });

    it('leaves out labels without a value: an allow has no status or reason, a global plugin no route or service', async () => {
      const { registry, sink } = createMetricsRegistry();
      sink.decision('allow', null, null, { routeId: null, serviceId: null });
      sink.decision('deny', 401, 'token_missing', { routeId: 'r1', serviceId: null });
      const text = await registry.getSingleMetricAsString('okta_jwt_decisions_total');
      expect(text.split('\n').filter((l) => l.startsWith('okta_jwt_decisions_total'))).to.deep.equal([
        'okta_jwt_decisions_total{decision="allow"} 1',
        'okta_jwt_decisions_total{decision="deny",status="401",reason="token_missing",route="r1"} 1',
      ]);
    });

    it('reads the plugin\'s version and cache sizes from the stats it publishes, when scraped', async () => {
      const { registry } = createMetricsRegistry();
      let reads = 0;
      (globalThis as Record<symbol, unknown>)[PLUGIN_STATS_SLOT] = { version: '9.8.7', verifiedTokens: () => ++reads, dpopProofs: () => 4, revocations: () => 7 };
      try {
        expect(reads).to.equal(0);
        const text = await registry.metrics();
        expect(text).to.include('okta_jwt_build_info{version="9.8.7"} 1').and.include('okta_jwt_token_cache_entries 1').and.include('okta_jwt_dpop_replay_cache_entries 4')
          .and.include('okta_jwt_revocations 7');
      } finally {
        delete (globalThis as Record<symbol, unknown>)[PLUGIN_STATS_SLOT];
      }
    });
  });
});
