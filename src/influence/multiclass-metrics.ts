/**
 * The built-in metrics (methods.md section 2) for softmax regression, and the per-point
 * targets that scores differentiate. A point's target is a function of its C logits
 * z (the reference class's is 0); its gradient with respect to the C - 1 free logits is all
 * the parameter gradient needs: d f / d theta_c = (d f / d z_c) a.
 */
import type { Matrix } from '../data/matrix.ts';
import type { SoftmaxRegression } from '../models/softmax.ts';
import { bindCustomMetric, metricPoints, type BoundMetric, type MetricSpec } from './metrics.ts';

/** loss: cross-entropy of class k; probability: p_k; logit: z_k - log sum_{c != k} e^{z_c}. */
export type PointTarget = 'loss' | 'probability' | 'logit';

/** Value of a point's target for class k, and its gradient over the C - 1 free logits (written to grad). */
export function pointTarget(z: ArrayLike<number>, k: number, target: PointTarget, grad: Float64Array): number {
  const C = z.length,
    K = C - 1;
  let m = -Infinity;
  for (let c = 0; c < C; c++) m = Math.max(m, z[c]!);
  let s = 0;
  for (let c = 0; c < C; c++) s += Math.exp(z[c]! - m);
  const lse = m + Math.log(s);
  if (target === 'loss') {
    for (let c = 0; c < K; c++) grad[c] = Math.exp(z[c]! - lse) - (c === k ? 1 : 0);
    return lse - z[k]!;
  }
  if (target === 'probability') {
    const pk = Math.exp(z[k]! - lse);
    for (let c = 0; c < K; c++) grad[c] = pk * ((c === k ? 1 : 0) - Math.exp(z[c]! - lse));
    return pk;
  }
  // Margin of class k against the log-sum-exp of the others (the reference class included).
  let mo = -Infinity;
  for (let c = 0; c < C; c++) if (c !== k) mo = Math.max(mo, z[c]!);
  let so = 0;
  for (let c = 0; c < C; c++) if (c !== k) so += Math.exp(z[c]! - mo);
  const lseOthers = mo + Math.log(so);
  for (let c = 0; c < K; c++) grad[c] = c === k ? 1 : -Math.exp(z[c]! - lseOthers);
  return z[k]! - lseOthers;
}

/**
 * Gradient sum_t J_t^T gamma_t (class-major, length (C - 1) p) of per-row logit gradients
 * gamma (rows x (C - 1), row-major) over the rows of X, through the backend's A^T v.
 */
export async function logitGradientSum(
  model: SoftmaxRegression,
  X: Matrix,
  gamma: Float64Array,
): Promise<Float64Array> {
  const K = model.options.classes - 1,
    p = model.blockSize;
  const out = new Float64Array(K * p);
  const design = model.design(X);
  const column = new Float64Array(X.rows);
  for (let c = 0; c < K; c++) {
    for (let t = 0; t < X.rows; t++) column[t] = gamma[t * K + c]!;
    out.set(await model.backendKernels().transposeTimes({ ...design, v: column }), c * p);
  }
  return out;
}

function predictedClasses(logits: Matrix): Int32Array {
  return Int32Array.from({ length: logits.rows }, (_, i) => {
    const row = logits.row(i);
    return row.indexOf(Math.max(...row));
  });
}

/**
 * Binds a metric to a softmax model. Test prediction, query logit and query probability
 * follow the class the fitted model predicts for each point (fixed when the metric is first
 * evaluated): "test prediction" is the summed probability of those classes.
 */
export function bindSoftmaxMetric(metric: MetricSpec, model: SoftmaxRegression): BoundMetric {
  if (metric === null || typeof metric !== 'object')
    throw new TypeError('metric: must be a Metric.* value or { value, gradient }');
  const P = model.nParameters;
  if (!('kind' in metric)) return bindCustomMetric(metric, P);
  const points = metricPoints(metric, model);
  const { X, y: labels, weights } = points;
  const target: PointTarget = points.target === 'prediction' ? 'probability' : points.target;
  model.design(X, `${metric.name}: X`);
  const penalty = metric.kind === 'selfLoss' ? model.penaltyFor(model.weights) : 0;
  const K = model.options.classes - 1,
    p = model.blockSize,
    d = model.X.cols;
  let classes: Promise<ArrayLike<number>> | undefined;
  const classOf = () => (classes ??= labels ? Promise.resolve(labels) : model.logits(X).then(predictedClasses));
  const terms = async (theta: Float64Array) => {
    const [z, k] = await Promise.all([model.logits(X, theta), classOf()]);
    const gamma = new Float64Array(X.rows * K);
    let value = 0;
    for (let t = 0; t < X.rows; t++) {
      const w = weights ? weights[t]! : 1;
      if (w === 0) continue;
      const g = gamma.subarray(t * K, (t + 1) * K);
      value += w * pointTarget(z.row(t), k[t]!, target, g);
      if (w !== 1) for (let c = 0; c < K; c++) g[c]! *= w;
    }
    let pen = 0;
    for (let c = 0; c < K; c++) for (let j = 0; j < d; j++) pen += theta[c * p + j]! ** 2;
    return { value: value + 0.5 * penalty * pen, gamma };
  };
  return {
    name: metric.name,
    value: async (theta) => (await terms(theta)).value,
    async gradient(theta) {
      const g = await logitGradientSum(model, X, (await terms(theta)).gamma);
      if (penalty !== 0)
        for (let c = 0; c < K; c++) for (let j = 0; j < d; j++) g[c * p + j]! += penalty * theta[c * p + j]!;
      return g;
    },
  };
}
