/**
 * The options of groundTruth and evaluateMethods change what they compute as documented
 * (docs/methods.md section 5): `seeds` averages a stochastic model's retrains (recomputed here
 * with a plain-JS forward pass), `alpha` sizes the subsets, `trakModels` is TRAK's ensemble,
 * `cacheDir` stores the ground truth that a second run reads, `onProgress` names each stage,
 * `signal` aborts, and `seed` fixes the random baseline's scores.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortError,
  LogisticRegression,
  MultilayerPerceptron,
  evaluateMethods,
  groundTruth,
  ldsFromScores,
  trakScores,
} from '../src/index.ts';
import { mixSeed, seededRandom } from '../src/random.ts';
import { logisticData } from './helpers.ts';
import { jsLoss, tinyData } from './mlp-reference.ts';

test('groundTruth on the MLP: seeds = 2 averages the query losses of two seeded retrains per subset (plain-JS losses)', async () => {
  const n = 24,
    seed = 3,
    seeds = 2,
    alpha = 0.4;
  const { X, y } = tinyData(n, 3, 3, 51);
  const q = tinyData(2, 3, 3, 52);
  const model = await MultilayerPerceptron.fit(X, y, {
    hidden: [4],
    classes: 3,
    epochs: 2,
    batchSize: 8,
    learningRate: 0.05,
    seed: 1,
  });
  const truth = await groundTruth({ model, queries: { X: q.X, y: q.y }, subsets: 3, alpha, seeds, seed });
  assert.equal(truth.retrained, 3);
  for (const [j, S] of truth.subsets.entries()) {
    assert.equal(S.length, Math.ceil(alpha * n));
    const expected = [0, 0];
    for (let s = 0; s < seeds; s++) {
      const retrained = await model.retrain({ subset: S, seed: mixSeed(seed, 'lds-retrain', j, s) });
      for (let t = 0; t < 2; t++) expected[t]! += jsLoss(retrained.theta, [3, 4, 3], q.X.row(t), q.y[t]!) / seeds;
    }
    for (let t = 0; t < 2; t++)
      assert.ok(Math.abs(truth.outputs[j * 2 + t]! - expected[t]!) < 1e-12, `subset ${j}, query ${t}`);
  }
  // One seed gives other targets: the option is used.
  const single = await groundTruth({ model, queries: { X: q.X, y: q.y }, subsets: 3, alpha, seeds: 1, seed });
  assert.ok(single.outputs.some((v, t) => Math.abs(v - truth.outputs[t]!) > 1e-9));
});

test('evaluateMethods: alpha, trakModels, cacheDir, onProgress, seed, removalSizes and signal act as documented', async () => {
  const n = 40,
    seed = 5;
  const { X, y } = logisticData(n, 3, 53);
  const q = logisticData(3, 3, 54);
  const queries = { X: q.X, y: q.y };
  const model = await LogisticRegression.fit(X, y, { lambda: 0.5 });
  const cacheDir = mkdtempSync(join(tmpdir(), 'tdakit-eval-opts-'));
  const stages: string[] = [];
  const options = {
    model,
    queries,
    methods: ['trak', 'random'] as ('trak' | 'random')[],
    subsets: 10,
    alpha: 0.3,
    trakModels: 2,
    seed,
    cacheDir,
    removalSizes: [2, 4],
  };
  const report = await evaluateMethods({ ...options, onProgress: (s) => stages.push(s) });
  assert.deepEqual(stages, ['ground truth retrains', 'trak', 'random']);
  assert.deepEqual([report.n, report.m, report.subsets, report.retrained], [n, 3, 10, 10]);
  assert.equal(
    readdirSync(cacheDir).filter((f) => f.endsWith('.npy')).length,
    1,
    'the ground truth is cached in cacheDir',
  );
  // The same ground truth, now read from the cache (no retrain), with subsets of ceil(alpha n).
  const truth = await groundTruth({ model, queries, subsets: 10, alpha: 0.3, seed, cacheDir });
  assert.equal(truth.retrained, 0);
  for (const S of truth.subsets) assert.equal(S.length, Math.ceil(0.3 * n));
  const byMethod = Object.fromEntries(report.methods.map((m) => [m.method, m]));
  const trak2 = ldsFromScores(truth, await trakScores({ model, queries, ensemble: 2, seed }), n);
  const trak1 = ldsFromScores(truth, await trakScores({ model, queries, ensemble: 1, seed }), n);
  assert.equal(byMethod.trak!.lds, trak2.mean);
  assert.equal(byMethod.trak!.standardError, trak2.standardError);
  assert.notEqual(trak1.mean, trak2.mean, 'trakModels changes the TRAK scores');
  // The random baseline: uniform(-1/2, 1/2) scores from the seed's 'random-scores' stream.
  const r = seededRandom(mixSeed(seed, 'random-scores'));
  const random = Float64Array.from({ length: n * 3 }, () => r() - 0.5);
  assert.equal(byMethod.random!.lds, ldsFromScores(truth, random, n).mean);
  assert.deepEqual(
    byMethod.random!.subsetRemoval.map((p) => p.N),
    [2, 4],
  );
  // An aborted signal stops the run.
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    evaluateMethods({ ...options, cacheDir: undefined, signal: controller.signal }),
    (e: Error) => e instanceof AbortError,
  );
});

test("evaluateMethods on the MLP passes seeds to the ground truth (the random baseline's LDS against the seeds = 2 truth)", async () => {
  const n = 20,
    seed = 2;
  const { X, y } = tinyData(n, 3, 3, 55);
  // Training rows as queries, on a network trained long enough to classify some of them (subset removal needs that).
  const rows = [0, 1, 2, 3, 4, 5];
  const q = { X: X.selectRows(rows), y: Float64Array.from(rows, (i) => y[i]!) };
  const model = await MultilayerPerceptron.fit(X, y, {
    hidden: [6],
    classes: 3,
    epochs: 40,
    batchSize: 10,
    learningRate: 0.05,
    seed: 1,
  });
  const report = await evaluateMethods({
    model,
    queries: { X: q.X, y: q.y },
    methods: ['random'],
    subsets: 4,
    seeds: 2,
    seed,
    removalSizes: [1],
  });
  const truth = await groundTruth({ model, queries: { X: q.X, y: q.y }, subsets: 4, seeds: 2, seed });
  const r = seededRandom(mixSeed(seed, 'random-scores'));
  const random = Float64Array.from({ length: n * 6 }, () => r() - 0.5);
  assert.equal(report.methods[0]!.lds, ldsFromScores(truth, random, n).mean);
});
