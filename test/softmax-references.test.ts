/**
 * Softmax regression and its Daunce scores against plain JS: cross-entropy with the reference
 * class, probabilities, a fit without intercept, and Daunce copies solved by an independent
 * dense Newton iteration on the objective of docs/methods.md section 4 (hessian variant,
 * white- and black-box, ratio other than 0.3), whose loss covariance must equal the
 * library's scores.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix, SoftmaxRegression, daunce, drawPerturbation } from '../src/index.ts';
import { gaussian, rng, solveDense } from './helpers.ts';

/** Three-class data with class-dependent means. */
function threeClass(n: number, d: number, seed: number) {
  const r = rng(seed);
  const X = new Float64Array(n * d),
    y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = Math.floor(r() * 3);
    for (let j = 0; j < d; j++) X[i * d + j] = gaussian(r) + (j === y[i] ? 1.2 : 0) - (j === 0 && y[i] === 2 ? 0.8 : 0);
  }
  return { X: new Matrix(X, n, d), y };
}

/** Free logits z_c = a^T theta_c (c < C-1; the reference class has logit 0) and probabilities. */
function probabilities(a: number[], theta: ArrayLike<number>, C: number): number[] {
  const p = a.length;
  const z = Array.from({ length: C }, (_, c) =>
    c === C - 1 ? 0 : a.reduce((s, v, k) => s + v * theta[c * p + k]!, 0),
  );
  const top = Math.max(...z);
  const e = z.map((v) => Math.exp(v - top));
  const sum = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / sum);
}

const crossEntropy = (a: number[], theta: ArrayLike<number>, C: number, y: number) =>
  -Math.log(probabilities(a, theta, C)[y]!);
const design = (X: Matrix, i: number, intercept: boolean) => (intercept ? [...X.row(i), 1] : [...X.row(i)]);

/**
 * Minimises sum_i w_i l_i(theta) - sum_k lin_k theta_k + (pen/2) sum_c ||P theta_c||^2 by dense
 * Newton from theta0 (plain JS, Gaussian elimination): the reference solver.
 */
function newtonSoftmax(
  X: Matrix,
  y: Float64Array,
  C: number,
  w: Float64Array,
  lin: number[],
  pen: number,
  theta0: ArrayLike<number>,
  intercept: boolean,
) {
  const d = X.cols,
    p = d + (intercept ? 1 : 0),
    P = (C - 1) * p;
  const theta = Array.from(theta0);
  for (let it = 0; it < 50; it++) {
    const g = lin.map((v) => -v);
    const H = Array.from({ length: P }, () => new Array<number>(P).fill(0));
    for (let i = 0; i < X.rows; i++) {
      if (w[i] === 0) continue;
      const a = design(X, i, intercept);
      const pr = probabilities(a, theta, C);
      for (let c = 0; c < C - 1; c++) {
        const r = w[i]! * (pr[c]! - (y[i] === c ? 1 : 0));
        for (let k = 0; k < p; k++) g[c * p + k]! += r * a[k]!;
        for (let c2 = 0; c2 < C - 1; c2++) {
          const s = w[i]! * ((c === c2 ? pr[c]! : 0) - pr[c]! * pr[c2]!);
          for (let k = 0; k < p; k++) for (let l = 0; l < p; l++) H[c * p + k]![c2 * p + l]! += s * a[k]! * a[l]!;
        }
      }
    }
    for (let c = 0; c < C - 1; c++)
      for (let k = 0; k < d; k++) {
        g[c * p + k]! += pen * theta[c * p + k]!;
        H[c * p + k]![c * p + k]! += pen;
      }
    const step = solveDense(H, g);
    for (let k = 0; k < P; k++) theta[k]! -= step[k]!;
    if (Math.sqrt(step.reduce((s, v) => s + v * v, 0)) < 1e-14 * (1 + Math.sqrt(theta.reduce((s, v) => s + v * v, 0))))
      break;
  }
  return theta;
}

test('softmax: losses() and predictProba() equal plain-JS cross-entropy and probabilities with the reference class', async () => {
  const { X, y } = threeClass(60, 3, 5);
  const model = await SoftmaxRegression.fit(X, y, { lambda: 0.4 });
  const { X: Xt, y: yt } = threeClass(11, 3, 6);
  const losses = await model.losses(Xt, yt);
  const proba = await model.predictProba(Xt);
  for (let i = 0; i < 11; i++) {
    const a = design(Xt, i, true);
    assert.ok(Math.abs(losses[i]! - crossEntropy(a, model.theta, 3, yt[i]!)) < 1e-13, `loss ${i}`);
    const pr = probabilities(a, model.theta, 3);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(proba.get(i, c) - pr[c]!) < 1e-14, `proba ${i},${c}`);
  }
  // The fit is the JS Newton optimum of the same objective.
  const ref = newtonSoftmax(
    X,
    y,
    3,
    new Float64Array(60).fill(1),
    new Array(8).fill(0),
    0.4,
    new Float64Array(8),
    true,
  );
  for (let k = 0; k < 8; k++)
    assert.ok(Math.abs(model.theta[k]! - ref[k]!) < 1e-9 * (1 + Math.abs(ref[k]!)), `theta ${k}`);
});

