/**
 * The backend seam, written by hand: algorithms (fitting, influence, scoring) call only these
 * kernels, and each backend implements them — the CPU backend on the native addon
 * (`cpu.ts`), the WebGPU backend on f32 compute shaders for the kernels it accelerates
 * (`webgpu/`). Arrays are float64, matrices row-major with one example per row unless a
 * kernel says column-major (factors, solutions: they go straight to LAPACK). Enumerations
 * cross this seam as names; only the CPU backend maps them to the addon's integer codes.
 */

/** Backends a caller may ask for. `auto` picks WebGPU on a hardware adapter, else the CPU. */
export type BackendName = 'auto' | 'cpu' | 'webgpu';

/**
 * Per-example loss of a binary GLM: `logistic` log(1 + e^z) - y z, `squared` (z - y)^2 / 2,
 * `logisticLossSquared` (logistic loss - offset)^2 / 2 (Daunce's loss-matching objective).
 */
export type GlmFamily = 'logistic' | 'squared' | 'logisticLossSquared';
export const GLM_FAMILIES: readonly GlmFamily[] = ['logistic', 'squared', 'logisticLossSquared'];

/**
 * Per-example objective of a softmax model in logit space: `crossEntropy`, its square against an
 * offset (`crossEntropySquared`), or the squared true-class margin against an offset (`marginSquared`).
 */
export type LogitObjective = 'crossEntropy' | 'crossEntropySquared' | 'marginSquared';
export const LOGIT_OBJECTIVES: readonly LogitObjective[] = ['crossEntropy', 'crossEntropySquared', 'marginSquared'];

/** A design matrix A = [X, 1?] over row-major X (n x d) without copying it. */
export interface Design {
  x: Float64Array;
  n: number;
  d: number;
  intercept: boolean;
}

/** A penalised binary GLM problem and the Newton solver's settings. */
export interface GlmProblem extends Design {
  family: GlmFamily;
  /** Per-example offsets of `logisticLossSquared`. */
  offset?: Float64Array;
  y: Float64Array;
  weights?: Float64Array;
  lambda: number;
  linear?: Float64Array;
  tol: number;
  maxIter: number;
  /** Return the exact Hessian at the optimum (default true). */
  keepHessian?: boolean;
  /**
   * Newton-Krylov steps preconditioned by the last Newton factor between Hessian builds (default
   * true); false gives plain Newton with chord steps, the baseline the benchmarks compare to.
   */
  krylovSteps?: boolean;
}

export interface FitResult {
  theta: Float64Array;
  objective: number;
  gradientNorm: number;
  gradientScale: number;
  newtonIterations: number;
  chordIterations: number;
  /** Hessian-vector products of a Newton-Krylov refit. */
  krylovIterations: number;
  /** Which test ended the iteration (see FitDiagnostics.stoppedBy). */
  stoppedBy: 'tolerance' | 'rounding-floor' | 'stalled';
  /** Rounding error of the computed gradient at theta. */
  roundingFloor: number;
  /** Hessian at theta (p x p, column-major) when the fit's last evaluation built it. */
  hessian?: Float64Array;
}

/** Reference factorisation plus weight changes: M = H + sum_j coef_j a_j a_j^T - shift P. */
export interface ReducedHessianSpec {
  hessian: Float64Array;
  factor: Float64Array;
  rows: Uint32Array;
  coef: Float64Array;
  shift: number;
}

/**
 * An opaque handle (`Kernels.refitCache`) that the refits of one model share: the native side keeps
 * there what it derives from the model's training matrix and reference factor, built by the first
 * refit, so that later refits do not redo it.
 */
export interface RefitCache {
  /** Marks the type; there is nothing to read. */
  readonly refitCacheBrand?: never;
}

/**
 * Where a refit starts, the right-hand side it also solves with its reduced Hessian (the Newton
 * step), and the model's refit cache.
 */
export interface RefitSolve {
  thetaStart: Float64Array;
  rhs?: Float64Array;
  cache?: RefitCache;
}

/** Inputs of S[i, j] = f_i (u_i a_i^T V_j + r_i c_j). */
export interface ScoreInputs extends Design {
  v: Float64Array;
  m: number;
  rowCoef: Float64Array;
  rowFactor?: Float64Array;
  rowShift?: Float64Array;
  colOffset?: Float64Array;
}

