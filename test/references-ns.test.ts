/**
 * The Newton step of a removal (docs/methods.md section 2), Delta = (H - sum_{i in T} H_i)^{-1}
 * sum_{i in T} g_i, against dense plain-JS solves: on both of the library's paths (a Woodbury
 * correction when k < p and only removals; a fresh factorisation otherwise), under both penalty
 * conventions (per-example: H_i and g_i carry the example's penalty share), with non-unit
 * weights. The parameter change is read through p linear metrics f(theta) = theta_k.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Influence, LogisticRegression } from '../src/index.ts';
import { dot, logisticData, refPointwise, rng, rowOf, solveDense } from './helpers.ts';

for (const regularization of ['fixed', 'per-example'] as const) {
  test(`NS (${regularization}, weighted) equals (H - sum H_i)^{-1} sum g_i for k < p (Woodbury) and k >= p (refactorised)`, async () => {
    const n = 40,
      d = 5,
      p = d + 1,
      lambda = 2;
    const { X, y } = logisticData(n, d, 71);
    const r = rng(72);
    const w = Float64Array.from({ length: n }, () => 0.5 + 1.5 * r());
    const W = w.reduce((a, b) => a + b, 0);
    const model = await LogisticRegression.fit(X, y, { lambda, regularization, sampleWeights: w });
    const influence = await Influence.of(model);
    const theta = model.theta;
    // Example i's part of the gradient and the Hessian, its penalty share included under per-example.
    const share = (i: number) => (regularization === 'per-example' ? (lambda * w[i]!) / W : 0);
    const gOf = (i: number) => {
      const a = rowOf(X, i, true);
      const pw = refPointwise('logistic', dot(a, theta), y[i]!);
      return a.map((v, k) => w[i]! * pw.slope * v + (k < d ? share(i) * theta[k]! : 0));
    };
    const HOf = (i: number) => {
      const a = rowOf(X, i, true);
      const c = w[i]! * refPointwise('logistic', dot(a, theta), y[i]!).curv;
      return a.map((u, r2) => a.map((v, s) => c * u * v + (r2 === s && r2 < d ? share(i) : 0)));
    };
    // H = sum_i w_i s_i a_i a_i^T + lambda P: under per-example the shares of every H_i add up to lambda P.
    const base = regularization === 'fixed' ? lambda : 0;
    const H = Array.from({ length: p }, (_, r2) =>
      Array.from({ length: p }, (_, s) => (r2 === s && r2 < d ? base : 0)),
    );
    for (let i = 0; i < n; i++)
      for (const [r2, row] of HOf(i).entries()) for (const [s, v] of row.entries()) H[r2]![s]! += v;
    const unit = Array.from({ length: p }, (_, k) => ({
      name: `theta_${k}`,
      value: (t: Float64Array) => t[k]!,
      gradient: () => Float64Array.from({ length: p }, (_, j) => (j === k ? 1 : 0)),
    }));
    for (const T of [
      [3, 17, 29],
      [0, 2, 5, 8, 13, 21, 34, 39],
    ]) {
      const M = H.map((row) => row.slice());
      const g = new Array<number>(p).fill(0);
      for (const i of T) {
        for (const [r2, row] of HOf(i).entries()) for (const [s, v] of row.entries()) M[r2]![s]! -= v;
        for (const [k, v] of gOf(i).entries()) g[k]! += v;
      }
      const expected = solveDense(M, g);
      const effects = await influence.effects(T, unit, { method: 'ns' });
      const got = effects.map((e) => e.linear);
      for (let k = 0; k < p; k++) {
        assert.ok(
          Math.abs(got[k]! - expected[k]!) < 1e-9 * (1 + Math.abs(expected[k]!)),
          `|T| = ${T.length}, theta_${k}: ${got[k]} vs ${expected[k]}`,
        );
      }
      assert.ok(Math.max(...expected.map(Math.abs)) > 1e-3, 'the step is not negligible');
    }
  });
}
