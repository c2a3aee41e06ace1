/**
 * Linear datamodeling score (methods.md section 5): retrain on M random subsets S_j of size
 * ceil(alpha n); LDS(q) is the Spearman correlation over j between the actual target
 * f_q(theta_{S_j}) and the prediction -sum_{i in S_j} tau(i, q) of removal-effect scores.
 * The retrained outputs are the expensive part: they are cached on disk, keyed by the data,
 * the model options, the subsets and the target, so every method scored against the same
 * ground truth shares one set of retrains.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertMatrix, type Matrix } from '../data/matrix.ts';
import { encodeNpy, parseNpy } from '../data/npy.ts';
import { assertInteger, assertNumber } from '../data/validate.ts';
import { AbortError } from '../errors.ts';
import type { ScoreTarget } from '../influence/analysis.ts';
import type { GeneralizedLinearModel } from '../models/glm.ts';
import { MultilayerPerceptron } from '../models/mlp.ts';
import { seededRandom } from '../random.ts';
import { spearman } from './stats.ts';
import { assertKnownOptions, optionKeys } from '../options-check.ts';

export interface GroundTruthOptions {
  /** A convex built-in model (retrained exactly) or an MLP (retrained from scratch, averaged over seeds). */
  model: GeneralizedLinearModel | MultilayerPerceptron;
  /** MLP only: independently initialised retrains averaged per subset. Default 3. */
  seeds?: number;
  queries: { X: Matrix; y: Float64Array | readonly number[] };
  /** Number of subsets M. Default 100. */
  subsets?: number;
  /** Subset size fraction. Default 0.5. */
  alpha?: number;
  /** What is measured on the queries. Default 'loss'. */
  target?: ScoreTarget;
  seed?: number;
  /** Directory for the retrained outputs (reused across methods and runs). */
  cacheDir?: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface GroundTruth {
  /** M subsets (sorted training indices). */
  subsets: Uint32Array[];
  /** M x m actual targets, row-major. */
  outputs: Float64Array;
  m: number;
  /** Retrains run now (0 on a cache hit). */
  retrained: number;
}

export interface LdsResult {
  mean: number;
  standardError: number;
  /** LDS per query (NaN where a query's actual output did not vary). */
  perQuery: Float64Array;
  retrained: number;
}

function subsetsFor(n: number, M: number, alpha: number, seed: number): Uint32Array[] {
  const size = Math.ceil(alpha * n);
  return Array.from({ length: M }, (_, j) => {
    const random = seededRandom((Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(j + 1, 0x85ebca6b)) >>> 0);
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < size; i++) {
      const k = i + Math.floor(random() * (n - i));
      [idx[i], idx[k]] = [idx[k]!, idx[i]!];
    }
    return Uint32Array.from(idx.slice(0, size)).sort();
  });
}

/** Query losses of an MLP trained from scratch on a subset, averaged over `seeds` initialisations. */
async function mlpSubsetLosses(model: MultilayerPerceptron, S: Uint32Array, Xq: Matrix, yq: Float64Array, seeds: number, salt: number): Promise<Float64Array> {
  const mean = new Float64Array(Xq.rows);
  for (let s = 0; s < seeds; s++) {
    const retrained = await model.retrain(S, (Math.imul(salt + 1, 0x9e3779b1) + s) >>> 0);
    const l = await retrained.losses(Xq, yq);
    for (let j = 0; j < l.length; j++) mean[j]! += l[j]! / seeds;
  }
  return mean;
}

/** The query targets of a model. */
export async function queryTargets(model: GeneralizedLinearModel, X: Matrix, y: Float64Array, target: ScoreTarget): Promise<Float64Array> {
  if (target === 'loss') return model.losses(X, y);
  const z = await model.decisionFunction(X);
  if (target === 'logit' || model.kind === 'ridge') return z;
  return z.map((v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))));
}

