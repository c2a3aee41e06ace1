// The refit cache (issue 14, 5% removal): the refits of one model share what the native side
// derives from its training matrix and reference factor (X's sparse rows and row norms, the
// float32 factor), built by the first refit. A refit that uses it must equal one that builds
// everything itself bit for bit, whether the cache is new, reused, or handed a design it was not
// built for; the result must zero a gradient computed here in plain JS; and the handle is checked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogisticRegression, Matrix, resolveBackend } from '../src/index.ts';
import { lehmer, refGradient } from './helpers.ts';

// Sparse counts (about 8% nonzeros), so the objective keeps X's rows sparse.
function sparseData(n: number, d: number, seed: number): { X: Matrix; y: Float64Array } {
  const rnd = lehmer(seed);
  const X = new Float64Array(new SharedArrayBuffer(n * d * 8));
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = -0.3;
    for (let j = 0; j < d; j++) {
      if (rnd() < 0.08) {
        X[i * d + j] = 1 + Math.floor(3 * rnd());
        z += (j % 2 === 0 ? 0.8 : -0.6) * X[i * d + j]!;
      }
    }
    y[i] = rnd() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { X: new Matrix(X, n, d), y };
}

const sameBits = (a: Float64Array, b: Float64Array) =>
  a.length === b.length &&
  Buffer.compare(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  ) === 0;

test('refits with a refit cache (new, reused, or given another design) equal refits without one bit for bit', async () => {
  const { X, y } = sparseData(500, 60, 3);
  const lambda = 0.05;
  const model = await LogisticRegression.fit(X, y, { lambda });
  const f = await model.factorization();
  const backend = resolveBackend('cpu');
  const n = X.rows;
  const p = X.cols + 1;
  // Removing 5%: coef_j = -w_j l''(a_j^T theta) at the reference optimum, computed here.
  const removed = Array.from({ length: 25 }, (_, j) => (j * 19 + 4) % n);
  const weights = new Float64Array(n).fill(1);
  const coef = removed.map((i) => {
    weights[i] = 0;
    let z = model.theta[X.cols]!;
    for (let k = 0; k < X.cols; k++) z += X.data[i * X.cols + k]! * model.theta[k]!;
    const s = 1 / (1 + Math.exp(-z));
    return -s * (1 - s);
  });
  const hessian = new Float64Array(new SharedArrayBuffer(p * p * 8));
  hessian.set(f.hessian);
  const factor = new Float64Array(new SharedArrayBuffer(p * p * 8));
  factor.set(f.factor);
  const problem = {
    x: X.data,
    n,
    d: X.cols,
    intercept: true,
    family: 'logistic' as const,
    y,
    weights,
    lambda,
    tol: 1e-14,
    maxIter: 100,
    thetaStart: model.theta,
    hessian,
    factor,
    rows: Uint32Array.from(removed),
    coef: Float64Array.from(coef),
    shift: 0,
  };
  const plain = await backend.refit(problem);
  const cache = backend.refitCache();
  const first = await backend.refit({ ...problem, cache });
  const reused = await backend.refit({ ...problem, cache });
  // X and the factor copied out of shared memory: the cache must not serve them its summary.
  const copied = await backend.refit({ ...problem, x: X.data.slice(), factor: f.factor.slice(), cache });
  // Another shared X of the same shape (one column doubled) with the same cache: the cache keeps
  // the first X's summary and must not serve it here.
  const x2 = new Float64Array(new SharedArrayBuffer(X.data.byteLength));
  x2.set(X.data);
  for (let i = 0; i < n; i++) x2[i * X.cols + 1]! *= 2;
  const other = await backend.refit({ ...problem, x: x2, cache });
  const otherPlain = await backend.refit({ ...problem, x: x2 });
  assert.ok(sameBits(other.theta, otherPlain.theta), 'another shared X: equal to its refit without a cache');
  assert.ok(!sameBits(other.theta, plain.theta), 'another shared X gives another optimum');
  for (const [name, r] of [
    ['new cache', first],
    ['reused cache', reused],
    ['unshared design', copied],
  ] as const) {
    assert.ok(sameBits(r.theta, plain.theta), `${name}: theta equals the refit without a cache bit for bit`);
  }
  assert.equal(plain.newtonIterations, 0);
  assert.ok(plain.krylovIterations > 0);
  const g = refGradient({ kind: 'logistic', X, y, w: weights, lambda, intercept: true }, reused.theta);
  const gn = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
  assert.ok(gn <= 1e-12, `plain-JS gradient at the cached refit: ${gn}`);

  // The model's own refits use one cache: the second reuses it and gives the same bits.
  const viaModel = await model.refit({ exclude: removed }, { keepHessian: false });
  const again = await model.refit({ exclude: removed }, { keepHessian: false });
  assert.ok(sameBits(viaModel.theta, again.theta));
  assert.ok(sameBits(viaModel.theta, plain.theta), 'the model refit equals the backend refit');

  await assert.rejects(
    async () => backend.refit({ ...problem, cache: {} as ReturnType<typeof backend.refitCache> }),
    (e: Error) => e instanceof TypeError && /'cache'/.test(e.message),
  );
});
