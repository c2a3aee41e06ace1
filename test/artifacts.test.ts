/**
 * Saved artifacts: every model kind and Influence round-trip to bit-identical outputs, NumPy
 * reads the arrays and Python's hashlib confirms the manifest's checksums, and every kind of
 * damage (truncation, edits, other model kind, newer format, wrong training data) is an
 * ArtifactError naming the file.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, truncate, writeFile, mkdir, copyFile, cp } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Influence,
  LogisticRegression,
  Matrix,
  MultilayerPerceptron,
  RidgeRegression,
  SoftmaxRegression,
  loadMnist,
  loadSpamEmbeddings,
} from '../src/index.ts';
import { ArtifactError } from '../src/artifacts/format.ts';

const spam = await loadSpamEmbeddings({ limit: 300 });
const train = { X: spam.X.selectRows(Array.from({ length: 240 }, (_, i) => i)), y: spam.y.slice(0, 240) };
const queries = { X: spam.X.selectRows(Array.from({ length: 60 }, (_, i) => 240 + i)), y: spam.y.slice(240, 300) };
const root = await mkdtemp(join(tmpdir(), 'tdakit-artifacts-'));

const same = (a: Float64Array | Int32Array, b: Float64Array | Int32Array, what: string) => {
  assert.equal(a.length, b.length, `${what}: length`);
  // Bit-identical, not merely close.
  assert.deepEqual(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    what,
  );
};

const logistic = await LogisticRegression.fit(train.X, train.y, { lambda: 0.5 });
const influence = await Influence.of(logistic);
const influenceDir = join(root, 'influence');
await influence.save(influenceDir);

test('GLM models round-trip: same parameters, options and outputs, bit for bit', async () => {
  const ridge = await RidgeRegression.fit(train.X, train.y, {
    lambda: 2,
    regularization: 'per-example',
    fitIntercept: false,
  });
  for (const model of [logistic, ridge]) {
    const dir = join(root, `model-${model.kind}`);
    await model.save(dir);
    const loaded = model.kind === 'logistic' ? await LogisticRegression.load(dir) : await RidgeRegression.load(dir);
    assert.equal(loaded.constructor, model.constructor);
    same(loaded.theta, model.theta, 'theta');
    same(loaded.weights, model.weights, 'weights');
    same(loaded.X.data, model.X.data, 'X');
    assert.deepEqual(loaded.options, model.options);
    assert.equal(loaded.objective(), model.objective());
    assert.deepEqual(loaded.diagnostics, model.diagnostics);
    same(await loaded.decisionFunction(queries.X), await model.decisionFunction(queries.X), 'margins');
    same(await loaded.losses(queries.X, queries.y), await model.losses(queries.X, queries.y), 'losses');
    // A loaded model refits like the original (warm start from the same optimum).
    const [a, b] = await Promise.all([loaded.refit({ exclude: [3, 7] }), model.refit({ exclude: [3, 7] })]);
    same(a.theta, b.theta, 'refit theta');
    // Influence from a loaded model equals influence from the original.
    same((await Influence.of(loaded)).leverage, (await Influence.of(model)).leverage, 'leverage');
  }
});

test('softmax regression and the MLP round-trip bit for bit', async () => {
  const mnist = await loadMnist();
  const rows = Array.from({ length: 300 }, (_, i) => i * 33);
  const X = mnist.X.selectRows(rows);
  const y = rows.map((i) => mnist.y[i]!);
  const Xq = mnist.X.selectRows(rows.map((i) => i + 1));
  const yq = rows.map((i) => mnist.y[i + 1]!);
  const softmax = await SoftmaxRegression.fit(X, y, { lambda: 5 });
  const mlp = await MultilayerPerceptron.fit(X, y, { hidden: [16, 8], epochs: 2, seed: 4 });
  await softmax.save(join(root, 'softmax'));
  await mlp.save(join(root, 'mlp'));
  const s2 = await SoftmaxRegression.load(join(root, 'softmax'));
  const m2 = await MultilayerPerceptron.load(join(root, 'mlp'));
  same(s2.theta, softmax.theta, 'softmax theta');
  assert.deepEqual(s2.options, softmax.options);
  same((await s2.logits(Xq)).data, (await softmax.logits(Xq)).data, 'softmax logits');
  same(await s2.losses(Xq, yq), await softmax.losses(Xq, yq), 'softmax losses');
  same(m2.theta, mlp.theta, 'mlp theta');
  assert.deepEqual(m2.options, mlp.options);
  same((await m2.logits(Xq)).data, (await mlp.logits(Xq)).data, 'mlp logits');
  same((await m2.gradients(Xq, yq)).data, (await mlp.gradients(Xq, yq)).data, 'mlp gradients');
  // Same seed, same retrain.
  same(
    (await m2.retrain(Uint32Array.from([1, 2, 3, 50, 60]), 9)).theta,
    (await mlp.retrain(Uint32Array.from([1, 2, 3, 50, 60]), 9)).theta,
    'mlp retrain',
  );
  await assert.rejects(
    SoftmaxRegression.load(join(root, 'mlp')),
    (e: Error) => e instanceof ArtifactError && /holds a 'mlp' model/.test(e.message),
  );
});

test('a per-example softmax refit round-trips with the original total weight: influence scores bit-identical', async () => {
  const mnist = await loadMnist();
  const rows = Array.from({ length: 200 }, (_, i) => i * 41);
  const X = mnist.X.selectRows(rows),
    y = rows.map((i) => mnist.y[i]!);
  const Xq = mnist.X.selectRows([5, 6, 7]),
    yq = [5, 6, 7].map((i) => mnist.y[i]!);
  const lambda = 20;
  const fitted = await SoftmaxRegression.fit(X, y, { lambda, regularization: 'per-example' });
  // Removing 10 examples leaves weight 190, but the penalty shares stay w_i / 200.
  const refit = await fitted.retrain({ subset: Array.from({ length: 190 }, (_, i) => i + 10) });
  const dir = join(root, 'softmax-per-example');
  await refit.save(dir);
  const loaded = await SoftmaxRegression.load(dir);
  assert.equal(loaded.totalWeight, 200);
  const after = Float64Array.from({ length: 200 }, (_, i) => (i < 20 ? 0 : 1));
  assert.equal(loaded.penaltyFor(after), (lambda * 180) / 200);
  same(
    (await loaded.retrain({ weights: after })).theta,
    (await refit.retrain({ weights: after })).theta,
    'refit theta',
  );
  const [a, b] = [await Influence.of(loaded), await Influence.of(refit)];
  for (const method of ['if', 'rif'] as const) {
    same(await a.scores(Xq, yq, { method }), await b.scores(Xq, yq, { method }), `${method} scores`);
    assert.deepEqual(await a.topK(Xq, yq, { k: 5, method }), await b.topK(Xq, yq, { k: 5, method }));
  }
  // Artifacts written before W was stored load an original fit's W as the sum of its weights.
  await fitted.save(join(root, 'softmax-legacy'));
  const manifestPath = join(root, 'softmax-legacy', 'manifest.json');
  const { checksum: _, ...body } = JSON.parse(await readFile(manifestPath, 'utf8')) as {
    checksum: string;
    scalars: Record<string, number>;
  };
  delete body.scalars.totalWeight;
  const text = JSON.stringify(body, null, 2) + '\n';
  await writeFile(
    manifestPath,
    JSON.stringify({ ...body, checksum: createHash('sha256').update(text).digest('hex') }, null, 2) + '\n',
  );
  assert.equal((await SoftmaxRegression.load(join(root, 'softmax-legacy'))).totalWeight, 200);
});

test('Influence round-trips: scores, top-k and removal effects are bit-identical', async () => {
  const loaded = await Influence.load(influenceDir);
  same(loaded.leverage, influence.leverage, 'leverage');
  same(loaded.factorization.factor, influence.factorization.factor, 'factor');
  for (const method of ['if', 'rif'] as const) {
    same(
      await loaded.scores(queries.X, queries.y, { method }),
      await influence.scores(queries.X, queries.y, { method }),
      `${method} scores`,
    );
    const [a, b] = [
      await loaded.topK(queries.X, queries.y, { k: 7, method }),
      await influence.topK(queries.X, queries.y, { k: 7, method }),
    ];
    same(a.topIndex, b.topIndex, 'top index');
    same(a.topValue, b.topValue, 'top value');
    same(a.bottomIndex, b.bottomIndex, 'bottom index');
    same(a.bottomValue, b.bottomValue, 'bottom value');
  }
  for (const method of ['if', 'rif', 'ns'] as const) {
    same(
      await loaded.removalEffect([1, 5, 9], { method }),
      await influence.removalEffect([1, 5, 9], { method }),
      `${method} removal`,
    );
  }
  // The model inside an influence artifact loads on its own too.
  same((await LogisticRegression.load(influenceDir)).theta, logistic.theta, 'model of an influence artifact');
});

test('NumPy reads every array and hashlib agrees with the manifest', async () => {
  const script = `
import json, hashlib, sys, numpy as np, os
d = sys.argv[1]
m = json.load(open(os.path.join(d, 'manifest.json')))
out = {}
for name, e in m['arrays'].items():
    p = os.path.join(d, e['file'])
    assert hashlib.sha256(open(p, 'rb').read()).hexdigest() == e['sha256'], name
    a = np.load(p)
    assert list(a.shape) == e['shape'] and a.dtype == np.float64, name
    out[name] = float(a.sum())
theta = np.load(os.path.join(d, 'theta.npy'))
print(json.dumps({'sums': out, 'theta': theta.tolist()}))
`;
  const res = JSON.parse(execFileSync('python3', ['-c', script, influenceDir], { encoding: 'utf8' })) as {
    sums: Record<string, number>;
    theta: number[];
  };
  assert.deepEqual(Float64Array.from(res.theta), logistic.theta);
  assert.ok(['X', 'y', 'theta', 'weights', 'factor', 'hessian', 'leverage', 'slope'].every((k) => k in res.sums));
  // No temporary files are left behind by the atomic writes.
  assert.deepEqual(
    (await readdir(root)).filter((f) => f.endsWith('.tmp')),
    [],
  );
  assert.deepEqual(
    (await readdir(influenceDir)).filter((f) => f.endsWith('.tmp')),
    [],
  );
});

/** A fresh copy of the influence artifact to damage. */
async function damaged(name: string): Promise<string> {
  const dir = join(root, `damaged-${name}`);
  await cp(influenceDir, dir, { recursive: true });
  return dir;
}
const artifactError = (file: string, pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ArtifactError, `expected an ArtifactError, got ${String(e)}`);
  assert.ok(e.message.includes(file), `message names ${file}: ${e.message}`);
  assert.match(e.message, pattern);
  return true;
};

