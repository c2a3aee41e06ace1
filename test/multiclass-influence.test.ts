import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Influence, LogisticRegression, Matrix, Metric, SoftmaxRegression } from '../src/index.ts';
import { MulticlassInfluence } from '../src/influence/multiclass.ts';
import { maxAbs, maxAbsDiff, multiclassData, rowOf, solveDense } from './helpers.ts';

const data = multiclassData;

/**
 * The softmax model recomputed densely in plain JS (no native code): probabilities, the
 * Hessian, each example's gradient G_i and Hessian H_i (penalty shares included).
 */
function reference(model: SoftmaxRegression) {
  const { X, y, weights, theta } = model;
  const C = model.options.classes,
    K = C - 1,
    p = model.blockSize,
    P = K * p,
    d = X.cols;
  const lambda = model.options.lambda;
  const rho = model.options.regularization === 'per-example' ? lambda / model.totalWeight : 0;
  const a = (i: number) => rowOf(X, i, model.options.fitIntercept);
  const probs = (th: ArrayLike<number>, x: number[]) => {
    const z = Array.from({ length: C }, (_, c) => (c < K ? x.reduce((s, v, k) => s + v * th[c * p + k]!, 0) : 0));
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((u, v) => u + v, 0);
    return e.map((v) => v / s);
  };
  /** Gradient of sum_i w_i l_i + (lam/2)||P theta||^2 at th. */
  const gradient = (th: ArrayLike<number>, w: ArrayLike<number>, lam: number) => {
    const g = new Array<number>(P).fill(0);
    for (let i = 0; i < X.rows; i++) {
      if (w[i] === 0) continue;
      const x = a(i),
        pr = probs(th, x);
      for (let c = 0; c < K; c++)
        for (let k = 0; k < p; k++) g[c * p + k]! += w[i]! * (pr[c]! - (c === y[i] ? 1 : 0)) * x[k]!;
    }
    for (let c = 0; c < K; c++) for (let k = 0; k < d; k++) g[c * p + k]! += lam * th[c * p + k]!;
    return g;
  };
  /** Loss curvature of example i (w_i J^T W J), P x P. */
  const lossHessian = (i: number) => {
    const x = a(i),
      pr = probs(theta, x),
      Hi = Array.from({ length: P }, () => new Array<number>(P).fill(0));
    for (let r = 0; r < K; r++)
      for (let c = 0; c < K; c++) {
        const wrc = weights[i]! * ((r === c ? pr[r]! : 0) - pr[r]! * pr[c]!);
        for (let k = 0; k < p; k++) for (let l = 0; l < p; l++) Hi[r * p + k]![c * p + l]! += wrc * x[k]! * x[l]!;
      }
    return Hi;
  };
  const H = Array.from({ length: P }, () => new Array<number>(P).fill(0));
  for (let i = 0; i < X.rows; i++) {
    const Hi = lossHessian(i);
    for (let r = 0; r < P; r++) for (let c = 0; c < P; c++) H[r]![c]! += Hi[r]![c]!;
  }
  for (let c = 0; c < K; c++) for (let k = 0; k < d; k++) H[c * p + k]![c * p + k]! += lambda;
  /** G_i: example i's gradient term at the optimum (penalty share included). */
  const G = (i: number) => {
    const x = a(i),
      pr = probs(theta, x),
      g = new Array<number>(P).fill(0);
    for (let c = 0; c < K; c++)
      for (let k = 0; k < p; k++) g[c * p + k] = weights[i]! * (pr[c]! - (c === y[i] ? 1 : 0)) * x[k]!;
    for (let c = 0; c < K; c++) for (let k = 0; k < d; k++) g[c * p + k]! += rho * weights[i]! * theta[c * p + k]!;
    return g;
  };
  const sum = (T: number[], f: (i: number) => number[]) => {
    const out = new Array<number>(P).fill(0);
    for (const i of T) {
      f(i).forEach((v, k) => {
        out[k]! += v;
      });
    }
    return out;
  };
  /** H minus the removed examples' loss curvature (and, with penalty, their shares). */
  const reduced = (T: number[], withShares = true) => {
    const M = H.map((r) => [...r]);
    for (const i of T) {
      const Hi = lossHessian(i);
      for (let r = 0; r < P; r++) for (let c = 0; c < P; c++) M[r]![c]! -= Hi[r]![c]!;
      if (withShares)
        for (let c = 0; c < K; c++) for (let k = 0; k < d; k++) M[c * p + k]![c * p + k]! -= rho * weights[i]!;
    }
    return M;
  };
  return { H, G, sum, reduced, gradient, probs, a, P, K, p, rho };
}

