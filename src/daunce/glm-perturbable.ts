/**
 * Perturbed training of the built-in binary logistic regression (docs/methods.md section 4,
 * step 3), solved exactly by Newton from theta_0 in the native core:
 *
 *   theta^k = argmin (1/|D|) sum_{i in D} phi_i(theta) + (lambda/(2n)) ||P theta||^2
 *
 * white-box (Table 1), with g_i = grad l_i(theta_0), z0_i its margin, s_i = 2 y_i - 1 and
 * w_i = rho (2 xi_i - 1) (gamma = rho = 1 by default):
 *   hessian: gamma l_i(theta) - (gamma + w_i) g_i^T theta               (logistic, linear term)
 *   fisher:  gamma (l_i(theta) - l_i(theta_0))^2 / 2 - w_i g_i^T theta
 *   trak:    gamma (z_i - z0_i)^2 / 2 - w_i s_i a_i^T theta  (the margin of the true
 *            class is s_i z_i, so (f - f0)^2 = (z - z0)^2: a least-squares problem)
 * black-box (Table 2): gamma times l_i, l_i^2 / 2, f_i^2 / 2 = z_i^2 / 2.
 * gamma enters as the example weight gamma / |D|, the first-order term as a linear term
 * sum_i coef_i a_i over the copy's rows.
 * Constants of phi (terms without theta) are dropped: they do not move the minimiser.
 */
import { availableParallelism } from 'node:os';
import type { Backend, GlmFamily } from '../backend/types.ts';
import type { Matrix } from '../data/matrix.ts';
import type { GeneralizedLinearModel } from '../models/glm.ts';
import type { DaunceAccess, DaunceVariant, Perturbation } from './perturbation.ts';
import type { PerturbableModel } from './runner.ts';
import { batchedCopies, batchQueriesAndPool, copyBatchInputs, referenceCache } from './copy-batch.ts';
import { firstOrderCoefficient, type DaunceObjectiveSettings } from './settings.ts';

export interface GlmPerturbableOptions {
  model: GeneralizedLinearModel;
  queries: { X: Matrix; y: Float64Array };
  variant: DaunceVariant;
  access: DaunceAccess;
  /** gamma and rho (default: both 1). */
  settings?: DaunceObjectiveSettings;
}

/**
 * A PerturbableModel over a fitted built-in logistic regression; handles are parameter vectors.
 * Copies are solved natively, many per call (`trainBatch`) on a thread pool; a copy's bits are
 * the same whether it is trained alone or in a batch of any size.
 */
export function glmPerturbable(o: GlmPerturbableOptions): PerturbableModel<Float64Array> & { theta0: Float64Array } {
  const { model, variant, access } = o;
  const settings = o.settings ?? { gamma: 1, rho: 1 };
  if (model.kind !== 'logistic')
    throw new RangeError(`daunce: the perturbed GLM trainer is for binary logistic regression, not ${model.kind}`);
  const backend: Backend = model.backendKernels();
  const design = model.design(model.X);
  const queryDesign = model.design(o.queries.X);
  const n = model.X.rows;
  const theta0 = model.theta;
  const threads = Math.max(1, availableParallelism());
  const base = backend.pointwise({ ...design, family: 'logistic', theta: theta0, y: model.y });
  const lossOf = async (X: Matrix, y: Float64Array, theta: Float64Array) =>
    (await backend.pointwise({ ...model.design(X), family: 'logistic', theta, y })).loss!;
  const family: GlmFamily =
    variant === 'hessian' ? 'logistic' : variant === 'fisher' ? 'logisticLossSquared' : 'squared';

  const reference = referenceCache();
  const solve = async (perturbations: readonly Perturbation[]) => {
    const b = await base;
    const { sizes, rows, weights, coef } = copyBatchInputs(
      perturbations,
      settings.gamma,
      access === 'white-box'
        ? {
            perRow: 1,
            fill: (i, xi, size, out, at) => {
              out[at] =
                (firstOrderCoefficient(variant, xi, settings) *
                  (variant === 'trak' ? 2 * model.y[i]! - 1 : b.slope![i]!)) /
                size;
            },
          }
        : undefined,
    );
    const y = variant === 'trak' ? (access === 'white-box' ? b.margin : new Float64Array(n)) : model.y;
    const offset = variant === 'fisher' ? (access === 'white-box' ? b.loss! : new Float64Array(n)) : undefined;
    return reference.keep(
      await backend.glmCopies({
        ...reference.given(),
        ...design,
        family,
        y,
        ...(offset ? { offset } : {}),
        lambda: model.options.lambda / n,
        theta0,
        sizes,
        rows,
        weights,
        ...(coef ? { coef } : {}),
        labels: model.y,
        // A copy's total weight gamma spread over all n examples: its Hessian in expectation.
        ...batchQueriesAndPool(queryDesign, o.queries.y, settings.gamma / n, threads, model.options),
      }),
    );
  };
  return {
    theta0,
    ...batchedCopies(solve, { P: theta0.length, n, m: queryDesign.n }, (theta, which) =>
      which === 'train' ? lossOf(model.X, model.y, theta) : lossOf(o.queries.X, o.queries.y, theta),
    ),
  };
}
