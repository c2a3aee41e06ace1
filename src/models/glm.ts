/**
 * Shared machinery of the L2-regularised GLMs (docs/methods.md section 1): fitting to machine
 * precision, per-example losses and gradients, and exact warm-started refits that reuse the
 * Hessian factorisation at the optimum.
 */
import { resolveBackend, type Backend } from '../backend/index.ts';
import type { Design, GlmFamily, RefitCache } from '../backend/types.ts';
import { callNative, rethrowNative } from '../errors.ts';
import { assertMatrix, Matrix } from '../data/matrix.ts';
import { toFloat64, toIndexSet } from '../data/validate.ts';
import { sigmoid } from '../numerics.ts';
import { retrainWeights, type AttributableModel, type ModelOutput, type RetrainRequest } from './model.ts';
import { resolveGlmOptions, type GlmOptions, type ResolvedGlmOptions } from './options.ts';
import { assertKnownOptions } from '../options-check.ts';
import { saveModel, type ArtifactSaveOptions } from '../artifacts/models.ts';

// The training matrix a model keeps, copied once into a SharedArrayBuffer: native calls read a
// shared buffer in place (it cannot be detached or shrunk), while any other input is copied on
// every call, which for the refits and influence effects of a removal benchmark (many calls on an
// n x d matrix) cost more than the arithmetic. The copy also decouples the model from later
// writes to the caller's matrix.
function sharedMatrix(X: Matrix): Matrix {
  if (X.data.buffer instanceof SharedArrayBuffer) return X;
  return new Matrix(sharedCopy(X.data), X.rows, X.cols);
}

/** A copy of `a` in a SharedArrayBuffer (`a` itself when it already is in one). */
function sharedCopy(a: Float64Array): Float64Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const data = new Float64Array(new SharedArrayBuffer(a.length * Float64Array.BYTES_PER_ELEMENT));
  data.set(a);
  return data;
}

// The reference Hessian and its factor (p x p each) in shared memory, for the same reason: every
// refit and Newton step reads both, and a 2,000-parameter model would copy 64 MB per call.
function sharedFactorization(f: HessianFactorization): HessianFactorization {
  return { ...f, hessian: sharedCopy(f.hessian), factor: sharedCopy(f.factor) };
}

/** The binary GLMs: logistic regression and ridge (least squares). */
export type GlmKind = 'logistic' | 'ridge';

/** How a fit ended: the gradient norm of the full objective and the work it took. */
export interface FitDiagnostics {
  /** ||grad F(theta)||_2 at the returned parameters (penalty included). */
  gradientNorm: number;
  /** Sum of the magnitudes of the gradient's terms: the scale that rounding is relative to. */
  gradientScale: number;
  /** Full Newton iterations (each builds and factors a Hessian). */
  newtonIterations: number;
  /**
   * Preconditioned steps, each one gradient plus krylovIterations' share of Hessian-vector
   * products, reusing a factorisation (no Hessian build): a refit's reference factorisation, or in
   * a fit the factor of its last Newton step. A refit that reports newtonIterations > 0 fell back
   * to full Newton steps because they were cheaper there.
   */
  chordIterations: number;
  /** Hessian-vector products (conjugate-gradient iterations, O(n p) each) of Newton-Krylov steps. */
  krylovIterations?: number;
  /**
   * Which test ended the iteration: 'tolerance' (gradientNorm <= tol * gradientScale),
   * 'rounding-floor' (no step improves a gradient already at its own rounding error, roundingFloor;
   * only when tol asks for more than float64 can resolve) or 'stalled' (full Newton steps stopped
   * reducing a gradient below 1e-7 * gradientScale: an ill-conditioned Hessian's rounding).
   */
  stoppedBy?: 'tolerance' | 'rounding-floor' | 'stalled';
  /** Rounding error of the computed gradient at theta (about 8 eps x (gradientScale + margin rounding)). */
  roundingFloor?: number;
}

/** A refitted model and the solve with its reduced Hessian (`refitAndSolve`). */
export interface ModelAndSolution<M> {
  model: M;
  solution: Float64Array;
}