const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => maxAbsDiff(a, b) / Math.max(maxAbs(b), 1e-300);

for (const regularization of ['fixed', 'per-example'] as const) {
  test(`softmax influence (${regularization}): IF, RIF, NS and retrain against dense JS solves`, async () => {
    const { X, y } = data(70, 3, 4, 3);
    const weights = Float64Array.from({ length: 70 }, (_, i) => 0.5 + (i % 4) * 0.5);
    const model = await SoftmaxRegression.fit(X, y, { lambda: 0.8, regularization, sampleWeights: weights });
    const inf = await Influence.of(model);
    assert.ok(inf instanceof MulticlassInfluence);
    const ref = reference(model);
    // Leverage blocks: trace equals trace(A_i M_i) with M_i = J_i H^{-1} J_i^T from dense solves.
    for (const i of [0, 5, 33]) {
      const x = ref.a(i),
        pr = ref.probs(model.theta, x),
        K = ref.K,
        p = ref.p;
      const cols = Array.from({ length: K }, (_, c) =>
        solveDense(
          ref.H,
          Array.from({ length: ref.P }, (_, k) => (Math.floor(k / p) === c ? x[k % p]! : 0)),
        ),
      );
      const M = (r: number, c: number) => x.reduce((s, v, k) => s + v * cols[c]![r * p + k]!, 0);
      let trace = 0;
      for (let r = 0; r < K; r++)
        for (let c = 0; c < K; c++) trace += weights[i]! * ((r === c ? pr[r]! : 0) - pr[r]! * pr[c]!) * M(c, r);
      assert.ok(Math.abs(inf.leverageTrace[i]! - trace) < 1e-10 * trace, `trace ${inf.leverageTrace[i]} vs ${trace}`);
      assert.ok(
        inf.leverage[i]! <= inf.leverageTrace[i]! + 1e-15 && inf.leverage[i]! >= inf.leverageTrace[i]! / K - 1e-15,
      );
      assert.ok(inf.leverage[i]! > 0 && inf.leverage[i]! < 1);
    }
    // RIF_i is the exact Newton step for removing i alone (per-example: with its loss curvature
    // removed and its penalty share kept in H, docs/multiclass-influence.md), and with the
    // fixed convention it equals NS for {i}.
    for (const i of [0, 5, 33, 69]) {
      const rif = await inf.removalEffect([i], { method: 'rif' });
      const expected = solveDense(ref.reduced([i], false), ref.G(i));
      assert.ok(rel(rif, expected) < 1e-9, `RIF_${i}: ${rel(rif, expected)}`);
      if (regularization === 'fixed') assert.ok(rel(await inf.removalEffect([i], { method: 'ns' }), expected) < 1e-9);
      const iff = await inf.removalEffect([i], { method: 'if' });
      assert.ok(rel(iff, solveDense(ref.H, ref.G(i))) < 1e-9);
    }
    // Sets: IF and RIF add up; NS is the dense reduced solve, by block Woodbury (small sets,
    // fixed) or by refactorisation (large sets, per-example).
    for (const T of [[1, 2], [4, 8, 15, 16, 23, 42], Array.from({ length: 30 }, (_, k) => 2 * k + 1)]) {
      const ns = await inf.removalEffect(T, { method: 'ns' });
      assert.ok(rel(ns, solveDense(ref.reduced(T), ref.sum(T, ref.G))) < 1e-9, `NS |T| = ${T.length}`);
      const iff = await inf.removalEffect(T, { method: 'if' });
      assert.ok(rel(iff, solveDense(ref.H, ref.sum(T, ref.G))) < 1e-9);
      const rif = await inf.removalEffect(T, { method: 'rif' });
      const rifSum = ref.sum(T, (i) => solveDense(ref.reduced([i], false), ref.G(i)));
      assert.ok(rel(rif, rifSum) < 1e-9);
    }
    // Retrain: the KKT condition of the reduced problem, with an independent JS gradient.
    const T = [3, 7, 11, 50];
    const refit = await inf.retrain(T);
    const w = weights.slice();
    for (const i of T) w[i] = 0;
    const share =
      regularization === 'per-example' ? w.reduce((s, v) => s + v, 0) / weights.reduce((s, v) => s + v, 0) : 1;
    const g = ref.gradient(refit.theta, w, 0.8 * share);
    const g0 = ref.gradient(model.theta, w, 0.8 * share);
    assert.ok(
      Math.sqrt(g.reduce((s, v) => s + v * v, 0)) < 1e-9 * Math.sqrt(g0.reduce((s, v) => s + v * v, 0)),
      'refit gradient vanishes',
    );
    const delta = await inf.removalEffect(T, { method: 'retrain' });
    assert.ok(
      maxAbsDiff(
        delta,
        refit.theta.map((t, k) => t - model.theta[k]!),
      ) < 1e-12,
    );
    // NS is closer to the retrain than IF is.
    const err = async (m: 'if' | 'ns') => maxAbsDiff(await inf.removalEffect(T, { method: m }), delta);
    assert.ok((await err('ns')) < (await err('if')));
  });
}

