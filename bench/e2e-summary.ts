// Medians over repetitions and per-repetition ratios against the reference case (a).
import type { PassResult } from './e2e-bench';
import { median } from './stats';

export type Metric =
  | 'requestsPerSecond' | 'p50Us' | 'p99Us' | 'serverCpuUsPerRequest' | 'doubleCpuUsPerRequest' | 'rpcsPerRequest' | 'pdkCallsPerRequest'
  | 'phaseP50Us' | 'phaseP99Us' | 'bytesToServerPerRequest' | 'bytesFromServerPerRequest';

export const METRICS: readonly Metric[] = [
  'requestsPerSecond', 'p50Us', 'p99Us', 'serverCpuUsPerRequest', 'doubleCpuUsPerRequest', 'rpcsPerRequest', 'pdkCallsPerRequest', 'phaseP50Us', 'phaseP99Us',
  'bytesToServerPerRequest', 'bytesFromServerPerRequest',
];

export type CaseSummary = Record<Metric, number> & { errors: number; repetitions: number };

/** Median of each metric over the passes of each case label. */
export function summarise(passes: readonly PassResult[]): Record<string, CaseSummary> {
  const out: Record<string, CaseSummary> = {};
  for (const label of new Set(passes.map((p) => p.case))) {
    const mine = passes.filter((p) => p.case === label);
    const entry = { errors: mine.reduce((n, p) => n + p.errors, 0), repetitions: mine.length } as CaseSummary;
    for (const m of METRICS) entry[m] = median(mine.map((p) => p[m]));
    out[label] = entry;
  }
  return out;
}

/**
 * metric(case) ÷ metric(reference), computed within each repetition (passes that ran side by side),
 * then the median over repetitions. `passes` holds one pass per case per repetition, in order.
 */
export function ratioToReference(passes: readonly PassResult[], label: string, reference: string, metric: Metric): number {
  const mine = passes.filter((p) => p.case === label);
  const refs = passes.filter((p) => p.case === reference);
  const n = Math.min(mine.length, refs.length);
  return median(Array.from({ length: n }, (_, i) => mine[i]![metric] / refs[i]![metric]));
}
