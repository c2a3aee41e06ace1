// The reference factorisation of Daunce's batched copies (issue 17): the factor a batch call
// returns is the Cholesky factor of (gamma / n) sum_i c_i(theta_0) a_i a_i^T + (lambda / n) P,
// computed here in plain JS; a trainer's later batch calls take it instead of rebuilding it and
// give the same copies bit for bit as a trainer that builds it; a bad factor is refused with the
// argument named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawPerturbation, LogisticRegression, type Matrix, SoftmaxRegression } from '../src/index.ts';
import type { Backend, CopiesBatchProblem, GlmCopiesResult } from '../src/backend/types.ts';
import { glmPerturbable } from '../src/daunce/glm-perturbable.ts';
import { softmaxPerturbable } from '../src/daunce/softmax-perturbable.ts';
import { logisticData, multiclassData, rowOf } from './helpers.ts';

const objective = { variant: 'hessian', access: 'white-box', ratio: 0.3 } as const;

/** A white-box hessian-variant trainer's options for `model` with queries `q`. */
function trainer<M>(model: M, q: { X: Matrix; y: Float64Array }) {
  return { model, queries: { X: q.X, y: q.y }, variant: 'hessian', access: 'white-box' } as const;
}

/** The model's backend with its batch calls recorded (their arguments and results). */
function recording(real: Backend, key: 'glmCopies' | 'multinomialCopies') {
  const calls: { o: CopiesBatchProblem; r: GlmCopiesResult }[] = [];
  const call = real[key] as (o: CopiesBatchProblem) => Promise<GlmCopiesResult>;
  const backend = {
    ...real,
    [key]: async (o: CopiesBatchProblem) => {
      const r = await call(o);
      calls.push({ o, r });
      return r;
    },
  } as Backend;
  return { backend, calls };
}

function sameBits(a: readonly Float64Array[], b: readonly Float64Array[]) {
  assert.equal(a.length, b.length);
  for (const [k, t] of a.entries())
    assert.ok(Buffer.from(t.buffer).equals(Buffer.from(b[k]!.buffer)), `copy ${k} differs`);
}

test('logistic copies: the returned reference factor is the Cholesky factor of the full-data curvature at theta_0, later batches reuse it, and the copies equal a rebuilt factor bit for bit', async () => {
  const n = 240,
    d = 6,
    p = d + 1;
  const { X, y } = logisticData(n, d, 3);
  const q = logisticData(5, d, 4);
  const model = await LogisticRegression.fit(X, y, { lambda: 2 });
  const real = model.backendKernels();
  const { backend, calls } = recording(real, 'glmCopies');
  model.backendKernels = () => backend;
  const pm = glmPerturbable(trainer(model, q));
  const ps = [0, 1, 2, 3, 4].map((k) => drawPerturbation(n, 0.3, 0, k));
  await pm.trainBatch!(ps.slice(0, 2), objective);
  const cached = await pm.trainBatch!(ps.slice(2), objective);
  assert.equal(calls.length, 2);
  assert.equal(calls[0]!.o.referenceFactor, undefined, 'the first call builds the factor');
  const L = calls[0]!.r.referenceFactor;
  assert.equal(L.length, p * p);
  assert.equal(calls[1]!.o.referenceFactor, L, 'the second call is given the factor of the first');

  // L L^T against (1/n) sum_i s_i (1 - s_i) a_i a_i^T + (lambda / n) P (gamma = 1), in plain JS;
  // only L's lower triangle is the factor.
  let worst = 0,
    largest = 0;
  const theta = model.theta;
  const m = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (let i = 0; i < n; i++) {
    const a = rowOf(X, i, true);
    const s = 1 / (1 + Math.exp(-a.reduce((t, v, k) => t + v * theta[k]!, 0)));
    for (let r = 0; r < p; r++) for (let c = 0; c < p; c++) m[r]![c]! += (s * (1 - s) * a[r]! * a[c]!) / n;
  }
  for (let k = 0; k < d; k++) m[k]![k]! += 2 / n;
  for (let r = 0; r < p; r++)
    for (let c = 0; c <= r; c++) {
      let llt = 0;
      for (let k = 0; k <= c; k++) llt += L[r + k * p]! * L[c + k * p]!;
      worst = Math.max(worst, Math.abs(llt - m[r]![c]!));
      largest = Math.max(largest, Math.abs(m[r]![c]!));
    }
  assert.ok(worst < 1e-13 * largest, `L L^T differs from the curvature by ${worst} (largest ${largest})`);

  model.backendKernels = () => real;
  const rebuilt = await glmPerturbable(trainer(model, q)).trainBatch!(ps.slice(2), objective);
  sameBits(cached, rebuilt);

  // A bad factor is refused, the argument named.
  const o = calls[0]!.o;
  await assert.rejects(
    async () => real.glmCopies({ ...o, referenceFactor: new Float64Array(p) } as never),
    /referenceFactor/,
  );
  const nan = L.slice();
  nan[3] = Number.NaN;
  await assert.rejects(
    async () => real.glmCopies({ ...o, referenceFactor: nan } as never),
    /'referenceFactor' holds a non-finite/,
  );
  const negative = L.slice();
  negative[p + 1] = -1;
  await assert.rejects(
    async () => real.glmCopies({ ...o, referenceFactor: negative } as never),
    /'referenceFactor' is not a Cholesky factor/,
  );
});

test('softmax copies: later batches reuse the reference factor of the first call and equal a rebuilt one bit for bit', async () => {
  const n = 300,
    C = 3;
  const { X, y } = multiclassData(n, 4, C, 5);
  const q = multiclassData(6, 4, C, 6);
  const model = await SoftmaxRegression.fit(X, y, { lambda: 1 });
  const real = model.backendKernels();
  const { backend, calls } = recording(real, 'multinomialCopies');
  model.backendKernels = () => backend;
  const pm = softmaxPerturbable(trainer(model, q));
  const ps = [0, 1, 2, 3].map((k) => drawPerturbation(n, 0.3, 0, k));
  await pm.trainBatch!(ps.slice(0, 2), objective);
  const cached = await pm.trainBatch!(ps.slice(2), objective);
  assert.equal(calls[0]!.o.referenceFactor, undefined);
  assert.equal(calls[1]!.o.referenceFactor, calls[0]!.r.referenceFactor);
  assert.equal(calls[0]!.r.referenceFactor.length, ((C - 1) * 5) ** 2);
  model.backendKernels = () => real;
  const rebuilt = await softmaxPerturbable(trainer(model, q)).trainBatch!(ps.slice(2), objective);
  sameBits(cached, rebuilt);
});
