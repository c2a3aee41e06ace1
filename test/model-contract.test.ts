/**
 * The model contract: every built-in model implements it, its one retrain path matches an
 * independent fit, and a fourth model written only against the contract (plus one Daunce
 * registration) works with LDS, subset removal and Daunce unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  daunce,
  groundTruth,
  isAttributableModel,
  LogisticRegression,
  Matrix,
  MultilayerPerceptron,
  RidgeRegression,
  registerPerturbable,
  SoftmaxRegression,
  subsetRemoval,
  type AttributableModel,
  type ModelOutput,
  type Perturbation,
  type RetrainRequest,
} from '../src/index.ts';
import { resolveBackend } from '../src/index.ts';
import { logisticData, maxAbsDiff, regressionData, rng } from './helpers.ts';

test('every built-in model implements the contract', async () => {
  const { X, y } = logisticData(60, 3, 4);
  const yc = Float64Array.from(y, (v, i) => (v === 1 ? (i % 2) + 1 : 0));
  const models: AttributableModel[] = [
    await LogisticRegression.fit(X, y),
    await RidgeRegression.fit(regressionData(40, 3).X, regressionData(40, 3).y),
    await SoftmaxRegression.fit(X, yc),
    await MultilayerPerceptron.fit(X, yc, { hidden: [4], epochs: 2, seed: 3 }),
  ];
  for (const m of models) {
    assert.ok(isAttributableModel(m), m.kind);
    assert.equal(typeof m.stochastic, 'boolean');
    assert.ok(m.outputs.includes('loss'));
    assert.throws(() => m.checkInputs(Matrix.fromArrays([[1, 2]]), 'Xq'), /Xq: has 2 columns/);
  }
  assert.equal(isAttributableModel({ train() {}, losses() {} }), false);
});

test('retrain on a subset equals a fresh fit on those rows (logistic, softmax) and a refit with weights', async () => {
  const { X, y } = logisticData(80, 4, 7);
  const subset = Array.from({ length: 80 }, (_, i) => i).filter((i) => i % 3 !== 0);
  const model = await LogisticRegression.fit(X, y, { lambda: 0.5 });
  const retrained = await model.retrain({ subset });
  const fresh = await LogisticRegression.fit(
    X.selectRows(subset),
    Float64Array.from(subset, (i) => y[i]!),
    { lambda: 0.5 },
  );
  assert.ok(maxAbsDiff(retrained.theta, fresh.theta) < 1e-9, `logistic: ${maxAbsDiff(retrained.theta, fresh.theta)}`);
  const w = Float64Array.from({ length: 80 }, (_, i) => 0.5 + (i % 4) / 4);
  const byWeights = await model.retrain({ weights: w });
  const weightedFit = await LogisticRegression.fit(X, y, { lambda: 0.5, sampleWeights: w });
  assert.ok(maxAbsDiff(byWeights.theta, weightedFit.theta) < 1e-9);

  const yc = Float64Array.from(y, (v, i) => (v === 1 ? 1 + (i % 2) : 0));
  const softmax = await SoftmaxRegression.fit(X, yc, { lambda: 0.5 });
  const sRetrained = await softmax.retrain({ subset });
  const sFresh = await SoftmaxRegression.fit(
    X.selectRows(subset),
    Float64Array.from(subset, (i) => yc[i]!),
    { lambda: 0.5, classes: 3 },
  );
  assert.ok(
    maxAbsDiff(sRetrained.theta, sFresh.theta) < 1e-9,
    `softmax: ${maxAbsDiff(sRetrained.theta, sFresh.theta)}`,
  );

  await assert.rejects(model.retrain({ subset: [] }), /subset: is empty/);
  await assert.rejects(model.retrain({ subset: [1], weights: w } as never), /either subset or weights/);
  await assert.rejects(model.retrain({ weights: new Float64Array(80).fill(-1) }), /weights must be >= 0/);
});

test('the MLP retrain is seeded: same seed, same network; the older call form is the same path', async () => {
  const { X, y } = logisticData(60, 3, 9);
  const mlp = await MultilayerPerceptron.fit(X, y, { hidden: [5], epochs: 3, seed: 1 });
  const subset = Uint32Array.from({ length: 40 }, (_, i) => i + 10);
  const a = await mlp.retrain({ subset, seed: 5 });
  const b = await mlp.retrain({ subset, seed: 5 });
  const c = await mlp.retrain({ subset, seed: 6 });
  const legacy = await mlp.retrain(subset, 5);
  assert.deepEqual(a.theta, b.theta);
  assert.deepEqual(a.theta, legacy.theta);
  assert.ok(maxAbsDiff(a.theta, c.theta) > 0);
  await assert.rejects(mlp.retrain({ weights: new Float64Array(60).fill(0.5) }), /weights must be 0 or 1/);
});

/**
 * A fourth model written only against the contract: the weighted mean of y with squared-error
 * loss, theta = sum w_i y_i / sum w_i (retrained exactly in plain JS).
 */
