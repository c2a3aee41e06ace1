/**
 * Streaming a finished Daunce run's attributions, one record per query, block by block.
 *
 * What can stream: the queries the run was given. A Daunce score is the covariance (or
 * correlation) of a training example's loss with a query's loss across the K perturbed
 * models, and `daunce()` keeps each model's losses on the training set and on those queries
 * (the accumulator's loss rows), not the models themselves.
 * What cannot: a new query. Its losses under the K perturbed models are needed, and the run
 * did not keep the models (their parameters are discarded once their losses are recorded), so
 * new queries need a new run (with a checkpoint directory, a rerun only trains what is missing).
 */
import { selectBackend, type BackendName } from '../backend/index.ts';
import { LossCovariance, type Measure } from '../daunce/accumulator.ts';
import type { DaunceResult } from '../daunce/daunce.ts';
import { assertInteger } from '../data/validate.ts';
import { AbortError } from '../errors.ts';
import type { AttributionRecord } from './attribution.ts';

/** Options of `daunceRecords`. */
export interface DaunceStreamOptions {
  /** Examples per query at each end. Default 10. */
  k?: number;
  /** Default: the run's measure. */
  measure?: Measure;
  /** Queries scored per native call (memory: K x (n + block) losses). Default 256. */
  queryBlock?: number;
  /** Ids of the run's queries (default their positions 0..m-1). */
  ids?: readonly unknown[];
  signal?: AbortSignal;
}

/**
 * Yields `{ id, top, bottom }` for every query of a finished Daunce run, in query order.
 * @param result - a finished Daunce run
 * @param options - k, measure, query block size, query ids, AbortSignal
 * @returns an async generator of one record per query
 */
export async function* daunceRecords(
  result: DaunceResult,
  options: DaunceStreamOptions = {},
): AsyncGenerator<AttributionRecord> {
  const k = assertInteger('daunceRecords: k', options.k ?? 10, 1);
  const block = assertInteger('daunceRecords: queryBlock', options.queryBlock ?? 256, 1);
  const measure = options.measure ?? result.measure;
  const acc = result.accumulator;
  const { n, m } = acc;
  if (options.ids !== undefined && options.ids.length !== m)
    throw new RangeError(`daunceRecords: ids has ${options.ids.length} entries, the run has ${m} queries`);
  const backend = await selectBackend(result.backend as BackendName, 'daunceRecords: backend');
  const rows = acc.rows();
  const K = rows.models.length;
  for (let first = 0; first < m; first += block) {
    if (options.signal?.aborted) throw new AbortError('daunceRecords: aborted');
    const mb = Math.min(block, m - first);
    // The same models, in the same order, restricted to this block's query columns: the
    // training moments are identical and each query column's moments are its own.
    const sub = new LossCovariance(n, mb, K);
    for (let r = 0; r < K; r++) {
      sub.add(
        rows.train.subarray(r * n, (r + 1) * n),
        rows.query.slice(r * m + first, r * m + first + mb),
        rows.models[r],
      );
    }
    const top = await sub.topK(k, measure, backend);
    for (let j = 0; j < mb; j++) {
      const at = (t: number) => j * top.k + t;
      yield {
        id: options.ids ? options.ids[first + j] : first + j,
        top: Array.from({ length: top.k }, (_, t) => ({ index: top.topIndex[at(t)]!, score: top.topValue[at(t)]! })),
        bottom: Array.from({ length: top.k }, (_, t) => ({
          index: top.bottomIndex[at(t)]!,
          score: top.bottomValue[at(t)]!,
        })),
      };
    }
  }
}
