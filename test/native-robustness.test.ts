/**
 * Native robustness (issue 16, items 1, 2, 5, 11): calls that used to kill the process
 * (SIGABRT/SIGSEGV) run in a child process here; each test asserts that the child survives
 * (exit 0, no signal) and that the offending call ended in a clear Error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const index = pathToFileURL(join(root, 'src', 'index.ts')).href;
const addonPath = join(root, 'build', 'Release', 'tdakit_native.node');

/** Runs a TypeScript module in a fresh Node process; returns its status, signal and output. */
function runChild(source: string, timeoutMs = 240_000): { status: number | null; signal: string | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tdakit-robust-'));
  try {
    const file = join(dir, 'child.mts');
    writeFileSync(file, source);
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      encoding: 'utf8',
      timeout: timeoutMs,
    });
    return { status: r.status, signal: r.signal, out: `${r.stdout}\n${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function assertSurvived(r: { status: number | null; signal: string | null; out: string }): void {
  assert.equal(r.signal, null, `child killed by ${r.signal}:\n${r.out}`);
  assert.equal(r.status, 0, `child exited ${r.status}:\n${r.out}`);
}

// The child prints "<label>: <ErrorName> <message>" for each case that rejected.
const reportHelper = `
async function report(label: string, run: () => Promise<unknown> | unknown): Promise<void> {
  try {
    await run();
    console.log(label + ': resolved');
  } catch (err) {
    const e = err as Error;
    console.log(label + ': ' + e.name + ' ' + e.message.replace(/\\n/g, ' '));
  }
}
`;

test('a worker_threads Worker terminated, or calling process.exit(), with native jobs pending does not abort the process', () => {
  const r = runChild(`
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
const workerSource = \`
  const { parentPort, workerData } = require('node:worker_threads');
  const a = require(workerData.addon);
  const n = 4000, d = 60;
  const x = new Float64Array(n * d).map(() => Math.random() - 0.5);
  const y = new Float64Array(n).map(() => (Math.random() < 0.5 ? 0 : 1));
  for (let j = 0; j < 6; j++) {
    a.fit({ family: a.codes.family.logistic, x, n, d, intercept: true, y, lambda: 1, tol: 1e-12, maxIter: 50 }).catch(() => {});
    a.dgemmRate({ size: 300, reps: 3 }).catch(() => {});
    // The multiclass kernels run as the same teardown-safe jobs.
    a.multinomialHessian({ x, n, d, intercept: true, classes: 3, y: y.map((v, i) => (v + i) % 3), lambda: 1, theta: new Float64Array(2 * (d + 1)) }).catch(() => {});
  }
  parentPort.postMessage('pending');
  if (workerData.exit) process.exit(3);
\`;
for (let round = 0; round < 6; round++) {
  const exit = round % 2 === 1;
  const w = new Worker(workerSource, { eval: true, workerData: { addon: ${JSON.stringify(addonPath)}, exit } });
  await new Promise<void>((resolve, reject) => {
    w.on('error', reject);
    w.on('message', () => { if (!exit) void w.terminate(); });
    w.on('exit', () => resolve());
  });
}
// The main thread still works afterwards.
const a = createRequire(import.meta.url)(${JSON.stringify(addonPath)});
const rate = await a.dgemmRate({ size: 64, reps: 1 });
console.log('alive', rate > 0);
`);
  assertSurvived(r);
  assert.match(r.out, /alive true/);
});

