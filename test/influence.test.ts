import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  Influence,
  LogisticRegression,
  RidgeRegression,
  Metric,
  Matrix,
  NumericError,
  loadSpamAssassin,
  type GeneralizedLinearModel,
} from '../src/index.ts';
import {
  logisticData,
  regressionData,
  refHessian,
  refGradient,
  refPointwise,
  rowOf,
  solveDense,
  maxAbsDiff,
  maxAbs,
  norm,
  rng,
  type Kind,
} from './helpers.ts';

const fitters = { logistic: LogisticRegression, ridge: RidgeRegression } as const;
const dataFor = (kind: Kind, n: number, d: number, seed: number) =>
  kind === 'logistic' ? logisticData(n, d, seed) : regressionData(n, d, seed);

/** Everything at the fit recomputed in plain JS: H, per-example g_i, s_i, and the removed-set Hessian. */
function reference(model: GeneralizedLinearModel) {
  const kind = model.kind;
  const intercept = model.options.fitIntercept;
  const pr = { kind, X: model.X, y: model.y, lambda: model.penalty, intercept, w: model.weights };
  const H = refHessian(pr, model.theta);
  const p = model.nParameters,
    d = model.nFeatures;
  const perExample = model.options.regularization === 'per-example';
  const share = perExample ? model.options.lambda / model.totalWeight : 0;
  const a = (i: number) => rowOf(model.X, i, intercept);
  const z = (i: number) => a(i).reduce((s, v, k) => s + v * model.theta[k]!, 0);
  const pw = (i: number) => refPointwise(kind, z(i), model.y[i]!);
  /** G_i = w_i l'_i a_i + share w_i P theta. */
  const g = (i: number) =>
    a(i).map((v, k) => model.weights[i]! * pw(i).slope * v + (k < d ? share * model.weights[i]! * model.theta[k]! : 0));
  /** H minus the removed examples' Hessians (and their penalty shares). */
  const reduced = (T: number[]) => {
    const M = H.map((r) => [...r]);
    for (const i of T) {
      const ai = a(i),
        c = model.weights[i]! * pw(i).curv;
      for (let r = 0; r < p; r++) for (let s = 0; s < p; s++) M[r]![s]! -= c * ai[r]! * ai[s]!;
      for (let k = 0; k < d; k++) M[k]![k]! -= share * model.weights[i]!;
    }
    return M;
  };
  const sumG = (T: number[], f: (i: number) => number = () => 1) => {
    const out = new Array<number>(p).fill(0);
    for (const i of T) {
      g(i).forEach((v, k) => {
        out[k]! += f(i) * v;
      });
    }
    return out;
  };
  return { H, a, g, pw, reduced, sumG, p };
}

for (const kind of ['logistic', 'ridge'] as const) {
  for (const regularization of ['fixed', 'per-example'] as const) {
    test(`${kind} ${regularization}: leverage, IF, RIF and NS equal dense JS solves`, async () => {
      const { X, y } = dataFor(kind, 40, 6, 17);
      const model = await fitters[kind].fit(X, y, { lambda: 0.8, regularization });
      const inf = await Influence.of(model);
      const ref = reference(model);
      for (const i of [0, 5, 33]) {
        const Hinv_a = solveDense(ref.H, ref.a(i));
        const h = ref.pw(i).curv * ref.a(i).reduce((s, v, k) => s + v * Hinv_a[k]!, 0);
        assert.ok(Math.abs(h - inf.leverage[i]!) < 1e-12, `leverage ${i}`);
      }
      const T = [2, 9, 10, 31];
      const ifRef = solveDense(ref.H, ref.sumG(T));
      assert.ok(maxAbsDiff(ifRef, await inf.removalEffect(T, { method: 'if' })) < 1e-11);
      const rifRef = solveDense(
        ref.H,
        ref.sumG(T, (i) => 1 / (1 - inf.leverage[i]!)),
      );
      assert.ok(maxAbsDiff(rifRef, await inf.removalEffect(T, { method: 'rif' })) < 1e-11);
      // NS: Woodbury (k < p, fixed) or refactorisation (per-example) against a dense solve of (H - sum H_i) x = sum G_i.
      for (const set of [T, Array.from({ length: 12 }, (_, k) => 3 * k)]) {
        const nsRef = solveDense(ref.reduced(set), ref.sumG(set));
        const ns = await inf.removalEffect(set, { method: 'ns' });
        assert.ok(maxAbsDiff(nsRef, ns) < 1e-10 * (1 + maxAbs(nsRef)), `NS k=${set.length}: ${maxAbsDiff(nsRef, ns)}`);
      }
    });
  }

  test(`${kind}: RIF_i is exactly the single-removal Newton step (fixed convention, Sherman-Morrison)`, async () => {
    const { X, y } = dataFor(kind, 60, 10, 4);
    const model = await fitters[kind].fit(X, y, { lambda: 0.3 });
    const inf = await Influence.of(model);
    const ref = reference(model);
    for (let i = 0; i < 60; i += 7) {
      const exact = solveDense(ref.reduced([i]), ref.g(i));
      const rif = await inf.removalEffect([i], { method: 'rif' });
      const ns = await inf.removalEffect([i], { method: 'ns' });
      assert.ok(
        maxAbsDiff(exact, rif) < 1e-11 * (1 + maxAbs(exact)),
        `example ${i}: RIF vs exact NS ${maxAbsDiff(exact, rif)}`,
      );
      assert.ok(maxAbsDiff(ns, rif) < 1e-11 * (1 + maxAbs(exact)));
    }
  });
}

