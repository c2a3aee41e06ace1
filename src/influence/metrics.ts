/**
 * Metrics f(theta) that turn a parameter change into an effect (docs/methods.md section 2).
 * Built-in metrics are descriptions bound to a model when evaluated; a user metric is any
 * { value(theta), gradient(theta) }.
 */
import { assertMatrix, Matrix } from '../data/matrix.ts';
import type { GeneralizedLinearModel } from '../models/glm.ts';
import { sigmoid } from '../numerics.ts';

/** A metric supplied by the user: its value and gradient at any theta. */
export interface CustomMetric {
  name?: string;
  /**
   * The metric's value at theta.
   * @param theta - parameters
   * @returns f(theta)
   */
  value(theta: Float64Array): number | Promise<number>;
  /**
   * The metric's gradient at theta.
   * @param theta - parameters
   * @returns grad f(theta), one entry per parameter
   */
  gradient(theta: Float64Array): Float64Array | Promise<Float64Array>;
}

type BuiltIn =
  | { kind: 'testPrediction'; X: Matrix }
  | { kind: 'testLoss'; X: Matrix; y: Float64Array | readonly number[] }
  | { kind: 'selfLoss' }
  | { kind: 'queryLoss'; x: ArrayLike<number>; y: number }
  | { kind: 'queryLogit'; x: ArrayLike<number> }
  | { kind: 'queryProbability'; x: ArrayLike<number> };

/** A metric for `Influence.effect` and friends: one of `Metric.*` or a `CustomMetric`. */
export type MetricSpec = (BuiltIn & { name: string }) | CustomMetric;

/** The built-in metrics f(theta) of docs/methods.md section 2. */
export const Metric = {
  /**
   * Sum of predictions over a test subset: probabilities (logistic) or values (ridge).
   * @param X - the test subset's inputs
   * @returns the metric
   */
  testPrediction(X: Matrix): MetricSpec {
    return { kind: 'testPrediction', X: assertMatrix('Metric.testPrediction: X', X), name: 'test prediction' };
  },
  /**
   * Sum of losses over a test subset.
   * @param X - the test subset's inputs
   * @param y - its labels
   * @returns the metric
   */
  testLoss(X: Matrix, y: Float64Array | readonly number[]): MetricSpec {
    return { kind: 'testLoss', X: assertMatrix('Metric.testLoss: X', X), y, name: 'test loss' };
  },
  /**
   * The full training objective F(theta), removed examples and penalty included.
   * @returns the metric
   */
  selfLoss(): MetricSpec {
    return { kind: 'selfLoss', name: 'self-loss' };
  },
  /**
   * Loss of one query point.
   * @param x - the query's features
   * @param y - its label
   * @returns the metric
   */
  queryLoss(x: ArrayLike<number>, y: number): MetricSpec {
    return { kind: 'queryLoss', x, y, name: 'query loss' };
  },
  /**
   * Margin a^T theta of one query point.
   * @param x - the query's features
   * @returns the metric
   */
  queryLogit(x: ArrayLike<number>): MetricSpec {
    return { kind: 'queryLogit', x, name: 'query logit' };
  },
  /**
   * Predicted probability (logistic) or value (ridge) of one query point.
   * @param x - the query's features
   * @returns the metric
   */
  queryProbability(x: ArrayLike<number>): MetricSpec {
    return { kind: 'queryProbability', x, name: 'query probability' };
  },
};

/** A metric ready to evaluate for one model. */
export interface BoundMetric {
  name: string;
  value(theta: Float64Array): Promise<number>;
  gradient(theta: Float64Array): Promise<Float64Array>;
}

/**
 * A custom metric checked on every call: finite values, gradients of the model's length with finite entries.
 * @param metric - `{ value, gradient, name? }`
 * @param parameters - the model's number of parameters
 * @returns the bound metric
 */
export function bindCustomMetric(metric: CustomMetric, parameters: number): BoundMetric {
  if (typeof metric.value !== 'function' || typeof metric.gradient !== 'function') {
    throw new TypeError('metric: a custom metric needs value(theta) and gradient(theta) functions');
  }
  const name = metric.name ?? 'custom';
  return {
    name,
    value: async (t) => {
      const v = await metric.value(t);
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new RangeError(`metric ${name}: value(theta) returned ${String(v)}, not a finite number`);
      return v;
    },
    gradient: async (t) => {
      const g = await metric.gradient(t);
      if (!(g instanceof Float64Array) || g.length !== parameters) {
        throw new RangeError(`metric ${name}: gradient(theta) must return a Float64Array of length ${parameters}`);
      }
      const bad = g.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw new RangeError(`metric ${name}: gradient(theta) returned ${g[bad]} at index ${bad}`);
      return g;
    },
  };
}

