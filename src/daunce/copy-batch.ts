/**
 * What the batched perturbed trainers (glm-perturbable.ts, softmax-perturbable.ts) share: the
 * copies' rows, weights and first-order coefficients laid out as the native batch reads them,
 * and the PerturbableModel members over a batch call that returns every copy's parameters and
 * losses (each copy's losses kept by its parameter vector, its handle).
 */
import type { CopiesBatchProblem, Design } from '../backend/types.ts';
import type { Perturbation } from './perturbation.ts';
import type { PerturbableModel } from './runner.ts';

/** The copies' rows, weights (gamma / |D|) and coefficients, copy after copy. */
export interface CopyBatchInputs {
  /** Rows per copy. */
  sizes: Uint32Array;
  /** Row indices of every copy, in its subset's order. */
  rows: Uint32Array;
  /** Loss weight of each of those rows. */
  weights: Float64Array;
  /** `perRow` first-order coefficients per row (row-major), when a filler is given. */
  coef?: Float64Array;
}

/** The first-order coefficients of each row of a copy (white-box access). */
export interface CoefficientFiller {
  /** Coefficients per row (1 for a binary GLM, C - 1 for softmax regression). */
  perRow: number;
  /**
   * Writes the coefficients of training row `i` at out[at * perRow ..].
   * @param i - the row's index in the training set
   * @param xi - the copy's draw for the row
   * @param size - the copy's rows |D^k|
   * @param out - the coefficients of the batch
   * @param at - the row's position in the batch
   */
  fill(i: number, xi: number, size: number, out: Float64Array, at: number): void;
}

/**
 * Lays out the copies' rows, each with weight gamma / |D^k|, and (with `coefficients`) their
 * first-order coefficients.
 * @param perturbations - the copies' subsets and draws
 * @param gamma - the loss-difference scale of the objective
 * @param coefficients - fills each row's coefficients (white-box access); none for black-box
 * @returns sizes, rows, weights and coef as the native batch reads them
 */
export function copyBatchInputs(
  perturbations: readonly Perturbation[],
  gamma: number,
  coefficients?: CoefficientFiller,
): CopyBatchInputs {
  const total = perturbations.reduce((s, p) => s + p.subset.length, 0);
  const rows = new Uint32Array(total),
    weights = new Float64Array(total);
  const coef = coefficients ? new Float64Array(total * coefficients.perRow) : undefined;
  let at = 0;
  for (const p of perturbations) {
    const size = p.subset.length;
    p.subset.forEach((i, j) => {
      rows[at] = i;
      weights[at] = gamma / size;
      if (coef) coefficients!.fill(i, p.xi[j]!, size, coef, at);
      at++;
    });
  }
  const sizes = Uint32Array.from(perturbations, (p) => p.subset.length);
  return coef ? { sizes, rows, weights, coef } : { sizes, rows, weights };
}

/**
 * The queries and the pool's settings of a native batch call: every copy's losses on the queries
 * come back with it, and its solver is preconditioned by the reference factorisation.
 * @param queries - the queries' design (the training design's columns and intercept)
 * @param queryLabels - the queries' labels
 * @param referenceWeight - weight of every example in the reference curvature
 * @param threads - worker threads of the pool
 * @param fit - the model's Newton tolerance and iteration limit
 * @returns the fields of the batch problem that both batch calls share
 */
export function batchQueriesAndPool(
  queries: Design,
  queryLabels: Float64Array,
  referenceWeight: number,
  threads: number,
  fit: { tol: number; maxIter: number },
): Pick<
  CopiesBatchProblem,
  'qx' | 'qn' | 'qd' | 'qintercept' | 'queryLabels' | 'referenceWeight' | 'threads' | 'tol' | 'maxIter'
> & { precondition: true } {
  return {
    qx: queries.x,
    qn: queries.n,
    qd: queries.d,
    qintercept: queries.intercept,
    queryLabels,
    referenceWeight,
    precondition: true,
    threads,
    tol: fit.tol,
    maxIter: fit.maxIter,
  };
}

/** Hands the reference factorisation of a trainer's first batch call to its later calls. */
export interface ReferenceCache {
  /** The field to add to a batch call: the factor once a call has returned it. */
  given(): { referenceFactor?: Float64Array };
  /**
   * Keeps the factor that a call returned (the first one returned).
   * @param result - the batch call's result
   * @returns the same result
   */
  keep<R extends { referenceFactor: Float64Array }>(result: R): R;
}

/**
 * A cache for one trainer (one model, objective and reference weight): every batch call of
 * Daunce would otherwise rebuild the same full-data Hessian and its factor, about 5% of the
 * time of a 32-copy batch of 1,000 x 180 copies, serial before the pool starts. The factor is
 * bit for bit the one the call would build, so copies are the same whether it is given or not.
 * @returns an empty cache
 */
export function referenceCache(): ReferenceCache {
  let factor: Float64Array | undefined;
  return {
    given: () => (factor ? { referenceFactor: factor } : {}),
    keep: (result) => {
      factor ??= result.referenceFactor;
      return result;
    },
  };
}

/** Every copy's parameters and losses, copy-major (B x P, B x n, B x m). */
export interface CopyBatchResult {
  theta: Float64Array;
  trainLoss: Float64Array;
  queryLoss: Float64Array;
}

/**
 * The PerturbableModel members over a batch solver: `train` is a batch of one (the same bits as
 * in any batch), `losses` returns the losses the batch computed with a copy, and computes them
 * for parameters that no batch returned.
 * @param solve - trains the copies in one native call
 * @param shape - parameters per copy (P), training examples (n) and queries (m)
 * @param lossesOf - the losses of other parameter vectors
 * @returns train, trainBatch and losses
 */
export function batchedCopies(
  solve: (perturbations: readonly Perturbation[]) => Promise<CopyBatchResult>,
  shape: { P: number; n: number; m: number },
  lossesOf: (theta: Float64Array, which: 'train' | 'queries') => Promise<Float64Array>,
): Pick<Required<PerturbableModel<Float64Array>>, 'train' | 'trainBatch' | 'losses'> {
  const { P, n, m } = shape;
  // The losses computed with each copy, by the copy's parameter vector (its handle).
  const cached = new WeakMap<Float64Array, { train: Float64Array; queries: Float64Array }>();
  const trainBatch = async (perturbations: readonly Perturbation[]): Promise<Float64Array[]> => {
    const r = await solve(perturbations);
    return perturbations.map((_, k) => {
      const theta = r.theta.slice(k * P, (k + 1) * P);
      cached.set(theta, {
        train: r.trainLoss.slice(k * n, (k + 1) * n),
        queries: r.queryLoss.slice(k * m, (k + 1) * m),
      });
      return theta;
    });
  };
  return {
    async train(p: Perturbation): Promise<Float64Array> {
      return (await trainBatch([p]))[0]!;
    },
    trainBatch,
    async losses(theta: Float64Array, which: 'train' | 'queries'): Promise<Float64Array> {
      const hit = cached.get(theta);
      if (hit) return which === 'train' ? hit.train : hit.queries;
      return lossesOf(theta, which);
    },
  };
}
