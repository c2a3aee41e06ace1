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
  // The cross-entropies computed with each copy, by the copy's parameter vector (its handle).
  const lossesOf = new WeakMap<Float64Array, { train: Float64Array; queries: Float64Array }>();

  const trainBatch = async (perturbations: readonly Perturbation[]): Promise<Float64Array[]> => {
    const b = await base;
    const total = perturbations.reduce((s, p) => s + p.subset.length, 0);
    const rows = new Uint32Array(total),
      weights = new Float64Array(total);
    // First-order coefficients, K per row: coef_{j,c} = w(xi_j) dl(z0_i)/dz_c / |D| (dMargin for trak).
    const coef = access === 'white-box' ? new Float64Array(total * K) : undefined;
    const d = variant === 'trak' ? b.dMargin : b.dLoss;
    let at = 0;
    for (const p of perturbations) {
      const size = p.subset.length;
      p.subset.forEach((i, j) => {
        rows[at] = i;
        weights[at] = settings.gamma / size;
        if (coef) {
          const w = firstOrderCoefficient(variant, p.xi[j]!, settings);
          for (let c = 0; c < K; c++) coef[at * K + c] = (w * d[i * K + c]!) / size;
        }
        at++;
      });
    }
    const offset =
      objective === 'crossEntropy' || access === 'black-box' ? undefined : variant === 'fisher' ? b.loss : b.margin;
    const r = await backend.multinomialCopies({
      ...design,
      classes: C,
      y: model.y,
      ...(offset ? { offset } : {}),
      objective,
      lambda: model.options.lambda / n,
      theta0: model.theta,
      sizes: Uint32Array.from(perturbations, (p) => p.subset.length),
      rows,
      weights,
      ...(coef ? { coef } : {}),
      qx: queryDesign.x,
      qn: queryDesign.n,
      qd: queryDesign.d,
      qintercept: queryDesign.intercept,
      queryLabels: o.queries.y,
      // A copy's total weight gamma spread over all n examples: its curvature in expectation.
      referenceWeight: settings.gamma / n,
      precondition: true,
      threads,
      tol: model.options.tol,
      maxIter: model.options.maxIter,
    });
    return perturbations.map((_, k) => {
      const theta = r.theta.slice(k * P, (k + 1) * P);
      lossesOf.set(theta, {
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
      const cached = lossesOf.get(theta);
      if (cached) return which === 'train' ? cached.train : cached.queries;
      return which === 'train' ? model.losses(model.X, model.y, theta) : model.losses(o.queries.X, o.queries.y, theta);
    },
  };
}
