/**
 * The TRAK baseline (Park et al. 2023) for the built-in GLMs: per-example gradients of the
 * output function (the margin of the true class, (2y - 1) a^T theta) projected to k
 * dimensions by a seeded Gaussian matrix, phi_i = P^T grad f_i, and the after-kernel scores
 *
 *   tau(i, q) = phi_q^T (Phi^T Phi)^{-1} phi_i (1 - p_i)
 *
 * (p_i the probability of example i's label), averaged over an ensemble of models trained
 * on random halves when `ensemble` > 1. A positive score means i helps q (raises its margin,
 * lowers its loss): the same sign convention as removal-effect scores on the loss.
 */
import { Matrix, assertMatrix } from '../data/matrix.ts';
import { assertInteger } from '../data/validate.ts';
import { LogisticRegression } from '../models/logistic.ts';
import { seededRandom } from '../random.ts';
import { NumericError } from '../errors.ts';
import { gaussian } from './gaussian.ts';

export interface TrakOptions {
  model: LogisticRegression;
  queries: { X: Matrix; y: Float64Array | readonly number[] };
  /** Projection dimension k. Default min(p, n/2, 2048): Phi^T Phi must stay invertible. */
  dimension?: number;
  /** Models in the ensemble (trained on seeded random halves; 1 = the given model only). Default 1. */
  ensemble?: number;
  seed?: number;
}

export async function trakScores(o: TrakOptions): Promise<Float64Array> {
  const { model } = o;
  if (!(model instanceof LogisticRegression)) throw new TypeError('trakScores: model must be a fitted LogisticRegression');
  const Xq = assertMatrix('trakScores: queries.X', o.queries.X);
  model.design(Xq, 'trakScores: queries.X');
  const yq = model.labels(o.queries.y, Xq.rows, 'trakScores: queries.y');
  const p = model.nParameters, n = model.X.rows, m = Xq.rows;
  const k = assertInteger('trakScores: dimension', o.dimension ?? Math.max(1, Math.min(p, Math.floor(n / 2), 2048)), 1);
  const ensemble = assertInteger('trakScores: ensemble', o.ensemble ?? 1, 1);
  const seed = assertInteger('trakScores: seed', o.seed ?? 0, 0);
  const random = seededRandom(seed + 0x5eed);
  const out = new Float64Array(n * m);
  for (let e = 0; e < ensemble; e++) {
    let member = model;
    if (ensemble > 1) {
      const w = Float64Array.from(model.weights, (v) => (random() < 0.5 ? v : 0));
      member = await model.refit({ weights: w }, { keepHessian: false });
    }
    // Projection P (p x k), entries N(0, 1/k), a fresh draw per member.
    const P = Float64Array.from({ length: p * k }, () => gaussian(random) / Math.sqrt(k));
    const project = (X: Matrix, y: Float64Array): Matrix => {
      const rows = new Float64Array(X.rows * k);
      const a = new Float64Array(p);
      for (let i = 0; i < X.rows; i++) {
        a.set(X.row(i));
        if (p > X.cols) a[X.cols] = 1;
        const s = 2 * y[i]! - 1;
        for (let c = 0; c < k; c++) {
          let v = 0;
          for (let r = 0; r < p; r++) v += a[r]! * P[r * k + c]!;
          rows[i * k + c] = s * v;
        }
      }
      return new Matrix(rows, X.rows, k);
    };
    const Phi = project(model.X, model.y), Phiq = project(Xq, yq);
    // (Phi^T Phi)^{-1} phi_q through the backend's SPD kernels: Phi^T Phi is a weighted Gram.
    const kernels = member.backendKernels();
    let gram;
    try {
      gram = await kernels.hessian({ x: Phi.data, n, d: k, intercept: false, coef: new Float64Array(n).fill(1), lambda: 0 });
    } catch (err) {
      throw new NumericError(`trakScores: Phi^T Phi is singular: the projected gradients have rank below dimension = ${k}; use a smaller dimension`, { cause: err });
    }
    const v = await kernels.choleskySolve({ factor: gram.factor, p: k, rhs: Phiq.data.slice(), nrhs: m });
    const prob = await member.predictProba(model.X);
    const q = Float64Array.from(prob, (pi, i) => (model.y[i] === 1 ? 1 - pi : pi)); // 1 - p(label)
    const scores = await kernels.scoreMatrix({ x: Phi.data, n, d: k, intercept: false, v, m, rowCoef: Float64Array.from(q, (x, i) => x * model.weights[i]!) });
    for (let t = 0; t < out.length; t++) out[t]! += scores[t]! / ensemble;
  }
  return out;
}
