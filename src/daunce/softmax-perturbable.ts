/**
 * Perturbed training of multinomial regression (docs/methods.md section 4), solved exactly by
 * Newton from theta_0. With z the free logits (the reference class's is 0) and g_i, f_i the
 * loss and true-class margin at theta_0, the first-order terms are linear in theta:
 *   hessian: l_i - 2 xi_i grad_z l(z0_i)^T (z_i)           (cross-entropy + linear term)
 *   fisher:  (l_i - l0_i)^2 / 2 - (2 xi_i - 1) grad_z l(z0_i)^T z_i
 *   trak:    (f_i - f0_i)^2 / 2 - (2 xi_i - 1) grad_z f(z0_i)^T z_i
 * black-box: l_i, l_i^2 / 2, f_i^2 / 2. gamma scales the loss-difference term (the example
 * weight gamma / |D|) and rho the xi spread, as for binary logistic regression (glm-perturbable.ts).
 * Copies are solved natively, many per call (`trainBatch`) on a thread pool; a copy's bits are
 * the same whether it is trained alone or in a batch of any size.
 */
import { availableParallelism } from 'node:os';
import type { LogitObjective } from '../backend/types.ts';
import type { Matrix } from '../data/matrix.ts';
import type { SoftmaxRegression } from '../models/softmax.ts';
import type { DaunceAccess, DaunceVariant, Perturbation } from './perturbation.ts';
import type { PerturbableModel } from './runner.ts';
import { batchedCopies, batchQueriesAndPool, copyBatchInputs, referenceCache } from './copy-batch.ts';
import { logitStatistics } from './logit-statistics.ts';
import { firstOrderCoefficient, type DaunceObjectiveSettings } from './settings.ts';

export function softmaxPerturbable(o: {
  model: SoftmaxRegression;
  queries: { X: Matrix; y: Float64Array };
  variant: DaunceVariant;
  access: DaunceAccess;
  settings?: DaunceObjectiveSettings;
}): PerturbableModel<Float64Array> {
  const { model, variant, access } = o;
  const settings = o.settings ?? { gamma: 1, rho: 1 };
  const backend = model.backendKernels();
  const design = model.design(model.X);
  const queryDesign = model.design(o.queries.X);
  const n = model.X.rows,
    m = o.queries.X.rows,
    C = model.options.classes,
    K = C - 1;
  const P = K * model.blockSize;
  const threads = Math.max(1, availableParallelism());
  // Logit-space quantities at theta_0 (gradients in the C - 1 free logits), computed once.
  const base = model.logits(model.X).then((z) => logitStatistics(z.data, model.y, C, K));
  const objective: LogitObjective =
    variant === 'hessian' ? 'crossEntropy' : variant === 'fisher' ? 'crossEntropySquared' : 'marginSquared';

  const reference = referenceCache();
  const solve = async (perturbations: readonly Perturbation[]) => {
    const b = await base;
    // First-order coefficients, K per row: coef_{j,c} = w(xi_j) dl(z0_i)/dz_c / |D| (dMargin for trak).
    const d = variant === 'trak' ? b.dMargin : b.dLoss;
    const { sizes, rows, weights, coef } = copyBatchInputs(
      perturbations,
      settings.gamma,
      access === 'white-box'
        ? {
            perRow: K,
            fill: (i, xi, size, out, at) => {
              const w = firstOrderCoefficient(variant, xi, settings);
              for (let c = 0; c < K; c++) out[at * K + c] = (w * d[i * K + c]!) / size;
            },
          }
        : undefined,
    );
    const offset =
      objective === 'crossEntropy' || access === 'black-box' ? undefined : variant === 'fisher' ? b.loss : b.margin;
    return reference.keep(
      await backend.multinomialCopies({
        ...reference.given(),
        ...design,
        classes: C,
        y: model.y,
        ...(offset ? { offset } : {}),
        objective,
        lambda: model.options.lambda / n,
        theta0: model.theta,
        sizes,
        rows,
        weights,
        ...(coef ? { coef } : {}),
        // A copy's total weight gamma spread over all n examples: its curvature in expectation.
        ...batchQueriesAndPool(queryDesign, o.queries.y, settings.gamma / n, threads, model.options),
      }),
    );
  };
  return batchedCopies(solve, { P, n, m }, (theta, which) =>
    which === 'train' ? model.losses(model.X, model.y, theta) : model.losses(o.queries.X, o.queries.y, theta),
  );
}