/** What a built-in metric sums: per point, its target; over the points of X, weighted. */
export interface MetricPoints {
  X: Matrix;
  /** Labels of the points (loss targets). */
  y?: Float64Array;
  /** Per-point weights (the training weights for the self-loss); 1 when absent. */
  weights?: Float64Array;
  /** 'prediction': the probability (logistic, softmax: of the predicted class) or the value (ridge). */
  target: 'prediction' | 'loss' | 'logit';
}

/**
 * The points, labels, weights and per-point target of a built-in metric.
 * @param metric - a `Metric.*` value
 * @param model - the model (labels are checked against it; the self-loss reads its training data)
 * @returns the points and their target
 */
export function metricPoints(
  metric: BuiltIn & { name: string },
  model: {
    X: Matrix;
    y: Float64Array;
    weights: Float64Array;
    labels(y: Float64Array | readonly number[], rows: number, name?: string): Float64Array;
  },
): MetricPoints {
  switch (metric.kind) {
    case 'testPrediction':
      return { X: metric.X, target: 'prediction' };
    case 'testLoss':
      return { X: metric.X, y: model.labels(metric.y, metric.X.rows, 'Metric.testLoss: y'), target: 'loss' };
    case 'selfLoss':
      return { X: model.X, y: model.y, weights: model.weights, target: 'loss' };
    default: {
      const X = Matrix.from(metric.x, 1, metric.x.length);
      if (metric.kind === 'queryLoss')
        return { X, y: model.labels([metric.y], 1, `${metric.name}: y`), target: 'loss' };
      return { X, target: metric.kind === 'queryLogit' ? 'logit' : 'prediction' };
    }
  }
}

/**
 * A metric bound to a GLM.
 * @param metric - a `Metric.*` value or a custom `{ value, gradient }`
 * @param model - the GLM
 * @returns its value and gradient in theta
 */
export function bindMetric(metric: MetricSpec, model: GeneralizedLinearModel): BoundMetric {
  if (metric === null || typeof metric !== 'object')
    throw new TypeError('metric: must be a Metric.* value or { value, gradient }');
  if (!('kind' in metric)) return bindCustomMetric(metric, model.nParameters);
  const logistic = model.kind === 'logistic';
  // Points, labels and the per-example weights that define f = sum_t w_t phi(z_t).
  const { X, y, weights, target: phi } = metricPoints(metric, model);
  const design = model.design(X, `${metric.name}: X`);
  const backend = model.backendKernels();
  const family = model.kind === 'logistic' ? 'logistic' : 'squared';
  const penalty = metric.kind === 'selfLoss' ? model.penalty : 0;
  const d = model.nFeatures;
  const pointwise = (theta: Float64Array) => backend.pointwise({ ...design, family, theta, ...(y ? { y } : {}) });
  return {
    name: metric.name,
    async value(theta) {
      const pw = await pointwise(theta);
      let f = 0;
      for (let t = 0; t < X.rows; t++) {
        const w = weights ? weights[t]! : 1;
        if (w === 0) continue;
        const v = phi === 'loss' ? pw.loss![t]! : phi === 'logit' || !logistic ? pw.margin[t]! : sigmoid(pw.margin[t]!);
        f += w * v;
      }
      let pen = 0;
      for (let k = 0; k < d; k++) pen += theta[k]! * theta[k]!;
      return f + 0.5 * penalty * pen;
    },
    async gradient(theta) {
      const pw = await pointwise(theta);
      const coef = new Float64Array(X.rows);
      for (let t = 0; t < X.rows; t++) {
        const w = weights ? weights[t]! : 1;
        if (phi === 'loss') coef[t] = w * pw.slope![t]!;
        else if (phi === 'logit' || !logistic) coef[t] = w;
        else {
          const p = sigmoid(pw.margin[t]!);
          coef[t] = w * p * (1 - p);
        }
      }
      const g = await backend.transposeTimes({ ...design, v: coef });
      for (let k = 0; k < d; k++) g[k]! += penalty * theta[k]!;
      return g;
    },
  };
}
