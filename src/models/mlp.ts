/**
 * A multilayer perceptron classifier (ReLU hidden layers, softmax output) trained natively by
 * minibatch Adam or SGD with momentum: the network that Daunce perturbs (docs/methods.md section
 * 4). Objective: mean cross-entropy + (lambda / (2 n)) ||W||^2 (biases unpenalised), the
 * per-example convention of the perturbed objectives.
 */
import { resolveBackend, type Backend, type BackendName } from '../backend/index.ts';
import { assertMatrix, Matrix } from '../data/matrix.ts';
import { assertInteger, assertNumber } from '../data/validate.ts';
import { callNative, rethrowNative } from '../errors.ts';
import { classTrainingData, LogitClassifier } from './classify.ts';
import { assertKnownOptions, optionKeys } from '../options-check.ts';
import { loadMlp, saveModel, type ArtifactLoadOptions, type ArtifactSaveOptions } from '../artifacts/models.ts';
import { retrainSubset, type AttributableModel, type ModelOutput, type RetrainRequest } from './model.ts';

/** Options of `MultilayerPerceptron.fit`. */
export interface MlpOptions {
  /** Hidden layer sizes. Default [128]. */
  hidden?: number[];
  /** Number of classes. Default max(y) + 1. */
  classes?: number;
  /** Default 10. */
  epochs?: number;
  /** Default 64. */
  batchSize?: number;
  /** Default 1e-3 (Adam) . */
  learningRate?: number;
  /** Default 'adam'. */
  optimizer?: 'adam' | 'sgd';
  /** SGD momentum. Default 0.9. */
  momentum?: number;
  /** L2 coefficient in sum form: the mean objective carries lambda / (2 n). Default 1e-2. */
  lambda?: number;
  /** Seed of the initialisation and the minibatch order. Default 0. */
  seed?: number;
  backend?: BackendName;
}

const MLP_OPTION_KEYS = optionKeys<MlpOptions>({
  hidden: true,
  classes: true,
  epochs: true,
  batchSize: true,
  learningRate: true,
  optimizer: true,
  momentum: true,
  lambda: true,
  seed: true,
  backend: true,
});

export type ResolvedMlpOptions = Required<Omit<MlpOptions, 'classes'>> & { classes: number };

/** A ReLU network with a softmax output, trained natively (docs/methods.md section 1). */
export class MultilayerPerceptron extends LogitClassifier implements AttributableModel {
  readonly kind = 'mlp' as const;
  readonly task = 'classification' as const;
  /** Retraining starts from a seeded random initialisation with seeded minibatches. */
  readonly stochastic = true;
  /** Queries are measured by their cross-entropy. */
  readonly outputs: readonly ModelOutput[] = ['loss'];
  readonly theta: Float64Array;
  readonly X: Matrix;
  readonly y: Float64Array;
  readonly options: Readonly<ResolvedMlpOptions>;
  private readonly backend: Backend;

  private constructor(theta: Float64Array, X: Matrix, y: Float64Array, options: ResolvedMlpOptions) {
    super();
    this.theta = theta;
    this.X = X;
    this.y = y;
    this.options = Object.freeze({ ...options, hidden: [...options.hidden] });
    this.backend = resolveBackend(options.backend, 'options.backend');
  }

