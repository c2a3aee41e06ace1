/** `tdakit/protocols/rif`: the IF-vs-RIF removal protocol (the RIF paper's experiments). */
export {
  benchmarkRemoval,
  defaultSizes,
  splitIndices,
  BENCHMARK_METRICS,
  BENCHMARK_MODELS,
  ESTIMATES,
} from './removal.ts';
export type {
  RemovalBenchmarkOptions,
  RemovalBenchmarkResult,
  RemovalRecord,
  BenchmarkMetric,
  BenchmarkModel,
  Estimate,
} from './removal.ts';
export { STRATEGIES, removalSet } from './strategies.ts';
export type { Strategy } from './strategies.ts';
export { summarize } from './summary.ts';
export type { SummaryRow } from './summary.ts';
export { sweep, poisoningCheck } from './variations.ts';
export { writeReport } from '../../reports/rif.ts';
