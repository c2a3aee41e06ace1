/**
 * Perturbed training of the built-in multilayer perceptron (docs/methods.md section 4): minibatch
 * training from theta_0 on D^k of (1/|D|) sum phi_i + (lambda/(2n))||W||^2, with the
 * first-order term in logit space, g_i = logits of x_i, g0_i = those of theta_0:
 *   hessian: l_i - 2 xi_i grad_g l(g0_i)^T g_i
 *   fisher:  (l_i - l(g0_i))^2 / 2 - (2 xi_i - 1) grad_g l(g0_i)^T g_i
 *   trak:    (f_i - f(g0_i))^2 / 2 - (2 xi_i - 1) grad_g f(g0_i)^T g_i, f the true-class margin
 * black-box: l_i, l_i^2 / 2, f_i^2 / 2 (no first-order term).
 */
import type { Matrix } from '../data/matrix.ts';
import type { MultilayerPerceptron } from '../models/mlp.ts';
import { modelSeed, type DaunceAccess, type DaunceVariant, type Perturbation } from './perturbation.ts';
import type { PerturbableModel } from './runner.ts';
import { logitStatistics } from './logit-statistics.ts';

export function mlpPerturbable(o: {
  model: MultilayerPerceptron;
  queries: { X: Matrix; y: Float64Array };
  variant: DaunceVariant;
  access: DaunceAccess;
  seed: number;
}): PerturbableModel<Float64Array> {
  const { model, variant, access } = o;
  const backend = model.backendKernels();
  const arch = model.architecture();
  const n = model.X.rows, C = arch.classes;
  // Logit-space quantities at theta_0, computed once.
  const base = model.logits(model.X).then((g) => logitStatistics(g.data, model.y, C));
  return {
    async train(p: Perturbation): Promise<Float64Array> {
      const b = await base;
      const objective: 0 | 1 | 2 = variant === 'hessian' ? 0 : variant === 'fisher' ? 1 : 2;
      let linear: Float64Array | undefined;
      if (access === 'white-box') {
        linear = new Float64Array(n * C);
        const d = variant === 'trak' ? b.dMargin : b.dLoss;
        p.subset.forEach((i, j) => {
          const xi = p.xi[j]!;
          const coef = variant === 'hessian' ? -2 * xi : -(2 * xi - 1);
          for (let c = 0; c < C; c++) linear![i * C + c] = coef * d[i * C + c]!;
        });
      }
      const offset = objective === 0 || access === 'black-box' ? undefined : variant === 'fisher' ? b.loss : b.margin;
      return backend.mlpTrain({
        ...arch, x: model.X.data, n, y: model.y, theta0: model.theta, objective,
        ...(offset ? { offset } : {}), ...(linear ? { linear } : {}), subset: p.subset,
        penalty: model.options.lambda / n, epochs: model.options.epochs, batchSize: model.options.batchSize,
        learningRate: model.options.learningRate, adam: model.options.optimizer === 'adam', momentum: model.options.momentum,
        seed: modelSeed(o.seed, p.k),
      });
    },
    losses: (theta, which) => (which === 'train' ? model.losses(model.X, model.y, theta) : model.losses(o.queries.X, o.queries.y, theta)),
  };
}