test('a truncated array is an error naming the file', async () => {
  const dir = await damaged('truncated');
  await truncate(join(dir, 'factor.npy'), 1000);
  await assert.rejects(Influence.load(dir), artifactError('factor.npy', /truncated/));
});

test('an edited array (one byte) is an error naming the file', async () => {
  const dir = await damaged('edited');
  const file = join(dir, 'leverage.npy');
  const bytes = await readFile(file);
  bytes[bytes.length - 3]! ^= 0x01;
  await writeFile(file, bytes);
  await assert.rejects(Influence.load(dir), artifactError('leverage.npy', /sha256 mismatch/));
});

test('an edited or truncated manifest is an error', async () => {
  const dir = await damaged('manifest');
  const file = join(dir, 'manifest.json');
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace('"lambda": 0.5', '"lambda": 0.25'));
  await assert.rejects(Influence.load(dir), artifactError('manifest.json', /checksum mismatch/));
  await writeFile(file, text.slice(0, 200));
  await assert.rejects(Influence.load(dir), artifactError('manifest.json', /not valid JSON/));
});

test('a newer format version is refused with an upgrade hint', async () => {
  const dir = await damaged('newer');
  const file = join(dir, 'manifest.json');
  const { checksum: _, ...body } = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  body.version = 2;
  // A valid checksum, so only the version is wrong.
  const text = JSON.stringify(body, null, 2) + '\n';
  const signed = { ...body, checksum: createHash('sha256').update(text).digest('hex') };
  await writeFile(file, JSON.stringify(signed, null, 2) + '\n');
  await assert.rejects(Influence.load(dir), artifactError('manifest.json', /format version 2 by a newer tdakit/));
});

