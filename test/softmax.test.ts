import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SoftmaxRegression, LogisticRegression, Matrix, daunce, drawPerturbation, loadMnist } from '../src/index.ts';
import { softmaxPerturbable } from '../src/daunce/softmax-perturbable.ts';
import { poolPixels } from '../src/datasets/mnist.ts';
import { gaussian, maxAbsDiff, norm, rng, rowOf } from './helpers.ts';

function data(n: number, d: number, C: number, seed: number) {
  const r = rng(seed);
  const X = Float64Array.from({ length: n * d }, () => gaussian(r));
  const y = Float64Array.from({ length: n }, (_, i) => {
    const s = X[i * d]! + 0.5 * gaussian(r);
    return Math.min(C - 1, Math.max(0, Math.floor(((s + 1.5) * C) / 3)));
  });
  return { X: new Matrix(X, n, d), y };
}

/** Plain-JS per-example objective phi_i and its logit-space pieces (reference class last, logit 0). */
function jsPhi(
  theta: ArrayLike<number>,
  X: Matrix,
  y: ArrayLike<number>,
  i: number,
  C: number,
  kind: 'ce' | 'ce2' | 'm2',
  offset = 0,
): number {
  const a = rowOf(X, i, true),
    p = a.length;
  const z = Array.from({ length: C }, (_, c) => (c < C - 1 ? a.reduce((s, v, k) => s + v * theta[c * p + k]!, 0) : 0));
  const lse = (skip: number) => {
    const v = z.filter((_, c) => c !== skip);
    const m = Math.max(...v);
    return m + Math.log(v.reduce((s, x) => s + Math.exp(x - m), 0));
  };
  const yi = y[i]!;
  if (kind === 'm2') return 0.5 * (z[yi]! - lse(yi) - offset) ** 2;
  const l = lse(-1) - z[yi]!;
  return kind === 'ce' ? l : 0.5 * (l - offset) ** 2;
}

test('softmax with two classes is logistic regression (reference parameterisation)', async () => {
  const { X, y } = data(120, 4, 2, 1);
  const soft = await SoftmaxRegression.fit(X, y, { lambda: 0.7 });
  // Class 1 is the reference: z_0 = theta^T a is the log-odds of class 0.
  const logistic = await LogisticRegression.fit(
    X,
    Array.from(y, (v) => (v === 0 ? 1 : 0)),
    { lambda: 0.7 },
  );
  assert.ok(maxAbsDiff(soft.theta, logistic.theta) < 1e-10, `${maxAbsDiff(soft.theta, logistic.theta)}`);
});

test('softmax fit: gradient of a JS objective vanishes; finite differences confirm it is a minimum; real 10-class MNIST', async () => {
  const { X, y } = data(150, 3, 4, 2);
  const lambda = 0.5;
  const model = await SoftmaxRegression.fit(X, y, { lambda });
  const P = model.nParameters,
    p = 4;
  const F = (t: ArrayLike<number>) => {
    let f = 0;
    for (let i = 0; i < 150; i++) f += jsPhi(t, X, y, i, 4, 'ce');
    for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) f += 0.5 * lambda * t[c * p + k]! ** 2;
    return f;
  };
  const h = 1e-6;
  for (let k = 0; k < P; k++) {
    const tp = model.theta.slice();
    tp[k]! += h;
    const tm = model.theta.slice();
    tm[k]! -= h;
    assert.ok(Math.abs((F(tp) - F(tm)) / (2 * h)) < 1e-6, `d F / d theta_${k}`);
    assert.ok(F(tp) > F(model.theta) && F(tm) > F(model.theta));
  }
  assert.ok(model.diagnostics.gradientNorm <= 1e-12 * model.diagnostics.gradientScale);
  const mnist = await loadMnist();
  const idx = Array.from({ length: 1500 }, (_, j) => j * 6);
  const test_ = Array.from({ length: 300 }, (_, j) => j * 6 + 3);
  // 7 x 7 average-pooled pixels: 49 features x 9 free classes = 450 parameters.
  const pool = (rows: number[]) => poolPixels(mnist.X.selectRows(rows), 4);
  const mm = await SoftmaxRegression.fit(
    pool(idx),
    idx.map((i) => mnist.y[i]!),
    { lambda: 1 },
  );
  const pred = await mm.predict(pool(test_));
  const acc = pred.filter((v, j) => v === mnist.y[test_[j]!]).length / test_.length;
  assert.ok(acc > 0.8, `held-out accuracy ${acc}`);
});

