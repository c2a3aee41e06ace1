/**
 * Multinomial (softmax) regression, fitted exactly by Newton (docs/methods.md section 4: the
 * convex multi-class model that Daunce perturbs). The last class is the reference (logit 0),
 * so theta holds C - 1 blocks of p = d (+1) parameters, class-major. Objective:
 * sum_i w_i l_i + (lambda/2) sum_c ||P theta_c||^2.
 */
import { resolveBackend, type Backend, type BackendName } from '../backend/index.ts';
import { assertMatrix, Matrix } from '../data/matrix.ts';
import { assertInteger, assertNumber, toFloat64 } from '../data/validate.ts';
import { callNative, rethrowNative } from '../errors.ts';
import { classTrainingData, LogitClassifier } from './classify.ts';
import { loadSoftmax, saveModel, type ArtifactLoadOptions, type ArtifactSaveOptions } from '../artifacts/models.ts';
import { fitDiagnostics, type FitDiagnostics } from './glm.ts';
import { retrainWeights, type AttributableModel, type ModelOutput, type RetrainRequest } from './model.ts';
import { logSumExp } from '../numerics.ts';
import { logitStatistics } from '../daunce/logit-statistics.ts';
import type { Regularization } from './options.ts';
import { assertKnownOptions, optionKeys } from '../options-check.ts';

/** Options of `SoftmaxRegression.fit`. */
export interface SoftmaxOptions {
  /** Default 1. */
  lambda?: number;
  /** Default true. */
  fitIntercept?: boolean;
  /** Number of classes. Default max(y) + 1. */
  classes?: number;
  sampleWeights?: Float64Array | readonly number[];
  /**
   * 'fixed' (default): the penalty stays (lambda/2) sum_c ||P theta_c||^2 after removals.
   * 'per-example': example i carries the share w_i / W of it, so a refit with weights w'
   * uses lambda * sum(w') / W (W = the total weight of the original fit).
   */
  regularization?: Regularization;
  /** Default 1e-14 (relative to the gradient terms' magnitudes, as for the binary GLMs). */
  tol?: number;
  /** Default 100. */
  maxIter?: number;
  backend?: BackendName;
}

const SOFTMAX_OPTION_KEYS = optionKeys<SoftmaxOptions>({
  lambda: true,
  fitIntercept: true,
  classes: true,
  sampleWeights: true,
  regularization: true,
  tol: true,
  maxIter: true,
  backend: true,
});

interface Resolved {
  lambda: number;
  regularization: Regularization;
  fitIntercept: boolean;
  classes: number;
  tol: number;
  maxIter: number;
  backend: BackendName;
}

/** Multinomial (softmax) regression fitted exactly by Newton (docs/methods.md section 1). */
export class SoftmaxRegression extends LogitClassifier implements AttributableModel {
  readonly kind = 'softmax' as const;
  readonly task = 'classification' as const;
  /** Refits are exact (Newton from the current optimum): no seed is involved. */
  readonly stochastic = false;
  /** Queries are measured by their cross-entropy. */
  readonly outputs: readonly ModelOutput[] = ['loss'];
  readonly theta: Float64Array;
  readonly X: Matrix;
  readonly y: Float64Array;
  readonly weights: Float64Array;
  readonly options: Readonly<Resolved>;
  /** Total weight W of the original fit (the per-example penalty shares are w_i / W). */
  readonly totalWeight: number;
  readonly diagnostics: Readonly<FitDiagnostics>;
  private readonly backend: Backend;

  private constructor(
    theta: Float64Array,
    X: Matrix,
    y: Float64Array,
    weights: Float64Array,
    options: Resolved,
    diagnostics: FitDiagnostics,
    totalWeight: number,
  ) {
    super();
    this.theta = theta;
    this.X = X;
    this.y = y;
    this.weights = weights;
    this.options = Object.freeze({ ...options });
    this.totalWeight = totalWeight;
    this.diagnostics = Object.freeze({ ...diagnostics });
    this.backend = resolveBackend(options.backend, 'options.backend');
  }