test('another model kind or a model-only artifact is refused', async () => {
  await assert.rejects(
    RidgeRegression.load(influenceDir),
    artifactError('manifest.json', /holds a 'logistic' model; RidgeRegression.load loads 'ridge'/),
  );
  await assert.rejects(
    MultilayerPerceptron.load(influenceDir),
    artifactError('manifest.json', /holds a 'logistic' model/),
  );
  await assert.rejects(
    Influence.load(join(root, 'model-logistic')),
    artifactError('manifest.json', /holds a 'model' artifact; Influence.load needs 'influence'/),
  );
  await assert.rejects(Influence.load(join(root, 'nowhere')), artifactError('nowhere', /no such artifact directory/));
});

test('a missing array file is an error naming it', async () => {
  const dir = await damaged('missing');
  await writeFile(join(dir, 'slope.npy'), '');
  await assert.rejects(Influence.load(dir), artifactError('slope.npy', /has 0 bytes/));
});

test('training data by reference: checked on save and on every load', async () => {
  const csv = join(root, 'train.csv');
  const lines = ['f' + Array.from({ length: train.X.cols }, (_, j) => j).join(',f') + ',label'];
  for (let i = 0; i < train.X.rows; i++)
    lines.push([...Array.from(train.X.row(i), (v) => String(v)), String(train.y[i])].join(','));
  await writeFile(csv, lines.join('\n') + '\n');
  const dir = join(root, 'by-reference');
  await influence.save(dir, { data: { path: csv, label: 'label' } });
  const names = await readdir(dir);
  assert.ok(!names.includes('X.npy') && !names.includes('y.npy'), 'data is not embedded');
  const loaded = await Influence.load(dir);
  same(
    await loaded.scores(queries.X, queries.y),
    await influence.scores(queries.X, queries.y),
    'scores with referenced data',
  );
  // The file changed: one label flipped.
  lines[5] = lines[5]!.replace(/,([01])$/, (_, v: string) => `,${1 - Number(v)}`);
  await writeFile(csv, lines.join('\n') + '\n');
  await assert.rejects(Influence.load(dir), artifactError('train.csv', /does not hold the training data/));
  // Saving with a reference to other data is refused.
  await assert.rejects(
    influence.save(join(root, 'bad-ref'), { data: { path: csv, label: 'label' } }),
    /does not hold the data the model was fitted on/,
  );
  // Data passed in memory is checked the same way.
  const other = new Matrix(
    train.X.data.map((v, k) => (k === 0 ? v + 1 : v)),
    train.X.rows,
    train.X.cols,
  );
  await assert.rejects(
    LogisticRegression.load(influenceDir, { data: { X: other, y: train.y } }),
    artifactError('options.data', /does not hold the training data/),
  );
  same((await LogisticRegression.load(dir, { data: train })).theta, logistic.theta, 'in-memory data');
});

