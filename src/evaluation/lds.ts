/**
 * Linear datamodeling score (docs/methods.md section 5): retrain on M random subsets S_j of size
 * ceil(alpha n); LDS(q) is the Spearman correlation over j between the actual target
 * f_q(theta_{S_j}) and the prediction -sum_{i in S_j} tau(i, q) of removal-effect scores.
 * The retrained outputs are the expensive part: they are cached on disk, keyed by the data,
 * the model options, the subsets and the target, so every method scored against the same
 * ground truth shares one set of retrains.
 */
import { mkdir } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { assertMatrix, type Matrix } from '../data/matrix.ts';
import { encodeNpy, parseNpy } from '../data/npy.ts';
import { assertInteger, assertNumber } from '../data/validate.ts';
import { AbortError } from '../errors.ts';
import { checkQueries, checkScores } from './scores.ts';
import { IntegrityError, readSealed, writeSealedAtomic } from '../io/atomic.ts';
import type { ScoreTarget } from '../influence/analysis.ts';
import { isAttributableModel, type AttributableModel } from '../models/model.ts';
import { mixSeed, sampleIndices, seededRandom } from '../random.ts';
import { sha256Hex } from '../hash.ts';
import { ldsFromScores, type GroundTruth, type LdsResult } from './lds-metric.ts';
import { RemoteLdsRetrains } from '../distributed/coordinators.ts';
import type { QueueOptions } from '../distributed/executor.ts';
import { assertKnownOptions, optionKeys } from '../options-check.ts';

export { ldsFromScores, type GroundTruth, type LdsResult };

/** Options of `groundTruth` and `lds`. */
export interface GroundTruthOptions {
  /** Any attributable model: a convex one is retrained exactly, a stochastic one (the MLP) from scratch, averaged over seeds. */
  model: AttributableModel;
  /** Stochastic models only: independently initialised retrains averaged per subset. Default 3. */
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
  /** Called after each subset's retrain. */
  onProgress?: (done: number, total: number) => void;
  /** Run the retrains on tdakit workers over Redis (README "Running across machines"); outputs are identical. */
  queue?: QueueOptions;
}

function subsetsFor(n: number, M: number, alpha: number, seed: number): Uint32Array[] {
  const size = Math.ceil(alpha * n);
  return Array.from({ length: M }, (_, j) => sampleIndices(n, size, seededRandom(mixSeed(seed, 'lds-subset', j))));
}

/**
 * Query targets of the model retrained on a subset, averaged over `seeds` retrains (one for a
 * deterministic model, whose retrain ignores the seed).
 */
export async function subsetTargets(
  model: AttributableModel,
  S: Uint32Array,
  Xq: Matrix,
  yq: Float64Array,
  target: ScoreTarget,
  seeds: number,
  seed: number,
  j: number,
): Promise<Float64Array> {
  if (seeds === 1 && !model.stochastic) return (await model.retrain({ subset: S })).output(Xq, yq, target);
  const mean = new Float64Array(Xq.rows);
  for (let s = 0; s < seeds; s++) {
    const retrained = await model.retrain({ subset: S, seed: mixSeed(seed, 'lds-retrain', j, s) });
    const l = await retrained.output(Xq, yq, target);
    for (let j = 0; j < l.length; j++) mean[j]! += l[j]! / seeds;
  }
  return mean;
}

/**
 * The query targets of a model.
 * @param model - a fitted model
 * @param X - query inputs
 * @param y - query labels
 * @param target - loss, logit or probability
 * @returns one value per query
 */
export async function queryTargets(
  model: AttributableModel,
  X: Matrix,
  y: Float64Array,
  target: ScoreTarget,
): Promise<Float64Array> {
  return model.output(X, y, target);
}

function cacheKey(
  model: AttributableModel,
  Xq: Matrix,
  yq: Float64Array,
  M: number,
  alpha: number,
  seed: number,
  target: string,
): string {
  const weights = model.weights ?? new Float64Array(0);
  const settings = JSON.stringify({
    kind: model.kind,
    rows: model.X.rows,
    cols: model.X.cols,
    options: { ...model.options, backend: undefined },
    M,
    alpha,
    seed,
    target,
    version: 2,
  });
  return sha256Hex(model.X.data, model.y, weights, Xq.data, yq, settings).slice(0, 24);
}

/**
 * A cache entry's M x m outputs, or undefined when there is none. An entry that is truncated,
 * fails its checksum or has another shape is reported and recomputed (then overwritten).
 */
