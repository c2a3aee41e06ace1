/**
 * Perturbed training of multinomial regression (docs/methods.md section 4), solved exactly by
 * Newton from theta_0. With z the free logits (the reference class's is 0) and g_i, f_i the
 * loss and true-class margin at theta_0, the first-order terms are linear in theta:
 *   hessian: l_i - 2 xi_i grad_z l(z0_i)^T (z_i)           (cross-entropy + linear term)
 *   fisher:  (l_i - l0_i)^2 / 2 - (2 xi_i - 1) grad_z l(z0_i)^T z_i
 *   trak:    (f_i - f0_i)^2 / 2 - (2 xi_i - 1) grad_z f(z0_i)^T z_i
 * black-box: l_i, l_i^2 / 2, f_i^2 / 2. gamma scales the loss-difference term (the example
 * weight gamma / |D|) and rho the xi spread, as for binary logistic regression (glm-perturbable.ts).
 */
import type { LogitObjective } from '../backend/types.ts';
import type { Matrix } from '../data/matrix.ts';
import type { SoftmaxRegression } from '../models/softmax.ts';
import type { DaunceAccess, DaunceVariant, Perturbation } from './perturbation.ts';
import type { PerturbableModel } from './runner.ts';
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
  const n = model.X.rows,
    C = model.options.classes,
    K = C - 1,
    p = model.blockSize;
  // Logit-space quantities at theta_0 (gradients in the C - 1 free logits), computed once.
  const base = model.logits(model.X).then((z) => logitStatistics(z.data, model.y, C, K));
  return {
    async train(pert: Perturbation): Promise<Float64Array> {
      const b = await base;
      const size = pert.subset.length;
      const weights = new Float64Array(n);
      for (const i of pert.subset) weights[i] = settings.gamma / size;
      let linear: Float64Array | undefined;
      if (access === 'white-box') {
        const d = variant === 'trak' ? b.dMargin : b.dLoss;
        linear = new Float64Array(K * p);
        for (let c = 0; c < K; c++) {
          const coef = new Float64Array(n);
          pert.subset.forEach((i, j) => {
            coef[i] = (firstOrderCoefficient(variant, pert.xi[j]!, settings) * d[i * K + c]!) / size;
          });
          linear.set(await backend.transposeTimes({ ...design, v: coef }), c * p);
        }
      }
      const objective: LogitObjective =
        variant === 'hessian' ? 'crossEntropy' : variant === 'fisher' ? 'crossEntropySquared' : 'marginSquared';
      const offset =
        objective === 'crossEntropy' || access === 'black-box' ? undefined : variant === 'fisher' ? b.loss : b.margin;
      const r = await backend.multinomialFit({
        ...design,
        classes: C,
        y: model.y,
        weights,
        lambda: model.options.lambda / n,
        objective,
        ...(linear ? { linear } : {}),
        ...(offset ? { offset } : {}),
        theta0: model.theta,
        tol: model.options.tol,
        maxIter: model.options.maxIter,
        keepHessian: false,
      });
      return r.theta;
    },
    losses: (theta, which) =>
      which === 'train' ? model.losses(model.X, model.y, theta) : model.losses(o.queries.X, o.queries.y, theta),
  };
}
