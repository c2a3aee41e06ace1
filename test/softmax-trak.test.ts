/**
 * TRAK on softmax regression: the margin gradients against finite differences of a plain-JS
 * margin, the scores at full projection dimension against the unprojected after-kernel formula
 * solved densely, C = 2 against logistic regression, and an end-to-end LDS through evaluate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogisticRegression, Matrix, SoftmaxRegression } from '../src/index.ts';
import { trakScores } from '../src/evaluation/trak.ts';
import { maxAbsDiff, multiclassData, rowOf, solveDense } from './helpers.ts';

const data = multiclassData;

/** Plain-JS log p_y - log(1 - p_y) from the logits (reference class last, logit 0). */
function jsMargin(theta: ArrayLike<number>, a: number[], yi: number, C: number): number {
  const p = a.length;
  const z = Array.from({ length: C }, (_, c) => (c < C - 1 ? a.reduce((s, v, k) => s + v * theta[c * p + k]!, 0) : 0));
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const total = e.reduce((s, v) => s + v, 0);
  const py = e[yi]! / total;
  return Math.log(py) - Math.log(1 - py);
}

test('softmax outputGradients: central differences of log p_y - log(1 - p_y), with and without the intercept', async () => {
  for (const fitIntercept of [true, false]) {
    const { X, y } = data(40, 3, 4, 1);
    const model = await SoftmaxRegression.fit(X, y, { lambda: 0.5, fitIntercept });
    const G = await model.outputGradients(X, y);
    assert.equal(G.rows, 40);
    assert.equal(G.cols, model.nParameters);
    const h = 1e-6;
    for (const i of [0, 7, 23, 39]) {
      const a = rowOf(X, i, fitIntercept);
      for (let k = 0; k < model.nParameters; k++) {
        const tp = model.theta.slice();
        tp[k]! += h;
        const tm = model.theta.slice();
        tm[k]! -= h;
        const fd = (jsMargin(tp, a, y[i]!, 4) - jsMargin(tm, a, y[i]!, 4)) / (2 * h);
        assert.ok(
          Math.abs(fd - G.get(i, k)) < 1e-7 * (1 + Math.abs(fd)),
          `intercept ${fitIntercept}: d f_${i} / d theta_${k}: ${G.get(i, k)} vs ${fd}`,
        );
      }
    }
  }
  const model = await SoftmaxRegression.fit(data(10, 2, 3, 2).X, data(10, 2, 3, 2).y);
  await assert.rejects(
    model.outputGradients(Matrix.fromArrays([[1, 2, 3]]), new Float64Array([0])),
    /has 3 columns, the model has 2 features/,
  );
  await assert.rejects(
    model.outputGradients(Matrix.fromArrays([[1, 2]]), new Float64Array([3])),
    /the model's classes are 0..2/,
  );
});

test('softmax TRAK at full dimension equals the unprojected after-kernel formula with weights (1 - p_i) w_i', async () => {
  const n = 70,
    C = 3,
    d = 3;
  const { X, y } = data(n, d, C, 3);
  const weights = Float64Array.from({ length: n }, (_, i) => 0.5 + (i % 3) * 0.5);
  const model = await SoftmaxRegression.fit(X, y, { lambda: 0.8, sampleWeights: weights });
  const q = data(3, d, C, 4);
  const P = model.nParameters;
  const scores = await trakScores({ model, queries: { X: q.X, y: q.y }, dimension: P, seed: 5 });
  // Independent features: finite-difference margin gradients of the plain-JS margin.
  const fdGrad = (Xm: Matrix, ym: ArrayLike<number>, i: number) =>
    Array.from({ length: P }, (_, k) => {
      const a = rowOf(Xm, i, true),
        h = 1e-6;
      const tp = model.theta.slice();
      tp[k]! += h;
      const tm = model.theta.slice();
      tm[k]! -= h;
      return (jsMargin(tp, a, ym[i]!, C) - jsMargin(tm, a, ym[i]!, C)) / (2 * h);
    });
  const G = Array.from({ length: n }, (_, i) => fdGrad(X, y, i));
  const GtG = Array.from({ length: P }, (_, r) =>
    Array.from({ length: P }, (_, c) => G.reduce((s, row) => s + row[r]! * row[c]!, 0)),
  );
  const proba = await model.predictProba(X);
  for (let j = 0; j < 3; j++) {
    const v = solveDense(GtG, fdGrad(q.X, q.y, j));
    for (const i of [0, 11, 69]) {
      const expected = G[i]!.reduce((s, g, k) => s + g * v[k]!, 0) * (1 - proba.get(i, y[i]!)) * weights[i]!;
      assert.ok(
        Math.abs(scores[i * 3 + j]! - expected) < 1e-6 * (1 + Math.abs(expected)),
        `TRAK ${i},${j}: ${scores[i * 3 + j]} vs ${expected}`,
      );
    }
  }
});

test('softmax TRAK with two classes equals logistic TRAK on the flipped labels (same seed, same projection)', async () => {
  const { X, y } = data(60, 3, 2, 6);
  const q = data(4, 3, 2, 7);
  // Class 1 is softmax's reference, so its free logit is the log-odds of class 0.
  const flip = (v: ArrayLike<number>) => Array.from(v, (l) => 1 - l);
  const soft = await SoftmaxRegression.fit(X, y, { lambda: 0.6 });
  const logistic = await LogisticRegression.fit(X, flip(y), { lambda: 0.6 });
  for (const ensemble of [1, 3]) {
    const a = await trakScores({ model: soft, queries: { X: q.X, y: q.y }, dimension: 3, ensemble, seed: 8 });
    const b = await trakScores({ model: logistic, queries: { X: q.X, y: flip(q.y) }, dimension: 3, ensemble, seed: 8 });
    assert.ok(
      maxAbsDiff(a, b) < 1e-8 * (1 + Math.max(...Array.from(b, Math.abs))),
      `ensemble ${ensemble}: ${maxAbsDiff(a, b)}`,
    );
  }
});

test('evaluate: TRAK on a softmax model ranks LDS retrains far above random', async () => {
  const { evaluateMethods } = await import('../src/evaluation/evaluate.ts');
  const { X, y } = data(120, 3, 3, 21);
  const model = await SoftmaxRegression.fit(X, y, { lambda: 1 });
  const q = data(6, 3, 3, 22);
  const report = await evaluateMethods({
    model,
    queries: { X: q.X, y: q.y },
    methods: ['trak', 'random'],
    subsets: 20,
    removalSizes: [5],
    seed: 1,
  });
  const lds = Object.fromEntries(report.methods.map((m) => [m.method, m.lds]));
  assert.ok(lds.trak! > 0.5, JSON.stringify(lds));
  assert.ok(Math.abs(lds.random!) < 0.5, JSON.stringify(lds));
});
