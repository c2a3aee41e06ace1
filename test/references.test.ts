/**
 * Independent references for the quantities that were only checked library-against-library:
 * per-example gradients with their penalty shares, non-unit sample weights, metric values,
 * scores and top-k across every block boundary of the native scorers, the Daunce
 * accumulator after merges and prefixes, Spearman with ties, and LDS recomputed from its
 * definition. Every reference here is plain JS written from docs/methods.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Influence,
  LogisticRegression,
  LossCovariance,
  type Matrix,
  Metric,
  RidgeRegression,
  ldsFromScores,
  spearman,
} from '../src/index.ts';
import {
  dot,
  logisticData,
  maxAbs,
  refGradient,
  refHessian,
  refPointwise,
  regressionData,
  rng,
  rowOf,
  solveDense,
  type Kind,
} from './helpers.ts';

const fitters = { logistic: LogisticRegression, ridge: RidgeRegression } as const;
const dataFor = (kind: Kind, n: number, d: number, seed: number) =>
  kind === 'logistic' ? logisticData(n, d, seed) : regressionData(n, d, seed);
const relErr = (a: number, b: number) => Math.abs(a - b) / (1 + Math.abs(b));

/** Non-unit weights in [0.3, 2.7), seeded. */
function weightsFor(n: number, seed: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => 0.3 + 2.4 * r());
}

for (const kind of ['logistic', 'ridge'] as const) {
  for (const regularization of ['fixed', 'per-example'] as const) {
    test(`${kind} ${regularization}: gradients() on new data carry l'_i a_i plus the penalty share (lambda / W) P theta`, async () => {
      const { X, y } = dataFor(kind, 50, 4, 31);
      const w = weightsFor(50, 5);
      const lambda = 2.5;
      const model = await fitters[kind].fit(X, y, { lambda, regularization, sampleWeights: w });
      const { X: Xn, y: yn } = dataFor(kind, 7, 4, 32);
      const G = await model.gradients(Xn, yn);
      const W = w.reduce((a, b) => a + b, 0);
      const share = regularization === 'per-example' ? lambda / W : 0;
      for (let i = 0; i < 7; i++) {
        const a = rowOf(Xn, i, true);
        const s = refPointwise(kind, dot(a, model.theta), yn[i]!).slope;
        const ref = a.map((v, k) => s * v + (k < 4 ? share * model.theta[k]! : 0));
        for (let k = 0; k < ref.length; k++)
          assert.ok(relErr(G.get(i, k), ref[k]!) < 1e-12, `g[${i}][${k}] ${G.get(i, k)} vs ${ref[k]}`);
      }
      // The share is not negligible here, so a missing share cannot pass by tolerance.
      if (share > 0) assert.ok(share * maxAbs(model.theta.subarray(0, 4)) > 1e-3);
    });
  }

  test(`${kind}: non-unit sample weights enter the objective linearly (KKT, leverage, IF, RIF against weighted JS)`, async () => {
    const { X, y } = dataFor(kind, 45, 5, 41);
    const w = weightsFor(45, 6);
    const model = await fitters[kind].fit(X, y, { lambda: 0.7, sampleWeights: w });
    const pr = { kind, X, y, w, lambda: 0.7, intercept: true };
    const grad = refGradient(pr, model.theta);
    const scale = refGradient({ ...pr, lambda: 0 }, new Float64Array(model.nParameters)).reduce(
      (a, b) => a + Math.abs(b),
      0,
    );
    assert.ok(maxAbs(grad) < 1e-10 * (1 + scale), `weighted KKT: ||grad|| ${maxAbs(grad)}`);
    // A model that squared the weights or ignored them would not be stationary for this objective.
    const squared = refGradient({ ...pr, w: w.map((v) => v * v) }, model.theta);
    assert.ok(maxAbs(squared) > 1e-3);
    const H = refHessian(pr, model.theta);
    const inf = await Influence.of(model);
    for (const i of [0, 13, 44]) {
      const a = rowOf(X, i, true);
      const pw = refPointwise(kind, dot(a, model.theta), y[i]!);
      const h = w[i]! * pw.curv * dot(a, solveDense(H, a));
      assert.ok(Math.abs(h - inf.leverage[i]!) < 1e-12, `leverage ${i}: ${inf.leverage[i]} vs ${h}`);
      const gi = a.map((v) => w[i]! * pw.slope * v);
      const ifRef = solveDense(H, gi);
      const ifLib = await inf.removalEffect([i], { method: 'if' });
      const rifLib = await inf.removalEffect([i], { method: 'rif' });
      for (let k = 0; k < ifRef.length; k++) {
        assert.ok(relErr(ifLib[k]!, ifRef[k]!) < 1e-10, `IF ${i}`);
        assert.ok(relErr(rifLib[k]!, ifRef[k]! / (1 - h)) < 1e-10, `RIF ${i}`);
      }
    }
  });
}

