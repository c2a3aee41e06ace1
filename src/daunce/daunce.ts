/**
 * Daunce (the Daunce paper; docs/methods.md section 4): train K perturbed copies of a model and
 * score training example i against query q by the covariance (or correlation) of their
 * losses across the copies.
 */
import { assertMatrix, type Matrix } from '../data/matrix.ts';
import { assertInteger, assertNumber } from '../data/validate.ts';
import { selectBackend, type BackendName } from '../backend/index.ts';
import { hashArray } from '../hash.ts';
import { isAttributableModel, type AttributableModel } from '../models/model.ts';
import type { LossCovariance, Measure, TopKScores } from './accumulator.ts';
import type { DaunceAccess, DaunceVariant } from './perturbation.ts';
import { perturbableFor } from './registry.ts';
import { mlpCopyTraining } from './mlp-perturbable.ts';
import type { MultilayerPerceptron } from '../models/mlp.ts';
import { runPerturbations, type DaunceProgress, type PerturbableModel } from './runner.ts';
import { RemoteDaunceModels } from '../distributed/coordinators.ts';
import type { QueueOptions } from '../distributed/executor.ts';
import { assertKnownOptions, optionKeys } from '../options-check.ts';
import { checkObjectiveSettings, checkTraining, type DaunceTraining } from './settings.ts';

/** Options of `daunce`. */
export interface DaunceOptions {
  /**
   * A fitted model (theta_0) whose kind has a registered perturbed trainer (built in: binary
   * logistic, softmax regression, the multilayer perceptron) or an external PerturbableModel.
   */
  model: AttributableModel | PerturbableModel;
  /** Training data: defaults to the built-in model's; { n } for an external model. */
  train?: { X: Matrix; y: Float64Array | readonly number[] } | { n: number };
  /** Query points: { X, y } for a built-in model; { m } for an external model. */
  queries: { X: Matrix; y: Float64Array | readonly number[] } | { m: number };
  /** Number of perturbed models. Default 100. */
  K?: number;
  /** Fraction of the training set each model sees. Default 0.3. */
  ratio?: number;
  /** Default 'hessian' (Daunce); 'fisher' (Daunce-E), 'trak' (Daunce-T). */
  variant?: DaunceVariant;
  /** Default 'white-box'; 'black-box' drops the first-order term (Table 2). */
  access?: DaunceAccess;
  /** Default 'correlation' (the paper's default in experiments). */
  measure?: Measure;
  /**
   * Scale of the loss-difference term of the perturbed objective (the paper's gamma, > 0;
   * docs/methods.md section 4). Default 1 ('fisher' at 1 is the official efim at gamma = 1/2).
   */
  gamma?: number;
  /**
   * Spread of the xi weights (the paper's rho, >= 0): each example's weight factor is
   * 1 + rho (2 xi - 1). Default 1. No effect with black-box access (no first-order term).
   */
  rho?: number;
  /**
   * How perturbed copies trained by minibatches are trained: the MLP (absent fields take the
   * fitted model's settings; the schedule defaults to 'cosine') and external models (handed the
   * given fields in `train`'s objective). Refused for Newton-solved models (logistic, softmax).
   */
  training?: DaunceTraining;
  /** Seed of every subset and xi (any non-negative safe integer). Default 0. */
  seed?: number;
  signal?: AbortSignal;
  /** Called after each finished model. */
  onProgress?: (p: DaunceProgress) => void;
  /** Each finished model's losses are written here; a rerun resumes from them. */
  checkpointDir?: string;
  /** Models trained at once (external models). Default 1. */
  concurrency?: number;
  /**
   * Retries of a failed model (external models), with exponential backoff. Default 3. Every
   * error thrown by the model's train/losses/release and every timeout is retried, except an
   * error with `retryable: false`; malformed or non-finite losses and aborts are not.
   */
  retries?: number;
  /** First backoff delay in ms (doubling per attempt, at most 5 minutes). Default 1000. */
  retryDelayMs?: number;
  /** Time limit of each call into an external model, in ms (then retried). Default: none. */
  callTimeoutMs?: number;
  /**
   * Backend of the scoring step (f32 on WebGPU, tolerance in the README): 'cpu' (default) is
   * float64; 'auto' takes WebGPU only on a hardware adapter; 'webgpu' takes any adapter.
   */
  backend?: BackendName;
  /**
   * Train the perturbed models on tdakit workers over Redis (README "Running across machines");
   * scores are identical. For an external model, `externalModel` is the name the workers
   * registered it under.
   */
  queue?: QueueOptions & { externalModel?: string };
}

