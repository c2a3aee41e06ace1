import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Influence, LogisticRegression, Matrix, spearman, loadSpamAssassin } from '../src/index.ts';
import { groundTruth, lds, ldsFromScores } from '../src/evaluation/lds.ts';
import { subsetRemoval } from '../src/evaluation/subset-removal.ts';
import { trakScores } from '../src/evaluation/trak.ts';
import { fitScalingLaw } from '../src/evaluation/scaling.ts';
import { gaussian, logisticData, rng, rowOf, solveDense } from './helpers.ts';

test('Spearman equals 1 - 6 sum d^2 / (n (n^2 - 1)) without ties, and handles ties by average ranks', () => {
  const r = rng(3);
  const x = Array.from({ length: 50 }, () => r()),
    y = Array.from({ length: 50 }, () => r());
  const rank = (v: number[]) => v.map((a) => v.filter((b) => b < a).length + 1);
  const rx = rank(x),
    ry = rank(y);
  const d2 = rx.reduce((s, v, i) => s + (v - ry[i]!) ** 2, 0);
  assert.ok(Math.abs(spearman(x, y) - (1 - (6 * d2) / (50 * (50 * 50 - 1)))) < 1e-12);
  // Ties: x's ranks are 1, 2.5, 2.5, 4 (the minimum rank, 1, 2, 2, 4, would give -2.5 / sqrt(23.75)).
  assert.ok(Math.abs(spearman([1, 2, 2, 3], [4, 3, 1, 2]) - -3 / Math.sqrt(22.5)) < 1e-12);
});

test('LDS: exact IF on a real logistic regression is high, random scores are near 0; the cache retrains nothing', async () => {
  const data = await loadSpamAssassin({ vocabulary: 60, limit: 500 });
  const X = data.X.selectRows(Array.from({ length: 400 }, (_, i) => i)),
    y = data.y.subarray(0, 400);
  const q = Array.from({ length: 20 }, (_, j) => 400 + 5 * j);
  const queries = { X: data.X.selectRows(q), y: Float64Array.from(q, (i) => data.y[i]!) };
  const model = await LogisticRegression.fit(X, y, { lambda: 1 });
  const cacheDir = mkdtempSync(join(tmpdir(), 'tdakit-lds-'));
  const truth = await groundTruth({ model, queries, subsets: 60, cacheDir, seed: 1 });
  assert.equal(truth.retrained, 60);
  const exact = await (await Influence.of(model)).scores(queries.X, queries.y, { method: 'if' });
  const result = ldsFromScores(truth, exact, 400);
  assert.ok(result.mean > 0.7, `LDS of IF ${result.mean}`);
  const r = rng(5);
  const random = Float64Array.from({ length: exact.length }, () => r() - 0.5);
  const control = ldsFromScores(truth, random, 400);
  assert.ok(Math.abs(control.mean) < 0.1, `LDS of random scores ${control.mean}`);
  assert.ok(control.standardError > 0 && control.standardError < 0.1);
  // Same options: read from the cache, nothing retrained, the same outputs.
  const again = await lds({ model, queries, subsets: 60, cacheDir, seed: 1, scores: exact });
  assert.equal(again.retrained, 0);
  assert.equal(again.mean, result.mean);
  // The actual outputs are those of fresh fits on the subsets (checked for one subset).
  const S = Array.from(truth.subsets[7]!);
  const fresh = await LogisticRegression.fit(
    X.selectRows(S),
    S.map((i) => y[i]!),
    { lambda: 1 },
  );
  const losses = await fresh.losses(queries.X, queries.y);
  for (let j = 0; j < 20; j++) assert.ok(Math.abs(losses[j]! - truth.outputs[7 * 20 + j]!) < 1e-9);
  await assert.rejects(
    lds({ model, queries, subsets: 60, scores: new Float64Array(3) }),
    /scores must be a Float64Array/,
  );
  await assert.rejects(groundTruth({ model, queries, alpha: 1 }), /alpha must be strictly between 0 and 1/);
});

test("subset removal on a case with a known answer: removing the queries' private supporters flips them", async () => {
  // Shared features look like class 0 for the queries; each query's label 1 rests on a private
  // feature that only three class-1 training examples share.
  const r = rng(8);
  const rows: number[][] = [],
    labels: number[] = [];
  for (let i = 0; i < 200; i++) {
    const cls = i < 150 ? 0 : 1;
    rows.push([gaussian(r) + (cls ? 1.5 : -1.5), gaussian(r), 0, 0]);
    labels.push(cls);
  }
  const privateRows: number[] = [];
  for (const f of [2, 3])
    for (let t = 0; t < 3; t++) {
      privateRows.push(rows.length);
      rows.push([-1.5 + 0.1 * gaussian(r), 0.1 * gaussian(r), f === 2 ? 1 : 0, f === 3 ? 1 : 0]);
      labels.push(1);
    }
  const model = await LogisticRegression.fit(Matrix.fromArrays(rows), labels, { lambda: 0.05 });
  const queries = {
    X: Matrix.fromArrays([
      [-1.5, 0, 1, 0],
      [-1.5, 0, 0, 1],
    ]),
    y: [1, 1],
  };
  assert.deepEqual(Array.from(await model.predict(queries.X)), [1, 1]);
  const scores = await (await Influence.of(model)).scores(queries.X, queries.y, { method: 'rif' });
  const { correctQueries, curve } = await subsetRemoval({ model, queries, scores, sizes: [6, 1] });
  assert.equal(correctQueries, 2);
  assert.deepEqual(curve, [
    { N: 6, flipped: 1 },
    { N: 1, flipped: 0 },
  ]);
  const total = Array.from({ length: rows.length }, (_, i) => scores[i * 2]! + scores[i * 2 + 1]!);
  const top6 = Array.from(total.keys())
    .sort((a, b) => total[b]! - total[a]!)
    .slice(0, 6)
    .sort((a, b) => a - b);
  assert.deepEqual(top6, privateRows);
});