test('metric values and gradients equal plain-JS definitions (testLoss, testPrediction, selfLoss, query metrics)', async () => {
  for (const kind of ['logistic', 'ridge'] as const) {
    const { X, y } = dataFor(kind, 40, 3, 51);
    const model = await fitters[kind].fit(X, y, { lambda: 1.3 });
    const inf = await Influence.of(model);
    const { X: Xt, y: yt } = dataFor(kind, 9, 3, 52);
    const r = rng(53);
    const delta = Float64Array.from({ length: model.nParameters }, () => 0.2 * (r() - 0.5));
    const shifted = model.theta.map((v, k) => v + delta[k]!);
    const predict = (theta: ArrayLike<number>, a: number[]) => {
      const z = dot(a, theta);
      return kind === 'logistic' ? 1 / (1 + Math.exp(-z)) : z;
    };
    const testLoss = (theta: ArrayLike<number>) => {
      let s = 0;
      for (let t = 0; t < 9; t++) s += refPointwise(kind, dot(rowOf(Xt, t, true), theta), yt[t]!).loss;
      return s;
    };
    const testPrediction = (theta: ArrayLike<number>) => {
      let s = 0;
      for (let t = 0; t < 9; t++) s += predict(theta, rowOf(Xt, t, true));
      return s;
    };
    const selfLoss = (theta: ArrayLike<number>) => {
      let f = 0;
      for (let i = 0; i < 40; i++) f += refPointwise(kind, dot(rowOf(X, i, true), theta), y[i]!).loss;
      for (let k = 0; k < 3; k++) f += 0.65 * theta[k]! ** 2;
      return f;
    };
    /** Central differences of f along delta: the linear effect grad f^T delta. */
    const directional = (f: (t: ArrayLike<number>) => number) => {
      const h = 1e-5;
      const plus = model.theta.map((v, k) => v + h * delta[k]!),
        minus = model.theta.map((v, k) => v - h * delta[k]!);
      return (f(plus) - f(minus)) / (2 * h);
    };
    const q = rowOf(Xt, 0, false);
    const cases = [
      { spec: Metric.testLoss(Xt, yt), f: testLoss },
      { spec: Metric.testPrediction(Xt), f: testPrediction },
      { spec: Metric.selfLoss(), f: selfLoss },
      {
        spec: Metric.queryLoss(q, yt[0]!),
        f: (t: ArrayLike<number>) => refPointwise(kind, dot([...q, 1], t), yt[0]!).loss,
      },
      { spec: Metric.queryLogit(q), f: (t: ArrayLike<number>) => dot([...q, 1], t) },
      { spec: Metric.queryProbability(q), f: (t: ArrayLike<number>) => predict(t, [...q, 1]) },
    ];
    for (const { spec, f } of cases) {
      const e = await inf.effectOfChange(delta, spec);
      const name = `${kind} ${(spec as { name: string }).name}`;
      assert.ok(
        relErr(e.nonlinear, f(shifted) - f(model.theta)) < 1e-9,
        `${name} nonlinear ${e.nonlinear} vs ${f(shifted) - f(model.theta)}`,
      );
      assert.ok(relErr(e.linear, directional(f)) < 1e-6, `${name} linear ${e.linear} vs ${directional(f)}`);
    }
    // selfLoss's gradient vanishes at the optimum (that is why its linear effect is 0): checked independently.
    assert.ok(Math.abs(directional(selfLoss)) < 1e-6);
  }
});