test('ridge: RIF_i equals the exact leave-one-out refit (closed form), while IF does not', async () => {
  const { X, y } = regressionData(30, 8, 6);
  const model = await RidgeRegression.fit(X, y, { lambda: 0.2 });
  const inf = await Influence.of(model);
  let ifError = 0;
  for (const i of [0, 11, 29]) {
    const keep = [...Array(30).keys()].filter((j) => j !== i);
    const fresh = await RidgeRegression.fit(
      X.selectRows(keep),
      keep.map((j) => y[j]!),
      { lambda: 0.2 },
    );
    const actual = fresh.theta.map((t, k) => t - model.theta[k]!);
    assert.ok(maxAbsDiff(actual, await inf.removalEffect([i], { method: 'rif' })) < 1e-11 * (1 + maxAbs(actual)));
    ifError = Math.max(ifError, maxAbsDiff(actual, await inf.removalEffect([i], { method: 'if' })) / maxAbs(actual));
  }
  assert.ok(ifError > 0.05, `IF should differ from the exact refit (relative error ${ifError})`);
});

test('retrain: satisfies the KKT condition of the reduced problem and equals a fresh fit', async () => {
  for (const regularization of ['fixed', 'per-example'] as const) {
    const { X, y } = logisticData(200, 15, 8);
    const model = await LogisticRegression.fit(X, y, { lambda: 0.5, regularization });
    const inf = await Influence.of(model);
    const T = [3, 17, 18, 100, 150, 199];
    const delta = await inf.removalEffect(T, { method: 'retrain' });
    const theta = model.theta.map((t, k) => t + delta[k]!);
    const w = new Float64Array(200).fill(1);
    for (const i of T) w[i] = 0;
    const lambda = regularization === 'fixed' ? 0.5 : (0.5 * 194) / 200;
    const g = refGradient({ kind: 'logistic', X, y, w, lambda, intercept: true }, theta);
    assert.ok(norm(g) < 1e-11, `${regularization}: reduced gradient ${norm(g)}`);
    const keep = [...Array(200).keys()].filter((i) => !T.includes(i));
    const fresh = await LogisticRegression.fit(
      X.selectRows(keep),
      keep.map((i) => y[i]!),
      { lambda },
    );
    assert.ok(maxAbsDiff(fresh.theta, theta) < 1e-11);
  }
});

test('metrics: gradients match finite differences of their values; effects are consistent', async () => {
  const { X, y } = logisticData(80, 5, 3);
  const model = await LogisticRegression.fit(X, y, { lambda: 1 });
  const inf = await Influence.of(model);
  const test_ = logisticData(20, 5, 99);
  const metrics = [
    Metric.testPrediction(test_.X),
    Metric.testLoss(test_.X, test_.y),
    Metric.selfLoss(),
    Metric.queryLoss(test_.X.row(0), test_.y[0]!),
    Metric.queryLogit(test_.X.row(1)),
    Metric.queryProbability(test_.X.row(2)),
  ];
  const T = [1, 2, 3, 40];
  const delta = await inf.removalEffect(T, { method: 'ns' });
  const effects = await inf.effects(T, metrics, { method: 'ns' });
  for (const [j, m] of metrics.entries()) {
    // Directional finite difference of the metric along Delta equals the linear effect.
    const h = 1e-6;
    const e = effects[j]!;
    const bound = (await import('../src/influence/metrics.ts')).bindMetric(m, model);
    const fp = await bound.value(model.theta.map((t, k) => t + h * delta[k]!));
    const fm = await bound.value(model.theta.map((t, k) => t - h * delta[k]!));
    const fd = (fp - fm) / (2 * h);
    assert.ok(Math.abs(fd - e.linear) < 1e-6 * (1 + Math.abs(fd)), `metric ${j}: linear ${e.linear} vs FD ${fd}`);
    const nonlinear = (await bound.value(model.theta.map((t, k) => t + delta[k]!))) - (await bound.value(model.theta));
    assert.ok(Math.abs(nonlinear - e.nonlinear) < 1e-12 * (1 + Math.abs(nonlinear)));
  }
  // A custom linear metric c^T theta: both effects are c^T Delta.
  const c = Float64Array.from({ length: 6 }, (_, k) => k - 2.5);
  const linearMetric = {
    value: async (t: Float64Array) => t.reduce((s, v, k) => s + c[k]! * v, 0),
    gradient: async () => c,
  };
  const custom = await inf.effect(T, linearMetric, { method: 'ns' });
  const cDelta = c.reduce((s, v, k) => s + v * delta[k]!, 0);
  assert.ok(
    Math.abs(cDelta) > 1e-3 && Math.abs(custom.linear - cDelta) < 1e-12 && Math.abs(custom.nonlinear - cDelta) < 1e-12,
    `custom metric: ${custom.linear}, ${custom.nonlinear} vs ${cDelta}`,
  );
  // Self-loss is stationary at the optimum: its linear effect vanishes.
  assert.ok(Math.abs(effects[2]!.linear) < 1e-9);
  assert.ok(effects[2]!.nonlinear > 0);
});