class MeanModel implements AttributableModel {
  readonly kind = 'test-mean';
  readonly task = 'regression' as const;
  readonly stochastic = false;
  readonly outputs: readonly ModelOutput[] = ['loss'];
  readonly options = {};
  readonly nParameters = 1;
  readonly theta: Float64Array;
  constructor(
    readonly X: Matrix,
    readonly y: Float64Array,
    readonly weights: Float64Array,
  ) {
    let s = 0,
      w = 0;
    for (let i = 0; i < y.length; i++) {
      s += weights[i]! * y[i]!;
      w += weights[i]!;
    }
    this.theta = Float64Array.of(s / w);
  }
  labels(y: Float64Array | readonly number[]): Float64Array {
    return Float64Array.from(y);
  }
  checkInputs(X: Matrix, name = 'X'): void {
    if (X.cols !== this.X.cols) throw new RangeError(`${name}: has ${X.cols} columns`);
  }
  async losses(_X: Matrix, y: Float64Array | readonly number[]): Promise<Float64Array> {
    return Float64Array.from(y, (v) => (v - this.theta[0]!) ** 2 / 2);
  }
  async predict(X: Matrix): Promise<Float64Array> {
    return new Float64Array(X.rows).fill(this.theta[0]!);
  }
  async output(X: Matrix, y: Float64Array): Promise<Float64Array> {
    return this.losses(X, y);
  }
  async retrain(r: RetrainRequest): Promise<MeanModel> {
    const w = r.weights ? Float64Array.from(r.weights) : new Float64Array(this.y.length);
    if (r.subset) for (const i of Array.from(r.subset)) w[i] = this.weights[i]!;
    return new MeanModel(this.X, this.y, w);
  }
  backendKernels() {
    return resolveBackend('cpu');
  }
}

test('a fourth model needs only the contract: LDS ground truth and Daunce (one registration) use it unchanged', async () => {
  const r = rng(11);
  const n = 30;
  const X = new Matrix(
    Float64Array.from({ length: n }, () => r()),
    n,
    1,
  );
  const y = Float64Array.from({ length: n }, () => 3 * r());
  const model = new MeanModel(X, y, new Float64Array(n).fill(1));
  const queries = { X: new Matrix(Float64Array.of(0, 0), 2, 1), y: Float64Array.of(0.5, 2.5) };
  const truth = await groundTruth({ model, queries, subsets: 4, alpha: 0.5, seed: 2 });
  truth.subsets.forEach((S, j) => {
    const mean = Array.from(S).reduce((a, i) => a + y[i]!, 0) / S.length;
    for (let q = 0; q < 2; q++)
      assert.ok(Math.abs(truth.outputs[j * 2 + q]! - (queries.y[q]! - mean) ** 2 / 2) < 1e-12);
  });

  // Daunce: the model's own perturbed trainer (black-box: the plain mean of the subset).
  let trained = 0;
  registerPerturbable<MeanModel>('test-mean', ({ model: m, queries: q }) => ({
    async train(p: Perturbation) {
      trained++;
      return m.retrain({ subset: p.subset });
    },
    async losses(h: unknown, which: 'train' | 'queries') {
      const fitted = h as MeanModel;
      return which === 'train' ? fitted.losses(m.X, m.y) : fitted.losses(q.X, q.y);
    },
  }));
  const run = await daunce({ model, queries, K: 6, ratio: 0.5, access: 'black-box', seed: 3 });
  assert.equal(trained, 6);
  assert.equal((await run.scores('covariance')).length, n * 2);
  await assert.rejects(
    daunce({ model: await RidgeRegression.fit(X, y), queries, K: 2 }),
    /no perturbed trainer is registered for 'ridge'/,
  );
  await assert.rejects(
    subsetRemoval({ model, queries, scores: new Float64Array(n * 2), sizes: [1] }),
    /must be a fitted classifier/,
  );
});