/** k largest and k most negative scores per query (m x k each, row-major per query). */
export interface TopK {
  k: number;
  topIndex: Int32Array;
  topValue: Float64Array;
  bottomIndex: Int32Array;
  bottomValue: Float64Array;
}

/** Loss matrices of K perturbed models (model-major) with their per-example means and scales. */
export interface CovarianceInputs {
  train: Float64Array;
  n: number;
  query: Float64Array;
  m: number;
  models: number;
  trainMean: Float64Array;
  queryMean: Float64Array;
  trainScale?: Float64Array;
  queryScale?: Float64Array;
  /** Top-k per query instead of the full n x m matrix. */
  k?: number;
}

export interface Factorization {
  hessian: Float64Array;
  factor: Float64Array;
  rcond: number;
}

export interface PointwiseResult {
  margin: Float64Array;
  loss?: Float64Array;
  slope?: Float64Array;
  curvature?: Float64Array;
}

/** Layer sizes of a multilayer perceptron. */
export interface MlpArchitecture {
  d: number;
  hidden: Uint32Array;
  classes: number;
}

export interface MultinomialProblem extends Design {
  classes: number;
  y: Float64Array;
  weights?: Float64Array;
  lambda: number;
  linear?: Float64Array;
  offset?: Float64Array;
  objective?: LogitObjective;
  theta0?: Float64Array;
  tol: number;
  maxIter: number;
  keepHessian?: boolean;
  /**
   * Newton-Krylov steps on Hessian-vector products between Hessian builds, cross-entropy only
   * (default true); false gives plain Newton with chord steps, the baseline the benchmarks
   * compare to.
   */
  krylovSteps?: boolean;
}

/**
 * What the batched Daunce copies of a binary GLM and of a softmax regression share: copy b
 * trains on `rows` [offset_b, offset_b + sizes[b]) with those rows' `weights` and first-order
 * `coef`, warm-started from `theta0`, and its losses on the queries (`qx`, `queryLabels`) come
 * back with its parameters.
 */
export interface CopiesBatchProblem extends Design {
  y: Float64Array;
  offset?: Float64Array;
  lambda: number;
  theta0: Float64Array;
  sizes: Uint32Array;
  rows: Uint32Array;
  weights: Float64Array;
  coef?: Float64Array;
  qx: Float64Array;
  qn: number;
  qd: number;
  qintercept: boolean;
  queryLabels: Float64Array;
  /** Weight of every example in the preconditioner's curvature (the same for every copy). */
  referenceWeight: number;
  /**
   * The reference factorisation an earlier call on the same model and objective returned
   * (`referenceFactor` of its result; empty when it had none): used as given instead of rebuilt,
   * a Hessian build over all n examples per call. Absent: built by this call.
   */
  referenceFactor?: Float64Array;
  /** Worker threads of the pool (each copy runs single-threaded BLAS). */
  threads: number;
  tol: number;
  maxIter: number;
}

/**
 * Many perturbed copies of a binary GLM (Daunce): copy b trains on `rows` [offset_b, offset_b +
 * sizes[b]) with those rows' `weights` and first-order `coef` (linear term sum_j coef_j a_j),
 * warm-started from `theta0`; every copy's logistic losses on the training set (`labels`) and
 * on the queries (`qx`, `queryLabels`) come back with its parameters.
 */
export interface GlmCopiesProblem extends CopiesBatchProblem {
  family: GlmFamily;
  labels: Float64Array;
  /** Newton-Krylov preconditioned by the reference factorisation (else damped Newton). */
  precondition: boolean;
}

/** Every copy's parameters (B x p), losses (B x n, B x m) and iteration counts, copy-major. */
export interface GlmCopiesResult {
  theta: Float64Array;
  trainLoss: Float64Array;
  queryLoss: Float64Array;
  newtonIterations: Int32Array;
  krylovIterations: Int32Array;
  /** The reference factorisation the call used (P x P lower Cholesky factor; empty when none). */
  referenceFactor: Float64Array;
}

/**
 * Many perturbed copies of a softmax regression (Daunce), as `GlmCopiesProblem`: copy b trains
 * on its `rows` with their `weights` and first-order `coef` (C - 1 per row, row-major: the linear
 * term is sum_j sum_c coef_{j,c} (e_c kron a_j)) under the logit-space `objective`, warm-started
 * from `theta0`; every copy's cross-entropies on the training set (`y`) and on the queries come
 * back with its parameters (`GlmCopiesResult`, theta B x (C - 1) p).
 */