test('scores: every entry equals the linear effect of removing that example on the query target; topK equals sorting', async () => {
  for (const regularization of ['fixed', 'per-example'] as const) {
    const { X, y } = logisticData(70, 4, 13);
    const model = await LogisticRegression.fit(X, y, {
      lambda: 0.5,
      regularization,
      sampleWeights: Float64Array.from({ length: 70 }, (_, i) => 1 + (i % 3) / 2),
    });
    const inf = await Influence.of(model);
    const q = logisticData(5, 4, 77);
    for (const method of ['if', 'rif'] as const) {
      for (const target of ['loss', 'logit', 'probability'] as const) {
        const S = await inf.scores(q.X, q.y, { method, target });
        for (const i of [0, 13, 69]) {
          for (let j = 0; j < 5; j++) {
            const metric =
              target === 'loss'
                ? Metric.queryLoss(q.X.row(j), q.y[j]!)
                : target === 'logit'
                  ? Metric.queryLogit(q.X.row(j))
                  : Metric.queryProbability(q.X.row(j));
            const { linear } = await inf.effect([i], metric, { method });
            assert.ok(
              Math.abs(S[i * 5 + j]! - linear) < 1e-12 * (1 + Math.abs(linear)),
              `${regularization} ${method} ${target} S[${i},${j}]`,
            );
          }
        }
        const top = await inf.topK(q.X, q.y, { method, target, k: 4, queryBlock: 2 });
        for (let j = 0; j < 5; j++) {
          const col = Array.from({ length: 70 }, (_, i) => ({ i, s: S[i * 5 + j]! }));
          const desc = [...col].sort((a, b) => b.s - a.s || a.i - b.i).slice(0, 4);
          const asc = [...col].sort((a, b) => a.s - b.s || a.i - b.i).slice(0, 4);
          assert.deepEqual(
            Array.from(top.topIndex.subarray(j * 4, j * 4 + 4)),
            desc.map((e) => e.i),
          );
          assert.deepEqual(
            Array.from(top.bottomIndex.subarray(j * 4, j * 4 + 4)),
            asc.map((e) => e.i),
          );
          assert.deepEqual(
            Array.from(top.topValue.subarray(j * 4, j * 4 + 4)),
            desc.map((e) => e.s),
          );
        }
      }
    }
  }
});

test('leverage 1 gives infinite RIF with a warning, never NaN; NS reports the singular reduced Hessian', async () => {
  // Feature 2 is non-zero only for example 0: without a penalty, example 0 alone pins theta_2.
  const { X, y } = regressionData(25, 2, 9);
  const rows = X.toArrays().map((r, i) => [...r, i === 0 ? 1.5 : 0]);
  const model = await RidgeRegression.fit(Matrix.fromArrays(rows), y, { lambda: 0 });
  const inf = await Influence.of(model);
  assert.ok(inf.leverage[0]! > 1 - 1e-10);
  assert.equal(inf.rescaling[0], Infinity);
  assert.match(inf.warnings[0]!, /leverage 1 for training examples \[0\]/);
  // A pinned least-squares example fits exactly (residual 0): its RIF is 0/0, reported as 0, never NaN.
  const rif = await inf.removalEffect([0, 3], { method: 'rif' });
  assert.ok(rif.every((v) => !Number.isNaN(v)));
  const S = await inf.scores(Matrix.fromArrays([[0.1, 0.2, 0.3]]), [1], { method: 'rif' });
  assert.ok(S.every((v) => !Number.isNaN(v)));
  // The scorer itself: an infinite rescaling gives +-Infinity for a non-zero raw score and 0 for a zero one.
  const addon = createRequire(import.meta.url)('../build/Release/tdakit_native.node');
  const out: Float64Array = await addon.scoreMatrix({
    x: Float64Array.of(1, 2, 3),
    n: 3,
    d: 1,
    intercept: false,
    v: Float64Array.of(1),
    m: 1,
    rowCoef: Float64Array.of(2, -1, 0),
    rowFactor: Float64Array.of(Infinity, Infinity, Infinity),
  });
  assert.deepEqual(Array.from(out), [Infinity, -Infinity, 0]);
  await assert.rejects(
    inf.removalEffect([0], { method: 'ns' }),
    (e: unknown) => e instanceof NumericError && /singular/.test(e.message),
  );
});