/**
 * The diagnostics of a native fit or refit result (the one place that maps one to the other).
 * @param r - the backend's result
 * @returns the diagnostics alone
 */
export function fitDiagnostics(r: Readonly<FitDiagnostics>): FitDiagnostics {
  const { gradientNorm, gradientScale, newtonIterations, chordIterations, krylovIterations, stoppedBy, roundingFloor } =
    r;
  return {
    gradientNorm,
    gradientScale,
    newtonIterations,
    chordIterations,
    ...(krylovIterations !== undefined ? { krylovIterations } : {}),
    ...(stoppedBy !== undefined ? { stoppedBy } : {}),
    ...(roundingFloor !== undefined ? { roundingFloor } : {}),
  };
}

/** The Hessian of the objective at the fitted parameters, factored once and cached. */
export interface HessianFactorization {
  /** H (p x p, column-major, both triangles). */
  hessian: Float64Array;
  /** Lower Cholesky factor L of H = L L^T (p x p, column-major). */
  factor: Float64Array;
  /** LAPACK's reciprocal condition estimate of H. */
  rcond: number;
}

/** Per-example quantities of the training data at the fitted parameters. */
export interface TrainingPointwise {
  margin: Float64Array;
  loss: Float64Array;
  /** dl_i/dz_i (the residual p_i - y_i or z_i - y_i). */
  slope: Float64Array;
  /** d2l_i/dz_i^2 (p_i(1 - p_i) or 1). */
  curvature: Float64Array;
}

/** Either remove examples (their weight becomes 0) or set new example weights. */
export type RefitRequest =
  | { exclude: ArrayLike<number>; weights?: undefined }
  | { weights: Float64Array | readonly number[]; exclude?: undefined };

export interface GlmState {
  X: Matrix;
  y: Float64Array;
  weights: Float64Array;
  options: ResolvedGlmOptions;
  /** Total weight W of the original fit: the per-example penalty shares are w_i / W. */
  totalWeight: number;
  /** Coefficient of (1/2)||P theta||^2 in this model's objective. */
  penalty: number;
  theta: Float64Array;
  diagnostics: FitDiagnostics;
  objective: number;
  /** The Hessian at theta when the fit already built it (factored lazily, never rebuilt). */
  hessianAtFit?: Float64Array;
}

const FAMILY = { logistic: 'logistic', ridge: 'squared' } as const satisfies Record<string, GlmFamily>;

/** Shared machinery of `LogisticRegression` and `RidgeRegression` (docs/methods.md section 1). */
export abstract class GeneralizedLinearModel implements AttributableModel {
  abstract readonly kind: GlmKind;
  abstract readonly task: 'classification' | 'regression';
  /** Refits are exact (Newton from the current optimum): no seed is involved. */
  readonly stochastic = false;
  /** Queries can be measured by loss, margin (logit) or probability (the margin for ridge). */
  readonly outputs: readonly ModelOutput[] = ['loss', 'logit', 'probability'];
  /** Fitted parameters: feature weights, then the intercept when fitIntercept. */
  readonly theta: Float64Array;
  /** Training data the model was fitted on (kept for refits and influence analysis). */
  readonly X: Matrix;
  readonly y: Float64Array;
  /** Example weights of this fit (0 marks a removed example). */
  readonly weights: Float64Array;
  readonly options: Readonly<ResolvedGlmOptions>;
  readonly diagnostics: Readonly<FitDiagnostics>;
  /** Coefficient of (1/2)||P theta||^2 in this model's objective (lambda unless per-example removals). */
  readonly penalty: number;
  /** Total weight W of the original fit (per-example penalty shares are w_i / W). */
  readonly totalWeight: number;
  protected readonly backend: Backend;
  private readonly objectiveValue: number;
  private factorizationCache?: Promise<HessianFactorization>;
  private hessianAtFit?: Float64Array;
  private pointwiseCache?: Promise<TrainingPointwise>;
  // What the refits of this model share natively (X's sparse rows and row norms, the float32
  // reference factor): built by the first refit, reused by the others.
  private refitCacheHandle?: RefitCache;