test('Daunce on softmax regression: every perturbed objective is solved exactly (JS gradient vanishes)', async () => {
  const { X, y } = data(90, 3, 3, 4);
  const model = await SoftmaxRegression.fit(X, y, { lambda: 2 });
  const n = 90,
    C = 3,
    p = 4;
  const q = data(3, 3, 3, 5);
  const pert = drawPerturbation(n, 0.3, 3, 1);
  const l0 = Array.from({ length: n }, (_, i) => jsPhi(model.theta, X, y, i, C, 'ce'));
  // True-class margin f = z_y - logsumexp_{c != y} z_c at any theta.
  const marginAt = (t: ArrayLike<number>, i: number) => {
    const a = rowOf(X, i, true);
    const z = [0, 1].map((c) => a.reduce((s, v, k) => s + v * t[c * p + k]!, 0)).concat([0]);
    const others = z.filter((_, c) => c !== y[i]);
    const m = Math.max(...others);
    return z[y[i]!]! - (m + Math.log(others.reduce((s, v) => s + Math.exp(v - m), 0)));
  };
  const margin0 = (i: number) => marginAt(model.theta, i);
  for (const variant of ['hessian', 'fisher', 'trak'] as const) {
    for (const access of ['white-box', 'black-box'] as const) {
      const pm = softmaxPerturbable({ model, queries: { X: q.X, y: q.y }, variant, access });
      const theta = await pm.train(pert, { variant, access, ratio: 0.3 });
      // Phi(theta) = mean_D phi_i + (lambda/(2n))||P theta||^2 + first-order terms; its gradient by central differences.
      const Phi = (t: ArrayLike<number>) => {
        let f = 0;
        pert.subset.forEach((i, j) => {
          const xi = pert.xi[j]!;
          let phi: number;
          if (variant === 'hessian') phi = jsPhi(t, X, y, i, C, 'ce');
          else if (variant === 'fisher') phi = jsPhi(t, X, y, i, C, 'ce2', access === 'white-box' ? l0[i]! : 0);
          else phi = jsPhi(t, X, y, i, C, 'm2', access === 'white-box' ? margin0(i) : 0);
          if (access === 'white-box') {
            // First-order term: coefficient times the directional derivative of l or f at theta_0 along (t - theta_0).
            const coef = variant === 'hessian' ? -2 * xi : -(2 * xi - 1);
            const h = 1e-6;
            const dir = Array.from(t, (v, k) => v - model.theta[k]!);
            const base = (s: number) => {
              const t0 = model.theta.map((v, k) => v + s * dir[k]!);
              return variant === 'trak' ? marginAt(t0, i) : jsPhi(t0, X, y, i, C, 'ce');
            };
            phi += (coef * (base(h) - base(-h))) / (2 * h);
          }
          f += phi / pert.subset.length;
        });
        for (let c = 0; c < C - 1; c++) for (let k = 0; k < 3; k++) f += ((0.5 * 2) / n) * t[c * p + k]! ** 2;
        return f;
      };
      const g = Array.from(theta, (_, k) => {
        const tp = theta.slice();
        tp[k]! += 1e-5;
        const tm = theta.slice();
        tm[k]! -= 1e-5;
        return (Phi(tp) - Phi(tm)) / 2e-5;
      });
      assert.ok(norm(g) < 2e-5, `${variant} ${access}: ||grad|| ${norm(g)}`);
      assert.ok(norm(Array.from(theta, (t, k) => t - model.theta[k]!)) > 1e-3);
    }
  }
  const a = await (await daunce({ model, queries: { X: q.X, y: q.y }, K: 5, seed: 1, variant: 'fisher' })).scores();
  assert.ok(a.every(Number.isFinite));
});

test('softmax regression rejects bad arguments with the argument named', async () => {
  const { X, y } = data(30, 3, 3, 9);
  await assert.rejects(
    SoftmaxRegression.fit(
      X,
      Array.from(y, () => -1),
    ),
    /y: label 0 is -1; class ids must be integers >= 0/,
  );
  await assert.rejects(SoftmaxRegression.fit(X, y, { classes: 2 }), /label 2 is not below options.classes = 2/);
  await assert.rejects(SoftmaxRegression.fit(X, y, { lambda: -1 }), /options.lambda: must be in \[0/);
  await assert.rejects(SoftmaxRegression.fit(X, y.subarray(1)), /y: has 29 entries, expected 30/);
  await assert.rejects(SoftmaxRegression.fit(new Matrix(new Float64Array(0), 0, 3), []), /X has no rows/);
  await assert.rejects(
    SoftmaxRegression.fit(X, y, { sampleWeights: new Float64Array(30) }),
    /sampleWeights must be >= 0 and not all 0/,
  );
  const m = await SoftmaxRegression.fit(X, y);
  await assert.rejects(
    m.losses(
      X,
      Array.from(y, () => 5),
    ),
    /the model's classes are 0..2/,
  );
  await assert.rejects(m.logits(Matrix.fromArrays([[1, 2]])), /X: has 2 columns, the model has 3 features/);
  await assert.rejects(m.refit({ weights: new Float64Array(30).fill(-1) }), /weights must be >= 0/);
  // Refit with new weights equals a fresh weighted fit.
  const w = Float64Array.from({ length: 30 }, (_, i) => (i % 4 === 0 ? 0 : 1.5));
  const refit = await m.refit({ weights: w });
  const fresh = await SoftmaxRegression.fit(X, y, { sampleWeights: w });
  assert.ok(maxAbsDiff(refit.theta, fresh.theta) < 1e-10);
});

test('poolPixels averages pool x pool blocks (scatter-add reference); loadMnist({ pool }) and mnist-poolK agree', async () => {
  const r = rng(12);
  const X = new Matrix(
    Float64Array.from({ length: 2 * 784 }, () => r()),
    2,
    784,
  );
  for (const pool of [2, 4, 7]) {
    const side = 28 / pool;
    const expected = new Float64Array(2 * side * side);
    for (let i = 0; i < 2; i++)
      for (let px = 0; px < 784; px++) {
        const block = Math.floor(Math.floor(px / 28) / pool) * side + Math.floor((px % 28) / pool);
        expected[i * side * side + block]! += X.get(i, px) / (pool * pool);
      }
    const got = poolPixels(X, pool);
    assert.equal(got.cols, side * side);
    assert.ok(maxAbsDiff(got.data, expected) < 1e-15, `pool ${pool}`);
  }
  const { loadDataset } = await import('../src/datasets/by-name.ts');
  const [a, b, full] = [await loadMnist({ pool: 4 }), await loadDataset('mnist-pool4'), await loadMnist()];
  assert.deepEqual(a.X.data, b.X.data);
  assert.deepEqual(a.X.data, poolPixels(full.X, 4).data);
  assert.deepEqual(a.y, full.y);
  assert.throws(() => poolPixels(X, 5), /pool must be a divisor of 28/);
  await assert.rejects(loadMnist({ pool: 3 }), /pool must be a divisor of 28/);
});
