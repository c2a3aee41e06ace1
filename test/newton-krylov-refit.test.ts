// Issue 14 item 2: refits after removing or reweighting examples converge by Newton-Krylov steps
// (conjugate gradients on Hessian-vector products, preconditioned by the reference factor
// corrected by Woodbury) without building a Hessian, to the same tolerance as a fresh fit.
// Checked against a fresh Newton fit with the same weights and a plain-JS gradient (helpers).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogisticRegression, Matrix, RidgeRegression } from '../src/index.ts';
import { lehmer, refGradient } from './helpers.ts';

// Bag-of-words-like data: about 6% nonzeros (log counts), weak regularisation, so removing a few
// percent moves theta far enough that plain chord steps would need Newton's help.
function bagOfWords(n: number, d: number, seed: number): { X: Matrix; y: Float64Array } {
  const rnd = lehmer(seed);
  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = -0.2;
    for (let j = 0; j < d; j++) {
      if (rnd() < 0.06) {
        const v = Math.log(1 + Math.ceil(3 * rnd()));
        X[i * d + j] = v;
        z += (j % 3 === 0 ? 1.2 : j % 3 === 1 ? -0.9 : 0.1) * v;
      }
    }
    y[i] = rnd() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { X: new Matrix(X, n, d), y };
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let k = 0; k < a.length; k++) {
    num = Math.max(num, Math.abs(a[k]! - b[k]!));
    den = Math.max(den, Math.abs(b[k]!));
  }
  return num / den;
}

const norm = (v: ArrayLike<number>): number => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

for (const fraction of [0.01, 0.05]) {
  test(`logistic refit without ${fraction * 100}% of a sparse data set: Newton-Krylov, equal to a fresh fit`, async () => {
    const { X, y } = bagOfWords(600, 80, 7);
    const model = await LogisticRegression.fit(X, y, { lambda: 0.05 });
    const removed = Array.from({ length: Math.round(fraction * 600) }, (_, j) => (j * 37 + 5) % 600);
    const refit = await model.refit({ exclude: removed }, { keepHessian: false });
    const d = refit.diagnostics;
    assert.equal(d.newtonIterations, 0, 'no Hessian was built');
    assert.ok(d.krylovIterations! > 0);
    assert.equal(d.stoppedBy, 'tolerance');
    assert.ok(d.gradientNorm <= 1e-14 * d.gradientScale, `||grad|| ${d.gradientNorm}, scale ${d.gradientScale}`);
    const w = new Float64Array(600).fill(1);
    for (const i of removed) w[i] = 0;
    const fresh = await LogisticRegression.fit(X, y, { lambda: 0.05, sampleWeights: w });
    assert.ok(
      maxRelDiff(refit.theta, fresh.theta) <= 1e-10,
      `refit vs fresh fit ${maxRelDiff(refit.theta, fresh.theta)}`,
    );
    const g = refGradient({ kind: 'logistic', X, y, w, lambda: 0.05, intercept: true }, refit.theta);
    assert.ok(norm(g) <= 1e-12 * d.gradientScale, `plain-JS ||grad|| ${norm(g)}`);
  });
}

test('half-subset reweighting (LDS ground truth) and dense ridge refits agree with fresh fits', async () => {
  const { X, y } = bagOfWords(400, 60, 9);
  const model = await LogisticRegression.fit(X, y, { lambda: 0.1 });
  const w = Float64Array.from({ length: 400 }, (_, i) => ((i * 7919) % 13 < 6 ? 0 : 1));
  const refit = await model.refit({ weights: w }, { keepHessian: false });
  const fresh = await LogisticRegression.fit(X, y, { lambda: 0.1, sampleWeights: w });
  assert.ok(
    maxRelDiff(refit.theta, fresh.theta) <= 1e-10,
    `refit vs fresh fit ${maxRelDiff(refit.theta, fresh.theta)}`,
  );
  assert.ok(refit.diagnostics.gradientNorm <= 1e-14 * refit.diagnostics.gradientScale);

  const dense = Matrix.fromArrays(
    Array.from({ length: 200 }, (_, i) => [Math.sin(i), Math.cos(3 * i), (i % 7) / 7, 1 / (1 + i)]),
  );
  const t = Float64Array.from({ length: 200 }, (_, i) => Math.sin(i) - 2 * Math.cos(3 * i) + 0.1 * Math.sin(17 * i));
  const ridge = await RidgeRegression.fit(dense, t, { lambda: 0.5 });
  const rw = Float64Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 0 : i % 3 === 1 ? 2 : 1));
  const rr = await ridge.refit({ weights: rw });
  const rf = await RidgeRegression.fit(dense, t, { lambda: 0.5, sampleWeights: rw });
  assert.ok(maxRelDiff(rr.theta, rf.theta) <= 1e-11, `ridge refit vs fresh fit ${maxRelDiff(rr.theta, rf.theta)}`);
});