test('allocation failures and absurd sizes are catchable RangeErrors, never an abort', () => {
  const r = runChild(`
import { createRequire } from 'node:module';
import { Matrix, MultilayerPerceptron, LogisticRegression } from ${JSON.stringify(index)};
${reportHelper}
const X = Matrix.fromArrays([[0, 1], [1, 0], [1, 1], [0, 0]]);
await report('strayClass', () => MultilayerPerceptron.fit(X, [0, 1, 1, 1e15], { hidden: [4], epochs: 1 }));
await report('classes2^50', () => MultilayerPerceptron.fit(X, [0, 1, 1, 0], { hidden: [4], classes: 2 ** 50, epochs: 1 }));
await report('hidden4e9', () => MultilayerPerceptron.fit(X, [0, 1, 1, 0], { hidden: [4e9], epochs: 1 }));
await report('hidden2^32+5', () => MultilayerPerceptron.fit(X, [0, 1, 1, 0], { hidden: [2 ** 32 + 5], epochs: 1 }));
// A 4M-parameter network: per-example gradients of 5,000 rows would need 160 GB.
const d = 1000, small = new Matrix(new Float64Array(8 * d).map((_, i) => ((i * 7919) % 13) / 13 - 0.5), 8, d);
const big = await MultilayerPerceptron.fit(small, [0, 1, 0, 1, 0, 1, 0, 1], { hidden: [4000], epochs: 1, batchSize: 8 });
console.log('parameters', big.nParameters);
const rows = new Matrix(new Float64Array(5000 * d), 5000, d);
await report('gradients', () => big.gradients(rows, new Float64Array(5000)));
// A Matrix whose rows was changed after construction.
const M = Matrix.fromArrays([[1, 2], [3, 4], [5, 6]]);
(M as unknown as { rows: number }).rows = 2 ** 62;
const fitted = await LogisticRegression.fit(Matrix.fromArrays([[0, 1], [1, 0], [1, 1], [0, 0]]), [0, 1, 1, 0], { lambda: 1 });
await report('mutatedRows', () => fitted.decisionFunction(M));
// Rows and columns whose product wraps around 2^64 to the (empty) data's length.
const addon = createRequire(import.meta.url)(${JSON.stringify(addonPath)});
await report('wrappedSize', () => addon.pointwise({ family: 0, x: new Float64Array(0), n: 2 ** 32, d: 2 ** 32, intercept: false,
  theta: new Float64Array(0) }));
console.log('alive');
`);
  assertSurvived(r);
  const line = (label: string) => r.out.split('\n').find((l) => l.startsWith(`${label}:`)) ?? `${label}: (missing)`;
  assert.match(line('strayClass'), /Error .*(class|label|classes|memory|parameters)/i);
  assert.match(line('classes2^50'), /RangeError .*(parameters|memory|classes)/i);
  assert.match(line('hidden4e9'), /RangeError .*(memory|parameters)/i);
  assert.match(line('hidden2^32+5'), /RangeError .*options\.hidden/);
  assert.match(r.out, /parameters 40\d{5}/);
  assert.match(line('gradients'), /RangeError .*memory/i);
  assert.match(line('mutatedRows'), /RangeError .*'n'/);
  assert.match(
    line('wrappedSize'),
    /RangeError .*'x' \(n x d\): 4294967296 x 4294967296 elements is more than an array can hold/,
  );
  assert.match(r.out, /alive/);
});

test('transferring or shrinking an input buffer while a call is pending is safe (the call owns a copy)', () => {
  const r = runChild(`
import { createRequire } from 'node:module';
const a = createRequire(import.meta.url)(${JSON.stringify(addonPath)});
const n = 3000, d = 40;
const fill = (x: Float64Array) => { for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37) ; return x; };
const y = new Float64Array(n).map((_, i) => (Math.sin(i) > 0 ? 1 : 0));
const args = (x: Float64Array) => ({ family: a.codes.family.logistic, x, n, d, intercept: true, y, lambda: 1, tol: 1e-12, maxIter: 50 });
const reference = await a.fit(args(fill(new Float64Array(n * d))));
// Transferred: the original buffer is detached while the fit runs; its memory then belongs to (and is freed with) the clone.
let x = fill(new Float64Array(n * d));
const pending = a.fit(args(x));
structuredClone(x.buffer, { transfer: [x.buffer] });
x = new Float64Array(0);
const transferred = await pending;
// Resizable: shrunk to nothing while the fit runs.
const buffer = new ArrayBuffer(n * d * 8, { maxByteLength: n * d * 8 });
const shrinking = a.fit(args(fill(new Float64Array(buffer))));
buffer.resize(0);
const shrunk = await shrinking;
const same = (u: Float64Array, v: Float64Array) => u.every((t, k) => t === v[k]);
console.log('transferred', same(transferred.theta, reference.theta), 'shrunk', same(shrunk.theta, reference.theta));
`);
  assertSurvived(r);
  assert.match(r.out, /transferred true shrunk true/);
});

