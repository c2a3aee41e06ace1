/** Options shared by the GLMs, with their documented defaults. */
import type { BackendName } from '../backend/index.ts';
import { assertInteger, assertNumber } from '../data/validate.ts';
import { assertKnownOptions, optionKeys } from '../options-check.ts';

/**
 * How the L2 penalty behaves when examples are removed (docs/methods.md section 1):
 * - 'fixed': the penalty (lambda/2)||P theta||^2 stays.
 * - 'per-example': every example carries a share w_i/W of it (W the fit's total weight, so
 *   1/n with unit weights); removing examples removes their shares (Koh & Liang 2017).
 */
export type Regularization = 'fixed' | 'per-example';

/** Options of `LogisticRegression.fit` and `RidgeRegression.fit`, with their defaults. */
export interface GlmOptions {
  /** Coefficient of (lambda/2)||P theta||^2 in the summed objective (sklearn's 1/C). Default 1. */
  lambda?: number;
  /** Append a constant feature (last parameter, never penalised). Default true. */
  fitIntercept?: boolean;
  /** Penalty convention under removal. Default 'fixed'. */
  regularization?: Regularization;
  /** Non-negative example weights w_i. Default all 1. */
  sampleWeights?: Float64Array | readonly number[];
  /** Converged when ||grad F|| <= tol * (sum of the gradient terms' magnitudes). Default 1e-14. */
  tol?: number;
  /** Newton iteration limit. Default 100. */
  maxIter?: number;
  /**
   * Build the exact Hessian at the optimum as the fit ends and keep it, so influence analysis
   * and refits only factor it. Costs one Hessian build; set false for fits that are never
   * analysed (the Hessian is then built on first use). Default true.
   */
  keepHessian?: boolean;
  /** Kernel backend. Default 'auto' (the CPU native core for float64 fitting). */
  backend?: BackendName;
}

export const GLM_OPTION_KEYS = optionKeys<GlmOptions>({
  lambda: true,
  fitIntercept: true,
  regularization: true,
  sampleWeights: true,
  tol: true,
  maxIter: true,
  keepHessian: true,
  backend: true,
});

export interface ResolvedGlmOptions {
  lambda: number;
  fitIntercept: boolean;
  regularization: Regularization;
  tol: number;
  maxIter: number;
  keepHessian: boolean;
  backend: BackendName;
}

export function resolveGlmOptions(where: string, o: GlmOptions = {}): ResolvedGlmOptions {
  if (o === null || typeof o !== 'object') throw new TypeError(`${where}: options must be an object`);
  assertKnownOptions(where, o, GLM_OPTION_KEYS);
  const lambda = assertNumber(`${where}: options.lambda`, o.lambda ?? 1, 0);
  const fitIntercept = o.fitIntercept ?? true;
  if (typeof fitIntercept !== 'boolean') throw new TypeError(`${where}: options.fitIntercept must be a boolean`);
  const regularization = o.regularization ?? 'fixed';
  if (regularization !== 'fixed' && regularization !== 'per-example') {
    throw new RangeError(
      `${where}: options.regularization must be 'fixed' or 'per-example', got '${String(regularization)}'`,
    );
  }
  const tol = assertNumber(`${where}: options.tol`, o.tol ?? 1e-14, 0, 1);
  if (tol === 0) throw new RangeError(`${where}: options.tol must be > 0`);
  const maxIter = assertInteger(`${where}: options.maxIter`, o.maxIter ?? 100, 1);
  const keepHessian = o.keepHessian ?? true;
  if (typeof keepHessian !== 'boolean') throw new TypeError(`${where}: options.keepHessian must be a boolean`);
  return { lambda, fitIntercept, regularization, tol, maxIter, keepHessian, backend: o.backend ?? 'auto' };
}