test('influence rejects bad arguments with the argument named', async () => {
  const { X, y } = logisticData(30, 3, 1);
  const model = await LogisticRegression.fit(X, y);
  const inf = await Influence.of(model);
  await assert.rejects(Influence.of({} as never), /model must be a fitted/);
  await assert.rejects(Influence.of(model, logisticData(30, 3, 2).X), /X is not the data the model was fitted on/);
  await assert.rejects(inf.removalEffect([], {}), /T: is empty/);
  await assert.rejects(inf.removalEffect([1, 1]), /appears more than once/);
  await assert.rejects(inf.removalEffect([30]), /index 30 is out of range \[0, 30\)/);
  await assert.rejects(
    inf.removalEffect([1], { method: 'magic' as never }),
    /method: must be one of 'if', 'rif', 'ns', 'retrain'/,
  );
  await assert.rejects(inf.scores(Matrix.fromArrays([[1, 2]]), [1]), /Xq: has 2 columns, the model has 3 features/);
  await assert.rejects(inf.scores(X), /yq \(query labels\) is required for target 'loss'/);
  await assert.rejects(inf.scores(X, y, { target: 'margin' as never }), /target: must be one of/);
  await assert.rejects(
    inf.scores(
      X,
      Array.from(y, () => 3),
    ),
    /label 0 is 3/,
  );
  await assert.rejects(inf.topK(X, y, { k: 0 }), /topK: k: must be in \[1/);
  await assert.rejects(inf.effect([1], { value: () => NaN, gradient: () => new Float64Array(4) }), /returned NaN/);
  await assert.rejects(
    inf.effect([1], { value: () => 1, gradient: () => new Float64Array(2) }),
    /must return a Float64Array of length 4/,
  );
});

test('paper finding on real data (SpamAssassin bag-of-words, n = 1500, d = 1000): RIF tracks the actual self-loss change, IF underestimates', async () => {
  const data = await loadSpamAssassin({ vocabulary: 1000, limit: 1500 });
  const model = await LogisticRegression.fit(data.X, data.y, { lambda: 1e-2 });
  const inf = await Influence.of(model);
  const r = rng(3);
  const n = data.X.rows;
  const actual: number[] = [],
    rif: number[] = [],
    iff: number[] = [];
  for (let s = 0; s < 24; s++) {
    const k = Math.max(1, Math.round(0.001 * 50 ** (s / 23) * n)); // 0.1% .. 5% of n
    const T = new Set<number>();
    while (T.size < k) T.add(Math.floor(r() * n));
    const set = [...T];
    actual.push((await inf.effect(set, Metric.selfLoss(), { method: 'retrain' })).nonlinear);
    rif.push((await inf.effect(set, Metric.selfLoss(), { method: 'rif' })).nonlinear);
    iff.push((await inf.effect(set, Metric.selfLoss(), { method: 'if' })).nonlinear);
  }
  const slope = (pred: number[]) =>
    pred.reduce((s, v, j) => s + v * actual[j]!, 0) / actual.reduce((s, v) => s + v * v, 0);
  const corr = (pred: number[]) => {
    const mx = actual.reduce((a, b) => a + b) / actual.length,
      my = pred.reduce((a, b) => a + b) / pred.length;
    let sxy = 0,
      sxx = 0,
      syy = 0;
    actual.forEach((x, j) => {
      sxy += (x - mx) * (pred[j]! - my);
      sxx += (x - mx) ** 2;
      syy += (pred[j]! - my) ** 2;
    });
    return sxy / Math.sqrt(sxx * syy);
  };
  assert.ok(slope(rif) > 0.8 && slope(rif) < 1.25, `RIF slope ${slope(rif)}`);
  assert.ok(corr(rif) > 0.9, `RIF correlation ${corr(rif)}`);
  assert.ok(slope(iff) < 0.5, `IF slope ${slope(iff)}`);
});