/** A finished Daunce run: its settings, the accumulator and its scores. */
export interface DaunceResult {
  /** The backend that computes the scores ('cpu' or 'webgpu'). */
  backend: string;
  K: number;
  variant: DaunceVariant;
  access: DaunceAccess;
  measure: Measure;
  /** Models loaded from the checkpoint instead of trained. */
  resumed: number;
  accumulator: LossCovariance;
  /**
   * n x m scores (row-major).
   * @param measure - default: the run's measure
   * @returns n x m scores, row-major
   */
  scores(measure?: Measure): Promise<Float64Array>;
  /**
   * Top and bottom k per query, computed block by block.
   * @param k - scores kept per query at each end
   * @param measure - default: the run's measure
   * @returns the top and bottom k indices and scores per query
   */
  topK(k: number, measure?: Measure): Promise<TopKScores>;
}

const DAUNCE_OPTION_KEYS = optionKeys<DaunceOptions>({
  model: true,
  train: true,
  queries: true,
  K: true,
  ratio: true,
  variant: true,
  access: true,
  measure: true,
  gamma: true,
  rho: true,
  training: true,
  seed: true,
  signal: true,
  onProgress: true,
  checkpointDir: true,
  concurrency: true,
  retries: true,
  retryDelayMs: true,
  callTimeoutMs: true,
  backend: true,
  queue: true,
});

const VARIANTS: readonly DaunceVariant[] = ['hessian', 'fisher', 'trak'];
const ACCESS: readonly DaunceAccess[] = ['white-box', 'black-box'];

/**
 * Trains K perturbed copies of a model (or runs an external trainer) and scores training examples
 * against queries by the co-variation of their losses (docs/methods.md section 4).
 * @param o - the model, queries, K, variant, access, measure, seed, checkpoint directory, ...
 * @returns the run, with `scores` and `topK`
 */
