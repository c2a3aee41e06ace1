// The determinism README states: a binary GLM with at most 128 parameters is fitted, and its
// Daunce copies trained, to the same bits whatever OPENBLAS_NUM_THREADS is; larger models are
// bit-identical at the same thread count and agree to rounding across thread counts; softmax
// copies from the same theta_0 are bit-identical across thread counts. Checked in child
// processes, since OpenBLAS reads the variable when it loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { report, runSnippet } from './child.ts';

const SNIPPET = (n: number, d: number) => `
import { createHash } from 'node:crypto';
import { daunce, LogisticRegression, Matrix } from 'tdakit';
import { nativeAddon } from 'tdakit/src/native.ts';
import { seededRandom } from 'tdakit/src/random.ts';
const hex = (a) => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
const n = ${n}, d = ${d};
const r = seededRandom(1);
const X = Float64Array.from({ length: n * d }, () => r() * 2 - 1);
const y = Float64Array.from({ length: n }, (_, i) => (r() < 1 / (1 + Math.exp(-3 * X[i * d])) ? 1 : 0));
const model = await LogisticRegression.fit(new Matrix(X, n, d), y, { lambda: 1 });
const run = await daunce({ model, queries: { X: new Matrix(X.slice(0, 4 * d), 4, d), y: y.slice(0, 4) }, K: 4 });
const scores = await run.scores('covariance');
console.log(JSON.stringify({ threads: nativeAddon().blasInfo().threads, theta: Array.from(model.theta), thetaHash: hex(model.theta), scoresHash: hex(scores) }));
`;

function runWith(threads: number, n: number, d: number) {
  const r = runSnippet(SNIPPET(n, d), { timeoutMs: 300_000, env: { OPENBLAS_NUM_THREADS: String(threads) } });
  assert.equal(r.status, 0, r.stderr);
  return report<{ threads: number; theta: number[]; thetaHash: string; scoresHash: string }>(r);
}

test('a 101-parameter logistic fit and its Daunce copies are bit-identical with OPENBLAS_NUM_THREADS = 1 and 2', () => {
  // Large enough that OpenBLAS splits its level-2 calls between threads.
  const one = runWith(1, 20000, 100),
    two = runWith(2, 20000, 100);
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  assert.equal(one.thetaHash, two.thetaHash);
  assert.equal(one.scoresHash, two.scoresHash);
  assert.deepEqual(runWith(2, 20000, 100).scoresHash, two.scoresHash);
});

test('copies with few rows per parameter (damped Newton, 300 rows for 121 parameters) are bit-identical with OPENBLAS_NUM_THREADS = 1 and 2', () => {
  const one = runWith(1, 1000, 120),
    two = runWith(2, 1000, 120);
  assert.equal(one.thetaHash, two.thetaHash);
  assert.equal(one.scoresHash, two.scoresHash);
});

test('a 401-parameter fit: bit-identical at the same thread count, within a few ulps across thread counts', () => {
  const one = runWith(1, 3000, 400),
    two = runWith(2, 3000, 400);
  assert.equal(runWith(2, 3000, 400).thetaHash, two.thetaHash);
  const scale = Math.max(...one.theta.map(Math.abs));
  const diff = Math.max(...one.theta.map((v, k) => Math.abs(v - two.theta[k]!)));
  assert.ok(diff <= 64 * Number.EPSILON * scale, `max |theta(1 thread) - theta(2 threads)| = ${diff} (scale ${scale})`);
});

const SOFTMAX_COPIES = `
import { createHash } from 'node:crypto';
import { selectBackend } from 'tdakit';
import { nativeAddon } from 'tdakit/src/native.ts';
import { seededRandom } from 'tdakit/src/random.ts';
const hex = (a) => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
// 3,000 x 60, 4 classes: copies of 900 rows for 183 parameters (damped Newton) from a fixed theta_0.
const n = 3000, d = 60, C = 4, P = (C - 1) * (d + 1);
const r = seededRandom(2);
const x = Float64Array.from({ length: n * d }, () => r() * 2 - 1);
const y = Float64Array.from({ length: n }, (_, i) => Math.min(C - 1, Math.floor((x[i * d] + 1) * C / 2)));
const theta0 = Float64Array.from({ length: P }, () => 0.1 * (r() - 0.5));
const rows = new Uint32Array(4 * 900).map((_, j) => (j * 7 + Math.floor(j / 900) * 13) % n);
const backend = await selectBackend('cpu');
const out = await backend.multinomialCopies({ x, n, d, intercept: true, classes: C, y, objective: 'crossEntropy', lambda: 1 / n,
  theta0, sizes: Uint32Array.of(900, 900, 900, 900), rows, weights: new Float64Array(3600).fill(1 / 900),
  coef: Float64Array.from({ length: 3600 * (C - 1) }, () => 1e-4 * (r() - 0.5)),
  qx: x.subarray(0, 10 * d), qn: 10, qd: d, qintercept: true, queryLabels: y.subarray(0, 10), referenceWeight: 1 / n,
  precondition: true, threads: 2, tol: 1e-14, maxIter: 100 });
console.log(JSON.stringify({ threads: nativeAddon().blasInfo().threads, hash: hex(out.theta) + hex(out.trainLoss) }));
`;

test('softmax copies from the same theta_0 are bit-identical with OPENBLAS_NUM_THREADS = 1 and 2', () => {
  const run = (threads: number) => {
    const r = runSnippet(SOFTMAX_COPIES, { timeoutMs: 300_000, env: { OPENBLAS_NUM_THREADS: String(threads) } });
    assert.equal(r.status, 0, r.stderr);
    return report<{ threads: number; hash: string }>(r);
  };
  const one = run(1),
    two = run(2);
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  assert.equal(one.hash, two.hash);
});
