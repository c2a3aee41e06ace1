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
}

export interface FitResult {
  theta: Float64Array;
  objective: number;
  gradientNorm: number;
  gradientScale: number;
  newtonIterations: number;
  chordIterations: number;
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
}

/** The kernels every backend implements. */
export interface Kernels {
  fit(o: GlmProblem & { theta0?: Float64Array }): Promise<FitResult>;
  refit(o: GlmProblem & ReducedHessianSpec & { thetaStart: Float64Array }): Promise<FitResult>;
  reducedSolve(o: Design & ReducedHessianSpec & { rhs: Float64Array }): Promise<{ solution: Float64Array }>;
  pointwise(o: Design & { family: GlmFamily; theta: Float64Array; y?: Float64Array; offset?: Float64Array }): Promise<PointwiseResult>;
  hessian(o: Design & { coef: Float64Array; lambda: number }): Promise<Factorization>;
  factor(o: { hessian: Float64Array; p: number }): Promise<Factorization>;
  leverage(o: Design & { factor: Float64Array; coef: Float64Array }): Promise<Float64Array>;
  choleskySolve(o: { factor: Float64Array; p: number; rhs: Float64Array; nrhs: number }): Promise<Float64Array>;
  scoreMatrix(o: ScoreInputs): Promise<Float64Array>;
  scoreTopK(o: ScoreInputs & { k: number }): Promise<TopK>;
  covarianceScores(o: CovarianceInputs): Promise<Float64Array | TopK>;
  scaledRows(o: Design & { coef: Float64Array; offset?: Float64Array }): Promise<Float64Array>;
  transposeTimes(o: Design & { v: Float64Array }): Promise<Float64Array>;
  multinomialFit(o: MultinomialProblem): Promise<FitResult>;
  multinomialLogits(o: Design & { classes: number; theta: Float64Array }): Promise<Float64Array>;
  mlpInit(o: MlpArchitecture & { seed: number }): Float64Array;
  mlpTrain(o: MlpTrainOptions): Promise<Float64Array>;
  mlpLogits(o: MlpArchitecture & { x: Float64Array; n: number; theta: Float64Array }): Promise<Float64Array>;
  mlpLosses(o: MlpArchitecture & { x: Float64Array; n: number; theta: Float64Array; y: Float64Array }): Promise<Float64Array>;
  mlpGradients(o: MlpArchitecture & { x: Float64Array; n: number; theta: Float64Array; y: Float64Array; margin?: boolean }): Promise<Float64Array>;
}

export interface Backend extends Kernels {
  readonly name: Exclude<BackendName, 'auto'>;
  /** One line describing the implementation (BLAS build, device). */
  describe(): string;
}