export async function daunce(o: DaunceOptions): Promise<DaunceResult> {
  if (o === null || typeof o !== 'object') throw new TypeError('daunce: expects an options object');
  assertKnownOptions('daunce', o, DAUNCE_OPTION_KEYS);
  const K = assertInteger('daunce: K', o.K ?? 100, 2);
  const ratio = assertNumber('daunce: ratio', o.ratio ?? 0.3, 0, 1);
  if (ratio === 0) throw new RangeError('daunce: ratio must be > 0');
  // Any safe integer: each model's generator is seeded by sha256 of the whole value (mixSeed).
  const seed = assertInteger('daunce: seed', o.seed ?? 0, 0);
  const variant = o.variant ?? 'hessian';
  if (!VARIANTS.includes(variant))
    throw new RangeError(`daunce: variant must be one of ${VARIANTS.join(', ')}, got '${String(variant)}'`);
  const access = o.access ?? 'white-box';
  if (!ACCESS.includes(access))
    throw new RangeError(`daunce: access must be 'white-box' or 'black-box', got '${String(access)}'`);
  const measure = o.measure ?? 'correlation';
  if (measure !== 'covariance' && measure !== 'correlation')
    throw new RangeError(`daunce: measure must be 'covariance' or 'correlation', got '${String(measure)}'`);
  const concurrency = assertInteger('daunce: concurrency', o.concurrency ?? 1, 1);
  const settings = checkObjectiveSettings('daunce', o.gamma, o.rho);
  const training = o.training === undefined ? undefined : checkTraining('daunce', o.training);
  // Defaults leave the checkpoint config as it was, so earlier runs still resume.
  const objectiveKey = {
    ...(settings.gamma !== 1 ? { gamma: settings.gamma } : {}),
    ...(settings.rho !== 1 ? { rho: settings.rho } : {}),
  };

  let perturbable: PerturbableModel<unknown>;
  let n: number, m: number;
  let fingerprint: Record<string, unknown>;
  let remoteSource: Parameters<typeof RemoteDaunceModels.open>[1] | undefined;
  const model = o.model;
  if (isAttributableModel(model)) {
    // Built-in models: checked queries, the model's own perturbed trainer, and a fingerprint
    // of everything a checkpoint depends on.
    if (o.train && 'X' in o.train && o.train.X !== model.X)
      throw new RangeError('daunce: train must be the data the model was fitted on (or omitted)');
    if (!o.queries || !('X' in o.queries))
      throw new TypeError('daunce: queries must be { X: Matrix, y } for a built-in model');
    const Xq = assertMatrix('daunce: queries.X', o.queries.X);
    if (Xq.rows === 0) throw new RangeError('daunce: queries.X has no rows; give at least one query to score');
    if (Xq.cols !== model.X.cols)
      throw new RangeError(`daunce: queries.X: has ${Xq.cols} columns, the model has ${model.X.cols} features`);
    const yq = model.labels(o.queries.y, Xq.rows, 'daunce: queries.y');
    const queries = { X: Xq, y: yq };
    perturbable = perturbableFor({
      model,
      queries,
      variant,
      access,
      seed,
      settings,
      ...(training ? { training } : {}),
    });
    n = model.X.rows;
    m = Xq.rows;
    remoteSource = { model, queries };
    fingerprint = {
      model: model.kind,
      options: { ...model.options, backend: undefined },
      theta: hashArray(model.theta),
      y: hashArray(model.y),
      X: hashArray(model.X.data),
      queries: hashArray(Xq.data),
      queryLabels: hashArray(yq),
      ...objectiveKey,
      // The MLP's copies depend on their training settings, whose schedule default changed (cosine).
      ...(model.kind === 'mlp' ? { training: mlpCopyTraining(model as MultilayerPerceptron, training) } : {}),
    };
  } else {
    const ext = o.model as PerturbableModel;
    if (!ext || typeof ext.train !== 'function' || typeof ext.losses !== 'function') {
      throw new TypeError(
        'daunce: model must be a fitted LogisticRegression, SoftmaxRegression, MultilayerPerceptron or a PerturbableModel { train, losses }',
      );
    }
    if (!o.train || !('n' in o.train) || !o.queries || !('m' in o.queries))
      throw new TypeError('daunce: an external model needs train: { n } and queries: { m }');
    n = assertInteger('daunce: train.n', o.train.n, 2);
    if (o.queries.m === 0) throw new RangeError('daunce: queries.m is 0; give at least one query to score');
    m = assertInteger('daunce: queries.m', o.queries.m, 1);
    perturbable = ext;
    fingerprint = { external: true, ...objectiveKey, ...(training ? { training } : {}) };
    if (o.queue) {
      if (typeof o.queue.externalModel !== 'string')
        throw new TypeError('daunce: queue.externalModel must name the external model as the workers registered it');
      remoteSource = { external: o.queue.externalModel, n, m };
    }
  }
  const remote = o.queue
    ? await RemoteDaunceModels.open(
        o.queue,
        remoteSource!,
        { ratio, seed, variant, access, ...objectiveKey, ...(training ? { training } : {}) },
        JSON.stringify({ n, m, ratio, seed, variant, access, ...fingerprint }),
        o.signal,
      )
    : undefined;
  let trained = false;
  const { accumulator, resumed } = await runPerturbations(perturbable, {
    n,
    m,
    K,
    ratio,
    seed,
    variant,
    access,
    fingerprint,
    concurrency,
    gamma: settings.gamma,
    rho: settings.rho,
    ...(training ? { training } : {}),
    ...(o.checkpointDir ? { checkpointDir: o.checkpointDir } : {}),
    ...(o.retries !== undefined ? { retries: o.retries } : {}),
    ...(o.retryDelayMs !== undefined ? { retryDelayMs: o.retryDelayMs } : {}),
    ...(o.callTimeoutMs !== undefined ? { callTimeoutMs: o.callTimeoutMs } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(remote ? { remote: (k: number) => remote.model(k) } : {}),
  })
    .then((r) => {
      trained = true;
      return r;
    })
    .finally(() => remote?.close(trained));
  // WebGPU (and the optional `webgpu` package) is probed only when asked for: 'auto' or 'webgpu'.
  const scoring = await selectBackend(o.backend ?? 'cpu', 'daunce: backend');
  return {
    backend: scoring.name,
    K,
    variant,
    access,
    measure,
    resumed,
    accumulator,
    scores: (mm = measure) => accumulator.scores(mm, scoring),
    topK: (k, mm = measure) => accumulator.topK(k, mm, scoring),
  };
}
