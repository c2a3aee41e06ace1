import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LogisticRegression,
  RidgeRegression,
  Matrix,
  loadMnistPair,
  type GeneralizedLinearModel,
} from '../src/index.ts';
import {
  logisticData,
  regressionData,
  refObjective,
  refGradient,
  refHessian,
  solveDense,
  maxAbsDiff,
  norm,
  maxAbs,
  rng,
  type Kind,
} from './helpers.ts';

const fitters = { logistic: LogisticRegression, ridge: RidgeRegression } as const;

function dataFor(kind: Kind, n: number, d: number, seed: number) {
  return kind === 'logistic' ? logisticData(n, d, seed) : regressionData(n, d, seed);
}

/** Sum of per-example gradients (weighted) plus penalty: the full objective's gradient. */
async function fullGradient(model: GeneralizedLinearModel): Promise<Float64Array> {
  const G = await model.gradients(model.X, model.y);
  const g = new Float64Array(model.nParameters);
  for (let i = 0; i < G.rows; i++) for (let k = 0; k < G.cols; k++) g[k]! += model.weights[i]! * G.get(i, k);
  if (model.options.regularization === 'fixed')
    for (let k = 0; k < model.nFeatures; k++) g[k]! += model.penalty * model.theta[k]!;
  return g;
}

for (const kind of ['logistic', 'ridge'] as const) {
  for (const intercept of [true, false]) {
    test(`${kind} (intercept ${intercept}): per-example losses and gradients match an independent JS objective and its finite differences`, async () => {
      const { X, y } = dataFor(kind, 60, 4, 7);
      const model = await fitters[kind].fit(X, y, { lambda: 0.7, fitIntercept: intercept });
      const pr = { kind, X, y, lambda: 0.7, intercept };
      // Losses against the JS reference objective (penalty removed).
      const losses = await model.losses(X, y);
      const pen = 0.35 * Array.from(model.theta.subarray(0, 4)).reduce((s, t) => s + t * t, 0);
      assert.ok(Math.abs(losses.reduce((a, b) => a + b, 0) + pen - refObjective(pr, model.theta)) < 1e-10);
      // Gradient of the objective at a point away from the optimum: native vs central differences of the JS objective.
      const theta = Array.from(model.theta, (t, k) => t + 0.3 * Math.sin(k + 1));
      const shifted = Object.assign(Object.create(Object.getPrototypeOf(model)), model, {
        theta: Float64Array.from(theta),
      }) as GeneralizedLinearModel;
      const G = await shifted.gradients(X, y);
      const g = new Float64Array(theta.length);
      for (let i = 0; i < G.rows; i++) for (let k = 0; k < G.cols; k++) g[k]! += G.get(i, k);
      for (let k = 0; k < 4; k++) g[k]! += 0.7 * theta[k]!;
      const h = 1e-6;
      for (let k = 0; k < theta.length; k++) {
        const tp = [...theta];
        tp[k]! += h;
        const tm = [...theta];
        tm[k]! -= h;
        const fd = (refObjective(pr, tp) - refObjective(pr, tm)) / (2 * h);
        assert.ok(Math.abs(fd - g[k]!) < 1e-5 * (1 + Math.abs(fd)), `gradient ${k}: native ${g[k]} vs FD ${fd}`);
      }
    });

    test(`${kind} (intercept ${intercept}): Hessian at the fit matches finite differences of the JS gradient`, async () => {
      const { X, y } = dataFor(kind, 50, 3, 11);
      const model = await fitters[kind].fit(X, y, { lambda: 0.5, fitIntercept: intercept });
      const pr = { kind, X, y, lambda: 0.5, intercept };
      const { hessian } = await model.factorization();
      const p = model.nParameters;
      const h = 1e-5;
      for (let c = 0; c < p; c++) {
        const tp = Array.from(model.theta);
        tp[c]! += h;
        const tm = Array.from(model.theta);
        tm[c]! -= h;
        const gp = refGradient(pr, tp),
          gm = refGradient(pr, tm);
        for (let r = 0; r < p; r++) {
          const fd = (gp[r]! - gm[r]!) / (2 * h);
          assert.ok(
            Math.abs(fd - hessian[r + c * p]!) < 1e-6 * (1 + Math.abs(fd)),
            `H[${r},${c}] ${hessian[r + c * p]} vs FD ${fd}`,
          );
        }
      }
      // And against the closed-form JS Hessian.
      const ref = refHessian(pr, model.theta);
      for (let r = 0; r < p; r++)
        for (let c = 0; c < p; c++)
          assert.ok(Math.abs(ref[r]![c]! - hessian[r + c * p]!) < 1e-9 * (1 + Math.abs(ref[r]![c]!)));
    });
  }
}