  /**
   * Fits by Newton with Cholesky solves to machine precision.
   * @param X - training inputs, one example per row
   * @param y - class ids 0..C-1
   * @param options - penalty, intercept, classes, weights, convergence
   * @returns the fitted model
   */
  static async fit(
    X: Matrix,
    y: Float64Array | readonly number[],
    options: SoftmaxOptions = {},
  ): Promise<SoftmaxRegression> {
    const where = 'SoftmaxRegression.fit';
    assertKnownOptions(where, options, SOFTMAX_OPTION_KEYS);
    const { labels, maxLabel } = classTrainingData(where, X, y);
    const o: Resolved = {
      lambda: assertNumber(`${where}: options.lambda`, options.lambda ?? 1, 0),
      regularization: options.regularization ?? 'fixed',
      fitIntercept: options.fitIntercept ?? true,
      classes: assertInteger(`${where}: options.classes`, options.classes ?? maxLabel + 1, 2),
      tol: assertNumber(`${where}: options.tol`, options.tol ?? 1e-14, 0, 1),
      maxIter: assertInteger(`${where}: options.maxIter`, options.maxIter ?? 100, 1),
      backend: options.backend ?? 'auto',
    };
    if (o.regularization !== 'fixed' && o.regularization !== 'per-example') {
      throw new RangeError(
        `${where}: options.regularization must be 'fixed' or 'per-example', got '${String(o.regularization)}'`,
      );
    }
    if (maxLabel >= o.classes)
      throw new RangeError(`${where}: y: label ${maxLabel} is not below options.classes = ${o.classes}`);
    const weights =
      options.sampleWeights === undefined
        ? new Float64Array(X.rows).fill(1)
        : toFloat64(`${where}: options.sampleWeights`, options.sampleWeights, X.rows).slice();
    if (weights.some((w) => w < 0) || !(weights.reduce((a, b) => a + b, 0) > 0))
      throw new RangeError(`${where}: options.sampleWeights must be >= 0 and not all 0`);
    const model = new SoftmaxRegression(
      new Float64Array(0),
      X,
      labels,
      weights,
      o,
      { gradientNorm: 0, gradientScale: 0, newtonIterations: 0, chordIterations: 0 },
      weights.reduce((a, b) => a + b, 0),
    );
    return model.solve(weights, undefined, where);
  }

  /**
   * Loads a model saved by `model.save(dir)`, checked by hash.
   * @param dir - the artifact directory
   * @param options - the training data when the artifact references it rather than embedding it
   * @returns the model, bit-identical to the one saved
   */
  static load(dir: string, options: ArtifactLoadOptions = {}): Promise<SoftmaxRegression> {
    return loadSoftmax(
      dir,
      'SoftmaxRegression.load',
      options,
      (t, X, y, w, o, d, W) => new SoftmaxRegression(t, X, y, w, o, d, W),
    );
  }

  /**
   * Saves the fitted model as an artifact directory (load with `SoftmaxRegression.load(dir)`).
   * @param dir - the artifact directory (written to a temporary directory, then renamed)
   * @param options - embed the training data or reference it by path and hash; overwrite an existing artifact
   * @returns a promise that settles when the artifact is in place
   */
  save(dir: string, options?: ArtifactSaveOptions): Promise<void> {
    return saveModel(this, dir, options);
  }

  /** Parameters per class block: d (+1 with the intercept). */
  get blockSize(): number {
    return this.X.cols + (this.options.fitIntercept ? 1 : 0);
  }

  get nParameters(): number {
    return (this.options.classes - 1) * this.blockSize;
  }

  /**
   * The kernels this model runs on.
   * @returns the backend
   */
  backendKernels(): Backend {
    return this.backend;
  }

  /**
   * The design [X, 1?] of a data matrix checked against this model.
   * @param X - data matrix with the model's features
   * @param name - argument name for error messages
   * @returns the native design description of X
   */
  design(X: Matrix, name = 'X') {
    assertMatrix(name, X);
    if (X.cols !== this.X.cols)
      throw new RangeError(`${name}: has ${X.cols} columns, the model has ${this.X.cols} features`);
    return { x: X.data, n: X.rows, d: X.cols, intercept: this.options.fitIntercept };
  }

  /**
   * Logits (n x C; the reference class's is 0).
   * @param X - inputs
   * @param theta - parameters (default the fitted ones)
   * @returns the n x C logits
   */
  async logits(X: Matrix, theta = this.theta): Promise<Matrix> {
    const design = this.design(X);
    const z = await this.call('logits', () =>
      this.backend.multinomialLogits({ ...design, classes: this.options.classes, theta }),
    );
    return new Matrix(z, X.rows, this.options.classes);
  }

  /**
   * Cross-entropy of every example.
   * @param X - inputs
   * @param y - class ids
   * @param theta - parameters (default the fitted ones)
   * @returns one loss per row
   */
  async losses(X: Matrix, y: Float64Array | readonly number[], theta = this.theta): Promise<Float64Array> {
    const z = await this.logits(X, theta); // checks X before its rows are read
    const labels = this.labels(y, X.rows);
    return Float64Array.from({ length: X.rows }, (_, i) => {
      const row = z.row(i);
      return logSumExp(row) - row[labels[i]!]!;
    });
  }

