/**
 * What the binary (`Influence`) and the multiclass (`MulticlassInfluence`) analyses share:
 * checking removal sets, the removal effect by method, and the {nonlinear, linear} effects of
 * a parameter change on a metric (docs/methods.md section 2). Each subclass supplies its own
 * influence and Newton steps, its exact retrain and how a metric binds to its model.
 */
import type { Matrix } from '../data/matrix.ts';
import { toIndexSet } from '../data/validate.ts';
import { assertKnownOptions } from '../options-check.ts';
import type { BoundMetric, MetricSpec } from './metrics.ts';

/** How a removal's parameter change is obtained: influence function, rescaled IF, Newton step, or exact refit. */
export type RemovalMethod = 'if' | 'rif' | 'ns' | 'retrain';

/** A removal's effect on a metric, exact in theta (nonlinear) and to first order (linear). */
export interface Effect {
  /** f(theta + Delta) - f(theta). */
  nonlinear: number;
  /** grad f(theta)^T Delta. */
  linear: number;
}

/** Per query j, entries j*k .. j*k+k-1: largest scores first / most negative first. */
export interface TopKResult {
  k: number;
  queries: number;
  topIndex: Int32Array;
  topValue: Float64Array;
  bottomIndex: Int32Array;
  bottomValue: Float64Array;
}

/** What an analysed model exposes to the shared code. */
interface AnalysedModel {
  readonly X: Matrix;
  readonly theta: Float64Array;
  readonly weights: Float64Array;
  readonly nParameters: number;
}

/** The removal-effect plumbing of an influence analysis. */
export abstract class RemovalAnalysis<M extends AnalysedModel> {
  /** The fitted model. */
  abstract readonly model: M;

  /**
   * Number of training examples.
   * @returns n
   */
  get n(): number {
    return this.model.X.rows;
  }

  /**
   * Delta_T: the (predicted, or for 'retrain' actual) parameter change when T is removed.
   * @param T - indices of the removed training examples
   * @param options - `method`: 'if' | 'rif' | 'ns' | 'retrain' (default 'rif')
   * @returns Delta_T, one entry per parameter
   */
  async removalEffect(T: ArrayLike<number>, options: { method?: RemovalMethod } = {}): Promise<Float64Array> {
    assertKnownOptions('removalEffect', options, ['method']);
    const method = checkMethod(options?.method ?? 'rif', ['if', 'rif', 'ns', 'retrain'], 'removalEffect: method');
    const rows = this.removalSet('removalEffect: T', T);
    if (method === 'retrain') {
      const refit = await this.retrain(rows);
      return refit.theta.map((t, k) => t - this.model.theta[k]!);
    }
    if (method === 'ns') return this.newtonStep(rows);
    return this.influenceStep(rows, method === 'rif');
  }

  /**
   * The exact refit without T, warm-started at the optimum.
   * @param T - indices of the removed training examples
   * @returns the refitted model
   */
  abstract retrain(T: ArrayLike<number>): Promise<{ readonly theta: Float64Array }>;

  /**
   * {nonlinear, linear} effect of removing T on a metric (docs/methods.md section 2).
   * @param T - indices of the removed training examples
   * @param metric - a `Metric.*` value or a custom `{ value, gradient }`
   * @param options - `method`: 'if' | 'rif' | 'ns' | 'retrain' (default 'rif')
   * @returns f(theta + Delta) - f(theta) and grad f(theta)^T Delta
   */
  async effect(T: ArrayLike<number>, metric: MetricSpec, options: { method?: RemovalMethod } = {}): Promise<Effect> {
    const [e] = await this.effects(T, [metric], options);
    return e!;
  }

  /**
   * {nonlinear, linear} effect of a given parameter change (for example an actual retrain's).
   * @param delta - the parameter change
   * @param metric - a `Metric.*` value or a custom `{ value, gradient }`
   * @returns f(theta + delta) - f(theta) and grad f(theta)^T delta
   */
  async effectOfChange(delta: Float64Array, metric: MetricSpec): Promise<Effect> {
    if (!(delta instanceof Float64Array) || delta.length !== this.model.nParameters) {
      throw new RangeError(`effectOfChange: delta must be a Float64Array of length ${this.model.nParameters}`);
    }
    return this.effectOfBound(metric, delta);
  }