/** Plain-JS score matrix tau(i, q) = grad l_q^T H^{-1} g_i (/(1 - h_i) for RIF), n x m row-major. */
function referenceScores(
  kind: Kind,
  X: Matrix,
  y: Float64Array,
  theta: Float64Array,
  lambda: number,
  Xq: Matrix,
  yq: Float64Array,
  rescaled: boolean,
) {
  const pr = { kind, X, y, lambda, intercept: true };
  const H = refHessian(pr, theta);
  const m = Xq.rows,
    n = X.rows;
  const vq = Array.from({ length: m }, (_, q) => {
    const a = rowOf(Xq, q, true);
    const s = refPointwise(kind, dot(a, theta), yq[q]!).slope;
    return solveDense(
      H,
      a.map((v) => s * v),
    );
  });
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const a = rowOf(X, i, true);
    const pw = refPointwise(kind, dot(a, theta), y[i]!);
    const h = pw.curv * dot(a, solveDense(H, a));
    for (let q = 0; q < m; q++) out[i * m + q] = (pw.slope * dot(a, vq[q]!)) / (rescaled ? 1 - h : 1);
  }
  return out;
}

/** Top-k and bottom-k indices of column q by sorting (ties impossible with continuous data). */
function sortedColumn(S: Float64Array, n: number, m: number, q: number, k: number) {
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => S[b * m + q]! - S[a * m + q]!);
  return { top: idx.slice(0, k), bottom: idx.slice(-k).reverse() };
}

test('influence scores and top-k equal plain-JS scores across every 256-row block, extremes at block ends', async () => {
  const n = 600,
    d = 4; // blocks [0,256) [256,512) [512,600): the last rows of each are made extreme
  const { X, y } = logisticData(n, d, 61);
  for (const [row, sign] of [
    [255, 1],
    [511, -1],
    [599, 1],
  ] as const) {
    // A confidently misclassified far point: |l'_i| near 1 and the largest ||a_i||, so the largest |g_i|.
    for (let k = 0; k < d; k++) X.data[row * d + k] = sign * (4 + row / 300); // distinct: no tied scores
    y[row] = sign > 0 ? 0 : 1;
  }
  const model = await LogisticRegression.fit(X, y, { lambda: 1 });
  const { X: Xq, y: yq } = logisticData(5, d, 62);
  const inf = await Influence.of(model);
  for (const method of ['if', 'rif'] as const) {
    const ref = referenceScores('logistic', X, y, model.theta, 1, Xq, yq, method === 'rif');
    const lib = await inf.scores(Xq, yq, { method });
    const big = maxAbs(ref);
    for (let t = 0; t < ref.length; t++) assert.ok(Math.abs(lib[t]! - ref[t]!) < 1e-10 * big, `${method} score ${t}`);
    const k = 7;
    const top = await inf.topK(Xq, yq, { method, k, queryBlock: 2 });
    for (let q = 0; q < 5; q++) {
      const want = sortedColumn(ref, n, 5, q, k);
      assert.deepEqual(Array.from(top.topIndex.subarray(q * k, q * k + k)), want.top, `${method} top of query ${q}`);
      assert.deepEqual(
        Array.from(top.bottomIndex.subarray(q * k, q * k + k)),
        want.bottom,
        `${method} bottom of query ${q}`,
      );
      for (let j = 0; j < k; j++) {
        assert.ok(Math.abs(top.topValue[q * k + j]! - ref[want.top[j]! * 5 + q]!) < 1e-10 * big);
        assert.ok(Math.abs(top.bottomValue[q * k + j]! - ref[want.bottom[j]! * 5 + q]!) < 1e-10 * big);
      }
    }
    // The planted block-end outliers must be among the extremes of some query.
    const ranked = new Set([...top.topIndex, ...top.bottomIndex]);
    for (const row of [255, 511, 599]) assert.ok(ranked.has(row), `${method}: block-end row ${row} ranked`);
  }
});

