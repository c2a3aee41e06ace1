/**
 * The retrain baseline the Newton-Krylov refits are measured against: a Newton fit on the
 * reweighted data, warm-started at the reference optimum, with a Hessian build per Newton step
 * and chord steps between. `krylovSteps: false` keeps it that: fits take Newton-Krylov steps
 * by default, which would make the baseline the method it is compared with.
 */
import type { Matrix } from '../../src/data/matrix.ts';
import type { LogisticRegression } from '../../src/index.ts';
import { nativeAddon } from '../../src/native.ts';

/**
 * Refits logistic regression with example weights by plain warm-started Newton.
 * @param model - the reference fit (its theta, tol and maxIter)
 * @param X - its training matrix
 * @param y - its labels
 * @param lambda - L2 penalty
 * @param weights - the example weights of the retrain
 * @returns the native fit result
 */
export function plainNewtonRefit(
  model: LogisticRegression,
  X: Matrix,
  y: Float64Array,
  lambda: number,
  weights: Float64Array,
) {
  return nativeAddon().fit({
    x: X.data,
    n: X.rows,
    d: X.cols,
    intercept: true,
    family: 0,
    y,
    weights,
    lambda,
    tol: model.options.tol,
    maxIter: model.options.maxIter,
    keepHessian: false,
    theta0: model.theta,
    krylovSteps: false,
  });
}