test('ridge fit equals the normal equations solved independently', async () => {
  const { X, y } = regressionData(80, 6, 3);
  const model = await RidgeRegression.fit(X, y, { lambda: 2 });
  const pr = { kind: 'ridge' as const, X, y, lambda: 2, intercept: true };
  const H = refHessian(pr, new Array(7).fill(0));
  const b = refGradient(pr, new Array(7).fill(0)).map((v) => -v);
  const exact = solveDense(H, b);
  assert.ok(maxAbsDiff(exact, model.theta) < 1e-10, `max diff ${maxAbsDiff(exact, model.theta)}`);
  assert.equal(model.diagnostics.newtonIterations, 1);
});

test('logistic fit satisfies KKT to machine precision on real data (MNIST 4 vs 9, 1958 x 784)', async () => {
  const { X, y } = await loadMnistPair();
  for (const lambda of [1, 1e-2]) {
    const model = await LogisticRegression.fit(X, y, { lambda });
    // The gradient recomputed from the per-example gradients (a different native path than the fit's).
    const g = await fullGradient(model);
    const scale = model.diagnostics.gradientScale;
    assert.ok(norm(g) <= 1e-12 * scale, `lambda ${lambda}: ||grad|| ${norm(g)} vs scale ${scale}`);
    assert.ok(model.gradientNorm <= 1e-13 * scale);
    // A plain-JS check of the optimality on the intercept: sum_i (p_i - y_i) = 0.
    const p = await model.predictProba(X);
    let s = 0;
    for (let i = 0; i < p.length; i++) s += p[i]! - y[i]!;
    assert.ok(Math.abs(s) < 1e-9, `intercept KKT ${s}`);
    // Accuracy on the training pair is high (a sanity check that this is a real fit).
    const yhat = await model.predict(X);
    assert.ok(yhat.filter((v, i) => v === y[i]).length / y.length > 0.97);
  }
});

for (const regularization of ['fixed', 'per-example'] as const) {
  for (const kind of ['logistic', 'ridge'] as const) {
    test(`${kind} ${regularization}: refit after exclusion equals a fresh fit on the reduced data`, async () => {
      const { X, y } = dataFor(kind, 300, 20, 5);
      const lambda = 3;
      const model = await fitters[kind].fit(X, y, { lambda, regularization });
      const r = rng(9);
      for (const k of [1, 7, 40]) {
        const exclude = new Set<number>();
        while (exclude.size < k) exclude.add(Math.floor(r() * X.rows));
        const refit = await model.refit({ exclude: [...exclude] });
        const keep = [...Array(X.rows).keys()].filter((i) => !exclude.has(i));
        const reducedLambda = regularization === 'fixed' ? lambda : (lambda * keep.length) / X.rows;
        const fresh = await fitters[kind].fit(
          X.selectRows(keep),
          keep.map((i) => y[i]!),
          { lambda: reducedLambda },
        );
        const diff = maxAbsDiff(fresh.theta, refit.theta);
        assert.ok(diff < 1e-10 * (1 + maxAbs(fresh.theta)), `k=${k}: ${diff}`);
        assert.ok(refit.gradientNorm <= 1e-10 * refit.diagnostics.gradientScale);
        // Removal reuses the factorisation: no full Newton iteration for small sets.
        if (k < 40) assert.equal(refit.diagnostics.newtonIterations, 0);
      }
    });
  }
}