test('saving replaces an artifact atomically but never an unrelated directory', async () => {
  const dir = join(root, 'replace');
  await logistic.save(dir);
  await influence.save(dir);
  same((await Influence.load(dir)).leverage, influence.leverage, 'replaced');
  const precious = join(root, 'precious');
  await mkdir(precious);
  await copyFile(join(dir, 'theta.npy'), join(precious, 'keep.npy'));
  await assert.rejects(logistic.save(precious), /exists and is not a tdakit artifact/);
  assert.deepEqual(await readdir(precious), ['keep.npy']);
});

test('an edited byte in any chunk of a large array is caught while reading ahead', async () => {
  // X is read chunk by chunk, each next chunk while the current one is hashed: an edit in the
  // first, a middle or the last chunk must still fail the load.
  const file = 'X.npy';
  const size = (await readFile(join(influenceDir, file))).length;
  for (const at of [130, Math.floor(size / 2), size - 1]) {
    const dir = await damaged(`chunk-${at}`);
    const bytes = await readFile(join(dir, file));
    bytes[at]! ^= 0x40;
    await writeFile(join(dir, file), bytes);
    await assert.rejects(
      Influence.load(dir, { chunkBytes: 1000 }),
      artifactError(file, /sha256 mismatch/),
      `byte ${at}`,
    );
  }
});

test('loaded training data is in shared memory, which native calls read in place (no copy per call)', async () => {
  const loaded = await Influence.load(influenceDir);
  assert.ok(loaded.model.X.data.buffer instanceof SharedArrayBuffer, 'X in a SharedArrayBuffer');
});

test('arrays are read in chunks of any size with the same result', async () => {
  const a = await LogisticRegression.load(influenceDir, { chunkBytes: 777 });
  same(a.X.data, logistic.X.data, 'X read in 777-byte chunks');
});