  /**
   * Gradients of the true-class margin f = z_y - logsumexp_{c != y} z_c = log p_y - log(1 - p_y)
   * (TRAK's output, as for the MLP), n x P: block c of row i is (df/dz_c) a_i for the C - 1 free
   * logits, df/dz_c = [c = y] - p_c / (1 - p_y) (docs/methods.md section 5).
   * @param X - inputs
   * @param y - class ids
   * @returns the n x P gradient matrix
   */
  async outputGradients(X: Matrix, y: Float64Array): Promise<Matrix> {
    const z = await this.logits(X); // checks X before its rows are read
    const labels = this.labels(y, X.rows);
    const C = this.options.classes,
      free = C - 1,
      p = this.blockSize,
      d = X.cols,
      P = this.nParameters;
    const { dMargin } = logitStatistics(z.data, labels, C, free);
    const G = new Float64Array(X.rows * P);
    for (let i = 0; i < X.rows; i++) {
      const x = X.data.subarray(i * d, (i + 1) * d);
      for (let c = 0; c < free; c++) {
        const s = dMargin[i * free + c]!,
          at = i * P + c * p;
        for (let j = 0; j < d; j++) G[at + j] = s * x[j]!;
        if (p > d) G[at + d] = s;
      }
    }
    return new Matrix(G, X.rows, P);
  }

  /**
   * Throws a RangeError naming `name` when X does not have the model's features.
   * @param X - data matrix
   * @param name - argument name for error messages
   */
  checkInputs(X: Matrix, name = 'X'): void {
    this.design(X, name);
  }

  /**
   * Per-example query outputs; softmax regression defines the loss (cross-entropy).
   * @param X - inputs
   * @param y - class ids
   * @param output - 'loss'
   * @returns one loss per row of X
   */
  async output(X: Matrix, y: Float64Array, output: ModelOutput): Promise<Float64Array> {
    if (output !== 'loss')
      throw new RangeError(
        `SoftmaxRegression.output: '${output}' is not defined; softmax regression is measured by its loss`,
      );
    return this.losses(X, y);
  }

  /**
   * Exact refit on a subset of the training rows or with new example weights, warm-started at
   * this optimum (the seed is ignored).
   * @param request - subset or weights
   * @returns the refitted model
   */
  async retrain(request: RetrainRequest): Promise<SoftmaxRegression> {
    return this.solve(
      retrainWeights('SoftmaxRegression.retrain', request, this.weights),
      this.theta,
      'SoftmaxRegression.retrain',
    );
  }

  /**
   * Exact refit with new example weights, warm-started at this optimum.
   * @param request - `{ weights }`, one non-negative weight per training example
   * @returns the refitted model
   */
  async refit(request: { weights: Float64Array | readonly number[] }): Promise<SoftmaxRegression> {
    const w = toFloat64('refit: weights', request.weights, this.X.rows).slice();
    if (w.some((v) => v < 0) || !(w.reduce((a, b) => a + b, 0) > 0))
      throw new RangeError('refit: weights must be >= 0 and not all 0');
    return this.solve(w, this.theta, 'SoftmaxRegression.refit');
  }

  /**
   * The penalty coefficient of a fit with these example weights (docs/methods.md section 1).
   * @param weights - example weights
   * @returns lambda, or its remaining share under the per-example convention
   */
  penaltyFor(weights: Float64Array): number {
    // Artifacts saved before the option existed have none: the fixed convention.
    if (this.options.regularization !== 'per-example') return this.options.lambda;
    return (this.options.lambda * weights.reduce((a, b) => a + b, 0)) / this.totalWeight;
  }

  private async solve(
    weights: Float64Array,
    theta0: Float64Array | undefined,
    where: string,
  ): Promise<SoftmaxRegression> {
    try {
      const r = await this.backend.multinomialFit({
        ...this.design(this.X),
        classes: this.options.classes,
        y: this.y,
        weights,
        lambda: this.penaltyFor(weights),
        tol: this.options.tol,
        maxIter: this.options.maxIter,
        keepHessian: false,
        ...(theta0 ? { theta0 } : {}),
      });
      return new SoftmaxRegression(r.theta, this.X, this.y, weights, this.options, fitDiagnostics(r), this.totalWeight);
    } catch (err) {
      rethrowNative(where, err);
    }
  }

  private call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return callNative(`SoftmaxRegression.${operation}`, run);
  }
}
