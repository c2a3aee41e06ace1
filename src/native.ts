/** Loads the compiled addon and describes its exports. Only the CPU backend imports this. */
import { loadAddon, type AddonCandidate } from './native-load.ts';

import type {
  CovarianceInputs, Design, Factorization, FitResult, GlmFamily, GlmProblem, LogitObjective, MlpArchitecture,
  MlpTrainOptions, GlmCopiesProblem, GlmCopiesResult, MultinomialProblem, PointwiseResult, ReducedHessianSpec, ScoreInputs, TopK,
} from './backend/types.ts';

export type { Design as NativeDesign, ReducedHessianSpec as NativeReduced, ScoreInputs as NativeScoreInputs } from './backend/types.ts';
export type { FitResult as NativeFitResult, MlpArchitecture } from './backend/types.ts';

/** An integer enum code as the addon takes it (the index into its `codes` tables). */
export type NativeCode = number;

/** The enum codes the addon exports (`addon.codes`), so that no integer is written in TypeScript. */
export interface NativeCodes {
  family: Readonly<Record<GlmFamily, NativeCode>>;
  objective: Readonly<Record<LogitObjective, NativeCode>>;
}

type WithCode<T, K extends string> = Omit<T, K> & { [P in K]: NativeCode };

/**
 * The addon as loaded: the backend kernels with enum names replaced by the addon's integer
 * codes (validated there: a non-integer or unknown code is a RangeError), plus BLAS facts.
 */
export interface NativeAddon {
  codes: NativeCodes;
  fit(o: WithCode<GlmProblem, 'family'> & { theta0?: Float64Array }): Promise<FitResult>;
  refit(o: WithCode<GlmProblem, 'family'> & ReducedHessianSpec & { thetaStart: Float64Array }): Promise<FitResult>;
  reducedSolve(o: Design & ReducedHessianSpec & { rhs: Float64Array }): Promise<{ solution: Float64Array }>;
  pointwise(o: Design & { family: NativeCode; theta: Float64Array; y?: Float64Array; offset?: Float64Array }): Promise<PointwiseResult>;
  hessian(o: Design & { coef: Float64Array; lambda: number }): Promise<Factorization>;
  factor(o: { hessian: Float64Array; p: number }): Promise<Factorization>;
  leverage(o: Design & { factor: Float64Array; coef: Float64Array }): Promise<Float64Array>;
  choleskySolve(o: { factor: Float64Array; p: number; rhs: Float64Array; nrhs: number }): Promise<Float64Array>;
  scoreMatrix(o: ScoreInputs): Promise<Float64Array>;
  scoreTopK(o: ScoreInputs & { k: number }): Promise<TopK>;
  covarianceScores(o: CovarianceInputs): Promise<Float64Array | TopK>;
  scaledRows(o: Design & { coef: Float64Array; offset?: Float64Array }): Promise<Float64Array>;
  transposeTimes(o: Design & { v: Float64Array }): Promise<Float64Array>;
  multinomialFit(o: Omit<MultinomialProblem, 'objective'> & { objective?: NativeCode }): Promise<FitResult>;
  multinomialLogits(o: Design & { classes: number; theta: Float64Array }): Promise<Float64Array>;
  multinomialHessian(o: Design & { classes: number; y: Float64Array; weights?: Float64Array; lambda: number; theta: Float64Array }): Promise<Factorization>;
  multinomialLeverageBlocks(o: Design & { classes: number; factor: Float64Array }): Promise<Float64Array>;
  mlpInit(o: MlpArchitecture & { seed: number }): Float64Array;
  mlpTrain(o: WithCode<MlpTrainOptions, 'objective'>): Promise<Float64Array>;
  glmCopies(o: WithCode<GlmCopiesProblem, 'family'>): Promise<GlmCopiesResult>;
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
