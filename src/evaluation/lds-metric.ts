/**
 * The linear datamodeling score as a pure function: scores and a ground truth in, numbers out
 * (docs/methods.md, section 5). Drawing the subsets and retraining on them is `groundTruth` in
 * `lds.ts`; this file does no I/O and trains nothing.
 */
import { NumericError } from '../errors.ts';
import { checkScores } from './scores.ts';
import { spearman } from './stats.ts';

/** Retrained outputs: the subsets and the actual query targets after retraining on each. */
export interface GroundTruth {
  /** M subsets (sorted training indices). */
  subsets: Uint32Array[];
  /** M x m actual targets, row-major. */
  outputs: Float64Array;
  m: number;
  /** Retrains run now (0 on a cache hit). */
  retrained: number;
}

/** The LDS over the queries. */
export interface LdsResult {
  mean: number;
  standardError: number;
  /** LDS per query (NaN where a query's actual output did not vary). */
  perQuery: Float64Array;
  retrained: number;
}

/**
 * LDS of removal-effect scores (n x m row-major: tau(i, q), the predicted change of the
 * query's target when i is removed) against a ground truth.
 * @param truth - the subsets and retrained outputs
 * @param scores - n x m removal-effect scores, row-major
 * @param n - number of training examples
 * @returns the mean LDS, its standard error and the per-query values
 */
export function ldsFromScores(truth: GroundTruth, scores: Float64Array, n: number): LdsResult {
  const { m, subsets, outputs } = truth;
  checkScores('lds: scores', scores, n, m);
  const perQuery = new Float64Array(m);
  const predicted = new Float64Array(subsets.length);
  const actual = new Float64Array(subsets.length);
  for (let q = 0; q < m; q++) {
    subsets.forEach((S, j) => {
      let s = 0;
      for (const i of S) s += scores[i * m + q]!;
      predicted[j] = -s;
      actual[j] = outputs[j * m + q]!;
    });
    perQuery[q] = spearman(actual, predicted);
  }
  const valid = Array.from(perQuery).filter(Number.isFinite);
  if (valid.length === 0) {
    throw new NumericError(
      "lds: no query has a defined rank correlation (every query's actual or predicted output is constant over the subsets)",
    );
  }
  const mean = valid.reduce((a, b) => a + b, 0) / valid.length;
  const sd = Math.sqrt(valid.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, valid.length - 1));
  return { mean, standardError: sd / Math.sqrt(valid.length), perQuery, retrained: truth.retrained };
}