test('metricScores (IF and RIF) equal grad f^T H^{-1} g_i (/(1 - h_i)) in plain JS', async () => {
  const { X, y } = logisticData(70, 3, 71);
  const model = await LogisticRegression.fit(X, y, { lambda: 0.5 });
  const inf = await Influence.of(model);
  const { X: Xt, y: yt } = logisticData(6, 3, 72);
  const asQueries = referenceScores('logistic', X, y, model.theta, 0.5, Xt, yt, false);
  const asQueriesR = referenceScores('logistic', X, y, model.theta, 0.5, Xt, yt, true);
  const ifScores = await inf.metricScores(Metric.testLoss(Xt, yt), { method: 'if' });
  const rifScores = await inf.metricScores(Metric.testLoss(Xt, yt), { method: 'rif' });
  for (let i = 0; i < 70; i++) {
    let s = 0,
      sr = 0; // the test loss is a sum over test points, so its score is the row sum
    for (let q = 0; q < 6; q++) {
      s += asQueries[i * 6 + q]!;
      sr += asQueriesR[i * 6 + q]!;
    }
    assert.ok(relErr(ifScores[i]!, s) < 1e-10, `IF ${i}`);
    assert.ok(relErr(rifScores[i]!, sr) < 1e-10, `RIF ${i}`);
  }
});

/** Two-pass covariance / correlation of loss rows (K x n, K x m) in plain JS. */
function twoPass(train: number[][], query: number[][]) {
  const K = train.length;
  const mean = (rows: number[][], i: number) => rows.reduce((s, r) => s + r[i]!, 0) / K;
  const cov = (i: number, q: number) => {
    const mi = mean(train, i),
      mq = mean(query, q);
    return train.reduce((s, r, k) => s + (r[i]! - mi) * (query[k]![q]! - mq), 0) / (K - 1);
  };
  const variance = (rows: number[][], i: number) => {
    const mi = mean(rows, i);
    return rows.reduce((s, r) => s + (r[i]! - mi) ** 2, 0) / (K - 1);
  };
  return {
    cov,
    variance,
    corr: (i: number, q: number) => cov(i, q) / Math.sqrt(variance(train, i) * variance(query, q)),
  };
}

test('LossCovariance: merged moments, variances, correlation, prefix and full top-k order across 512-row blocks', async () => {
  const n = 1100,
    m = 4,
    K = 9; // Daunce blocks [0,512) [512,1024) [1024,1100)
  const r = rng(81);
  const train: number[][] = [],
    query: number[][] = [];
  for (let k = 0; k < K; k++) {
    const base = 3 + r();
    train.push(Array.from({ length: n }, (_, i) => base * (1 + 0.1 * Math.sin(i + k)) + r()));
    query.push(Array.from({ length: m }, () => r()));
  }
  // Block-end rows follow the queries closely: they must come out on top (and their mirror at the bottom).
  for (let k = 0; k < K; k++) {
    train[k]![511] = 10 * query[k]![0]!;
    train[k]![1023] = -10 * query[k]![1]!;
    train[k]![1099] = 10 * query[k]![2]!;
  }
  const a = new LossCovariance(n, m),
    b = new LossCovariance(n, m);
  // Interleaved ids so the merge really interleaves the two halves.
  for (let k = 0; k < K; k++) (k % 2 ? b : a).add(Float64Array.from(train[k]!), Float64Array.from(query[k]!), k);
  a.merge(b);
  const ref = twoPass(train, query);
  const tv = a.trainVariance(),
    qv = a.queryVariance();
  for (const i of [0, 511, 512, 1023, 1099])
    assert.ok(relErr(tv[i]!, ref.variance(train, i)) < 1e-12, `train variance ${i}`);
  for (let q = 0; q < m; q++) assert.ok(relErr(qv[q]!, ref.variance(query, q)) < 1e-12, `query variance ${q}`);
  for (const measure of ['covariance', 'correlation'] as const) {
    const S = await a.scores(measure, undefined);
    const f = measure === 'covariance' ? ref.cov : ref.corr;
    const R = new Float64Array(n * m);
    for (let i = 0; i < n; i++) for (let q = 0; q < m; q++) R[i * m + q] = f(i, q);
    const big = maxAbs(R);
    for (let t = 0; t < R.length; t++) assert.ok(Math.abs(S[t]! - R[t]!) < 1e-11 * big, `${measure} ${t}`);
    const k = 5;
    const top = await a.topK(k, measure);
    for (let q = 0; q < m; q++) {
      const want = sortedColumn(R, n, m, q, k);
      assert.deepEqual(Array.from(top.topIndex.subarray(q * k, q * k + k)), want.top, `${measure} top ${q}`);
      assert.deepEqual(Array.from(top.bottomIndex.subarray(q * k, q * k + k)), want.bottom, `${measure} bottom ${q}`);
    }
    assert.equal(top.topIndex[0], 511);
    assert.equal(top.bottomIndex[1 * k], 1023);
    assert.equal(top.topIndex[2 * k], 1099);
  }
  // prefix(K') is exactly the accumulator of models 0..K'-1, whatever order they were added in.
  const p = a.prefix(5);
  assert.deepEqual(
    [...p.models].sort((x, y) => x - y),
    [0, 1, 2, 3, 4],
  );
  const refP = twoPass(train.slice(0, 5), query.slice(0, 5));
  const Sp = await p.scores('covariance');
  for (const i of [3, 511, 1099])
    for (let q = 0; q < m; q++) assert.ok(relErr(Sp[i * m + q]!, refP.cov(i, q)) < 1e-12, `prefix cov ${i},${q}`);
  const rows = p.rows();
  for (let row = 0; row < 5; row++) {
    const id = rows.models[row]!;
    assert.deepEqual(Array.from(rows.train.subarray(row * n, row * n + n)), train[id]);
  }
});