export interface MultinomialCopiesProblem extends CopiesBatchProblem {
  classes: number;
  objective: LogitObjective;
  /** Chord steps preconditioned by the reference factorisation (else damped Newton). */
  precondition: boolean;
}

export interface MlpTrainOptions extends MlpArchitecture {
  x: Float64Array;
  n: number;
  y: Float64Array;
  theta0: Float64Array;
  objective: LogitObjective;
  offset?: Float64Array;
  linear?: Float64Array;
  subset?: Uint32Array;
  penalty: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  adam: boolean;
  momentum: number;
  seed: number;
  /** Cosine decay of the learning rate to 0 over all steps (default: constant). */
  cosine?: boolean;
  /** Multiplies the loss term of the objective (Daunce's gamma; default 1). */
  lossScale?: number;
}

/** The kernels every backend implements (each validates its arguments and names the one at fault). */
export interface Kernels {
  /**
   * Damped Newton fit of a penalised binary GLM from `theta0` (zeros when absent).
   * @param o the problem and solver settings
   * @returns the optimum and its diagnostics
   */
  fit(o: GlmProblem & { theta0?: Float64Array }): Promise<FitResult>;
  /**
   * Refit from `thetaStart`, preconditioned by the exact reduced Hessian M at the reference optimum.
   * @param o the reduced problem and the reference factorisation; with `rhs`, M^{-1} rhs is solved too
   * @returns the refit optimum, and M^{-1} rhs as `solution` when `rhs` was given
   */
  refit(o: GlmProblem & ReducedHessianSpec & RefitSolve): Promise<FitResult & { solution?: Float64Array }>;
  /**
   * A new, empty refit cache for the refits of one model (pass it as `cache`). It serves one
   * training matrix and one reference factorisation, held in SharedArrayBuffers: a refit with
   * other ones builds what it needs for itself.
   * @returns the handle
   */
  refitCache(): RefitCache;
  /**
   * Solves M x = rhs for M = H + sum_j coef_j a_j a_j^T - shift P (Woodbury or refactorisation).
   * @param o the design, reduced-Hessian spec and right-hand side
   * @returns the solution
   */
  reducedSolve(o: Design & ReducedHessianSpec & { rhs: Float64Array }): Promise<{ solution: Float64Array }>;
  /**
   * Margins at theta and, with labels, per-example losses, slopes and curvatures.
   * @param o the design, family, parameters and optional labels/offsets
   * @returns the per-example terms
   */
  pointwise(
    o: Design & { family: GlmFamily; theta: Float64Array; y?: Float64Array; offset?: Float64Array },
  ): Promise<PointwiseResult>;
  /**
   * Builds and factors H = sum_i coef_i a_i a_i^T + lambda P; throws when singular.
   * @param o the design, Hessian weights and lambda
   * @returns the Hessian, its Cholesky factor and condition estimate
   */
  hessian(o: Design & { coef: Float64Array; lambda: number }): Promise<Factorization>;
  /**
   * Factors a Hessian the fit already built; throws when singular.
   * @param o the p x p Hessian (column-major)
   * @returns the Hessian, its Cholesky factor and condition estimate
   */
  factor(o: { hessian: Float64Array; p: number }): Promise<Factorization>;
  /**
   * Leverages h_i = coef_i a_i^T H^{-1} a_i from the Cholesky factor.
   * @param o the design, factor and per-example coefficients
   * @returns one leverage per example
   */
  leverage(o: Design & { factor: Float64Array; coef: Float64Array }): Promise<Float64Array>;
  /**
   * Solves (L L^T) X = B.
   * @param o the factor, size p and right-hand sides (p x nrhs, column-major)
   * @returns X (column-major)
   */
  choleskySolve(o: { factor: Float64Array; p: number; rhs: Float64Array; nrhs: number }): Promise<Float64Array>;
  /**
   * The full attribution score matrix.
   * @param o the score inputs
   * @returns n x m scores, row-major
   */
  scoreMatrix(o: ScoreInputs): Promise<Float64Array>;
  /**
   * The k largest and k most negative scores per query, streamed over row blocks.
   * @param o the score inputs and k
   * @returns the top-k and bottom-k per query
   */
  scoreTopK(o: ScoreInputs & { k: number }): Promise<TopK>;
  /**
   * Daunce covariance (or correlation) scores of perturbed-model losses.
   * @param o the loss matrices, means, optional scales and optional k
   * @returns n x m scores, or top-k per query when k is given
   */
  covarianceScores(o: CovarianceInputs): Promise<Float64Array | TopK>;
  /**
   * Rows coef_i a_i + offset (per-example gradients of a GLM).
   * @param o the design, coefficients and optional offset
   * @returns n x p, row-major
   */
  scaledRows(o: Design & { coef: Float64Array; offset?: Float64Array }): Promise<Float64Array>;
  /**
   * A^T v.
   * @param o the design and v (n)
   * @returns p values
   */
  transposeTimes(o: Design & { v: Float64Array }): Promise<Float64Array>;
  /**
   * Newton fit of penalised softmax regression (reference class last).
   * @param o the problem and solver settings
   * @returns the optimum and its diagnostics
   */
  multinomialFit(o: MultinomialProblem): Promise<FitResult>;
  /**
   * All class logits of softmax regression (reference column 0).
   * @param o the design, classes and parameters
   * @returns n x classes, row-major
   */
  multinomialLogits(o: Design & { classes: number; theta: Float64Array }): Promise<Float64Array>;
  /**
   * Exact softmax Hessian at theta (K p x K p, column-major) and its lower Cholesky factor; throws when singular.
   * @param o the design, classes, labels, weights, penalty and parameters
   * @returns the Hessian, its factor and the reciprocal condition number
   */
  multinomialHessian(
    o: Design & { classes: number; y: Float64Array; weights?: Float64Array; lambda: number; theta: Float64Array },
  ): Promise<Factorization>;
  /**
   * J_i H^{-1} J_i^T for every example: n row-major (C - 1) x (C - 1) blocks.
   * @param o the design, classes and the Hessian's Cholesky factor
   * @returns the leverage blocks
   */
  multinomialLeverageBlocks(o: Design & { classes: number; factor: Float64Array }): Promise<Float64Array>;
  /**
   * Seeded He-uniform initialisation of an MLP (synchronous).
   * @param o the architecture and seed
   * @returns the flat parameter vector
   */
  mlpInit(o: MlpArchitecture & { seed: number }): Float64Array;
  /**
   * Minibatch Adam/SGD training of an MLP; rejects a diverging run.
   * @param o the architecture, data, objective and optimiser settings
   * @returns the trained parameters
   */
  mlpTrain(o: MlpTrainOptions): Promise<Float64Array>;
  /**
   * Trains many perturbed copies of a binary GLM on a native thread pool (Daunce).
   * @param o the shared problem and each copy's rows, weights and first-order coefficients
   * @returns every copy's parameters and losses
   */
  glmCopies(o: GlmCopiesProblem): Promise<GlmCopiesResult>;
  /**
   * Trains many perturbed copies of a softmax regression on a native thread pool (Daunce).
   * @param o the shared problem and each copy's rows, weights and first-order coefficients
   * @returns every copy's parameters and cross-entropies
   */
  multinomialCopies(o: MultinomialCopiesProblem): Promise<GlmCopiesResult>;
  /**
   * Logits of an MLP.
   * @param o the architecture, data and parameters
   * @returns n x classes, row-major
   */
  mlpLogits(o: MlpArchitecture & { x: Float64Array; n: number; theta: Float64Array }): Promise<Float64Array>;
  /**
   * Per-example cross-entropy of an MLP.
   * @param o the architecture, data, labels and parameters
   * @returns one loss per example
   */
  mlpLosses(
    o: MlpArchitecture & { x: Float64Array; n: number; theta: Float64Array; y: Float64Array },
  ): Promise<Float64Array>;
  /**
   * Per-example parameter gradients of an MLP (of the loss, or of the true-class margin).
   * @param o the architecture, data, labels, parameters and output
   * @returns n x parameters, row-major
   */
  mlpGradients(
    o: MlpArchitecture & { x: Float64Array; n: number; theta: Float64Array; y: Float64Array; margin?: boolean },
  ): Promise<Float64Array>;
}

/** A backend: the kernels, its name and a description (see `selectBackend`). */
export interface Backend extends Kernels {
  /** Which backend this is. */
  readonly name: Exclude<BackendName, 'auto'>;
  /**
   * One line describing the implementation (BLAS build, device).
   * @returns the description
   */
  describe(): string;
}
