/** The n x m score matrices that the evaluations take from any attribution method. */
import { assertFinite } from '../data/validate.ts';

/** A Float64Array of n * m finite scores (row-major: example i, query q at i * m + q). */
export function checkScores(name: string, scores: unknown, n: number, m: number): Float64Array {
  if (!(scores instanceof Float64Array) || scores.length !== n * m) {
    throw new RangeError(`${name} must be a Float64Array of n * m = ${n} * ${m} = ${n * m} values`);
  }
  // A NaN would silently rank somewhere: every evaluation needs every score.
  assertFinite(name, scores, m);
  return scores;
}

/** The { X, y } of the queries an evaluation scores (checked before anything is read from it). */
export function checkQueries(name: string, queries: unknown): { X: unknown; y: unknown } {
  if (queries === null || typeof queries !== 'object' || !('X' in queries)) {
    throw new TypeError(`${name}: must be { X: Matrix, y }`);
  }
  return queries as { X: unknown; y: unknown };
}