test('softmax scores, metric scores, top-k and effects against dense JS', async () => {
  const { X, y } = data(60, 3, 3, 5);
  const model = await SoftmaxRegression.fit(X, y, { lambda: 0.5, regularization: 'per-example' });
  const inf = await Influence.of(model);
  const ref = reference(model);
  const q = data(4, 3, 3, 6);
  for (const target of ['loss', 'logit', 'probability'] as const) {
    for (const method of ['if', 'rif'] as const) {
      const S = await inf.scores(q.X, q.y, { method, target });
      for (const j of [0, 3]) {
        // Gradient of the query's target by central differences of a plain-JS value.
        const xq = rowOf(q.X, j, true);
        const value = (th: number[]) => {
          const pr = ref.probs(th, xq),
            k = q.y[j]!;
          if (target === 'loss') return -Math.log(pr[k]!);
          if (target === 'probability') return pr[k]!;
          return Math.log(pr[k]!) - Math.log(1 - pr[k]!);
        };
        const grad = Array.from({ length: ref.P }, (_, k) => {
          const tp = Array.from(model.theta),
            tm = Array.from(model.theta);
          tp[k]! += 1e-6;
          tm[k]! -= 1e-6;
          return (value(tp) - value(tm)) / 2e-6;
        });
        for (const i of [0, 17, 59]) {
          const delta = method === 'if' ? solveDense(ref.H, ref.G(i)) : solveDense(ref.reduced([i], false), ref.G(i));
          const expected = grad.reduce((s, v, k) => s + v * delta[k]!, 0);
          const got = S[i * q.X.rows + j]!;
          assert.ok(
            Math.abs(got - expected) < 1e-6 * Math.max(1e-3, Math.abs(expected)),
            `${target} ${method} tau(${i},${j}) ${got} vs ${expected}`,
          );
        }
      }
      const top = await inf.topK(q.X, q.y, { method, target, k: 3, queryBlock: 3 });
      for (let j = 0; j < q.X.rows; j++) {
        const col = Array.from({ length: 60 }, (_, i) => S[i * q.X.rows + j]!);
        const desc = col
          .map((s, i) => ({ s, i }))
          .sort((a, b) => b.s - a.s || a.i - b.i)
          .slice(0, 3);
        assert.deepEqual(
          Array.from(top.topIndex.subarray(j * 3, j * 3 + 3)),
          desc.map((e) => e.i),
        );
        assert.ok(
          maxAbsDiff(
            top.topValue.subarray(j * 3, j * 3 + 3),
            desc.map((e) => e.s),
          ) === 0,
        );
        assert.equal(top.bottomValue[j * 3], Math.min(...col));
      }
    }
  }
  // Metric scores of the test loss equal the summed loss-target scores; effects use the JS loss.
  const tl = Metric.testLoss(q.X, q.y);
  const S = await inf.scores(q.X, q.y, { method: 'rif' });
  const ms = await inf.metricScores(tl, { method: 'rif' });
  for (const i of [0, 30]) assert.ok(Math.abs(ms[i]! - [0, 1, 2, 3].reduce((s, j) => s + S[i * 4 + j]!, 0)) < 1e-12);
  const jsLoss = (th: ArrayLike<number>) =>
    [0, 1, 2, 3].reduce((s, j) => s - Math.log(ref.probs(th, rowOf(q.X, j, true))[q.y[j]!]!), 0);
  const e = await inf.effect([2, 9, 40], tl, { method: 'ns' });
  const delta = await inf.removalEffect([2, 9, 40], { method: 'ns' });
  assert.ok(Math.abs(e.nonlinear - (jsLoss(model.theta.map((t, k) => t + delta[k]!)) - jsLoss(model.theta))) < 1e-12);
  const self = await inf.effect([2], Metric.selfLoss(), { method: 'if' });
  assert.ok(Number.isFinite(self.nonlinear) && self.linear !== 0);
});

