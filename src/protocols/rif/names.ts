/** Names shared by the RIF protocol's runner, summary and report (kept apart so they do not import each other). */

/** The metrics the protocol measures on every removal set. */
export const BENCHMARK_METRICS = ['test-prediction', 'test-loss', 'self-loss'] as const;
/** One of {@link BENCHMARK_METRICS}. */
export type BenchmarkMetric = (typeof BENCHMARK_METRICS)[number];
/** The estimates compared with the exact retrain. */
export const ESTIMATES = ['if', 'rif', 'ns'] as const;
/** One of {@link ESTIMATES}. */
export type Estimate = (typeof ESTIMATES)[number];

/** An effect as the protocol records it: the change of the metric itself and its first-order part. */
export interface RecordedEffect {
  nonlinear: number;
  linear: number;
}

/** What the summary reads of a record: its metric, the actual effect and each estimate's. */
export type EstimateRecord = { metric: BenchmarkMetric } & Record<'actual' | Estimate, RecordedEffect>;
