/**
 * The TRAK baseline (Park et al. 2023) for the built-in models: per-example gradients of the
 * output function (the margin of the true class) projected to k dimensions by a seeded
 * Gaussian matrix, phi_i = P^T grad f_i, and the after-kernel scores
 *
 *   tau(i, q) = phi_q^T (Phi^T Phi)^{-1} phi_i (1 - p_i)
 *
 * (p_i the probability of example i's label), averaged over an ensemble of models trained
 * on random halves when `ensemble` > 1. A positive score means i helps q (raises its margin,
 * lowers its loss): the same sign convention as removal-effect scores on the loss.
 * The gradients come from the model's `outputGradients` (logistic regression: (2 y_i - 1) a_i;
 * MLP: the native per-example margin gradients; softmax regression: the gradient of
 * log p_y - log(1 - p_y) in each free class block), projected in chunks of rows so the n x P
 * gradient matrix never exists.
 */
import { type Matrix, assertMatrix } from '../data/matrix.ts';
import { checkQueries } from './scores.ts';
import { assertInteger } from '../data/validate.ts';
import { NumericError } from '../errors.ts';
import { isAttributableModel, type AttributableModel } from '../models/model.ts';
import { mixSeed, seededRandom } from '../random.ts';
import { gaussian } from './gaussian.ts';
import { assertKnownOptions, optionKeys } from '../options-check.ts';

/** Options of `trakScores`. */
export interface TrakOptions {
  /** A fitted model that provides `outputGradients` (LogisticRegression, SoftmaxRegression, MultilayerPerceptron, ...). */
  model: AttributableModel;
  queries: { X: Matrix; y: Float64Array | readonly number[] };
  /**
   * Projection dimension k. Default: min(P, n/2, 2048), reduced by a quarter at a time until
   * Phi^T Phi is invertible (the gradients' rank can be lower, e.g. constant pixels). An
   * explicit dimension is used as given (a singular Phi^T Phi is then an error).
   */
  dimension?: number;
  /** Models in the ensemble (trained on seeded random halves; 1 = the given model only). Default 1. */
  ensemble?: number;
  seed?: number;
}

const CHUNK = 256;

/**
 * TRAK scores of every training example for every query (docs/methods.md section 5).
 * @param o - the model, queries, projection dimension, ensemble size and seed
 * @returns n x m scores, row-major
 */
export async function trakScores(o: TrakOptions): Promise<Float64Array> {
  assertKnownOptions(
    'trakScores',
    o,
    optionKeys<TrakOptions>({ model: true, queries: true, dimension: true, ensemble: true, seed: true }),
  );
  const { model } = o;
  if (!isAttributableModel(model) || typeof model.outputGradients !== 'function') {
    throw new TypeError(
      'trakScores: model must be a fitted model with outputGradients (LogisticRegression, SoftmaxRegression, MultilayerPerceptron, ...)',
    );
  }
  checkQueries('trakScores: queries', o.queries);
  const Xq = assertMatrix('trakScores: queries.X', o.queries.X);
  if (Xq.cols !== model.X.cols)
    throw new RangeError(`trakScores: queries.X: has ${Xq.cols} columns, the model has ${model.X.cols} features`);
  const yq = model.labels(o.queries.y, Xq.rows, 'trakScores: queries.y');
  const P = model.nParameters,
    n = model.X.rows;
  if (o.dimension !== undefined) assertInteger('trakScores: dimension', o.dimension, 1);
  const ensemble = assertInteger('trakScores: ensemble', o.ensemble ?? 1, 1);
  const seed = assertInteger('trakScores: seed', o.seed ?? 0, 0);
  for (
    let k = o.dimension ?? Math.max(1, Math.min(P, Math.floor(n / 2), 2048));
    ;
    k = Math.max(1, Math.floor(0.75 * k))
  ) {
    try {
      return await scoresAt(k, { model, Xq, yq, ensemble, seed });
    } catch (err) {
      if (!(err instanceof SingularKernel) || o.dimension !== undefined || k === 1) {
        throw err instanceof SingularKernel ? new NumericError(err.message, { cause: err.cause }) : err;
      }
    }
  }
}

class SingularKernel extends Error {}

async function scoresAt(
  k: number,
  c: { model: AttributableModel; Xq: Matrix; yq: Float64Array; ensemble: number; seed: number },
): Promise<Float64Array> {
  const { model, Xq, yq, ensemble, seed } = c;
  const P = model.nParameters,
    n = model.X.rows,
    m = Xq.rows;
  const random = seededRandom(mixSeed(seed, 'trak'));
  const kernels = model.backendKernels();
  const out = new Float64Array(n * m);
  for (let e = 0; e < ensemble; e++) {
    const half =
      ensemble > 1 ? Uint32Array.from(Array.from({ length: n }, (_, i) => i).filter(() => random() < 0.5)) : undefined;
    const member = await trainMember(model, half, mixSeed(seed, 'trak-member', e));
    // Projection (P x k, column-major), entries N(0, 1/k): a fresh draw per member.
    const proj = Float64Array.from({ length: P * k }, () => gaussian(random) / Math.sqrt(k));
    const project = async (X: Matrix, y: Float64Array): Promise<Float64Array> => {
      const phi = new Float64Array(X.rows * k);
      for (let first = 0; first < X.rows; first += CHUNK) {
        const rows = Array.from({ length: Math.min(CHUNK, X.rows - first) }, (_, j) => first + j);
        const G = await member.outputGradients!(X.selectRows(rows), y.subarray(first, first + rows.length));
        phi.set(
          await kernels.scoreMatrix({
            x: G.data,
            n: G.rows,
            d: P,
            intercept: false,
            v: proj,
            m: k,
            rowCoef: new Float64Array(G.rows).fill(1),
          }),
          first * k,
        );
      }
      return phi;
    };
    const Phi = await project(model.X, model.y),
      Phiq = await project(Xq, yq);
    let gram: Awaited<ReturnType<typeof kernels.hessian>>;
    try {
      gram = await kernels.hessian({ x: Phi, n, d: k, intercept: false, coef: new Float64Array(n).fill(1), lambda: 0 });
    } catch (err) {
      throw new SingularKernel(
        `trakScores: Phi^T Phi is singular: the projected gradients have rank below dimension = ${k}; use a smaller dimension`,
        { cause: err },
      );
    }
    const v = await kernels.choleskySolve({ factor: gram.factor, p: k, rhs: Phiq, nrhs: m });
    const q = await oneMinusLabelProbability(member, model.X, model.y);
    const scores = await kernels.scoreMatrix({ x: Phi, n, d: k, intercept: false, v, m, rowCoef: q });
    for (let t = 0; t < out.length; t++) out[t]! += scores[t]! / ensemble;
  }
  return out;
}

/** The model itself, or a member retrained on a subset (a refit for a convex model; a fresh MLP). */
async function trainMember(
  model: AttributableModel,
  subset: Uint32Array | undefined,
  seed: number,
): Promise<AttributableModel> {
  if (!subset) return model;
  return model.retrain({ subset, seed });
}

/**
 * 1 - p_i with p_i = e^{-l_i} the probability of example i's label (computed as -expm1(-l_i),
 * exact where p_i is close to 1), times the example's weight in the member's fit.
 */
async function oneMinusLabelProbability(model: AttributableModel, X: Matrix, y: Float64Array): Promise<Float64Array> {
  const l = await model.losses(X, y);
  const w = model.weights;
  return l.map((v, i) => -Math.expm1(-v) * (w ? w[i]! : 1));
}