  /**
   * Trains from a seeded initialisation by minibatch Adam or SGD.
   * @param X - training inputs, one example per row
   * @param y - class ids 0..C-1
   * @param options - layers, optimiser, epochs, penalty, seed
   * @returns the trained network
   */
  static async fit(
    X: Matrix,
    y: Float64Array | readonly number[],
    options: MlpOptions = {},
  ): Promise<MultilayerPerceptron> {
    const where = 'MultilayerPerceptron.fit';
    assertKnownOptions(where, options, MLP_OPTION_KEYS);
    const { labels, maxLabel } = classTrainingData(where, X, y);
    const o: ResolvedMlpOptions = {
      hidden: options.hidden ?? [128],
      classes: assertInteger(`${where}: options.classes`, options.classes ?? maxLabel + 1, 2),
      epochs: assertInteger(`${where}: options.epochs`, options.epochs ?? 10, 1),
      batchSize: assertInteger(`${where}: options.batchSize`, options.batchSize ?? 64, 1),
      learningRate: assertNumber(`${where}: options.learningRate`, options.learningRate ?? 1e-3, 0),
      optimizer: options.optimizer ?? 'adam',
      momentum: assertNumber(`${where}: options.momentum`, options.momentum ?? 0.9, 0, 1),
      lambda: assertNumber(`${where}: options.lambda`, options.lambda ?? 1e-2, 0),
      seed: assertInteger(`${where}: options.seed`, options.seed ?? 0, 0),
      backend: options.backend ?? 'auto',
    };
    if (!Array.isArray(o.hidden) || o.hidden.some((h) => !Number.isInteger(h) || h < 1 || h > 0xffffffff))
      throw new RangeError(`${where}: options.hidden must be an array of positive layer sizes below 2^32`);
    if (o.optimizer !== 'adam' && o.optimizer !== 'sgd')
      throw new RangeError(`${where}: options.optimizer must be 'adam' or 'sgd'`);
    if (maxLabel >= o.classes)
      throw new RangeError(`${where}: y: label ${maxLabel} is not below options.classes = ${o.classes}`);
    const backend = resolveBackend(o.backend, `${where}: options.backend`);
    const arch = { d: X.cols, hidden: Uint32Array.from(o.hidden), classes: o.classes };
    try {
      const theta0 = backend.mlpInit({ ...arch, seed: o.seed });
      const theta = await backend.mlpTrain({
        ...arch,
        x: X.data,
        n: X.rows,
        y: labels,
        theta0,
        objective: 'crossEntropy',
        penalty: o.lambda / X.rows,
        epochs: o.epochs,
        batchSize: o.batchSize,
        learningRate: o.learningRate,
        adam: o.optimizer === 'adam',
        momentum: o.momentum,
        seed: o.seed,
      });
      return new MultilayerPerceptron(theta, X, labels, o);
    } catch (err) {
      rethrowNative(where, err);
    }
  }

  get nParameters(): number {
    return this.theta.length;
  }

  /**
   * Loads a network saved by `model.save(dir)`, checked by hash.
   * @param dir - the artifact directory
   * @param options - the training data when the artifact references it rather than embedding it
   * @returns the model, bit-identical to the one saved
   */
  static load(dir: string, options: ArtifactLoadOptions = {}): Promise<MultilayerPerceptron> {
    return loadMlp(dir, 'MultilayerPerceptron.load', options, (t, X, y, o) => new MultilayerPerceptron(t, X, y, o));
  }

  /**
   * Saves the trained network as an artifact directory (load with `MultilayerPerceptron.load(dir)`).
   * @param dir - the artifact directory (written to a temporary directory, then renamed)
   * @param options - embed the training data or reference it by path and hash; overwrite an existing artifact
   * @returns a promise that settles when the artifact is in place
   */
  save(dir: string, options?: ArtifactSaveOptions): Promise<void> {
    return saveModel(this, dir, options);
  }

  /**
   * A network with this model's options trained from a fresh initialisation on the given
   * training rows only (weights, when given, must be 0 or 1): the retrain of LDS ground truths,
   * ensembles and subset removal. The seed (default: the fit's) drives the initialisation and
   * the minibatch order. The older form `retrain(subset, seed)` is still accepted.
   * @param request - subset or 0/1 weights, and the seed
   * @param legacySeed - the seed of the older form
   * @returns the retrained network
   */
  async retrain(request: RetrainRequest | Uint32Array, legacySeed?: number): Promise<MultilayerPerceptron> {
    const where = 'MultilayerPerceptron.retrain';
    const r: RetrainRequest = request instanceof Uint32Array ? { subset: request, seed: legacySeed } : request;
    const subset = retrainSubset(where, r, this.X.rows);
    const seed = r?.seed ?? this.options.seed;
    if (!Number.isInteger(seed) || seed < 0)
      throw new RangeError(`${where}: seed must be an integer >= 0, got ${seed}`);
    const o = this.options;
    const arch = this.architecture();
    const theta = await this.call('retrain', () =>
      this.backend.mlpTrain({
        ...arch,
        x: this.X.data,
        n: this.X.rows,
        y: this.y,
        theta0: this.backend.mlpInit({ ...arch, seed }),
        objective: 'crossEntropy',
        subset,
        penalty: o.lambda / this.X.rows,
        epochs: o.epochs,
        batchSize: o.batchSize,
        learningRate: o.learningRate,
        adam: o.optimizer === 'adam',
        momentum: o.momentum,
        seed,
      }),
    );
    return new MultilayerPerceptron(theta, this.X, this.y, o);
  }