test('refit with weights equals a fresh fit with sampleWeights', async () => {
  const { X, y } = logisticData(200, 8, 12);
  const model = await LogisticRegression.fit(X, y, { lambda: 1 });
  const r = rng(4);
  const w = Float64Array.from({ length: 200 }, () => (r() < 0.1 ? 0 : r() * 2));
  const refit = await model.refit({ weights: w });
  const fresh = await LogisticRegression.fit(X, y, { lambda: 1, sampleWeights: w });
  assert.ok(maxAbsDiff(fresh.theta, refit.theta) < 1e-10);
  assert.deepEqual(Array.from(refit.weights), Array.from(w));
});

test('refits chain: removing A then B equals removing A and B at once', async () => {
  const { X, y } = logisticData(150, 5, 21);
  const model = await LogisticRegression.fit(X, y, { lambda: 0.5, regularization: 'per-example' });
  const a = await (await model.refit({ exclude: [1, 2, 3] })).refit({ exclude: [10, 11] });
  const b = await model.refit({ exclude: [1, 2, 3, 10, 11] });
  assert.ok(maxAbsDiff(a.theta, b.theta) < 1e-11);
  // A chord refit carries no Hessian from its iterations: its factorisation is built from scratch.
  assert.equal(a.diagnostics.newtonIterations, 0);
  const w = Float64Array.from({ length: 150 }, (_, i) => ([1, 2, 3, 10, 11].includes(i) ? 0 : 1));
  const ref = refHessian({ kind: 'logistic', X, y, w, lambda: (0.5 * 145) / 150, intercept: true }, a.theta);
  const { hessian } = await a.factorization();
  for (let r = 0; r < 6; r++)
    for (let c = 0; c < 6; c++) assert.ok(Math.abs(ref[r]![c]! - hessian[r + c * 6]!) < 1e-10);
});

test('fitting does not block the event loop', async () => {
  const { X, y } = logisticData(4000, 300, 3);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  await LogisticRegression.fit(X, y, { lambda: 1 });
  clearInterval(timer);
  assert.ok(ticks > 3, `event loop ticked ${ticks} times during the fit`);
});

test('predictions: probabilities agree with margins, ridge predicts a^T theta', async () => {
  const { X, y } = logisticData(40, 3, 2);
  const m = await LogisticRegression.fit(X, y);
  const z = await m.decisionFunction(X);
  const p = await m.predictProba(X);
  for (let i = 0; i < 40; i++) {
    let zi = m.theta[3]!;
    for (let j = 0; j < 3; j++) zi += X.get(i, j) * m.theta[j]!;
    assert.ok(Math.abs(z[i]! - zi) < 1e-12);
    assert.ok(Math.abs(p[i]! - 1 / (1 + Math.exp(-zi))) < 1e-14);
  }
  const one = Matrix.fromArrays([[1, 2, 3]]);
  const r = await RidgeRegression.fit(X, y, { fitIntercept: false });
  assert.ok(Math.abs((await r.predict(one))[0]! - (r.theta[0]! + 2 * r.theta[1]! + 3 * r.theta[2]!)) < 1e-12);
});

test('keepHessian: false fits the same theta and builds the exact Hessian on first use', async () => {
  const { X, y } = logisticData(120, 6, 44);
  const kept = await LogisticRegression.fit(X, y, { lambda: 0.4 });
  const lazy = await LogisticRegression.fit(X, y, { lambda: 0.4, keepHessian: false });
  assert.ok(maxAbsDiff(kept.theta, lazy.theta) < 1e-13);
  const ref = refHessian({ kind: 'logistic', X, y, lambda: 0.4, intercept: true }, lazy.theta);
  for (const m of [kept, lazy]) {
    const { hessian } = await m.factorization();
    for (let r = 0; r < 7; r++)
      for (let c = 0; c < 7; c++) assert.ok(Math.abs(ref[r]![c]! - hessian[r + c * 7]!) < 1e-10);
  }
  await assert.rejects(
    LogisticRegression.fit(X, y, { keepHessian: 'yes' as never }),
    /options.keepHessian must be a boolean/,
  );
});
