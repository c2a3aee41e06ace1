/**
 * The RIF protocol on softmax regression: with two classes every record equals the logistic
 * protocol's on the flipped labels (the same sets, retrains and estimates), and `tdakit bench
 * rif --model softmax` runs end to end on a CSV of real 10-class digits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  benchmarkRemoval,
  BENCHMARK_MODELS,
  loadSpamAssassin,
  SoftmaxRegression,
  type RemovalRecord,
} from '../src/index.ts';
import { loadMnist } from '../src/datasets/mnist.ts';
import { splitIndices } from '../src/protocols/rif/removal.ts';
import { rowOf } from './helpers.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tdakit-bench-softmax-'));

test('softmax protocol with two classes: every record equals the logistic protocol on the flipped labels', async () => {
  const data = await loadSpamAssassin({ vocabulary: 150, limit: 300 });
  const options = {
    lambda: 0.5,
    sizes: [0.005, 0.02, 0.05],
    strategies: ['random', 'highest-loss', 'l2-cluster'] as const,
    metrics: ['self-loss', 'test-loss'] as const,
    seed: 3,
  };
  // Softmax's reference class is 1, so its free logit is class 0's log-odds: logistic on 1 - y.
  const flipped = { ...data, y: data.y.map((v) => 1 - v) };
  const protocol = (extra: { data: typeof data; model?: 'softmax' }) =>
    benchmarkRemoval({ ...options, strategies: [...options.strategies], metrics: [...options.metrics], ...extra });
  const soft = await protocol({ data, model: 'softmax' });
  const logistic = await protocol({ data: flipped });
  assert.equal(soft.records.length, 3 * 3 * 2);
  assert.equal(soft.config.model, 'softmax');
  assert.equal(logistic.config.model, undefined);
  for (const [j, a] of soft.records.entries()) {
    const b = logistic.records[j]!;
    assert.deepEqual(a.removed, b.removed);
    for (const key of ['actual', 'if', 'rif', 'ns'] as const) {
      for (const effect of ['nonlinear', 'linear'] as const) {
        const x = a[key][effect],
          y = b[key][effect];
        assert.ok(
          Math.abs(x - y) <= 1e-7 * (Math.abs(y) + 1e-6),
          `${a.strategy} ${a.size} ${a.metric} ${key} ${effect}: ${x} vs ${y}`,
        );
      }
    }
  }
  await assert.rejects(
    benchmarkRemoval({ data, model: 'mlp' as never }),
    /unknown model 'mlp' \(expected logistic, softmax\)/,
  );
  await assert.rejects(
    benchmarkRemoval({ data: { ...data, y: data.y.map((v, i) => (i === 7 ? 1.5 : v)) }, model: 'softmax' }),
    /benchmarkRemoval: data.y: label 7 is 1.5; class ids must be integers >= 0/,
  );
});

test('tdakit bench rif --model softmax on a CSV of 10-class digits: records, summary, report; highest-loss sets from JS cross-entropies', async () => {
  const mnist = await loadMnist({ pool: 7 });
  const rows = Array.from({ length: 400 }, (_, j) => j * 25);
  const csv = join(dir, 'digits.csv');
  const header = [...Array.from({ length: mnist.X.cols }, (_, j) => `p${j}`), 'digit'].join(',');
  writeFileSync(csv, [header, ...rows.map((i) => [...mnist.X.row(i), mnist.y[i]].join(','))].join('\n') + '\n');
  const out = join(dir, 'out');
  /** `tdakit bench rif --model softmax` on the digits CSV, with further flags. */
  const benchRif = (...flags: string[]) =>
    run(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli.ts',
        'bench',
        'rif',
        '--model',
        'softmax',
        '--dataset',
        csv,
        '--label',
        'digit',
        ...flags,
      ],
      { maxBuffer: 1 << 24 },
    );
  const { stdout } = await benchRif(
    '--lambda',
    '1',
    '--sizes',
    '3',
    '--strategies',
    'random,highest-loss',
    '--metrics',
    'test-loss,self-loss',
    '--seed',
    '2',
    '--lambda-sweep',
    '0.5',
    '--out',
    out,
  );
  assert.match(stdout, /softmax model, lambda 1/);
  // The sweep reruns the reduced protocol on the same (softmax) model at each lambda.
  assert.match(stdout, /lambda = 0\.5: IF slope -?\d/);
  assert.equal(JSON.parse(readFileSync(join(out, 'sweep-lambda-0.5', 'config.json'), 'utf8')).model, 'softmax');
  assert.match(stdout, /6 removal sets/);
  const records = readFileSync(join(out, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RemovalRecord);
  assert.equal(records.length, 2 * 3 * 2);
  for (const r of records)
    for (const m of ['actual', 'if', 'rif', 'ns'] as const)
      assert.ok(Number.isFinite(r[m].nonlinear), `${r.strategy} ${m}`);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.ok(Array.isArray(summary) ? summary.length > 0 : typeof summary === 'object');
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<svg/);
  // Independent check of the split, the fit's classes and the highest-loss sets: the training
  // losses recomputed in plain JS from the fitted parameters of the same split.
  const { trainIdx } = splitIndices(400, 0.2, 2);
  const X = mnist.X.selectRows(trainIdx.map((r) => rows[r]!)),
    y = trainIdx.map((r) => mnist.y[rows[r]!]!);
  const model = await SoftmaxRegression.fit(X, y, { lambda: 1, classes: 10 });
  const p = model.blockSize;
  const loss = y.map((yi, i) => {
    const a = rowOf(X, i, true);
    const z = Array.from({ length: 10 }, (_, c) =>
      c < 9 ? a.reduce((s, v, k) => s + v * model.theta[c * p + k]!, 0) : 0,
    );
    const m = Math.max(...z);
    return m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0)) - z[yi]!;
  });
  for (const r of records.filter((x) => x.strategy === 'highest-loss' && x.metric === 'self-loss')) {
    const cutoff = [...loss].sort((a, b) => b - a)[r.size - 1]!;
    assert.ok(
      r.removed.every((i) => loss[i]! >= cutoff - 1e-9),
      `highest-loss set of ${r.size}`,
    );
  }
  // A single removal: NS and RIF are both the exact single-removal Newton step.
  const single = records.filter((x) => x.size === 1);
  assert.ok(single.length > 0);
  for (const r of single)
    assert.ok(
      Math.abs(r.rif.nonlinear - r.ns.nonlinear) <= 1e-8 * (Math.abs(r.ns.nonlinear) + 1e-9),
      `${r.strategy} ${r.metric}`,
    );
  // --concurrency 2: the same records (softmax sets side by side), in the same order.
  const concurrent = join(dir, 'out-concurrent');
  await benchRif(
    ...['--lambda', '1', '--sizes', '3', '--strategies', 'random,highest-loss'],
    ...['--metrics', 'test-loss,self-loss', '--seed', '2', '--concurrency', '2', '--out', concurrent],
  );
  const untimed = (file: string) =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => ({ ...(JSON.parse(l) as RemovalRecord), retrainSeconds: 0 }));
  assert.deepStrictEqual(untimed(join(concurrent, 'records.jsonl')), untimed(join(out, 'records.jsonl')));
  await assert.rejects(
    benchRif('--poison', '3', '--out', join(dir, 'p')),
    (e: { code?: number; stderr?: string }) =>
      e.code === 1 &&
      /--poison: the poisoning check flips binary labels; it needs --model logistic/.test(e.stderr ?? ''),
  );
});

test('BENCHMARK_MODELS lists the models the protocol fits, and any other model is refused by name', async () => {
  assert.deepEqual([...BENCHMARK_MODELS], ['logistic', 'softmax']);
  const data = {
    name: 'tiny',
    X: (await loadMnist({ pool: 4 })).X.selectRows([0, 1, 2, 3]),
    y: Float64Array.from([0, 1, 0, 1]),
  };
  await assert.rejects(
    benchmarkRemoval({ data, model: 'mlp' as never, lambda: 1, sizes: [0.25], out: join(dir, 'refused') }),
    /benchmarkRemoval: unknown model 'mlp' \(expected logistic, softmax\)/,
  );
});