  /**
   * The layer sizes the native kernels need.
   * @returns inputs, hidden layer sizes and classes
   */
  architecture(): { d: number; hidden: Uint32Array; classes: number } {
    return { d: this.X.cols, hidden: Uint32Array.from(this.options.hidden), classes: this.options.classes };
  }

  /**
   * The kernels this model runs on.
   * @returns the backend
   */
  backendKernels(): Backend {
    return this.backend;
  }

  /**
   * Throws a RangeError naming `name` when X does not have the model's inputs.
   * @param X - data matrix
   * @param name - argument name for error messages
   */
  checkInputs(X: Matrix, name = 'X'): void {
    this.input(X, name);
  }

  /**
   * Per-example query outputs; the network is measured by its loss (cross-entropy).
   * @param X - inputs
   * @param y - class ids
   * @param output - 'loss'
   * @returns one loss per row of X
   */
  async output(X: Matrix, y: Float64Array, output: ModelOutput): Promise<Float64Array> {
    if (output !== 'loss')
      throw new RangeError(
        `MultilayerPerceptron.output: '${output}' is not defined; the network is measured by its loss`,
      );
    return this.losses(X, y);
  }

  /**
   * Gradients of the true-class margin g_y - logsumexp_{c != y} g_c (TRAK's output), n x P.
   * @param X - inputs
   * @param y - class ids
   * @returns the gradient matrix
   */
  outputGradients(X: Matrix, y: Float64Array): Promise<Matrix> {
    return this.gradients(X, y, 'margin');
  }

  private input(X: Matrix, name = 'X'): { x: Float64Array; n: number } {
    assertMatrix(name, X);
    if (X.cols !== this.X.cols)
      throw new RangeError(`${name}: has ${X.cols} columns, the model has ${this.X.cols} inputs`);
    return { x: X.data, n: X.rows };
  }

  /**
   * Logits (n x classes).
   * @param X - inputs
   * @param theta - parameters (default the trained ones)
   * @returns the n x C logits
   */
  async logits(X: Matrix, theta = this.theta): Promise<Matrix> {
    const g = await this.call('logits', () =>
      this.backend.mlpLogits({ ...this.architecture(), ...this.input(X), theta }),
    );
    return new Matrix(g, X.rows, this.options.classes);
  }

  /**
   * Cross-entropy of every example.
   * @param X - inputs
   * @param y - class ids
   * @param theta - parameters (default the trained ones)
   * @returns one loss per row
   */
  async losses(X: Matrix, y: Float64Array | readonly number[], theta = this.theta): Promise<Float64Array> {
    const input = this.input(X);
    const labels = this.labels(y, X.rows);
    return this.call('losses', () => this.backend.mlpLosses({ ...this.architecture(), ...input, theta, y: labels }));
  }

  /**
   * Per-example gradients with respect to every parameter (n x P): of the cross-entropy, or
   * with output 'margin' of the true-class margin g_y - logsumexp_{c != y} g_c (TRAK's output).
   * @param X - inputs
   * @param y - class ids
   * @param output - 'loss' (default) or 'margin'
   * @returns the n x P gradient matrix
   */
  async gradients(X: Matrix, y: Float64Array | readonly number[], output: 'loss' | 'margin' = 'loss'): Promise<Matrix> {
    const input = this.input(X);
    const labels = this.labels(y, X.rows);
    const g = await this.call('gradients', () =>
      this.backend.mlpGradients({
        ...this.architecture(),
        ...input,
        theta: this.theta,
        y: labels,
        margin: output === 'margin',
      }),
    );
    return new Matrix(g, X.rows, this.nParameters);
  }

  private call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return callNative(`MultilayerPerceptron.${operation}`, run);
  }
}
