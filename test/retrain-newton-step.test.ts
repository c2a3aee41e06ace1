/**
 * A retrain shares its reduced Hessian with the Newton-step estimate of the same removal
 * (`Influence.retrain` then `removalEffect(T, { method: 'ns' })`, as the removal benchmark asks
 * for both; `refitAndSolve` underneath): the shared step must be bit-identical to a separate NS
 * solve, equal a dense plain-JS solve of (H - sum_{i in T} H_i) x = sum_{i in T} g_i, and leave
 * the refit itself unchanged, on both reduced-Hessian paths (Woodbury for k < p, a fresh
 * factorisation for k >= p).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Influence, LogisticRegression, Metric } from '../src/index.ts';
import { logisticData, refPointwise, rowOf, solveDense } from './helpers.ts';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
};

test('retrain then NS: the shared step equals a separate NS solve bit for bit and a dense JS solve; refitAndSolve', async () => {
  const n = 50,
    d = 6,
    p = d + 1,
    lambda = 1.5;
  const { X, y } = logisticData(n, d, 91);
  const model = await LogisticRegression.fit(X, y, { lambda });
  const theta = model.theta;
  const parts = (i: number) => {
    const a = rowOf(X, i, true);
    const pw = refPointwise('logistic', dot(a, theta), y[i]!);
    return { a, slope: pw.slope, curv: pw.curv };
  };
  const H = Array.from({ length: p }, (_, r) => Array.from({ length: p }, (_, s) => (r === s && r < d ? lambda : 0)));
  for (let i = 0; i < n; i++) {
    const { a, curv } = parts(i);
    for (let r = 0; r < p; r++) for (let s = 0; s < p; s++) H[r]![s]! += curv * a[r]! * a[s]!;
  }
  for (const T of [
    [4, 11, 30],
    [1, 3, 5, 7, 9, 12, 15, 21, 26, 33, 40, 47],
  ]) {
    const M = H.map((row) => row.slice());
    const g = new Array<number>(p).fill(0);
    for (const i of T) {
      const { a, slope, curv } = parts(i);
      for (let r = 0; r < p; r++) {
        g[r]! += slope * a[r]!;
        for (let s = 0; s < p; s++) M[r]![s]! -= curv * a[r]! * a[s]!;
      }
    }
    const expected = solveDense(M, g);

    const separate = await (await Influence.of(model)).removalEffect(T, { method: 'ns' });
    const influence = await Influence.of(model);
    const retrained = await influence.retrain(T);
    const shared = await influence.removalEffect(T, { method: 'ns' });
    assert.deepEqual(
      Array.from(shared),
      Array.from(separate),
      `|T| = ${T.length}: shared NS differs from a separate solve`,
    );
    for (let k = 0; k < p; k++)
      assert.ok(
        Math.abs(shared[k]! - expected[k]!) < 1e-9 * (1 + Math.abs(expected[k]!)),
        `|T| = ${T.length}, theta_${k}: ${shared[k]} vs ${expected[k]}`,
      );
    // Another set after the retrain is solved afresh, not answered from the kept step.
    const other = T.map((i) => i + 1);
    const otherNs = await influence.removalEffect(other, { method: 'ns' });
    assert.deepEqual(
      Array.from(otherNs),
      Array.from(await (await Influence.of(model)).removalEffect(other, { method: 'ns' })),
    );

    // refitAndSolve: the refit is the plain refit's, the solution M^{-1} rhs.
    const rhs = Float64Array.from({ length: p }, (_, k) => Math.cos(k + T.length));
    const both = await model.refitAndSolve(T, rhs, { keepHessian: false });
    const plain = await model.refit({ exclude: T }, { keepHessian: false });
    assert.deepEqual(Array.from(both.model.theta), Array.from(plain.theta));
    assert.deepEqual(Array.from(retrained.theta), Array.from(plain.theta));
    const direct = solveDense(M, Array.from(rhs));
    for (let k = 0; k < p; k++)
      assert.ok(Math.abs(both.solution[k]! - direct[k]!) < 1e-9 * (1 + Math.abs(direct[k]!)), `solution_${k}`);
  }

  // Effects on a built-in metric reuse its value and gradient at the optimum: still exact.
  const T = [2, 8, 19];
  const delta = await influence0(model, T);
  const self = Metric.selfLoss();
  const analysis = await Influence.of(model);
  const first = await analysis.effectOfChange(delta, self);
  const again = await analysis.effectOfChange(delta, self);
  assert.deepEqual(again, first);
  const objective = (t: Float64Array) => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const z = dot(rowOf(X, i, true), t);
      f += Math.max(z, 0) - z * y[i]! + Math.log1p(Math.exp(-Math.abs(z)));
    }
    for (let k = 0; k < d; k++) f += 0.5 * lambda * t[k]! * t[k]!;
    return f;
  };
  const moved = theta.map((t, k) => t + delta[k]!);
  assert.ok(Math.abs(first.nonlinear - (objective(moved) - objective(theta))) < 1e-10);

  await assert.rejects(model.refitAndSolve(T, new Float64Array(p - 1)), /refitAndSolve: rhs/);
  await assert.rejects(model.refitAndSolve([n], new Float64Array(p)), /refitAndSolve: exclude/);
  await assert.rejects(model.refitAndSolve(T, new Float64Array(p), { start: theta } as never), /refitAndSolve.*start/);
});

async function influence0(model: LogisticRegression, T: number[]): Promise<Float64Array> {
  return (await Influence.of(model)).removalEffect(T, { method: 'retrain' });
}