function cacheKey(model: GeneralizedLinearModel | MultilayerPerceptron, Xq: Matrix, yq: Float64Array, M: number, alpha: number, seed: number, target: string): string {
  const h = createHash('sha256');
  const weights = model instanceof MultilayerPerceptron ? new Float64Array(0) : model.weights;
  for (const a of [model.X.data, model.y, weights, Xq.data, yq]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  h.update(JSON.stringify({ kind: model.kind, rows: model.X.rows, cols: model.X.cols, options: { ...model.options, backend: undefined }, M, alpha, seed, target, version: 1 }));
  return h.digest('hex').slice(0, 24);
}

/** Retrains on every subset (or reads the cache) and returns the actual query targets. */
const GROUND_TRUTH_OPTION_KEYS = optionKeys<GroundTruthOptions>({
  model: true, seeds: true, queries: true, subsets: true, alpha: true, target: true, seed: true, cacheDir: true, signal: true,
  onProgress: true,
});

export async function groundTruth(o: GroundTruthOptions): Promise<GroundTruth> {
  assertKnownOptions('groundTruth', o, GROUND_TRUTH_OPTION_KEYS);
  const { model } = o;
  const M = assertInteger('lds: subsets', o.subsets ?? 100, 2);
  const alpha = assertNumber('lds: alpha', o.alpha ?? 0.5, 0, 1);
  if (alpha === 0 || alpha === 1) throw new RangeError('lds: alpha must be strictly between 0 and 1');
  const seed = assertInteger('lds: seed', o.seed ?? 0, 0);
  const target = o.target ?? 'loss';
  if (!['loss', 'logit', 'probability'].includes(target)) throw new RangeError(`lds: target must be 'loss', 'logit' or 'probability', got '${target}'`);
  const Xq = assertMatrix('lds: queries.X', o.queries.X);
  const isMlp = model instanceof MultilayerPerceptron;
  if (isMlp && target !== 'loss') throw new RangeError(`lds: target '${target}' is defined for the GLMs; an MLP is evaluated on the loss`);
  if (isMlp && Xq.cols !== model.X.cols) throw new RangeError(`lds: queries.X: has ${Xq.cols} columns, the model has ${model.X.cols} inputs`);
  if (!isMlp) model.design(Xq, 'lds: queries.X');
  const yq = model.labels(o.queries.y, Xq.rows, 'lds: queries.y');
  const seeds = isMlp ? assertInteger('lds: seeds', o.seeds ?? 3, 1) : 1;
  const n = model.X.rows, m = Xq.rows;
  const subsets = subsetsFor(n, M, alpha, seed);
  const file = o.cacheDir ? join(o.cacheDir, `lds-${cacheKey(model, Xq, yq, M, alpha, seed, `${target}:${seeds}`)}.npy`) : undefined;
  if (file && existsSync(file)) {
    const { data, shape } = parseNpy(new Uint8Array(await readFile(file)), file);
    if (shape[0] === M && shape[1] === m) return { subsets, outputs: data, m, retrained: 0 };
  }
  const outputs = new Float64Array(M * m);
  for (const [j, S] of subsets.entries()) {
    if (o.signal?.aborted) throw new AbortError('lds: aborted');
    if (model instanceof MultilayerPerceptron) {
      outputs.set(await mlpSubsetLosses(model, S, Xq, yq, seeds, seed * 100003 + j), j * m);
    } else {
      const weights = new Float64Array(n);
      for (const i of S) weights[i] = model.weights[i]!;
      const refit = await model.refit({ weights }, { keepHessian: false });
      outputs.set(await queryTargets(refit, Xq, yq, target), j * m);
    }
    o.onProgress?.(j + 1, M);
  }
  if (file) {
    await mkdir(o.cacheDir!, { recursive: true });
    await writeFile(`${file}.tmp`, encodeNpy(outputs, [M, m]));
    await rename(`${file}.tmp`, file);
  }
  return { subsets, outputs, m, retrained: M };
}

/**
 * LDS of removal-effect scores (n x m row-major: tau(i, q), the predicted change of the
 * query's target when i is removed) against a ground truth.
 */
export function ldsFromScores(truth: GroundTruth, scores: Float64Array, n: number): LdsResult {
  const { m, subsets, outputs } = truth;
  if (!(scores instanceof Float64Array) || scores.length !== n * m) throw new RangeError(`lds: scores must be a Float64Array of n * m = ${n * m} values`);
  const perQuery = new Float64Array(m);
  const predicted = new Float64Array(subsets.length);
  const actual = new Float64Array(subsets.length);
  for (let q = 0; q < m; q++) {
    subsets.forEach((S, j) => {
      let s = 0;
      for (const i of S) s += scores[i * m + q]!;
      predicted[j] = -s;
      actual[j] = outputs[j * m + q]!;
    });
    perQuery[q] = spearman(actual, predicted);
  }
  const valid = Array.from(perQuery).filter(Number.isFinite);
  const mean = valid.reduce((a, b) => a + b, 0) / valid.length;
  const sd = Math.sqrt(valid.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, valid.length - 1));
  return { mean, standardError: sd / Math.sqrt(valid.length), perQuery, retrained: truth.retrained };
}

/** Ground truth (cached) and LDS in one call. */
export async function lds(o: GroundTruthOptions & { scores: Float64Array }): Promise<LdsResult> {
  assertKnownOptions('lds', o, [...GROUND_TRUTH_OPTION_KEYS, 'scores']);
  const { scores, ...rest } = o;
  const truth = await groundTruth(rest);
  return ldsFromScores(truth, scores, o.model.X.rows);
}