for (const regularization of ['fixed', 'per-example'] as const) {
  test(`softmax with C = 2 gives the binary logistic results (${regularization})`, async () => {
    const { X, y } = data(80, 3, 2, 8);
    // Class 1 is softmax's reference, so the binary label is "class 0" and the parameters agree.
    const yb = Float64Array.from(y, (v) => (v === 0 ? 1 : 0));
    const soft = await SoftmaxRegression.fit(X, y, { lambda: 0.6, regularization });
    const bin = await LogisticRegression.fit(X, yb, { lambda: 0.6, regularization });
    const [si, bi] = [await Influence.of(soft), await Influence.of(bin)];
    assert.ok(maxAbsDiff(soft.theta, bin.theta) < 1e-10);
    assert.ok(maxAbsDiff(si.leverage, bi.leverage) < 1e-12);
    assert.ok(maxAbsDiff(si.leverageTrace, bi.leverage) < 1e-12);
    assert.ok(maxAbsDiff(si.rescaling, bi.rescaling) < 1e-9);
    const T = [1, 4, 9, 16];
    const methods =
      regularization === 'fixed' ? (['if', 'rif', 'ns', 'retrain'] as const) : (['if', 'ns', 'retrain'] as const);
    for (const method of methods) {
      const a = await si.removalEffect(T, { method }),
        b = await bi.removalEffect(T, { method });
      assert.ok(rel(a, b) < (method === 'retrain' ? 1e-8 : 1e-10), `${method}: ${rel(a, b)}`);
    }
    const q = data(5, 3, 2, 9);
    const qb = Float64Array.from(q.y, (v) => (v === 0 ? 1 : 0));
    const scoreMethods = regularization === 'fixed' ? (['if', 'rif'] as const) : (['if'] as const);
    for (const method of scoreMethods) {
      assert.ok(rel(await si.scores(q.X, q.y, { method }), await bi.scores(q.X, qb, { method })) < 1e-10);
      const m = Metric.testLoss(q.X, q.y),
        mb = Metric.testLoss(q.X, qb);
      assert.ok(rel(await si.metricScores(m, { method }), await bi.metricScores(mb, { method })) < 1e-10);
    }
    // The self-loss (the training objective) and its effects agree too.
    const [es, eb] = [
      await si.effect(T, Metric.selfLoss(), { method: 'ns' }),
      await bi.effect(T, Metric.selfLoss(), { method: 'ns' }),
    ];
    // (The linear effect is grad F^T Delta with grad F = 0 at the optimum: both are rounding-sized.)
    assert.ok(
      Math.abs(es.nonlinear - eb.nonlinear) < 1e-8 * Math.abs(eb.nonlinear),
      `${es.nonlinear} vs ${eb.nonlinear}`,
    );
    assert.ok(Math.abs(es.linear - eb.linear) < 1e-8 * Math.abs(eb.nonlinear), `${es.linear} vs ${eb.linear}`);
  });
}