  /**
   * The same for several metrics, sharing one Delta_T.
   * @param T - indices of the removed training examples
   * @param metrics - the metrics
   * @param options - `method`: 'if' | 'rif' | 'ns' | 'retrain' (default 'rif')
   * @returns one effect per metric
   */
  async effects(
    T: ArrayLike<number>,
    metrics: readonly MetricSpec[],
    options: { method?: RemovalMethod } = {},
  ): Promise<Effect[]> {
    const delta = await this.removalEffect(T, options);
    return Promise.all(metrics.map((m) => this.effectOfBound(m, delta)));
  }

  /**
   * A built-in metric's value and gradient at the optimum, by metric object: every effect on it
   * needs them, and they do not change (the model is fitted, a built-in metric describes fixed
   * points). A removal benchmark evaluates each metric for four changes per removal set, so
   * this saves most of its passes over the data. Custom metrics are user code and always called.
   */
  private readonly atOptimum = new WeakMap<object, Promise<{ value: number; gradient: Float64Array }>>();

  /** {nonlinear, linear} effect of delta on a metric, its value and gradient at theta cached for built-ins. */
  private async effectOfBound(metric: MetricSpec, delta: Float64Array): Promise<Effect> {
    const bound = this.bind(metric);
    const theta = this.model.theta;
    const evaluate = async () => {
      const [value, gradient] = await Promise.all([bound.value(theta), bound.gradient(theta)]);
      return { value, gradient };
    };
    if (!('kind' in metric)) return effectOf(bound, theta, delta, await evaluate());
    let base = this.atOptimum.get(metric);
    if (!base) {
      base = evaluate();
      this.atOptimum.set(metric, base);
      // A failed evaluation is not remembered: the next call tries again.
      base.catch(() => this.atOptimum.delete(metric));
    }
    return effectOf(bound, theta, delta, await base);
  }

  /** A metric bound to this analysis's model. */
  protected abstract bind(metric: MetricSpec): BoundMetric;

  /** IF (or with `rescaled` RIF) summed over the removed rows. */
  protected abstract influenceStep(rows: Uint32Array, rescaled: boolean): Promise<Float64Array>;

  /** The Newton step of removing the rows together. */
  protected abstract newtonStep(rows: Uint32Array): Promise<Float64Array>;

  /** Distinct training indices, none of them already removed (weight 0). */
  protected removalSet(name: string, T: ArrayLike<number>): Uint32Array {
    const rows = toIndexSet(name, T, this.n);
    for (const i of rows)
      if (this.model.weights[i] === 0) throw new RangeError(`${name}: example ${i} has weight 0 (already removed)`);
    return rows;
  }
}

/**
 * {nonlinear, linear} change of a bound metric when theta moves by delta; a non-finite delta
 * (a pinned example's RIF) has only its linear effect.
 * @param metric - the bound metric
 * @param theta - the fitted parameters
 * @param delta - the parameter change
 * @param atTheta - the metric's value and gradient at theta
 * @returns the effect
 */
async function effectOf(
  metric: BoundMetric,
  theta: Float64Array,
  delta: Float64Array,
  atTheta: { value: number; gradient: Float64Array },
): Promise<Effect> {
  const grad = atTheta.gradient;
  let linear = 0;
  for (let k = 0; k < delta.length; k++) if (grad[k] !== 0 && delta[k] !== 0) linear += grad[k]! * delta[k]!;
  if (!delta.every(Number.isFinite)) return { linear, nonlinear: linear };
  const moved = theta.map((t, k) => t + delta[k]!);
  return { nonlinear: (await metric.value(moved)) - atTheta.value, linear };
}

/**
 * A method name checked against the allowed ones.
 * @param v - the value given
 * @param allowed - the allowed names
 * @param name - argument name for error messages
 * @returns v
 */
export function checkMethod<T extends string>(v: unknown, allowed: readonly T[], name: string): T {
  if (!allowed.includes(v as T))
    throw new RangeError(`${name}: must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got '${String(v)}'`);
  return v as T;
}

/**
 * An all-zero top-k result for m queries.
 * @param m - number of queries
 * @param k - entries per query
 * @returns the result to fill
 */
export function emptyTopK(m: number, k: number): TopKResult {
  return {
    k,
    queries: m,
    topIndex: new Int32Array(m * k),
    topValue: new Float64Array(m * k),
    bottomIndex: new Int32Array(m * k),
    bottomValue: new Float64Array(m * k),
  };
}
