/**
 * The one contract every attributable model implements (docs/methods.md section 1): its
 * training data, per-example losses and outputs on given data, a retrain on a subset or with
 * example weights (seeded where training is stochastic), and its parameters. LDS, subset
 * removal, TRAK, Daunce and `evaluateMethods` use models only through this interface, so a new
 * model needs its own file(s) and, for Daunce, one registration (`registerPerturbable`).
 */
import type { Backend } from '../backend/types.ts';
import type { Matrix } from '../data/matrix.ts';
import { toFloat64, toIndexSet } from '../data/validate.ts';

/**
 * What a retrain changes. `subset`: train on these rows only (each keeps its current weight).
 * `weights`: one non-negative weight per training example (0 removes it). `seed` drives the
 * initialisation and minibatch order of stochastic models; deterministic models ignore it.
 */
export type RetrainRequest =
  | { subset: ArrayLike<number>; weights?: undefined; seed?: number }
  | { weights: Float64Array | readonly number[]; subset?: undefined; seed?: number };

/** What is measured on a query: its loss, its logit (margin), or its predicted probability. */
export type ModelOutput = 'loss' | 'logit' | 'probability';

/** A fitted model that attribution methods can score, retrain and compare. */
export interface AttributableModel {
  /** Short model name ('logistic', 'ridge', 'softmax', 'mlp', ...): keys registrations and caches. */
  readonly kind: string;
  /** Training inputs (one example per row). */
  readonly X: Matrix;
  /** Training labels. */
  readonly y: Float64Array;
  /** Fitted parameters. */
  readonly theta: Float64Array;
  /** Number of parameters. */
  readonly nParameters: number;
  /** The options the model was fitted with (part of cache and checkpoint keys). */
  readonly options: Readonly<object>;
  /** Example weights of this fit (0 marks a removed example); absent for unweighted models. */
  readonly weights?: Float64Array;
  /** Whether `predict` returns class labels (subset removal counts flipped labels) or real values. */
  readonly task: 'classification' | 'regression';
  /** Whether retraining depends on a seed (random initialisation or minibatches). */
  readonly stochastic: boolean;
  /** The query outputs `output()` defines for this model. */
  readonly outputs: readonly ModelOutput[];
  /**
   * Labels checked against `rows` examples and the model's label set.
   * @param y - labels
   * @param rows - expected number of labels
   * @param name - argument name for error messages
   * @returns the labels as a Float64Array
   */
  labels(y: Float64Array | readonly number[], rows: number, name?: string): Float64Array;
  /**
   * Throws a RangeError naming `name` when X does not have the model's number of input columns.
   * @param X - data matrix
   * @param name - argument name for error messages
   */
  checkInputs(X: Matrix, name?: string): void;
  /**
   * Per-example losses (unweighted, no penalty).
   * @param X - inputs
   * @param y - labels
   * @returns one loss per row of X
   */
  losses(X: Matrix, y: Float64Array | readonly number[]): Promise<Float64Array>;
  /**
   * Predictions (labels for classifiers, values for regression).
   * @param X - inputs
   * @returns one prediction per row of X
   */
  predict(X: Matrix): Promise<Float64Array>;
  /**
   * Per-example outputs of the given kind (one of `outputs`).
   * @param X - inputs
   * @param y - labels
   * @param output - loss, logit or probability
   * @returns one value per row of X
   */
  output(X: Matrix, y: Float64Array, output: ModelOutput): Promise<Float64Array>;
  /**
   * The same model retrained on a subset or with new example weights (the one retrain path of
   * every algorithm).
   * @param request - subset or weights, and a seed for stochastic models
   * @returns a new fitted model of the same kind
   */
  retrain(request: RetrainRequest): Promise<AttributableModel>;
  /**
   * Per-example gradients of the output function f (the true-class margin) with respect to
   * the parameters, n x P: TRAK's features. Optional: TRAK needs it, other methods do not.
   * @param X - inputs
   * @param y - labels
   * @returns the gradient matrix
   */
  outputGradients?(X: Matrix, y: Float64Array): Promise<Matrix>;
  /**
   * The kernels the model runs on.
   * @returns the backend
   */
  backendKernels(): Backend;
}

/**
 * Whether a value implements {@link AttributableModel} (a duck-typed check, not a class test).
 * @param value - anything
 * @returns true for a model with training data, losses and a retrain
 */
export function isAttributableModel(value: unknown): value is AttributableModel {
  const m = value as Partial<AttributableModel> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.retrain === 'function' &&
    typeof m.losses === 'function' &&
    typeof m.labels === 'function' &&
    typeof m.kind === 'string' &&
    m.X !== undefined &&
    m.theta instanceof Float64Array
  );
}

/**
 * The example weights a retrain request means for a model whose current weights are `current`:
 * a subset keeps its members' weights and zeroes the rest; weights are checked and copied.
 * @param where - operation name for error messages
 * @param request - the retrain request
 * @param current - the model's current example weights
 * @returns the new weights (a fresh array)
 */
export function retrainWeights(where: string, request: RetrainRequest, current: Float64Array): Float64Array {
  const n = current.length;
  if (request === null || typeof request !== 'object') {
    throw new TypeError(`${where}: expects { subset } or { weights }`);
  }
  if (request.subset !== undefined && request.weights !== undefined) {
    throw new TypeError(`${where}: give either subset or weights, not both`);
  }
  if (request.subset !== undefined) {
    const weights = new Float64Array(n);
    for (const i of toIndexSet(`${where}: subset`, request.subset, n)) weights[i] = current[i]!;
    if (!weights.some((w) => w > 0)) {
      throw new RangeError(`${where}: no training examples are left (all weights are 0)`);
    }
    return weights;
  }
  if (request.weights === undefined) throw new TypeError(`${where}: expects { subset } or { weights }`);
  const weights = toFloat64(`${where}: weights`, request.weights, n).slice();
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (!(weights[i]! >= 0)) {
      throw new RangeError(`${where}: weights: weight ${i} is ${weights[i]}; weights must be >= 0`);
    }
    total += weights[i]!;
  }
  if (!(total > 0)) throw new RangeError(`${where}: all weights are 0; nothing to fit`);
  return weights;
}

/**
 * The training rows of a retrain request for a model that trains on whole examples only
 * (weights must be 0 or 1).
 * @param where - operation name for error messages
 * @param request - the retrain request
 * @param n - number of training examples
 * @returns sorted row indices
 */
export function retrainSubset(where: string, request: RetrainRequest, n: number): Uint32Array {
  const weights = retrainWeights(where, request, new Float64Array(n).fill(1));
  if (weights.some((w) => w !== 0 && w !== 1)) {
    throw new RangeError(`${where}: weights must be 0 or 1 for this model (it trains on whole examples)`);
  }
  return Uint32Array.from(weights.keys()).filter((i) => weights[i] === 1);
}
