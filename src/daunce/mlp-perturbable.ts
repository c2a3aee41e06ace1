/**
 * Perturbed training of the built-in multilayer perceptron (docs/methods.md section 4): minibatch
 * training from theta_0 on D^k of (1/|D|) sum phi_i + (lambda/(2n))||W||^2, with the
 * first-order term in logit space, g_i = logits of x_i, g0_i = those of theta_0:
 *   hessian: l_i - 2 xi_i grad_g l(g0_i)^T g_i
 *   fisher:  (l_i - l(g0_i))^2 / 2 - (2 xi_i - 1) grad_g l(g0_i)^T g_i
 *   trak:    (f_i - f(g0_i))^2 / 2 - (2 xi_i - 1) grad_g f(g0_i)^T g_i, f the true-class margin
 * black-box: l_i, l_i^2 / 2, f_i^2 / 2 (no first-order term).
 * gamma scales the loss-difference term and rho the xi spread (the linear coefficients come from
 * firstOrderCoefficient). The copies are trained with `training`, whose absent fields take the
 * fitted model's settings, except the schedule, which defaults to cosine decay.
 */
import type { LogitObjective } from '../backend/types.ts';
import type { Matrix } from '../data/matrix.ts';
import type { MultilayerPerceptron } from '../models/mlp.ts';
import { modelSeed, type DaunceAccess, type DaunceVariant, type Perturbation } from './perturbation.ts';
import type { PerturbableModel } from './runner.ts';
import { logitStatistics } from './logit-statistics.ts';
import { firstOrderCoefficient, type DaunceObjectiveSettings, type DaunceTraining } from './settings.ts';

/**
 * The training settings of the MLP's perturbed copies: the given fields, the fitted model's
 * optimiser, rate, epochs, batch size and momentum otherwise, and cosine decay by default.
 * @param model - the fitted network
 * @param training - the checked user settings
 * @returns every setting
 */
export function mlpCopyTraining(model: MultilayerPerceptron, training: DaunceTraining = {}): Required<DaunceTraining> {
  const m = model.options;
  return {
    optimizer: training.optimizer ?? m.optimizer,
    learningRate: training.learningRate ?? m.learningRate,
    schedule: training.schedule ?? 'cosine',
    epochs: training.epochs ?? m.epochs,
    batchSize: training.batchSize ?? m.batchSize,
    momentum: training.momentum ?? m.momentum,
  };
}

export function mlpPerturbable(o: {
  model: MultilayerPerceptron;
  queries: { X: Matrix; y: Float64Array };
  variant: DaunceVariant;
  access: DaunceAccess;
  seed: number;
  settings?: DaunceObjectiveSettings;
  training?: DaunceTraining;
}): PerturbableModel<Float64Array> {
  const { model, variant, access } = o;
  const settings = o.settings ?? { gamma: 1, rho: 1 };
  const training = mlpCopyTraining(model, o.training);
  const backend = model.backendKernels();
  const arch = model.architecture();
  const n = model.X.rows,
    C = arch.classes;
  // Logit-space quantities at theta_0, computed once.
  const base = model.logits(model.X).then((g) => logitStatistics(g.data, model.y, C));
  return {
    async train(p: Perturbation): Promise<Float64Array> {
      const b = await base;
      const objective: LogitObjective =
        variant === 'hessian' ? 'crossEntropy' : variant === 'fisher' ? 'crossEntropySquared' : 'marginSquared';
      let linear: Float64Array | undefined;
      if (access === 'white-box') {
        linear = new Float64Array(n * C);
        const d = variant === 'trak' ? b.dMargin : b.dLoss;
        p.subset.forEach((i, j) => {
          const coef = firstOrderCoefficient(variant, p.xi[j]!, settings);
          for (let c = 0; c < C; c++) linear![i * C + c] = coef * d[i * C + c]!;
        });
      }
      const offset =
        objective === 'crossEntropy' || access === 'black-box' ? undefined : variant === 'fisher' ? b.loss : b.margin;
      return backend.mlpTrain({
        ...arch,
        x: model.X.data,
        n,
        y: model.y,
        theta0: model.theta,
        objective,
        ...(offset ? { offset } : {}),
        ...(linear ? { linear } : {}),
        subset: p.subset,
        penalty: model.options.lambda / n,
        epochs: training.epochs,
        batchSize: training.batchSize,
        learningRate: training.learningRate,
        adam: training.optimizer === 'adam',
        momentum: training.momentum,
        cosine: training.schedule === 'cosine',
        lossScale: settings.gamma,
        seed: modelSeed(o.seed, p.k),
      });
    },
    losses: (theta, which) =>
      which === 'train' ? model.losses(model.X, model.y, theta) : model.losses(o.queries.X, o.queries.y, theta),
  };
}
