/**
 * Most-influential-subset removal (the Daunce paper, App. C; docs/methods.md section 5): among
 * the queries the full model classifies correctly, sum every training example's score over
 * them, remove the N examples with the largest sums, retrain, and report the fraction of
 * those queries now misclassified.
 */
import { assertMatrix, type Matrix } from '../data/matrix.ts';
import { assertInteger } from '../data/validate.ts';
import { mixSeed } from '../random.ts';
import { isAttributableModel, type AttributableModel } from '../models/model.ts';
import { checkQueries, checkScores } from './scores.ts';
import { assertKnownOptions, optionKeys } from '../options-check.ts';

/** Options of `subsetRemoval`. */
export interface SubsetRemovalOptions {
  /** A fitted classifier: a convex one is refitted exactly, a stochastic one (the MLP) retrained from scratch, averaged over seeds. */
  model: AttributableModel;
  /** Stochastic models only: retrains per N, flipped fractions averaged. Default 3. */
  seeds?: number;
  queries: { X: Matrix; y: Float64Array | readonly number[] };
  /** n x m removal-effect scores (row-major); larger = more helpful to the query. */
  scores: Float64Array;
  /** Numbers of removed examples N. */
  sizes: number[];
  /** Seed of the stochastic retrains. Default 0. */
  seed?: number;
}

/** One point of the subset-removal curve. */
export interface SubsetRemovalPoint {
  N: number;
  /** Fraction of the initially correct queries that the retrained model gets wrong. */
  flipped: number;
}

/**
 * Removes the N training examples that most support the correctly classified queries, retrains,
 * and reports the fraction of those queries that flip (docs/methods.md section 5).
 * @param o - the model, queries, their scores and the sizes N
 * @returns the number of initially correct queries and the flipped fraction per N
 */
export async function subsetRemoval(
  o: SubsetRemovalOptions,
): Promise<{ correctQueries: number; curve: SubsetRemovalPoint[] }> {
  if (o === null || typeof o !== 'object') throw new TypeError('subsetRemoval: expects an options object');
  assertKnownOptions(
    'subsetRemoval',
    o,
    optionKeys<SubsetRemovalOptions>({
      model: true,
      seeds: true,
      seed: true,
      queries: true,
      scores: true,
      sizes: true,
    }),
  );
  const { model } = o;
  if (!isAttributableModel(model) || model.task !== 'classification') {
    throw new TypeError(
      'subsetRemoval: model must be a fitted classifier (LogisticRegression, SoftmaxRegression, MultilayerPerceptron, ...)',
    );
  }
  checkQueries('subsetRemoval: queries', o.queries);
  if (!Array.isArray(o.sizes))
    throw new TypeError('subsetRemoval: sizes must be an array of numbers of removed examples');
  const Xq = assertMatrix('subsetRemoval: queries.X', o.queries.X);
  if (Xq.cols !== model.X.cols)
    throw new RangeError(`subsetRemoval: queries.X: has ${Xq.cols} columns, the model has ${model.X.cols} features`);
  const seeds = model.stochastic ? assertInteger('subsetRemoval: seeds', o.seeds ?? 3, 1) : 1;
  const seed = assertInteger('subsetRemoval: seed', o.seed ?? 0, 0);
  const yq = model.labels(o.queries.y, Xq.rows, 'subsetRemoval: queries.y');
  const n = model.X.rows,
    m = Xq.rows;
  checkScores('subsetRemoval: scores', o.scores, n, m);
  const predicted = await model.predict(Xq);
  const correct = Array.from({ length: m }, (_, j) => j).filter((j) => predicted[j] === yq[j]);
  if (correct.length === 0) throw new RangeError('subsetRemoval: the model gets no query right');
  const total = new Float64Array(n);
  for (let i = 0; i < n; i++) for (const j of correct) total[i]! += o.scores[i * m + j]!;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => total[b]! - total[a]! || a - b);
  const curve: SubsetRemovalPoint[] = [];
  for (const N of o.sizes) {
    assertInteger('subsetRemoval: sizes', N, 1, n - 1);
    const removed = new Set(order.slice(0, N));
    let flipped = 0;
    const keep = Uint32Array.from(Array.from({ length: n }, (_, i) => i).filter((i) => !removed.has(i)));
    for (let s = 0; s < seeds; s++) {
      const after = await (await model.retrain({ subset: keep, seed: mixSeed(seed, 'subset-removal', N, s) })).predict(
        Xq,
      );
      flipped += correct.filter((j) => after[j] !== yq[j]).length / correct.length / seeds;
    }
    curve.push({ N, flipped });
  }
  return { correctQueries: correct.length, curve };
}
