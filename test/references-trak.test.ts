/**
 * TRAK and Daunce's 'trak' variant for logistic regression against plain JS written from
 * docs/methods.md section 5 and 4: projected TRAK at a dimension below P (the seeded Gaussian
 * projection drawn again from the documented seed streams), non-unit example weights, an
 * ensemble of members refitted on random halves by an independent JS Newton solver, and
 * Daunce-T copies solved in closed form (a weighted least-squares problem for the logistic
 * model).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogisticRegression, daunce, drawPerturbation, trakScores } from '../src/index.ts';
import { mixSeed, seededRandom } from '../src/random.ts';
import {
  dot,
  gaussian,
  logisticData,
  refGradient,
  refHessian,
  refPointwise,
  rowOf,
  solveDense,
  rng,
} from './helpers.ts';

/**
 * Asserts the library's scores (train row i, query j at i * m + j) equal the reference's
 * expected[j][i] to `tolerance` relative (with 1 added to the scale); returns the largest |expected|.
 */
function assertScores(scores: Float64Array, expected: number[][], tolerance: number, what: string): number {
  const m = expected.length;
  let big = 0;
  for (let j = 0; j < m; j++) {
    for (const [i, e] of expected[j]!.entries()) {
      big = Math.max(big, Math.abs(e));
      const got = scores[i * m + j]!;
      assert.ok(Math.abs(got - e) < tolerance * (1 + Math.abs(e)), `${what} ${i},${j}: ${got} vs ${e}`);
    }
  }
  return big;
}

/** Weighted, penalised logistic fit by dense Newton in plain JS (the fixed-penalty convention). */
function jsLogisticFit(
  X: Parameters<typeof rowOf>[0],
  y: ArrayLike<number>,
  w: ArrayLike<number>,
  lambda: number,
): number[] {
  const pr = { kind: 'logistic' as const, X, y, w, lambda, intercept: true };
  const theta = new Array<number>(X.cols + 1).fill(0);
  for (let it = 0; it < 100; it++) {
    const step = solveDense(refHessian(pr, theta), refGradient(pr, theta));
    for (let k = 0; k < theta.length; k++) theta[k]! -= step[k]!;
    if (Math.sqrt(dot(step, step)) < 1e-14) break;
  }
  return theta;
}

/** TRAK of one model in plain JS: projected margin gradients, after-kernel, (1 - p_i) w_i. */
function jsTrak(o: {
  X: Parameters<typeof rowOf>[0];
  y: ArrayLike<number>;
  Xq: Parameters<typeof rowOf>[0];
  yq: ArrayLike<number>;
  theta: number[];
  w: ArrayLike<number>;
  proj: Float64Array;
  k: number;
}): number[][] {
  const P = o.theta.length;
  // grad f_i = (2 y_i - 1) a_i for logistic regression; phi_i = R^T grad f_i with R P x k, column-major.
  const phi = (X: typeof o.X, y: ArrayLike<number>, i: number) => {
    const g = rowOf(X, i, true).map((v) => (2 * y[i]! - 1) * v);
    return Array.from({ length: o.k }, (_, c) => g.reduce((s, v, a) => s + v * o.proj[a + c * P]!, 0));
  };
  const Phi = Array.from({ length: o.X.rows }, (_, i) => phi(o.X, o.y, i));
  const gram = Array.from({ length: o.k }, (_, a) =>
    Array.from({ length: o.k }, (_, b) => Phi.reduce((s, r) => s + r[a]! * r[b]!, 0)),
  );
  return Array.from({ length: o.Xq.rows }, (_, j) => {
    const v = solveDense(gram, phi(o.Xq, o.yq, j));
    return Phi.map((r, i) => {
      const loss = refPointwise('logistic', dot(rowOf(o.X, i, true), o.theta), o.y[i]!).loss;
      return dot(r, v) * -Math.expm1(-loss) * o.w[i]!;
    });
  });
}

test('TRAK at dimension < P with non-unit weights equals the projected after-kernel formula (plain JS, same seeded projection)', async () => {
  const n = 70,
    d = 6,
    k = 4,
    seed = 13;
  const { X, y } = logisticData(n, d, 41);
  const q = logisticData(3, d, 42);
  const r = rng(43);
  const w = Float64Array.from({ length: n }, () => 0.4 + 2 * r());
  const model = await LogisticRegression.fit(X, y, { lambda: 0.7, sampleWeights: w });
  const scores = await trakScores({ model, queries: { X: q.X, y: q.y }, dimension: k, seed });
  // The projection: the 'trak' stream of the seed, entries N(0, 1/k), P x k column-major.
  const random = seededRandom(mixSeed(seed, 'trak'));
  const proj = Float64Array.from({ length: (d + 1) * k }, () => gaussian(random) / Math.sqrt(k));
  const expected = jsTrak({ X, y, Xq: q.X, yq: q.y, theta: Array.from(model.theta), w, proj, k });
  assert.equal(scores.length, n * 3);
  const big = assertScores(scores, expected, 1e-9, 'TRAK');
  assert.ok(big > 1e-3, 'scores are not all tiny');
  // A projection below P changes the scores: they differ from the full-dimension ones.
  const full = await trakScores({ model, queries: { X: q.X, y: q.y }, dimension: d + 1, seed });
  assert.ok(full.some((v, t) => Math.abs(v - scores[t]!) > 1e-3));
});

