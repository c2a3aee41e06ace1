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
  // The losses computed with each copy, by the copy's parameter vector (its handle).
  const lossesOf = new WeakMap<Float64Array, { train: Float64Array; queries: Float64Array }>();
  const lossOf = async (X: Matrix, y: Float64Array, theta: Float64Array) =>
    (await backend.pointwise({ ...model.design(X), family: 'logistic', theta, y })).loss!;

  const trainBatch = async (perturbations: readonly Perturbation[]): Promise<Float64Array[]> => {
    const b = await base;
    const total = perturbations.reduce((s, p) => s + p.subset.length, 0);
    const rows = new Uint32Array(total),
      weights = new Float64Array(total);
    const coef = access === 'white-box' ? new Float64Array(total) : undefined;
    let at = 0;
    for (const p of perturbations) {
      const size = p.subset.length;
      p.subset.forEach((i, j) => {
        rows[at] = i;
        weights[at] = settings.gamma / size;
        if (coef)
          coef[at] =
            (firstOrderCoefficient(variant, p.xi[j]!, settings) *
              (variant === 'trak' ? 2 * model.y[i]! - 1 : b.slope![i]!)) /
            size;
        at++;
      });
    }
    const family: GlmFamily =
      variant === 'hessian' ? 'logistic' : variant === 'fisher' ? 'logisticLossSquared' : 'squared';
    const y = variant === 'trak' ? (access === 'white-box' ? b.margin : new Float64Array(n)) : model.y;
    const offset = variant === 'fisher' ? (access === 'white-box' ? b.loss! : new Float64Array(n)) : undefined;
    const r = await backend.glmCopies({
      ...design,
      family,
      y,
      ...(offset ? { offset } : {}),
      lambda: model.options.lambda / n,
      theta0,
      sizes: Uint32Array.from(perturbations, (p) => p.subset.length),
      rows,
      weights,
      ...(coef ? { coef } : {}),
      labels: model.y,
      qx: queryDesign.x,
      qn: queryDesign.n,
      qd: queryDesign.d,
      qintercept: queryDesign.intercept,
      queryLabels: o.queries.y,
      // A copy's total weight gamma spread over all n examples: its Hessian in expectation.
      referenceWeight: settings.gamma / n,
      precondition: true,
      threads,
      tol: model.options.tol,
      maxIter: model.options.maxIter,
    });
    const p = theta0.length,
      m = queryDesign.n;
    return perturbations.map((_, k) => {
      const theta = r.theta.slice(k * p, (k + 1) * p);
      lossesOf.set(theta, {
        train: r.trainLoss.slice(k * n, (k + 1) * n),
        queries: r.queryLoss.slice(k * m, (k + 1) * m),
      });
      return theta;
    });
  };
  return {
    theta0,
    async train(p: Perturbation): Promise<Float64Array> {
      return (await trainBatch([p]))[0]!;
    },
    trainBatch,
    async losses(theta: Float64Array, which: 'train' | 'queries'): Promise<Float64Array> {
      const cached = lossesOf.get(theta);
      if (cached) return which === 'train' ? cached.train : cached.queries;
      return which === 'train' ? lossOf(model.X, model.y, theta) : lossOf(o.queries.X, o.queries.y, theta);
    },
  };
}