  protected constructor(state: GlmState) {
    this.X = state.X;
    this.y = state.y;
    this.weights = state.weights;
    this.options = Object.freeze({ ...state.options });
    this.totalWeight = state.totalWeight;
    this.penalty = state.penalty;
    this.theta = state.theta;
    this.diagnostics = Object.freeze({ ...state.diagnostics });
    this.objectiveValue = state.objective;
    this.backend = resolveBackend(state.options.backend, 'options.backend');
    this.hessianAtFit = state.hessianAtFit;
  }

  /** Creates a model of the same class from a new state (refits). */
  protected abstract withState(state: GlmState): this;
  /** Throws for labels outside the model's set. */
  protected abstract checkLabels(name: string, y: Float64Array): void;

  /**
   * The kernels this model runs on (for analyses built on top of it).
   * @returns the backend
   */
  backendKernels(): Backend {
    return this.backend;
  }

  /** Number of features d. */
  get nFeatures(): number {
    return this.X.cols;
  }
  /** Number of parameters p = d (+1 with the intercept). */
  get nParameters(): number {
    return this.theta.length;
  }
  /** ||grad F|| at theta (see diagnostics). */
  get gradientNorm(): number {
    return this.diagnostics.gradientNorm;
  }
  /** Newton iterations of the fit. */
  get iterations(): number {
    return this.diagnostics.newtonIterations;
  }
  protected get familyCode(): GlmFamily {
    return FAMILY[this.kind];
  }

  /**
   * F(theta) = sum_i w_i l_i + (penalty/2)||P theta||^2 at the fitted parameters.
   * @returns F(theta^)
   */
  objective(): number {
    return this.objectiveValue;
  }

