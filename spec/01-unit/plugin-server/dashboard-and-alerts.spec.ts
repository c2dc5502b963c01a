// The shipped Grafana dashboard (deploy/grafana/) and Prometheus alert rules (deploy/prometheus/)
// query only series okta-jwt-pluginserver exports: the names come from a scrape of the server's
// real registry over HTTP (its `# TYPE` lines, histograms with their _bucket/_sum/_count series),
// never from a list kept by hand, so renaming a metric breaks this test, not an operator's screen.
import { expect } from 'chai';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parse } from 'yaml';
import { createMetricsRegistry } from '../../../server/metrics';
import { serveMetrics } from '../../../server/metrics-server';
import { get } from '../../support/http-client';
import { repoRoot } from '../../support/repo-paths';

const ROOT = repoRoot();
const DASHBOARD = path.join(ROOT, 'deploy', 'grafana', 'okta-jwt-dashboard.json');
const ALERTS = path.join(ROOT, 'deploy', 'prometheus', 'okta-jwt-alerts.yml');

/** PromQL words that are not series names. */
const PROMQL = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'time', 'histogram_quantile', 'abs', 'clamp_min', 'clamp_max',
  'avg_over_time', 'max_over_time', 'min_over_time', 'sum_over_time', 'absent', 'absent_over_time', 'label_replace', 'vector', 'scalar', 'changes', 'resets',
]);

/** The series names an expression reads: label matchers, ranges, grouping lists and strings removed first. */
function seriesNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  return [...new Set(bare.match(/[A-Za-z_:][A-Za-z0-9_:]*/g) ?? [])].filter((w) => !PROMQL.has(w) && !/^\d/.test(w));
}

/** Every series name a scrape of the registry can hold, from its `# TYPE` lines. */
function exported(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

describe('the shipped dashboard and alert rules', () => {
  let names: Set<string>;
  before(async () => {
    const { registry } = createMetricsRegistry();
    const server = serveMetrics(registry, { host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const res = await get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
      expect(res.status).to.equal(200);
      names = exported(res.text);
    } finally {
      server.close();
    }
  });

  it('reads series names out of PromQL, not functions, labels or ranges', () => {
    expect(seriesNames('histogram_quantile(0.99, sum by (le) (rate(a_bucket{job=~"$job", x="y{z}"}[$__rate_interval])))')).to.deep.equal(['a_bucket']);
    expect(seriesNames('(time() - b_seconds) > 2 * 3600 and on (job, instance) sum by (job) (rate(c_total[10m])) > 0')).to.deep.equal(['b_seconds', 'c_total']);
  });

  it('every dashboard panel queries only exported series, and the dashboard shows what an operator needs', () => {
    const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const used = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        for (const name of seriesNames(expr)) {
          expect(names.has(name), `${panel.title}: ${name} in ${expr}`).to.equal(true);
          used.add(name);
        }
      }
    }
    for (const name of ['okta_jwt_decisions_total', 'okta_jwt_token_cache_lookups_total', 'okta_jwt_key_set_last_success_timestamp_seconds',
      'okta_jwt_key_set_fetches_total', 'okta_jwt_verification_duration_seconds_bucket', 'process_resident_memory_bytes', 'okta_jwt_build_info']) {
      expect(used.has(name), name).to.equal(true);
    }
  });

  it('every alert rule queries only exported series; the three alerts are there', () => {
    const rules = (parse(fs.readFileSync(ALERTS, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string; for?: string }> }> }).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).to.deep.equal(['OktaJwtKeySetStale', 'OktaJwtKeySetNoSuccessfulFetch', 'OktaJwtRefusalRatioHigh']);
    for (const rule of rules) {
      const used = seriesNames(rule.expr);
      expect(used, rule.alert).to.not.be.empty;
      for (const name of used) expect(names.has(name), `${rule.alert}: ${name}`).to.equal(true);
    }
  });
});
