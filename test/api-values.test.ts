/**
 * Public exports and documented options that were reachable but never checked for a value:
 * the RIF protocol's helpers (poisoning check, sweeps, summary, sizes), dataset loaders against
 * the raw package data, the objective and the tol/maxIter options, Matrix.from, readCsv,
 * resolveBackend, and groundTruth's alpha/target/signal/onProgress. References are plain JS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  AbortError,
  EVAL_METHODS,
  Influence,
  LogisticRegression,
  Matrix,
  NumericError,
  groundTruth,
  readCsv,
  resolveBackend,
  slopeThroughOrigin,
} from '../src/index.ts';
import { loadDataset, loadMnist, loadMnistPair } from '../src/datasets/index.ts';
import {
  BENCHMARK_METRICS,
  benchmarkRemoval,
  defaultSizes,
  poisoningCheck,
  summarize,
  sweep,
} from '../src/protocols/rif/index.ts';
import {
  dot,
  logisticData,
  maxAbs,
  refGradient,
  refHessian,
  refObjective,
  refPointwise,
  rowOf,
  solveDense,
} from './helpers.ts';

const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol * (1 + Math.abs(b));

test('poisoningCheck: actual = clean minus poisoned logit (fresh fits), IF and RIF = dense JS single-removal solves', async () => {
  const data = { name: 'synthetic', ...logisticData(90, 3, 201) };
  const rows = await poisoningCheck({ data, lambda: 0.5, count: 3, seed: 4, testFraction: 0.2 });
  assert.equal(rows.length, 3);
  // The protocol's split, recomputed: the poisons are test rows; the clean model sees the training rows only.
  const { splitIndices } = await import('../src/protocols/rif/index.ts');
  const { trainIdx } = splitIndices(90, 0.2, 4);
  const Xc = data.X.selectRows(trainIdx),
    yc = Float64Array.from(trainIdx, (i) => data.y[i]!);
  const clean = await LogisticRegression.fit(Xc, yc, { lambda: 0.5 });
  for (const r of rows) {
    const x = Array.from(data.X.row(r.testIndex));
    const flipped = 1 - data.y[r.testIndex]!;
    // The poisoned model: a fresh fit with the flipped point appended.
    const Xp = Matrix.fromArrays([...Array.from({ length: Xc.rows }, (_, i) => Xc.row(i)), x]);
    const yp = Float64Array.from([...yc, flipped]);
    const poisoned = await LogisticRegression.fit(Xp, yp, { lambda: 0.5 });
    const a = [...x, 1];
    assert.ok(close(r.actual, dot(a, clean.theta) - dot(a, poisoned.theta), 1e-8), `actual ${r.actual}`);
    const pr = { kind: 'logistic' as const, X: Xp, y: yp, lambda: 0.5, intercept: true };
    const H = refHessian(pr, poisoned.theta);
    const pw = refPointwise('logistic', dot(a, poisoned.theta), flipped);
    const g = a.map((v) => pw.slope * v);
    const h = pw.curv * dot(a, solveDense(H, a));
    assert.ok(close(r.leverage, h, 1e-9), `leverage ${r.leverage} vs ${h}`);
    assert.ok(close(r.if, dot(a, solveDense(H, g)), 1e-8), `IF ${r.if}`);
    assert.ok(close(r.rif, dot(a, solveDense(H, g)) / (1 - h), 1e-8), `RIF ${r.rif}`);
  }
});

test('summarize: slope, Pearson, Spearman and median relative error of constructed records (closed forms)', () => {
  const actual = [1, -2, 3, 0.5, -4];
  const records = actual.map((v, s) => ({
    strategy: 'random',
    sizeIndex: s,
    size: s + 1,
    metric: 'test-loss' as const,
    actual: { nonlinear: v, linear: v },
    if: { nonlinear: 0.5 * v, linear: 0.5 * v },
    rif: { nonlinear: 2 * v, linear: 2 * v + (s === 0 ? 1 : 0) },
    ns: { nonlinear: v * v * v, linear: v },
  }));
  const rows = summarize(records as unknown as Parameters<typeof summarize>[0]);
  const row = (method: string, effect: string) =>
    rows.find((r) => r.method === method && r.effect === effect && r.metric === 'test-loss')!;
  assert.equal(rows.length, 6);
  assert.ok(close(row('if', 'nonlinear').slope, 0.5, 1e-15));
  assert.ok(close(row('if', 'nonlinear').pearson, 1, 1e-15));
  assert.ok(close(row('if', 'nonlinear').medianRelativeError, 0.5, 1e-15));
  assert.ok(close(row('rif', 'nonlinear').slope, 2, 1e-15));
  // rif linear: 2a + [1, 0, 0, 0, 0]: slope = (2 sum a^2 + a_0) / sum a^2.
  const sxx = actual.reduce((s, v) => s + v * v, 0);
  assert.ok(close(row('rif', 'linear').slope, (2 * sxx + 1) / sxx, 1e-14));
  // ns nonlinear = a^3 is monotone in a: Spearman 1, Pearson below 1.
  assert.ok(close(row('ns', 'nonlinear').spearman, 1, 1e-15));
  assert.ok(row('ns', 'nonlinear').pearson < 0.99);
  assert.equal(row('ns', 'nonlinear').count, 5);
});

test('slopeThroughOrigin and defaultSizes follow their closed forms; BENCHMARK_METRICS and EVAL_METHODS list the documented names', () => {
  assert.ok(close(slopeThroughOrigin([1, 2, 3], [2, 3, 7]), (2 + 6 + 21) / 14, 1e-15));
  assert.ok(Number.isNaN(slopeThroughOrigin([0, 0], [1, 2])));
  const sizes = defaultSizes();
  assert.equal(sizes.length, 40);
  assert.ok(close(sizes[0]!, 0.001, 1e-12) && close(sizes[39]!, 0.05, 1e-12));
  const ratio = sizes[1]! / sizes[0]!;
  for (let s = 1; s < 40; s++) assert.ok(close(sizes[s]! / sizes[s - 1]!, ratio, 1e-12), 'log-spaced');
  assert.ok(close(ratio ** 39, 50, 1e-10));
  assert.deepEqual([...BENCHMARK_METRICS], ['test-prediction', 'test-loss', 'self-loss']);
  for (const m of ['if', 'rif', 'daunce', 'trak', 'random'])
    assert.ok((EVAL_METHODS as readonly string[]).includes(m), m);
});

test('sweep over lambda: each row is the self-loss agreement of a benchmark run at that lambda', async () => {
  const data = { name: 'synthetic', ...logisticData(160, 4, 211) };
  const base = {
    data,
    lambda: 1,
    seed: 3,
    sizes: [0.01, 0.03, 0.06],
    strategies: ['random' as const, 'highest-loss' as const],
    metrics: ['self-loss' as const],
  };
  const rows = await sweep('lambda', [0.3, 3], base);
  assert.equal(rows.length, 6);
  for (const lambda of [0.3, 3]) {
    const run = await benchmarkRemoval({ ...base, lambda });
    const recs = run.records.filter((r) => r.metric === 'self-loss');
    const actual = recs.map((r) => r.actual.nonlinear);
    for (const method of ['if', 'rif', 'ns'] as const) {
      const pred = recs.map((r) => r[method].nonlinear);
      const slope = dot(actual, pred) / dot(actual, actual);
      const row = rows.find((r) => r.value === lambda && r.method === method.toUpperCase())!;
      assert.ok(close(row.slope, slope, 1e-12), `lambda ${lambda} ${method}: ${row.slope} vs ${slope}`);
    }
  }
});

test('MNIST loaders return the raw digits of the mnist package, in digit order', async () => {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('mnist/package.json'));
  const raw = (d: number) =>
    (JSON.parse(readFileSync(join(root, 'src', 'digits', `${d}.json`), 'utf8')) as { data: number[] }).data;
  const four = raw(4),
    nine = raw(9);
  const pair = await loadMnistPair({ negative: 4, positive: 9 });
  assert.equal(pair.X.rows, (four.length + nine.length) / 784);
  assert.equal(pair.X.cols, 784);
  for (const k of [0, 391, four.length - 1]) assert.equal(pair.X.data[k], four[k]);
  for (const k of [0, 5000, nine.length - 1]) assert.equal(pair.X.data[four.length + k], nine[k]);
  assert.equal(pair.y[0], 0);
  assert.equal(pair.y[pair.y.length - 1], 1);
  assert.equal(
    pair.y.reduce((s, v) => s + v, 0),
    nine.length / 784,
  );
  const all = await loadMnist();
  let offset = 0;
  for (let d = 0; d < 10; d++) {
    const digits = raw(d);
    assert.equal(all.X.data[offset * 784 + 100], digits[100]);
    assert.equal(all.y[offset], d);
    offset += digits.length / 784;
  }
  assert.equal(all.X.rows, offset);
  const viaName = await loadDataset('mnist-4-9');
  assert.deepEqual(viaName.y, pair.y);
  await assert.rejects(loadDataset('no-such-set'), /unknown dataset 'no-such-set'/);
});

test('loadDataset and readCsv read a CSV file to the values written; Matrix.from keeps row-major order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tdakit-api-'));
  const file = join(dir, 'd.csv');
  writeFileSync(file, 'a,b,label\n1.5,-2,0\n3,4.25,1\n-0.5,6,1\n');
  const set = await loadDataset(file, { label: 'label' });
  assert.deepEqual(Array.from(set.X.data), [1.5, -2, 3, 4.25, -0.5, 6]);
  assert.deepEqual(Array.from(set.y), [0, 1, 1]);
  const t = await readCsv(file);
  assert.deepEqual(t.columns, ['a', 'b', 'label']);
  assert.equal(t.rows, 3);
  assert.deepEqual(Array.from(t.data), [1.5, -2, 0, 3, 4.25, 1, -0.5, 6, 1]);
  const M = Matrix.from([1, 2, 3, 4, 5, 6], 2, 3);
  assert.equal(M.get(1, 0), 4);
  assert.equal(M.get(0, 2), 3);
  assert.equal(resolveBackend('cpu').name, 'cpu');
});

test('objective() equals the plain-JS objective; tol bounds the final gradient; maxIter too small is a NumericError', async () => {
  const { X, y } = logisticData(80, 5, 221);
  const model = await LogisticRegression.fit(X, y, { lambda: 0.7 });
  const pr = { kind: 'logistic' as const, X, y, lambda: 0.7, intercept: true };
  assert.ok(close(model.objective(), refObjective(pr, model.theta), 1e-13));
  const loose = await LogisticRegression.fit(X, y, { lambda: 0.7, tol: 1e-4 });
  const g = maxAbs(refGradient(pr, loose.theta));
  assert.ok(g <= 1e-4 * loose.diagnostics.gradientScale, `||grad|| ${g} above tol x scale`);
  assert.ok(
    loose.diagnostics.newtonIterations + loose.diagnostics.chordIterations <=
      model.diagnostics.newtonIterations + model.diagnostics.chordIterations,
  );
  await assert.rejects(
    LogisticRegression.fit(X, y, { lambda: 0.7, maxIter: 1 }),
    (e: Error) => e instanceof NumericError && /did not converge in 1 iteration/.test(e.message),
  );
});

test('groundTruth: alpha sets the subset size, target logit equals fresh fits on each subset, onProgress and signal are honoured', async () => {
  const { X, y } = logisticData(40, 3, 231);
  const model = await LogisticRegression.fit(X, y, { lambda: 1 });
  const queries = logisticData(2, 3, 232);
  const seen: number[] = [];
  const truth = await groundTruth({
    model,
    queries,
    subsets: 3,
    alpha: 0.3,
    target: 'logit',
    seed: 5,
    onProgress: (done) => seen.push(done),
  });
  assert.deepEqual(seen.slice(-1), [3]);
  for (const [j, S] of truth.subsets.entries()) {
    assert.equal(S.length, Math.ceil(0.3 * 40));
    const idx = Array.from(S);
    const fresh = await LogisticRegression.fit(
      X.selectRows(idx),
      Float64Array.from(idx, (i) => y[i]!),
      { lambda: 1 },
    );
    for (let q = 0; q < 2; q++) {
      const z = dot(rowOf(queries.X, q, true), fresh.theta);
      assert.ok(
        close(truth.outputs[j * 2 + q]!, z, 1e-8),
        `subset ${j} query ${q}: ${truth.outputs[j * 2 + q]} vs ${z}`,
      );
    }
  }
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    groundTruth({ model, queries, subsets: 3, signal: controller.signal }),
    (e: Error) => e instanceof AbortError || e.name === 'AbortError',
  );
  // A fitted Influence still answers after the aborted retrains: the model was not touched.
  assert.ok((await Influence.of(model)).leverage.every((h) => h > 0 && h < 1));
});