async function readCachedOutputs(file: string, M: number, m: number): Promise<Float64Array | undefined> {
  let payload: Uint8Array;
  try {
    payload = await readSealed(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (!(err instanceof IntegrityError)) throw err;
    process.emitWarning(`lds: cache entry ${err.message}; recomputing it`, { code: 'TDAKIT_CACHE_CORRUPT' });
    return undefined;
  }
  try {
    const { data, shape } = parseNpy(payload, file);
    if (shape.length !== 2 || shape[0] !== M || shape[1] !== m)
      throw new RangeError(`${file}: shape (${shape.join(', ')}), expected (${M}, ${m})`);
    if (!data.every(Number.isFinite)) throw new RangeError(`${file}: holds non-finite outputs`);
    return data;
  } catch (err) {
    process.emitWarning(`lds: cache entry ${(err as Error).message}; recomputing it`, { code: 'TDAKIT_CACHE_CORRUPT' });
    return undefined;
  }
}

const GROUND_TRUTH_OPTION_KEYS = optionKeys<GroundTruthOptions>({
  model: true,
  seeds: true,
  queries: true,
  subsets: true,
  alpha: true,
  target: true,
  seed: true,
  cacheDir: true,
  signal: true,
  onProgress: true,
  queue: true,
});

/**
 * Retrains on every subset (or reads the cache) and returns the actual query targets.
 * @param o - the model, queries, number and size of subsets, target, seed, cache directory
 * @returns the subsets and the actual query targets after each retrain
 */

export async function groundTruth(o: GroundTruthOptions): Promise<GroundTruth> {
  if (o === null || typeof o !== 'object') throw new TypeError('lds: expects an options object');
  assertKnownOptions('groundTruth', o, GROUND_TRUTH_OPTION_KEYS);
  const { model } = o;
  if (!isAttributableModel(model)) {
    throw new TypeError(
      'lds: model must be a fitted model (LogisticRegression, RidgeRegression, SoftmaxRegression, MultilayerPerceptron, ...)',
    );
  }
  checkQueries('lds: queries', o.queries);
  const M = assertInteger('lds: subsets', o.subsets ?? 100, 2);
  const alpha = assertNumber('lds: alpha', o.alpha ?? 0.5, 0, 1);
  if (alpha === 0 || alpha === 1) throw new RangeError('lds: alpha must be strictly between 0 and 1');
  const seed = assertInteger('lds: seed', o.seed ?? 0, 0);
  const target = o.target ?? 'loss';
  if (!['loss', 'logit', 'probability'].includes(target))
    throw new RangeError(`lds: target must be 'loss', 'logit' or 'probability', got '${String(target)}'`);
  const Xq = assertMatrix('lds: queries.X', o.queries.X);
  if (!model.outputs.includes(target))
    throw new RangeError(
      `lds: target '${target}' is not defined for a ${model.kind} model (it defines ${model.outputs.join(', ')})`,
    );
  model.checkInputs(Xq, 'lds: queries.X');
  const yq = model.labels(o.queries.y, Xq.rows, 'lds: queries.y');
  const seeds = model.stochastic ? assertInteger('lds: seeds', o.seeds ?? 3, 1) : 1;
  const n = model.X.rows,
    m = Xq.rows;
  // The subsets and outputs are held in memory: refuse what cannot fit before allocating it.
  const bytes = M * (4 * Math.ceil(alpha * n) + 8 * m + 64);
  if (bytes > totalmem()) {
    throw new RangeError(
      `lds: subsets = ${M} would need about ${(bytes / 2 ** 30).toFixed(1)} GiB for the subsets and outputs, more than this machine's ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    );
  }
  const subsets = subsetsFor(n, M, alpha, seed);
  const file = o.cacheDir
    ? join(o.cacheDir, `lds-${cacheKey(model, Xq, yq, M, alpha, seed, `${target}:${seeds}`)}.npy`)
    : undefined;
  if (file) {
    const cached = await readCachedOutputs(file, M, m);
    if (cached) return { subsets, outputs: cached, m, retrained: 0 };
  }
  const outputs = new Float64Array(M * m);
  // With a queue, every subset is enqueued at once and merged here in subset order.
  const remote = o.queue
    ? await RemoteLdsRetrains.open(
        o.queue,
        model,
        { X: Xq, y: yq },
        { target, seeds, seed },
        cacheKey(model, Xq, yq, M, alpha, seed, `${target}:${seeds}`),
        o.signal,
      )
    : undefined;
  let merged = false;
  try {
    for (const [j, S] of subsets.entries()) remote?.retrain(j, S);
    for (const [j, S] of subsets.entries()) {
      if (o.signal?.aborted) throw new AbortError('lds: aborted');
      outputs.set(
        remote ? await remote.result(j) : await subsetTargets(model, S, Xq, yq, target, seeds, seed, j),
        j * m,
      );
      o.onProgress?.(j + 1, M);
    }
    merged = true;
  } finally {
    await remote?.close(merged);
  }
  if (file) {
    await mkdir(o.cacheDir!, { recursive: true });
    await writeSealedAtomic(file, encodeNpy(outputs, [M, m]));
  }
  return { subsets, outputs, m, retrained: M };
}

/**
 * Ground truth (cached) and LDS in one call.
 * @param o - the ground truth's options and the n x m scores
 * @returns the mean LDS, its standard error and the per-query values
 */
export async function lds(o: GroundTruthOptions & { scores: Float64Array }): Promise<LdsResult> {
  // Checked before the (expensive) retrains.
  const queryRows = o?.queries?.X?.rows;
  if (o?.model?.X && typeof queryRows === 'number') checkScores('lds: scores', o.scores, o.model.X.rows, queryRows);
  assertKnownOptions('lds', o, [...GROUND_TRUTH_OPTION_KEYS, 'scores']);
  const { scores, ...rest } = o;
  const truth = await groundTruth(rest);
  return ldsFromScores(truth, scores, o.model.X.rows);
}
