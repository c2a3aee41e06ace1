// Softmax fits and half-subset retrains by Newton-Krylov steps (the cross-entropy Hessian-vector
// products of native/glm/multinomial_hessian.cc) against independent computations: plain Newton
// fits (krylovSteps off: a Hessian build per step), the gradient recomputed in plain JS, and the
// same retrain in child processes with OPENBLAS_NUM_THREADS = 1 and 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Matrix, SoftmaxRegression } from '../src/index.ts';
import { nativeAddon } from '../src/native.ts';
import { seededRandom } from '../src/random.ts';
import { report, runSnippet } from './child.ts';

const n = 1200,
  d = 12,
  C = 5,
  lambda = 0.5;

function data() {
  const r = seededRandom(5);
  const x = Float64Array.from({ length: n * d }, () => r() * 2 - 1);
  const y = Float64Array.from({ length: n }, (_, i) => {
    let best = 0,
      top = -Infinity;
    for (let c = 0; c < C; ++c) {
      const z = 2 * x[i * d + c]! - x[i * d + c + 1]! + 0.7 * (r() - 0.5);
      if (z > top) {
        top = z;
        best = c;
      }
    }
    return best;
  });
  return { x, y };
}

/** max |grad F| / sum_i w_i ||a_i|| by plain loops (reference class C - 1, intercept last, unpenalised). */
function relativeGradient(theta: Float64Array, x: Float64Array, y: Float64Array, w: Float64Array): number {
  const p = d + 1,
    K = C - 1;
  const g = new Float64Array(K * p);
  let scale = 0;
  for (let i = 0; i < n; ++i) {
    if (w[i] === 0) continue;
    const a = [...x.subarray(i * d, (i + 1) * d), 1];
    const z = Array.from({ length: K }, (_, c) => a.reduce((s, v, k) => s + v * theta[c * p + k]!, 0));
    const m = Math.max(0, ...z);
    const denominator = Math.exp(-m) + z.reduce((s, v) => s + Math.exp(v - m), 0);
    for (let c = 0; c < K; ++c) {
      const residual = Math.exp(z[c]! - m) / denominator - (y[i] === c ? 1 : 0);
      for (let k = 0; k < p; ++k) g[c * p + k]! += w[i]! * residual * a[k]!;
    }
    scale += w[i]! * Math.sqrt(a.reduce((s, v) => s + v * v, 0));
  }
  for (let c = 0; c < K; ++c) for (let k = 0; k < d; ++k) g[c * p + k]! += lambda * theta[c * p + k]!;
  return Math.max(...g.map(Math.abs)) / scale;
}

test('softmax fit and half-subset retrain by Newton-Krylov steps equal plain Newton and zero the plain-JS gradient', async () => {
  const { x, y } = data();
  const addon = nativeAddon();
  const base = { x, n, d, intercept: true, classes: C, y, lambda, tol: 1e-14, maxIter: 100, keepHessian: false };
  const ones = new Float64Array(n).fill(1);
  const half = Float64Array.from({ length: n }, (_, i) => ((i * 7919) % 2 === 0 ? 1 : 0));
  const model = await SoftmaxRegression.fit(new Matrix(x, n, d), y, { lambda, classes: C });
  for (const [weights, theta0] of [
    [ones, undefined],
    [half, model.theta],
  ] as const) {
    const start = theta0 ? { theta0 } : {};
    const krylov = await addon.multinomialFit({ ...base, weights, ...start, krylovSteps: true });
    const plain = await addon.multinomialFit({ ...base, weights, ...start, krylovSteps: false });
    assert.ok(krylov.krylovIterations > 0, 'Newton-Krylov steps taken');
    assert.equal(plain.krylovIterations, 0);
    assert.ok(krylov.gradientNorm <= 1e-14 * krylov.gradientScale || krylov.stoppedBy === 'rounding-floor');
    const top = Math.max(...plain.theta.map(Math.abs));
    const diff = Math.max(...plain.theta.map((v, k) => Math.abs(v - krylov.theta[k]!)));
    assert.ok(diff <= 1e-10 * top, `|theta(krylov) - theta(newton)| = ${diff} (scale ${top})`);
    const g = relativeGradient(krylov.theta, x, y, weights);
    assert.ok(g < 1e-13, `plain-JS max |grad| / scale = ${g}`);
  }
  // SoftmaxRegression.retrain takes the same path (weights 0/1 on the rows).
  const subset = Array.from({ length: n }, (_, i) => i).filter((i) => half[i] === 1);
  const retrained = await model.retrain({ subset });
  assert.ok(relativeGradient(retrained.theta, x, y, half) < 1e-13);
});

const SNIPPET = `
import { createHash } from 'node:crypto';
import { nativeAddon } from 'tdakit/src/native.ts';
import { seededRandom } from 'tdakit/src/random.ts';
const hex = (a) => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
const n = 3000, d = 30, C = 6;
const r = seededRandom(9);
const x = Float64Array.from({ length: n * d }, () => r() * 2 - 1);
const y = Float64Array.from({ length: n }, (_, i) => Math.min(C - 1, Math.floor((x[i * d] + x[i * d + 1] + 2) * C / 4)));
const addon = nativeAddon();
const base = { x, n, d, intercept: true, classes: C, y, lambda: 1, tol: 1e-14, maxIter: 100, keepHessian: false };
const full = await addon.multinomialFit(base);
const weights = Float64Array.from({ length: n }, (_, i) => (i * 31) % 2);
const sub = await addon.multinomialFit({ ...base, weights, theta0: full.theta });
console.log(JSON.stringify({ threads: addon.blasInfo().threads, products: sub.krylovIterations, theta: Array.from(sub.theta), hash: hex(sub.theta) }));
`;

test('a Newton-Krylov softmax retrain: bit-identical at the same thread count, within rounding across OPENBLAS_NUM_THREADS = 1 and 2', () => {
  const run = (threads: number) => {
    const r = runSnippet(SNIPPET, { timeoutMs: 120_000, env: { OPENBLAS_NUM_THREADS: String(threads) } });
    assert.equal(r.status, 0, r.stderr);
    return report<{ threads: number; products: number; theta: number[]; hash: string }>(r);
  };
  const one = run(1),
    two = run(2);
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  assert.ok(two.products > 0, 'the retrain takes Newton-Krylov steps');
  assert.equal(run(2).hash, two.hash);
  const scale = Math.max(...one.theta.map(Math.abs));
  const diff = Math.max(...one.theta.map((v, k) => Math.abs(v - two.theta[k]!)));
  assert.ok(diff <= 64 * Number.EPSILON * scale, `max |theta(1 thread) - theta(2 threads)| = ${diff} (scale ${scale})`);
  console.log(`1 vs 2 threads: ${one.hash === two.hash ? 'bit-identical' : `max difference ${diff}`}`);
});