/** Spearman from its definition: average ranks counted directly, then Pearson. */
function spearmanByCounting(x: number[], y: number[]) {
  const rank = (v: number[]) => v.map((a) => v.filter((b) => b < a).length + (v.filter((b) => b === a).length + 1) / 2);
  const rx = rank(x),
    ry = rank(y);
  const mx = rx.reduce((s, v) => s + v, 0) / rx.length,
    my = ry.reduce((s, v) => s + v, 0) / ry.length;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < rx.length; i++) {
    sxy += (rx[i]! - mx) * (ry[i]! - my);
    sxx += (rx[i]! - mx) ** 2;
    syy += (ry[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

test('spearman gives tied values their average rank (independent counting definition)', () => {
  const r = rng(91);
  for (let trial = 0; trial < 20; trial++) {
    // Few distinct values, so most entries are tied, in both arguments.
    const x = Array.from({ length: 30 }, () => Math.floor(r() * 4));
    const y = Array.from({ length: 30 }, (_, i) => Math.floor(r() * 3) + (x[i]! > 1 ? 1 : 0));
    const want = spearmanByCounting(x, y);
    assert.ok(Math.abs(spearman(x, y) - want) < 1e-12, `trial ${trial}: ${spearman(x, y)} vs ${want}`);
  }
  // A hand-computed case: ranks [1, 2.5, 2.5, 4] and [1, 3, 2, 4] give 4.5 / sqrt(4.5 * 5).
  assert.ok(Math.abs(spearman([1, 2, 2, 3], [1, 3, 2, 4]) - 4.5 / Math.sqrt(22.5)) < 1e-15);
});

test('ldsFromScores: per-query Spearman over subsets and its standard error, recomputed from the definition', () => {
  const r = rng(101);
  const n = 30,
    m = 4,
    M = 12;
  const subsets = Array.from({ length: M }, () =>
    Uint32Array.from(Array.from({ length: n }, (_, i) => i).filter(() => r() < 0.5)),
  );
  const outputs = Float64Array.from({ length: M * m }, () => r());
  const scores = Float64Array.from({ length: n * m }, () => r() - 0.5);
  const got = ldsFromScores({ subsets, outputs, m, retrained: 0 }, scores, n);
  const perQuery = Array.from({ length: m }, (_, q) => {
    const predicted = subsets.map((S) => -Array.from(S).reduce((s, i) => s + scores[i * m + q]!, 0));
    const actual = subsets.map((_, j) => outputs[j * m + q]!);
    return spearmanByCounting(actual, predicted);
  });
  for (let q = 0; q < m; q++) assert.ok(Math.abs(got.perQuery[q]! - perQuery[q]!) < 1e-12, `query ${q}`);
  const mean = perQuery.reduce((a, b) => a + b, 0) / m;
  const se = Math.sqrt(perQuery.reduce((a, b) => a + (b - mean) ** 2, 0) / (m - 1) / m);
  assert.ok(Math.abs(got.mean - mean) < 1e-12);
  assert.ok(Math.abs(got.standardError - se) < 1e-12);
});