test('a leverage block with eigenvalue 1 gives +-Infinity and a warning, never NaN', async () => {
  const { X, y } = data(40, 2, 3, 12);
  const model = await SoftmaxRegression.fit(X, y, { lambda: 1 });
  const plain = await Influence.of(model);
  // A real softmax fit never pins a direction with lambda > 0 (docs), so the native blocks are
  // scaled for example 0 until the largest eigenvalue of A_0 M_0 is exactly 1.
  const backend = model.backendKernels();
  const scaled = Object.create(model) as SoftmaxRegression;
  scaled.backendKernels = () => ({
    ...backend,
    multinomialLeverageBlocks: async (o) => {
      const M = await backend.multinomialLeverageBlocks(o);
      for (let k = 0; k < 4; k++) M[k]! /= plain.leverage[0]!;
      return M;
    },
  });
  const inf = await Influence.of(scaled);
  assert.equal(inf.rescaling[0], Infinity);
  assert.match(inf.warnings[0]!, /leverage 1 for training examples \[0\]/);
  const rif = await inf.removalEffect([0, 3], { method: 'rif' });
  assert.ok(rif.every((v) => !Number.isNaN(v)) && rif.some((v) => !Number.isFinite(v)));
  const S = await inf.scores(X.selectRows([1, 2]), [y[1]!, y[2]!], { method: 'rif' });
  assert.ok(S.every((v) => !Number.isNaN(v)));
  assert.ok(!Number.isFinite(S[0]!) && Number.isFinite(S[2]!));
});

test('softmax influence rejects bad input with the argument named', async () => {
  const { X, y } = data(30, 2, 3, 4);
  const model = await SoftmaxRegression.fit(X, y, { lambda: 1 });
  const inf = await Influence.of(model);
  await assert.rejects(MulticlassInfluence.of({} as SoftmaxRegression), /model must be a fitted SoftmaxRegression/);
  await assert.rejects(inf.removalEffect([30]), /removalEffect: T: index 30 is out of range \[0, 30\)/);
  await assert.rejects(inf.removalEffect([1, 1]), /appears more than once/);
  await assert.rejects(inf.removalEffect([]), /removalEffect: T: is empty/);
  await assert.rejects(inf.removalEffect([1], { method: 'exact' as 'if' }), /removalEffect: method: must be one of/);
  await assert.rejects(inf.scores(X), /scores: yq \(query labels\) is required for target 'loss'/);
  await assert.rejects(inf.scores(X, y, { target: 'margin' as 'loss' }), /scores: target: must be one of/);
  await assert.rejects(
    inf.scores(new Matrix(new Float64Array(3), 1, 3), [0]),
    /Xq: has 3 columns, the model has 2 features/,
  );
  await assert.rejects(inf.scores(X.selectRows([0]), [3]), /yq: label 0 is 3; the model's classes are 0..2/);
  await assert.rejects(inf.topK(X, y, { k: 0 }), /topK: k/);
  await assert.rejects(
    inf.metricScores({ value: () => 1, gradient: () => new Float64Array(2) }),
    /gradient\(theta\) must return a Float64Array of length 6/,
  );
  await assert.rejects(
    inf.effectOfChange(new Float64Array(3), Metric.selfLoss()),
    /delta must be a Float64Array of length 6/,
  );
  await assert.rejects(
    SoftmaxRegression.fit(X, y, { regularization: 'none' as 'fixed' }),
    /options.regularization must be 'fixed' or 'per-example'/,
  );
  const removed = await model.refit({ weights: Float64Array.from({ length: 30 }, (_, i) => (i === 2 ? 0 : 1)) });
  await assert.rejects((await Influence.of(removed)).removalEffect([2]), /example 2 has weight 0/);
});

test('evaluate: IF and RIF scores of a softmax model rank LDS retrains far above random', async () => {
  const { evaluateMethods } = await import('../src/evaluation/evaluate.ts');
  const { X, y } = data(120, 3, 3, 21);
  const model = await SoftmaxRegression.fit(X, y, { lambda: 1 });
  const q = data(6, 3, 3, 22);
  const report = await evaluateMethods({
    model,
    queries: { X: q.X, y: q.y },
    methods: ['if', 'rif', 'random'],
    subsets: 20,
    removalSizes: [5],
    seed: 1,
  });
  const lds = Object.fromEntries(report.methods.map((m) => [m.method, m.lds]));
  assert.ok(lds.if! > 0.8 && lds.rif! > 0.8, JSON.stringify(lds));
  assert.ok(Math.abs(lds.random!) < 0.5, JSON.stringify(lds));
});