  /**
   * The design [X, 1?] of a data matrix checked against this model.
   * @param X - data matrix with the model's features
   * @param name - argument name for error messages
   * @returns the native design description of X
   */
  design(X: Matrix, name = 'X'): Design {
    assertMatrix(name, X);
    if (X.cols !== this.nFeatures)
      throw new RangeError(`${name}: has ${X.cols} columns, the model has ${this.nFeatures} features`);
    return { x: X.data, n: X.rows, d: X.cols, intercept: this.options.fitIntercept };
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
   * Predictions: labels for classifiers, values for regression.
   * @param X - inputs
   * @returns one prediction per row
   */
  abstract predict(X: Matrix): Promise<Float64Array>;

  /**
   * Per-example query outputs: the loss, the margin z = a^T theta ('logit'), or the predicted
   * probability of label 1 ('probability'; ridge has no probability and returns the margin).
   * @param X - inputs
   * @param y - labels (read for the loss only)
   * @param output - which output
   * @returns one value per row of X
   */
  async output(X: Matrix, y: Float64Array, output: ModelOutput): Promise<Float64Array> {
    if (output === 'loss') return this.losses(X, y);
    const z = await this.decisionFunction(X);
    if (output === 'logit' || this.kind === 'ridge') return z;
    return z.map(sigmoid);
  }

  /**
   * The model refitted exactly on a subset of its training rows or with new example weights,
   * warm-started at this optimum (the seed is ignored: the refit is deterministic). Unlike
   * `refit`, it does not keep the Hessian at the new optimum.
   * @param request - subset or weights
   * @returns the refitted model
   */
  async retrain(request: RetrainRequest): Promise<this> {
    return this.refitWithWeights(retrainWeights('retrain', request, this.weights), undefined, false);
  }

  /**
   * Labels checked against X and the model's label set.
   * @param y - labels
   * @param rows - expected number of labels
   * @param name - argument name for error messages
   * @returns the labels as a Float64Array
   */
  labels(y: Float64Array | readonly number[], rows: number, name = 'y'): Float64Array {
    const out = toFloat64(name, y, rows);
    this.checkLabels(name, out);
    return out;
  }

  /**
   * Margins z = a^T theta.
   * @param X - inputs
   * @returns one margin per row
   */
  async decisionFunction(X: Matrix): Promise<Float64Array> {
    return (
      await this.call('decisionFunction', () =>
        this.backend.pointwise({ ...this.design(X), family: this.familyCode, theta: this.theta }),
      )
    ).margin;
  }

  /**
   * Per-example losses l(a_i^T theta; y_i) (unweighted, no penalty).
   * @param X - inputs
   * @param y - labels
   * @returns one loss per row
   */
  async losses(X: Matrix, y: Float64Array | readonly number[]): Promise<Float64Array> {
    const design = this.design(X);
    const labels = this.labels(y, X.rows);
    const r = await this.call('losses', () =>
      this.backend.pointwise({ ...design, family: this.familyCode, theta: this.theta, y: labels }),
    );
    return r.loss!;
  }

  /**
   * Per-example gradients g_i = dl_i/dz a_i (n x p): with the per-example convention each also
   * carries its penalty share (lambda / W) P theta, as in docs/methods.md.
   * @param X - inputs
   * @param y - labels
   * @returns the n x p gradient matrix
   */
  async gradients(X: Matrix, y: Float64Array | readonly number[]): Promise<Matrix> {
    const design = this.design(X);
    const labels = this.labels(y, X.rows);
    const pw = await this.call('gradients', () =>
      this.backend.pointwise({ ...design, family: this.familyCode, theta: this.theta, y: labels }),
    );
    const offset = this.penaltyShareGradient(1);
    const g = await this.call('gradients', () =>
      this.backend.scaledRows({ ...design, coef: pw.slope!, ...(offset ? { offset } : {}) }),
    );
    return new Matrix(g, X.rows, this.nParameters);
  }

  /**
   * The gradient of the penalty share carried by an example of weight w under the per-example
   * convention, (lambda w / W) P theta; undefined under 'fixed'.
   * @param w - the example's weight
   * @returns the gradient, or undefined under 'fixed'
   */
  penaltyShareGradient(w: number): Float64Array | undefined {
    if (this.options.regularization !== 'per-example') return undefined;
    const c = (this.options.lambda * w) / this.totalWeight;
    const g = new Float64Array(this.nParameters);
    for (let k = 0; k < this.nFeatures; k++) g[k] = c * this.theta[k]!;
    return g;
  }

  /**
   * Losses, residuals and curvatures of the training data at theta (cached).
   * @returns margins, losses, slopes and curvatures of the training examples
   */
  trainingPointwise(): Promise<TrainingPointwise> {
    this.pointwiseCache ??= this.call('trainingPointwise', () =>
      this.backend.pointwise({ ...this.design(this.X), family: this.familyCode, theta: this.theta, y: this.y }),
    ) as Promise<TrainingPointwise>;
    return this.pointwiseCache;
  }

  /**
   * H = sum_i w_i s_i a_i a_i^T + penalty P at theta and its Cholesky factor (cached).
   * @returns the Hessian, its Cholesky factor and a condition estimate
   */
  factorization(): Promise<HessianFactorization> {
    this.factorizationCache ??= (async () => {
      const built = this.hessianAtFit;
      if (built) {
        this.hessianAtFit = undefined; // the factorisation result owns it from here on
        return sharedFactorization(
          await this.call('factorization', () => this.backend.factor({ hessian: built, p: this.nParameters })),
        );
      }
      const pw = await this.trainingPointwise();
      const coef = new Float64Array(this.X.rows);
      for (let i = 0; i < coef.length; i++) coef[i] = this.weights[i]! * pw.curvature[i]!;
      return sharedFactorization(
        await this.call('factorization', () =>
          this.backend.hessian({ ...this.design(this.X), coef, lambda: this.penalty }),
        ),
      );
    })();
    return this.factorizationCache;
  }

  /**
   * Refits exactly after removing examples or changing weights, warm-started at this optimum.
   * The reference Hessian is corrected for the changed examples (Woodbury when few change), so
   * its first step is the Newton-step estimate and later steps reuse the factorisation.
   * @param request - `{ exclude: indices }` or `{ weights }`
   * @param options - `start` (warm start, default theta) and `keepHessian`
   * @returns the refitted model
   */
  async refit(request: RefitRequest, options: { start?: Float64Array; keepHessian?: boolean } = {}): Promise<this> {
    if (request === null || typeof request !== 'object')
      throw new TypeError('refit: expects { exclude } or { weights }');
    assertKnownOptions('refit', request, ['exclude', 'weights']);
    assertKnownOptions('refit', options, ['start', 'keepHessian']);
    const n = this.X.rows;
    let weights: Float64Array;
    if (request.exclude !== undefined && request.weights !== undefined) {
      throw new TypeError('refit: give either exclude or weights, not both');
    } else if (request.exclude !== undefined) {
      weights = this.excludedWeights('refit: exclude', request.exclude);
    } else if (request.weights !== undefined) {
      weights = toFloat64('refit: weights', request.weights, n).slice();
      checkWeights('refit: weights', weights);
    } else {
      throw new TypeError('refit: expects { exclude: indices } or { weights }');
    }
    return this.refitWithWeights(weights, options.start, options.keepHessian ?? this.options.keepHessian);
  }

  /**
   * `refit({ exclude })` that also solves M x = rhs with the reduced Hessian M its iterations are
   * preconditioned by: the reference Hessian corrected for the removed examples, at this optimum.
   * With rhs the removed examples' gradient sum, x is the Newton-step estimate of the removal
   * (what `Influence` reports as NS), from the Woodbury correction the refit builds anyway.
   * @param exclude - indices of the removed training examples
   * @param rhs - the right-hand side (one entry per parameter)
   * @param options - `keepHessian` (default the model's option)
   * @returns the refitted model and M^{-1} rhs
   */
  async refitAndSolve(
    exclude: ArrayLike<number>,
    rhs: Float64Array,
    options: { keepHessian?: boolean } = {},
  ): Promise<ModelAndSolution<this>> {
    assertKnownOptions('refitAndSolve', options, ['keepHessian']);
    const weights = this.excludedWeights('refitAndSolve: exclude', exclude);
    const right = toFloat64('refitAndSolve: rhs', rhs, this.nParameters);
    const r = await this.refitCore(weights, undefined, options.keepHessian ?? this.options.keepHessian, right);
    return { model: r.model, solution: r.solution! };
  }

  /** This model's weights with the rows of `exclude` (checked: distinct, in range, not yet removed) set to 0. */
  private excludedWeights(name: string, exclude: unknown): Float64Array {
    const rows = toIndexSet(name, exclude, this.X.rows);
    const weights = this.weights.slice();
    for (const i of rows) {
      if (weights[i] === 0) throw new RangeError(`${name}: example ${i} is already removed (weight 0)`);
      weights[i] = 0;
    }
    return weights;
  }

  /**
   * Refit with validated weights; `start` (default theta) warm-starts the iteration.
   * keepHessian: whether a refit that ends with Newton steps builds the Hessian at its optimum.
   */
  protected async refitWithWeights(
    weights: Float64Array,
    start?: Float64Array,
    keepHessian = this.options.keepHessian,
  ): Promise<this> {
    return (await this.refitCore(weights, start, keepHessian)).model;
  }

  /** The native refit cache of this model, created on first use. */
  private refitCache(): RefitCache {
    this.refitCacheHandle ??= this.backend.refitCache();
    return this.refitCacheHandle;
  }

  /** The refit, and with `rhs` the solve with its reduced Hessian. */
  private async refitCore(
    weights: Float64Array,
    start: Float64Array | undefined,
    keepHessian: boolean,
    rhs?: Float64Array,
  ): Promise<Omit<ModelAndSolution<this>, 'solution'> & { solution?: Float64Array }> {
    const total = weights.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new RangeError('refit: no training examples are left (all weights are 0)');
    const [pw, f] = await Promise.all([this.trainingPointwise(), this.factorization()]);
    const rows: number[] = [];
    const coef: number[] = [];
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] !== this.weights[i]) {
        rows.push(i);
        coef.push((weights[i]! - this.weights[i]!) * pw.curvature[i]!);
      }
    }
    const penalty =
      this.options.regularization === 'per-example' ? (this.options.lambda * total) / this.totalWeight : this.penalty;
    const r = await this.call('refit', () =>
      this.backend.refit({
        ...this.design(this.X),
        family: this.familyCode,
        y: this.y,
        weights,
        lambda: penalty,
        tol: this.options.tol,
        maxIter: this.options.maxIter,
        keepHessian,
        thetaStart: start ?? this.theta,
        hessian: f.hessian,
        factor: f.factor,
        rows: Uint32Array.from(rows),
        coef: Float64Array.from(coef),
        shift: this.penalty - penalty,
        cache: this.refitCache(),
        ...(rhs ? { rhs } : {}),
      }),
    );
    const model = this.withState({
      X: this.X,
      y: this.y,
      weights,
      options: this.options,
      totalWeight: this.totalWeight,
      penalty,
      theta: r.theta,
      objective: r.objective,
      ...(r.hessian ? { hessianAtFit: r.hessian } : {}),
      diagnostics: fitDiagnostics(r),
    });
    return { model, ...(r.solution ? { solution: r.solution } : {}) };
  }

  /**
   * Saves the fitted model as an artifact directory (a versioned manifest and checksummed .npy arrays; load with `<Model>.load(dir)`).
   * @param dir - the artifact directory (written to a temporary directory, then renamed)
   * @param options - embed the training data or reference it by path and hash; overwrite an existing artifact
   * @returns a promise that settles when the artifact is in place
   */
  save(dir: string, options?: ArtifactSaveOptions): Promise<void> {
    return saveModel(this, dir, options);
  }

  /** Runs a backend call, re-throwing its failure with this model's operation named. */
  protected call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return callNative(`${this.constructor.name}.${operation}`, run);
  }

  /** Validates inputs, runs Newton from zero and returns the state of the fitted model. */
  protected static async fitState(
    name: string,
    kind: GlmKind,
    X: Matrix,
    y: Float64Array | readonly number[],
    options: GlmOptions | undefined,
    checkLabels: (name: string, y: Float64Array) => void,
  ): Promise<GlmState> {
    const where = `${name}.fit`;
    assertMatrix(`${where}: X`, X);
    if (X.rows === 0) throw new RangeError(`${where}: X has no rows (empty data)`);
    const opts = resolveGlmOptions(where, options);
    if (X.cols === 0 && !opts.fitIntercept)
      throw new RangeError(`${where}: X has no columns and fitIntercept is false: nothing to fit`);
    const labels = toFloat64(`${where}: y`, y, X.rows);
    checkLabels(`${where}: y`, labels);
    const weights =
      options?.sampleWeights === undefined
        ? new Float64Array(X.rows).fill(1)
        : toFloat64(`${where}: options.sampleWeights`, options.sampleWeights, X.rows).slice();
    checkWeights(`${where}: options.sampleWeights`, weights);
    const backend = resolveBackend(opts.backend, `${where}: options.backend`);
    try {
      const r = await backend.fit({
        x: X.data,
        n: X.rows,
        d: X.cols,
        intercept: opts.fitIntercept,
        family: FAMILY[kind],
        y: labels,
        weights,
        lambda: opts.lambda,
        tol: opts.tol,
        maxIter: opts.maxIter,
        keepHessian: opts.keepHessian,
      });
      return {
        X: sharedMatrix(X),
        y: labels,
        weights,
        options: opts,
        totalWeight: weights.reduce((a, b) => a + b, 0),
        penalty: opts.lambda,
        theta: r.theta,
        objective: r.objective,
        diagnostics: fitDiagnostics(r),
        ...(r.hessian ? { hessianAtFit: r.hessian } : {}),
      };
    } catch (err) {
      rethrowNative(where, err);
    }
  }
}

function checkWeights(name: string, w: Float64Array): void {
  let total = 0;
  for (let i = 0; i < w.length; i++) {
    if (w[i]! < 0) throw new RangeError(`${name}: weight ${i} is ${w[i]}; weights must be >= 0`);
    total += w[i]!;
  }
  if (!(total > 0)) throw new RangeError(`${name}: all weights are 0; nothing to fit`);
}
