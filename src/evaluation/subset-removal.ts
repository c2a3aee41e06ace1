/**
 * Most-influential-subset removal (the Daunce paper, App. C; methods.md section 5): among
 * the queries the full model classifies correctly, sum every training example's score over
 * them, remove the N examples with the largest sums, retrain, and report the fraction of
 * those queries now misclassified.
 */
import { assertMatrix, type Matrix } from '../data/matrix.ts';
import { assertInteger } from '../data/validate.ts';
import { LogisticRegression } from '../models/logistic.ts';
import { MultilayerPerceptron } from '../models/mlp.ts';
import { assertKnownOptions, optionKeys } from '../options-check.ts';

export interface SubsetRemovalOptions {
  /** Logistic regression (exact refits) or an MLP (retrained from scratch, averaged over seeds). */
  model: LogisticRegression | MultilayerPerceptron;
  /** MLP only: retrains per N, flipped fractions averaged. Default 3. */
  seeds?: number;
  queries: { X: Matrix; y: Float64Array | readonly number[] };
  /** n x m removal-effect scores (row-major); larger = more helpful to the query. */
  scores: Float64Array;
  /** Numbers of removed examples N. */
  sizes: number[];
}

export interface SubsetRemovalPoint {
  N: number;
  /** Fraction of the initially correct queries that the retrained model gets wrong. */
  flipped: number;
}

export async function subsetRemoval(o: SubsetRemovalOptions): Promise<{ correctQueries: number; curve: SubsetRemovalPoint[] }> {
  assertKnownOptions('subsetRemoval', o, optionKeys<SubsetRemovalOptions>({ model: true, seeds: true, queries: true, scores: true, sizes: true }));
  const { model } = o;
  if (!(model instanceof LogisticRegression) && !(model instanceof MultilayerPerceptron)) {
    throw new TypeError('subsetRemoval: model must be a fitted LogisticRegression or MultilayerPerceptron (a classifier)');
  }
  const Xq = assertMatrix('subsetRemoval: queries.X', o.queries.X);
  if (Xq.cols !== model.X.cols) throw new RangeError(`subsetRemoval: queries.X: has ${Xq.cols} columns, the model has ${model.X.cols} features`);
  const seeds = assertInteger('subsetRemoval: seeds', o.seeds ?? 3, 1);
  const yq = model.labels(o.queries.y, Xq.rows, 'subsetRemoval: queries.y');
  const n = model.X.rows, m = Xq.rows;
  if (!(o.scores instanceof Float64Array) || o.scores.length !== n * m) throw new RangeError(`subsetRemoval: scores must be a Float64Array of n * m = ${n * m} values`);
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
    if (model instanceof LogisticRegression) {
      const after = await (await model.refit({ exclude: [...removed] }, { keepHessian: false })).predict(Xq);
      flipped = correct.filter((j) => after[j] !== yq[j]).length / correct.length;
    } else {
      const keep = Uint32Array.from(Array.from({ length: n }, (_, i) => i).filter((i) => !removed.has(i)));
      for (let s = 0; s < seeds; s++) {
        const after = await (await model.retrain(keep, 7919 * (N + 1) + s)).predict(Xq);
        flipped += correct.filter((j) => after[j] !== yq[j]).length / correct.length / seeds;
      }
    }
    curve.push({ N, flipped });
  }
  return { correctQueries: correct.length, curve };
}
