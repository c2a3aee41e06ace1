/**
 * Values of the public members and exports that no other test checked (found by
 * test/public-api-coverage.test.ts): the GLM's pointwise quantities, penalty shares, label
 * checks and margin gradients against plain JS, iteration counts with a closed form, the
 * Influence analysis' size and support test, and the exported name lists and error classes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ARTIFACT_VERSION,
  DataRefusedError,
  Influence,
  LogisticRegression,
  MulticlassInfluence,
  RidgeRegression,
  SchemaError,
  SoftmaxRegression,
  UnparsableRecord,
  attributeQueries,
  loadDataset,
  readCsv,
} from '../src/index.ts';
import { DATASET_NAMES } from '../src/datasets/index.ts';
import { ESTIMATES } from '../src/protocols/rif/index.ts';
import { pathInsideRoot } from '../src/distributed/dataset.ts';
import { validateJob } from '../src/distributed/schema.ts';
import { dot, logisticData, refPointwise, regressionData, rowOf } from './helpers.ts';

test('trainingPointwise: margins, losses, slopes and curvatures equal the plain-JS logistic and ridge definitions', async () => {
  for (const kind of ['logistic', 'ridge'] as const) {
    const { X, y } = kind === 'logistic' ? logisticData(25, 3, 61) : regressionData(25, 3, 61);
    const model =
      kind === 'logistic'
        ? await LogisticRegression.fit(X, y, { lambda: 0.3 })
        : await RidgeRegression.fit(X, y, { lambda: 0.3 });
    const pw = await model.trainingPointwise();
    for (let i = 0; i < 25; i++) {
      const z = dot(rowOf(X, i, true), model.theta);
      const ref = refPointwise(kind, z, y[i]!);
      assert.ok(Math.abs(pw.margin[i]! - z) < 1e-12 * (1 + Math.abs(z)), `${kind} margin ${i}`);
      assert.ok(Math.abs(pw.loss[i]! - ref.loss) < 1e-12 * (1 + ref.loss), `${kind} loss ${i}`);
      assert.ok(Math.abs(pw.slope[i]! - ref.slope) < 1e-12, `${kind} slope ${i}`);
      assert.ok(Math.abs(pw.curvature[i]! - ref.curv) < 1e-12, `${kind} curvature ${i}`);
    }
  }
});

test('penaltyShareGradient is (lambda w / W) P theta under per-example, undefined under fixed; SoftmaxRegression.penaltyFor scales lambda likewise', async () => {
  const { X, y } = logisticData(30, 3, 62);
  const w = Float64Array.from({ length: 30 }, (_, i) => 0.5 + (i % 4) * 0.5);
  const W = w.reduce((a, b) => a + b, 0);
  const perExample = await LogisticRegression.fit(X, y, {
    lambda: 0.8,
    regularization: 'per-example',
    sampleWeights: w,
  });
  const share = perExample.penaltyShareGradient(1.5)!;
  assert.deepEqual(
    Array.from(share).map((v) => +v.toPrecision(12)),
    [...Array.from(perExample.theta.subarray(0, 3), (t) => +((0.8 * 1.5 * t) / W).toPrecision(12)), 0],
  );
  const fixed = await LogisticRegression.fit(X, y, { lambda: 0.8 });
  assert.equal(fixed.penaltyShareGradient(1.5), undefined);
  const y3 = Float64Array.from(y, (v, i) => (i % 3 === 0 ? 2 : v));
  const softFixed = await SoftmaxRegression.fit(X, y3, { lambda: 0.8 });
  assert.equal(softFixed.penaltyFor(new Float64Array(30).fill(0.5)), 0.8);
  const softShare = await SoftmaxRegression.fit(X, y3, { lambda: 0.8, regularization: 'per-example' });
  const half = Float64Array.from({ length: 30 }, (_, i) => (i < 12 ? 1 : 0));
  assert.ok(Math.abs(softShare.penaltyFor(half) - (0.8 * 12) / 30) < 1e-15);
});

test('labels() returns the checked labels and rejects wrong ones with the argument named', async () => {
  const { X, y } = logisticData(12, 2, 63);
  const logistic = await LogisticRegression.fit(X, y, { lambda: 1 });
  assert.deepEqual(Array.from(logistic.labels([1, 0, 1], 3)), [1, 0, 1]);
  assert.throws(() => logistic.labels([1, 0, 2], 3, 'queries.y'), /queries\.y/);
  assert.throws(() => logistic.labels([1, 0], 3, 'queries.y'), /queries\.y/);
  const soft = await SoftmaxRegression.fit(
    X,
    Float64Array.from(y, (v, i) => (i % 4 === 0 ? 2 : v)),
    { lambda: 1 },
  );
  assert.deepEqual(Array.from(soft.labels([2, 0, 1], 3)), [2, 0, 1]);
  assert.throws(() => soft.labels([3, 0, 1], 3, 'yq'), /yq/);
});

test('LogisticRegression.outputGradients: the true-class margin gradient (2 y_i - 1) a_i', async () => {
  const { X, y } = logisticData(15, 3, 64);
  const model = await LogisticRegression.fit(X, y, { lambda: 0.4 });
  const G = await model.outputGradients(X, y);
  assert.deepEqual([G.rows, G.cols], [15, 4]);
  for (let i = 0; i < 15; i++)
    assert.deepEqual(
      Array.from(G.row(i)),
      rowOf(X, i, true).map((v) => (2 * y[i]! - 1) * v),
    );
});

test('iterations: one Newton step solves ridge exactly; logistic counts the Newton iterations of its diagnostics', async () => {
  const r = regressionData(30, 3, 65);
  assert.equal((await RidgeRegression.fit(r.X, r.y, { lambda: 0.5 })).iterations, 1);
  const l = logisticData(30, 3, 65);
  const logistic = await LogisticRegression.fit(l.X, l.y, { lambda: 0.5 });
  assert.equal(logistic.iterations, logistic.diagnostics.newtonIterations);
  assert.ok(logistic.iterations >= 1);
});

test('Influence.supports accepts the GLMs only; Influence.n and MulticlassInfluence.n are the training size', async () => {
  const { X, y } = logisticData(21, 2, 66);
  const logistic = await LogisticRegression.fit(X, y, { lambda: 1 });
  const soft = await SoftmaxRegression.fit(
    X,
    Float64Array.from(y, (v, i) => (i % 3 === 0 ? 2 : v)),
    { lambda: 1 },
  );
  assert.equal(Influence.supports(logistic), true);
  assert.equal(Influence.supports(soft), false);
  assert.equal(Influence.supports({}), false);
  assert.equal(Influence.supports(null), false);
  assert.equal((await Influence.of(logistic)).n, 21);
  const multi = await Influence.of(soft);
  assert.ok(multi instanceof MulticlassInfluence);
  assert.equal(multi.n, 21);
});

test('exported name lists: DATASET_NAMES are what loadDataset names on an unknown name; ESTIMATES are IF, RIF and NS', async () => {
  assert.deepEqual([...ESTIMATES], ['if', 'rif', 'ns']);
  assert.ok(DATASET_NAMES.includes('spam') && DATASET_NAMES.includes('spam-embeddings'));
  await assert.rejects(loadDataset('no-such-set'), (e: Error) => e.message.includes(DATASET_NAMES.join(', ')));
});

test('ARTIFACT_VERSION is the version a saved model records; a newer version is refused', async () => {
  const { X, y } = logisticData(10, 2, 67);
  const model = await LogisticRegression.fit(X, y, { lambda: 1 });
  const dir = join(mkdtempSync(join(tmpdir(), 'tdakit-artifact-')), 'm');
  await model.save(dir);
  const { readFileSync, readdirSync } = await import('node:fs');
  const manifestFile = readdirSync(dir).find((f) => f.endsWith('.json'))!;
  const manifest = JSON.parse(readFileSync(join(dir, manifestFile), 'utf8')) as { version: number };
  assert.equal(manifest.version, ARTIFACT_VERSION);
  writeFileSync(join(dir, manifestFile), JSON.stringify({ ...manifest, version: ARTIFACT_VERSION + 1 }));
  await assert.rejects(LogisticRegression.load(dir), new RegExp(`version ${ARTIFACT_VERSION + 1}`));
});

test('UnparsableRecord in a query stream becomes an error record carrying its problem and id', async () => {
  const { X, y } = logisticData(20, 2, 68);
  const influence = await Influence.of(await LogisticRegression.fit(X, y, { lambda: 1 }));
  const out = [];
  for await (const r of attributeQueries(
    influence,
    [new UnparsableRecord('line 3 is not valid JSON', 'q3'), { id: 'ok', x: [0.1, 0.2], y: 1 }],
    { k: 2, onError: 'emit' },
  ))
    out.push(r);
  assert.deepEqual(out[0], { id: 'q3', record: 0, error: 'line 3 is not valid JSON' });
  assert.equal((out[1] as { id: string }).id, 'ok');
  // In 'fail' mode (the default) the same record stops the stream with its problem.
  await assert.rejects(async () => {
    for await (const _ of attributeQueries(influence, [new UnparsableRecord('line 3 is not valid JSON', 'q3')], {
      k: 2,
    }))
      void _;
  }, /line 3 is not valid JSON/);
});

test('DataRefusedError and SchemaError: the distributed data and job checks refuse with their codes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tdakit-root-'));
  mkdirSync(join(root, 'd'));
  writeFileSync(join(root, 'd', 'x.bin'), 'x');
  assert.equal(await pathInsideRoot(root, 'd/x.bin'), join(root, 'd', 'x.bin'));
  for (const bad of ['../etc/passwd', '/etc/passwd', 'd/missing.bin']) {
    await assert.rejects(
      pathInsideRoot(root, bad),
      (e: Error) =>
        e instanceof DataRefusedError &&
        (e as DataRefusedError).code === 'ERR_TDAKIT_DATA_REFUSED' &&
        e.name === 'DataRefusedError',
    );
  }
  assert.throws(
    () => validateJob({ surprise: 1 }),
    (e: Error) =>
      e instanceof SchemaError && (e as SchemaError).code === 'ERR_TDAKIT_SCHEMA' && e.name === 'SchemaError',
  );
  assert.throws(() => validateJob(null), SchemaError);
});

test("readCsv header: true takes a numeric first row as the names, false keeps it as data, 'auto' decides by content", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tdakit-csv-header-'));
  const numeric = join(dir, 'numeric.csv');
  writeFileSync(numeric, '1,2\n3,4\n5,6\n');
  const asHeader = await readCsv(numeric, { header: true });
  assert.deepEqual([asHeader.columns, asHeader.rows, Array.from(asHeader.data)], [['1', '2'], 2, [3, 4, 5, 6]]);
  const asData = await readCsv(numeric, { header: false });
  assert.deepEqual([asData.rows, Array.from(asData.data)], [3, [1, 2, 3, 4, 5, 6]]);
  assert.deepEqual(Array.from((await readCsv(numeric, { header: 'auto' })).data), [1, 2, 3, 4, 5, 6]);
  const named = join(dir, 'named.csv');
  writeFileSync(named, 'a,b\n3,4\n');
  assert.deepEqual((await readCsv(named)).columns, ['a', 'b']);
  await assert.rejects(readCsv(named, { header: false }), /not a finite number/);
});
