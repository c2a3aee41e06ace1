/** Agreement of each estimate with the actual effect, per metric (the benchmark's table). */
import { medianRelativeError, pearson, slopeThroughOrigin, spearman } from '../../evaluation/stats.ts';
import type { BenchmarkMetric, Estimate, EstimateRecord } from './names.ts';

/** One row of the protocol's table: how one estimate agrees with the actual effect on one metric. */
export interface SummaryRow {
  metric: BenchmarkMetric;
  method: Estimate;
  effect: 'nonlinear' | 'linear';
  count: number;
  pearson: number;
  spearman: number;
  slope: number;
  medianRelativeError: number;
}

/**
 * Pearson, Spearman, slope through the origin and median relative error of every estimate against
 * the actual nonlinear effect, per metric.
 * @param records - the protocol's records
 * @returns one row per metric, estimate and effect (nonlinear, linear)
 */
export function summarize(records: readonly EstimateRecord[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const metrics = [...new Set(records.map((r) => r.metric))];
  for (const metric of metrics) {
    const rs = records.filter((r) => r.metric === metric);
    for (const effect of ['nonlinear', 'linear'] as const) {
      const actual = rs.map((r) => r.actual.nonlinear);
      for (const method of ['if', 'rif', 'ns'] as const) {
        const pred = rs.map((r) => r[method][effect]);
        rows.push({
          metric,
          method,
          effect,
          count: rs.length,
          pearson: pearson(actual, pred),
          spearman: spearman(actual, pred),
          slope: slopeThroughOrigin(actual, pred),
          medianRelativeError: medianRelativeError(actual, pred),
        });
      }
    }
  }
  return rows;
}