test('TRAK at full dimension equals the unprojected after-kernel formula (invariant to an invertible projection)', async () => {
  const { X, y } = logisticData(60, 4, 31);
  const q = logisticData(3, 4, 32);
  const model = await LogisticRegression.fit(X, y, { lambda: 0.5 });
  const scores = await trakScores({ model, queries: { X: q.X, y: q.y }, dimension: 5, seed: 2 });
  const g = (Xm: Matrix, ym: ArrayLike<number>, i: number) => rowOf(Xm, i, true).map((v) => (2 * ym[i]! - 1) * v);
  const G = Array.from({ length: 60 }, (_, i) => g(X, y, i));
  const GtG = Array.from({ length: 5 }, (_, a) =>
    Array.from({ length: 5 }, (_, b) => G.reduce((s, row) => s + row[a]! * row[b]!, 0)),
  );
  const p = await model.predictProba(X);
  for (let j = 0; j < 3; j++) {
    const v = solveDense(GtG, g(q.X, q.y, j));
    for (const i of [0, 17, 59]) {
      const expected = G[i]!.reduce((s, x, a) => s + x * v[a]!, 0) * (y[i] === 1 ? 1 - p[i]! : p[i]!);
      assert.ok(
        Math.abs(scores[i * 3 + j]! - expected) < 1e-9 * (1 + Math.abs(expected)),
        `TRAK ${i},${j}: ${scores[i * 3 + j]} vs ${expected}`,
      );
    }
  }
});

test('scaling law fit recovers a exp(-b K) + c', () => {
  const K = [10, 25, 50, 100, 200, 400, 800];
  const y = K.map((k) => -0.5 * Math.exp(-0.01 * k) + 0.6);
  const fit = fitScalingLaw(K, y);
  assert.ok(
    Math.abs(fit.a + 0.5) < 1e-6 && Math.abs(fit.b - 0.01) < 1e-7 && Math.abs(fit.c - 0.6) < 1e-6,
    JSON.stringify(fit),
  );
  assert.throws(() => fitScalingLaw([1, 2], [1, 2]), /at least 3/);
});

test('evaluateMethods: Daunce LDS rises with K and sits far above random; report and plots written', async () => {
  const { evaluateMethods } = await import('../src/evaluation/evaluate.ts');
  const { writeEvaluationReport } = await import('../src/reports/evaluation.ts');
  const { readFileSync } = await import('node:fs');
  const data = await loadSpamAssassin({ vocabulary: 60, limit: 500 });
  const X = data.X.selectRows(Array.from({ length: 400 }, (_, i) => i)),
    y = data.y.subarray(0, 400);
  const q = Array.from({ length: 20 }, (_, j) => 400 + 5 * j);
  const model = await LogisticRegression.fit(X, y, { lambda: 1 });
  const report = await evaluateMethods({
    model,
    queries: { X: data.X.selectRows(q), y: Float64Array.from(q, (i) => data.y[i]!) },
    methods: ['daunce', 'random'],
    subsets: 50,
    K: 120,
    scalingK: [10, 30, 60, 120],
    removalSizes: [4, 20],
    seed: 2,
  });
  const s = report.scaling!;
  assert.ok(s.lds[3]! > s.lds[0]! + 0.05, `Daunce LDS by K: ${s.lds}`);
  const [d, r] = report.methods;
  assert.ok(d!.lds > r!.lds + 0.2, `Daunce ${d!.lds} vs random ${r!.lds}`);
  assert.equal(d!.subsetRemoval.length, 2);
  const out = mkdtempSync(join(tmpdir(), 'tdakit-eval-'));
  const files = await writeEvaluationReport(out, report, 'test');
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  for (const f of files) assert.ok(html.includes(`data-file="${f}"`));
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'evaluation.json'), 'utf8')).methods.length, 2);
});

test('evaluateMethods takes an AbortSignal: aborted before the start or between methods, it rejects with an AbortError', async () => {
  const { evaluateMethods } = await import('../src/evaluation/evaluate.ts');
  const { AbortError } = await import('../src/errors.ts');
  const { X, y } = logisticData(60, 3, 81);
  const q = logisticData(4, 3, 82);
  const model = await LogisticRegression.fit(X, y, { lambda: 1 });
  const base = { model, queries: q, methods: ['if', 'random'] as ('if' | 'random')[], subsets: 4, seed: 1 };
  const before = new AbortController();
  before.abort();
  await assert.rejects(evaluateMethods({ ...base, signal: before.signal }), (e: Error) => e instanceof AbortError);
  const stages: string[] = [];
  const midway = new AbortController();
  const run = evaluateMethods({
    ...base,
    signal: midway.signal,
    onProgress: (stage) => {
      stages.push(stage);
      if (stage === 'if') midway.abort();
    },
  });
  await assert.rejects(run, (e: Error) => e instanceof AbortError && /evaluateMethods: aborted/.test(e.message));
  assert.deepEqual(stages, ['ground truth retrains', 'if'], 'the method after the abort never starts');
  // Not aborted: both methods run.
  assert.equal((await evaluateMethods(base)).methods.length, 2);
});