test('enum codes come from the addon and non-integer or unknown codes are rejected', () => {
  const r = runChild(`
import { createRequire } from 'node:module';
${reportHelper}
const a = createRequire(import.meta.url)(${JSON.stringify(addonPath)});
console.log('codes', JSON.stringify(a.codes));
const base = { x: new Float64Array(4), n: 2, d: 2, intercept: false, theta: new Float64Array(2) };
await report('family1.5', () => a.pointwise({ ...base, family: 1.5 }));
await report('family3', () => a.pointwise({ ...base, family: 3 }));
await report('objective0.5', () => a.mlpTrain({ x: new Float64Array(4), n: 2, d: 2, hidden: new Uint32Array([2]), classes: 2,
  y: new Float64Array(2), theta0: new Float64Array(12), objective: 0.5, penalty: 0, epochs: 1, batchSize: 1,
  learningRate: 0.1, adam: true, momentum: 0, seed: 0 }));
`);
  assertSurvived(r);
  assert.match(
    r.out,
    /codes \{"family":\{"logistic":0,"squared":1,"logisticLossSquared":2\},"objective":\{"crossEntropy":0,"crossEntropySquared":1,"marginSquared":2\}\}/,
  );
  assert.match(r.out, /family1\.5: RangeError .*'family' = 1\.5\d* is not one of 0 \(logistic\)/);
  assert.match(r.out, /family3: RangeError .*'family' = 3/);
  assert.match(r.out, /objective0\.5: RangeError .*'objective' = 0\.5/);
});

test('SGD with learning rate 1e6 reports divergence instead of returning weights near 1e21', () => {
  const r = runChild(`
import { Matrix, MultilayerPerceptron } from ${JSON.stringify(index)};
${reportHelper}
const X = new Matrix(new Float64Array(200 * 3).map((_, i) => Math.sin(i * 1.3)), 200, 3);
const y = Array.from({ length: 200 }, (_, i) => (Math.sin(i * 3.9) > 0 ? 1 : 0));
await report('sgd1e6', () => MultilayerPerceptron.fit(X, y, { hidden: [8], optimizer: 'sgd', learningRate: 1e6, epochs: 3 }));
const ok = await MultilayerPerceptron.fit(X, y, { hidden: [8], optimizer: 'sgd', learningRate: 1e-2, epochs: 3 });
console.log('healthy', ok.theta.every(Number.isFinite));
`);
  assertSurvived(r);
  assert.match(r.out, /sgd1e6: \w*Error .*diverged/);
  assert.match(r.out, /healthy true/);
});