test('softmax: fitIntercept false fits (C - 1) d parameters, equal to the JS optimum without intercept', async () => {
  const { X, y } = threeClass(50, 4, 7);
  const model = await SoftmaxRegression.fit(X, y, { lambda: 0.9, fitIntercept: false });
  assert.equal(model.theta.length, 2 * 4);
  const ref = newtonSoftmax(
    X,
    y,
    3,
    new Float64Array(50).fill(1),
    new Array(8).fill(0),
    0.9,
    new Float64Array(8),
    false,
  );
  for (let k = 0; k < 8; k++)
    assert.ok(Math.abs(model.theta[k]! - ref[k]!) < 1e-9 * (1 + Math.abs(ref[k]!)), `theta ${k}`);
  const losses = await model.losses(X, y);
  for (const i of [0, 17, 49])
    assert.ok(Math.abs(losses[i]! - crossEntropy(design(X, i, false), model.theta, 3, y[i]!)) < 1e-13);
});

for (const access of ['white-box', 'black-box'] as const) {
  test(`softmax Daunce (${access}, ratio 0.45): covariance and correlation equal those of JS-solved perturbed copies`, async () => {
    const n = 40,
      d = 2,
      C = 3,
      K = 4,
      ratio = 0.45,
      lambda = 0.6,
      seed = 11;
    const { X, y } = threeClass(n, d, 9);
    const queries = threeClass(3, d, 10);
    const model = await SoftmaxRegression.fit(X, y, { lambda });
    const run = await daunce({ model, queries, K, ratio, seed, variant: 'hessian', access, backend: 'cpu' });
    const p = d + 1,
      P = (C - 1) * p;
    const trainRows: number[][] = [],
      queryRows: number[][] = [];
    for (let k = 0; k < K; k++) {
      const { subset, xi } = drawPerturbation(n, ratio, seed, k);
      assert.equal(subset.length, Math.ceil(ratio * n));
      const size = subset.length;
      const w = new Float64Array(n);
      for (const i of subset) w[i] = 1 / size;
      // White-box: - (1/|D|) sum 2 xi_i grad l_i(theta_0)^T theta, i.e. lin = (2/|D|) sum xi_i grad l_i(theta_0).
      const lin = new Array<number>(P).fill(0);
      if (access === 'white-box') {
        subset.forEach((i, j) => {
          const a = design(X, i, true);
          const pr = probabilities(a, model.theta, C);
          for (let c = 0; c < C - 1; c++) {
            const r = pr[c]! - (y[i] === c ? 1 : 0);
            for (let t = 0; t < p; t++) lin[c * p + t]! += ((2 * xi[j]!) / size) * r * a[t]!;
          }
        });
      }
      const theta = newtonSoftmax(X, y, C, w, lin, lambda / n, model.theta, true);
      trainRows.push(Array.from({ length: n }, (_, i) => crossEntropy(design(X, i, true), theta, C, y[i]!)));
      queryRows.push(
        Array.from({ length: 3 }, (_, q) => crossEntropy(design(queries.X, q, true), theta, C, queries.y[q]!)),
      );
    }
    const mean = (rows: number[][], i: number) => rows.reduce((s, r) => s + r[i]!, 0) / K;
    const cov = (i: number, q: number) =>
      trainRows.reduce((s, r, k) => s + (r[i]! - mean(trainRows, i)) * (queryRows[k]![q]! - mean(queryRows, q)), 0) /
      (K - 1);
    const sd = (rows: number[][], i: number) =>
      Math.sqrt(rows.reduce((s, r) => s + (r[i]! - mean(rows, i)) ** 2, 0) / (K - 1));
    const covariance = await run.scores('covariance');
    const correlation = await run.scores('correlation');
    let big = 0;
    for (let i = 0; i < n; i++) for (let q = 0; q < 3; q++) big = Math.max(big, Math.abs(cov(i, q)));
    assert.ok(big > 1e-6, 'the perturbation moves the losses');
    for (let i = 0; i < n; i++) {
      for (let q = 0; q < 3; q++) {
        assert.ok(
          Math.abs(covariance[i * 3 + q]! - cov(i, q)) < 1e-7 * big,
          `cov ${i},${q}: ${covariance[i * 3 + q]} vs ${cov(i, q)}`,
        );
        const corr = cov(i, q) / (sd(trainRows, i) * sd(queryRows, q));
        assert.ok(Math.abs(correlation[i * 3 + q]! - corr) < 1e-6, `corr ${i},${q}`);
      }
    }
  });
}
