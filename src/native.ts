/** Loads the compiled addon and describes its exports. Only the CPU backend imports this. */
import { loadAddon, type AddonCandidate } from './native-load.ts';

/** A design matrix A = [X, 1?] over row-major X without copying it. */
export interface NativeDesign {
  x: Float64Array;
  n: number;
  d: number;
  intercept: boolean;
}

export interface NativeProblem extends NativeDesign {
  /** 0 logistic, 1 squared, 2 squared difference of the logistic loss and `offset`. */
  family: 0 | 1 | 2;
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

export interface NativeFitResult {
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
export interface NativeReduced {
  hessian: Float64Array;
  factor: Float64Array;
  rows: Uint32Array;
  coef: Float64Array;
  shift: number;
}

export interface NativeScoreInputs extends NativeDesign {
  v: Float64Array;
  m: number;
  rowCoef: Float64Array;
  rowFactor?: Float64Array;
  rowShift?: Float64Array;
  colOffset?: Float64Array;
}

/** Layer sizes of a multilayer perceptron. */
export interface MlpArchitecture {
  d: number;
  hidden: Uint32Array;
  classes: number;
}

export interface NativeAddon {
  fit(o: NativeProblem & { theta0?: Float64Array }): Promise<NativeFitResult>;
  refit(o: NativeProblem & NativeReduced & { thetaStart: Float64Array }): Promise<NativeFitResult>;
  reducedSolve(o: NativeDesign & NativeReduced & { rhs: Float64Array }): Promise<{ solution: Float64Array }>;
  pointwise(o: NativeDesign & { family: 0 | 1 | 2; theta: Float64Array; y?: Float64Array; offset?: Float64Array }): Promise<{
    margin: Float64Array;
    loss?: Float64Array;
    slope?: Float64Array;
    curvature?: Float64Array;
  }>;
  hessian(o: NativeDesign & { coef: Float64Array; lambda: number }): Promise<{ hessian: Float64Array; factor: Float64Array; rcond: number }>;
  factor(o: { hessian: Float64Array; p: number }): Promise<{ hessian: Float64Array; factor: Float64Array; rcond: number }>;
  leverage(o: NativeDesign & { factor: Float64Array; coef: Float64Array }): Promise<Float64Array>;
  choleskySolve(o: { factor: Float64Array; p: number; rhs: Float64Array; nrhs: number }): Promise<Float64Array>;
  scoreMatrix(o: NativeScoreInputs): Promise<Float64Array>;
  scoreTopK(o: NativeScoreInputs & { k: number }): Promise<{
    k: number;
    topIndex: Int32Array;
    topValue: Float64Array;
    bottomIndex: Int32Array;
    bottomValue: Float64Array;
  }>;
  covarianceScores(o: {
    train: Float64Array; n: number; query: Float64Array; m: number; models: number;
    trainMean: Float64Array; queryMean: Float64Array; trainScale?: Float64Array; queryScale?: Float64Array; k?: number;
  }): Promise<Float64Array | { k: number; topIndex: Int32Array; topValue: Float64Array; bottomIndex: Int32Array; bottomValue: Float64Array }>;
  scaledRows(o: NativeDesign & { coef: Float64Array; offset?: Float64Array }): Promise<Float64Array>;
  transposeTimes(o: NativeDesign & { v: Float64Array }): Promise<Float64Array>;
  multinomialFit(o: NativeDesign & {
    classes: number; y: Float64Array; weights?: Float64Array; lambda: number; linear?: Float64Array; offset?: Float64Array;
    objective?: 0 | 1 | 2; theta0?: Float64Array; tol: number; maxIter: number; keepHessian?: boolean;
  }): Promise<NativeFitResult>;
  multinomialLogits(o: NativeDesign & { classes: number; theta: Float64Array }): Promise<Float64Array>;
  mlpInit(o: MlpArchitecture & { seed: number }): Float64Array;
  mlpTrain(o: MlpArchitecture & {
    x: Float64Array; n: number; y: Float64Array; theta0: Float64Array; objective: 0 | 1 | 2; offset?: Float64Array; linear?: Float64Array;
    subset?: Uint32Array; penalty: number; epochs: number; batchSize: number; learningRate: number; adam: boolean; momentum: number; seed: number;
  }): Promise<Float64Array>;
  mlpLogits(o: MlpArchitecture & { x: Float64Array; n: number; theta: Float64Array }): Promise<Float64Array>;
  mlpLosses(o: MlpArchitecture & { x: Float64Array; n: number; theta: Float64Array; y: Float64Array }): Promise<Float64Array>;
  mlpGradients(o: MlpArchitecture & { x: Float64Array; n: number; theta: Float64Array; y: Float64Array; margin?: boolean }): Promise<Float64Array>;
  blasInfo(): { config: string; threads: number };
  dgemmRate(o: { size: number; reps: number }): Promise<number>;
}

let cached: NativeAddon | undefined;
let loadedFrom: AddonCandidate | undefined;

/** The addon, loaded once: a source build if there is one, else the package's prebuilt binary. */
export function nativeAddon(): NativeAddon {
  if (cached) return cached;
  const { addon, candidate } = loadAddon<NativeAddon>();
  loadedFrom = candidate;
  cached = addon;
  return cached;
}

/** Which addon file is in use (after the first nativeAddon() call). */
export function nativeAddonSource(): AddonCandidate | undefined {
  return loadedFrom;
}