test('WebGPU kernels reached through selectBackend("webgpu") check lengths like the native addon', async (t) => {
  const { gpuContext } = await import('../src/backend/webgpu/device.ts');
  if (!(await gpuContext())) {
    t.skip('no WebGPU adapter on this machine');
    return;
  }
  const { selectBackend } = await import('../src/index.ts');
  const gpu = await selectBackend('webgpu');
  const design = { x: new Float64Array(6), n: 3, d: 2, intercept: true };
  await assert.rejects(async () => gpu.pointwise({ ...design, family: 'logistic', theta: new Float64Array(2) }), {
    name: 'RangeError',
    message: /'theta' has 2 elements, expected 3/,
  });
  await assert.rejects(
    async () => gpu.pointwise({ ...design, x: new Float64Array(5), family: 'logistic', theta: new Float64Array(3) }),
    { name: 'RangeError', message: /'x' has 5 elements, expected 6/ },
  );
  await assert.rejects(
    async () => gpu.pointwise({ ...design, family: 'poisson' as never, theta: new Float64Array(3) }),
    { name: 'RangeError', message: /'family' = "poisson"/ },
  );
  await assert.rejects(async () => gpu.scaledRows({ ...design, coef: new Float64Array(2) }), {
    name: 'RangeError',
    message: /'coef' has 2 elements, expected 3/,
  });
  await assert.rejects(
    async () =>
      gpu.covarianceScores({
        train: new Float64Array(5),
        n: 3,
        query: new Float64Array(4),
        m: 2,
        models: 2,
        trainMean: new Float64Array(3),
        queryMean: new Float64Array(2),
      }),
    { name: 'RangeError', message: /'train' has 5 elements, expected 6/ },
  );
  await assert.rejects(
    async () =>
      gpu.mlpLogits({
        d: 2,
        hidden: new Uint32Array([3]),
        classes: 2,
        x: new Float64Array(4),
        n: 2,
        theta: new Float64Array(5),
      }),
    { name: 'RangeError', message: /'theta' has 5 elements, expected 17/ },
  );
  await assert.rejects(
    async () =>
      gpu.covarianceScores({
        train: new Float64Array(6),
        n: 3,
        query: new Float64Array(4),
        m: 2,
        models: 2,
        trainMean: new Float64Array(3),
        queryMean: new Float64Array(2),
        k: -1,
      }),
    { name: 'RangeError', message: /'k' = -1/ },
  );
});

test('the multiclass exports check their arguments (named function and field) and reject core failures with a code', async () => {
  const { createRequire } = await import('node:module');
  const a = createRequire(import.meta.url)(addonPath);
  const x = new Float64Array([0, 1, 1, 0, 1, 1, 0, 0]);
  const base = {
    x,
    n: 4,
    d: 2,
    intercept: true,
    classes: 3,
    y: new Float64Array([0, 1, 2, 1]),
    lambda: 1,
    theta: new Float64Array(6),
  };
  assert.throws(() => a.multinomialHessian(), {
    name: 'TypeError',
    message: /tdakit native multinomialHessian: expects one options object/,
  });
  assert.throws(() => a.multinomialHessian({ ...base, y: new Float64Array([0, 1, 3, 1]) }), {
    name: 'RangeError',
    message: /multinomialHessian: 'y' holds 3\.0+ at 2, not a class id in \[0, 3\)/,
  });
  assert.throws(() => a.multinomialHessian({ ...base, theta: new Float64Array(5) }), {
    name: 'RangeError',
    message: /multinomialHessian: 'theta' has 5 elements, expected 6/,
  });
  assert.throws(
    () =>
      a.multinomialLeverageBlocks({
        x: new Float64Array(0),
        n: 2 ** 32,
        d: 2 ** 32,
        intercept: false,
        classes: 3,
        factor: new Float64Array(0),
      }),
    { name: 'RangeError', message: /multinomialLeverageBlocks: 'x' \(n x d\)/ },
  );
  assert.throws(
    () => a.multinomialLeverageBlocks({ x, n: 4, d: 2, intercept: true, classes: 1, factor: new Float64Array(0) }),
    { name: 'RangeError', message: /'classes' must be >= 2/ },
  );
  // No penalty and an unidentifiable direction (x_0 + x_1 - 1 takes one value on two rows): singular.
  const singular = { ...base, x: new Float64Array([0, 1, 0, 1, 0, 1, 0, 1]), lambda: 0 };
  await assert.rejects(
    a.multinomialHessian(singular),
    (e: Error & { code?: string }) => e.code === 'ERR_TDAKIT_NUMERIC' && /softmax Hessian is singular/.test(e.message),
  );
  const h = await a.multinomialHessian(base);
  const blocks = await a.multinomialLeverageBlocks({ x, n: 4, d: 2, intercept: true, classes: 3, factor: h.factor });
  assert.equal(blocks.length, 4 * 2 * 2);
});
