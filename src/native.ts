/** Loads the compiled addon and describes its exports. Only the CPU backend imports this. */
import { loadAddon, type AddonCandidate } from './native-load.ts';

import type {
  Design,
  FitResult,
  GlmCopiesProblem,
  GlmCopiesResult,
  GlmFamily,
  GlmProblem,
  Kernels,
  LogitObjective,
  MlpTrainOptions,
  MultinomialCopiesProblem,
  MultinomialProblem,
  PointwiseResult,
  ReducedHessianSpec,
  RefitSolve,
} from './backend/types.ts';

export type {
  Design as NativeDesign,
  ReducedHessianSpec as NativeReduced,
  ScoreInputs as NativeScoreInputs,
} from './backend/types.ts';
export type { FitResult as NativeFitResult, MlpArchitecture } from './backend/types.ts';

/** An integer enum code as the addon takes it (the index into its `codes` tables). */
export type NativeCode = number;

/** The enum codes the addon exports (`addon.codes`), so that no integer is written in TypeScript. */
export interface NativeCodes {
  family: Readonly<Record<GlmFamily, NativeCode>>;
  objective: Readonly<Record<LogitObjective, NativeCode>>;
}

type WithCode<T, K extends string> = Omit<T, K> & { [P in K]: NativeCode };

/** The kernels whose arguments name an enum value; the addon takes its integer code there instead. */
type CodedKernels = 'fit' | 'refit' | 'pointwise' | 'multinomialFit' | 'mlpTrain' | 'glmCopies' | 'multinomialCopies';

/**
 * The addon as loaded: the backend kernels (written by hand in backend/types.ts) with enum
 * names replaced by the addon's integer codes (validated there: a non-integer or unknown
 * code is a RangeError), plus BLAS facts.
 */
export interface NativeAddon extends Omit<Kernels, CodedKernels> {
  codes: NativeCodes;
  fit(o: WithCode<GlmProblem, 'family'> & { theta0?: Float64Array }): Promise<FitResult>;
  refit(
    o: WithCode<GlmProblem, 'family'> & ReducedHessianSpec & RefitSolve,
  ): Promise<FitResult & { solution?: Float64Array }>;
  pointwise(
    o: Design & { family: NativeCode; theta: Float64Array; y?: Float64Array; offset?: Float64Array },
  ): Promise<PointwiseResult>;
  multinomialFit(o: Omit<MultinomialProblem, 'objective'> & { objective?: NativeCode }): Promise<FitResult>;
  mlpTrain(o: WithCode<MlpTrainOptions, 'objective'>): Promise<Float64Array>;
  glmCopies(o: WithCode<GlmCopiesProblem, 'family'>): Promise<GlmCopiesResult>;
  multinomialCopies(o: WithCode<MultinomialCopiesProblem, 'objective'>): Promise<GlmCopiesResult>;
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