test('TRAK ensemble: the mean over members refitted on seeded random halves (JS Newton fits, each its own projection)', async () => {
  const n = 60,
    d = 4,
    k = 5,
    seed = 7,
    ensemble = 3,
    lambda = 0.5;
  const { X, y } = logisticData(n, d, 44);
  const q = logisticData(2, d, 45);
  const model = await LogisticRegression.fit(X, y, { lambda });
  const scores = await trakScores({ model, queries: { X: q.X, y: q.y }, dimension: k, ensemble, seed });
  const random = seededRandom(mixSeed(seed, 'trak'));
  const mean = Array.from({ length: 2 }, () => new Array<number>(n).fill(0));
  for (let e = 0; e < ensemble; e++) {
    // Each member: the half drawn first, then its projection, from the one 'trak' stream.
    const w = Array.from({ length: n }, () => (random() < 0.5 ? 1 : 0));
    const proj = Float64Array.from({ length: (d + 1) * k }, () => gaussian(random) / Math.sqrt(k));
    const theta = jsLogisticFit(X, y, w, lambda);
    const member = jsTrak({ X, y, Xq: q.X, yq: q.y, theta, w, proj, k });
    for (let j = 0; j < 2; j++) for (let i = 0; i < n; i++) mean[j]![i]! += member[j]![i]! / ensemble;
  }
  assert.equal(scores.length, n * 2);
  assertScores(scores, mean, 1e-8, 'TRAK ensemble');
});

for (const access of ['white-box', 'black-box'] as const) {
  test(`Daunce 'trak' variant (${access}, ratio 0.2) on logistic regression: scores equal the loss moments of closed-form JS copies`, async () => {
    const n = 50,
      d = 3,
      K = 5,
      ratio = 0.2,
      lambda = 0.8,
      seed = 17;
    const { X, y } = logisticData(n, d, 46);
    const q = logisticData(3, d, 47);
    const model = await LogisticRegression.fit(X, y, { lambda });
    const run = await daunce({ model, queries: { X: q.X, y: q.y }, K, ratio, seed, variant: 'trak', access });
    const P = d + 1;
    const z0 = Array.from({ length: n }, (_, i) => dot(rowOf(X, i, true), model.theta));
    const Ltrain: number[][] = [],
      Lq: number[][] = [];
    for (let c = 0; c < K; c++) {
      const { subset, xi } = drawPerturbation(n, ratio, seed, c);
      const size = subset.length;
      // (1/|D|) sum [(z_i - z0_i)^2 / 2 - (2 xi_i - 1)(2 y_i - 1) a_i^T theta] + (lambda / 2n) ||P theta||^2
      // (black-box: (1/|D|) sum z_i^2 / 2): the normal equations of a least-squares problem.
      const A = Array.from({ length: P }, () => new Array<number>(P).fill(0));
      const b = new Array<number>(P).fill(0);
      subset.forEach((i, j) => {
        const a = rowOf(X, i, true);
        const rhs = access === 'white-box' ? z0[i]! + (2 * xi[j]! - 1) * (2 * y[i]! - 1) : 0;
        for (let r = 0; r < P; r++) {
          b[r]! += (rhs * a[r]!) / size;
          for (let s = 0; s < P; s++) A[r]![s]! += (a[r]! * a[s]!) / size;
        }
      });
      for (let r = 0; r < d; r++) A[r]![r]! += lambda / n;
      const theta = solveDense(A, b);
      Ltrain.push(
        Array.from({ length: n }, (_, i) => refPointwise('logistic', dot(rowOf(X, i, true), theta), y[i]!).loss),
      );
      Lq.push(
        Array.from({ length: 3 }, (_, j) => refPointwise('logistic', dot(rowOf(q.X, j, true), theta), q.y[j]!).loss),
      );
    }
    const avg = (f: (c: number) => number) => Array.from({ length: K }, (_, c) => f(c)).reduce((s, v) => s + v, 0) / K;
    const cov = (f: (c: number) => number, g: (c: number) => number) => {
      const mf = avg(f),
        mg = avg(g);
      return Array.from({ length: K }, (_, c) => (f(c) - mf) * (g(c) - mg)).reduce((s, v) => s + v, 0) / (K - 1);
    };
    const covariance = await run.scores('covariance');
    const correlation = await run.scores();
    // The loss of training example i (query j) across the K copies.
    const trainLoss = (i: number) => (t: number) => Ltrain[t]![i]!;
    const queryLoss = (j: number) => (t: number) => Lq[t]![j]!;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < 3; j++) {
        const c = cov(trainLoss(i), queryLoss(j));
        const vi = cov(trainLoss(i), trainLoss(i)),
          vq = cov(queryLoss(j), queryLoss(j));
        const r = vi > 0 && vq > 0 ? c / Math.sqrt(vi * vq) : 0;
        assert.ok(
          Math.abs(covariance[i * 3 + j]! - c) < 1e-9 * (1e-6 + Math.abs(c)) + 1e-14,
          `covariance ${i},${j}: ${covariance[i * 3 + j]} vs ${c}`,
        );
        assert.ok(
          Math.abs(correlation[i * 3 + j]! - r) < 1e-7,
          `correlation ${i},${j}: ${correlation[i * 3 + j]} vs ${r}`,
        );
      }
    }
  });
}
