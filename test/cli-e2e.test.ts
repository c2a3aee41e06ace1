/**
 * End-to-end runs of the CLI commands no other test ran, on small real data (MNIST digits from
 * the mnist package, written as CSV; the SpamAssassin corpus for the demo): `influence --full`,
 * `daunce --model softmax|mlp`, `eval`, `bench rif` with both sweeps and the poisoning check,
 * and `demo`. Outputs are checked against the library on the same inputs and, where the
 * quantity is simple (a refit's change of the training objective, a test accuracy), against
 * plain JS. (`fit`/`attribute`: pipelines-cli.test.ts; `worker`: distributed.test.ts.)
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Influence,
  LogisticRegression,
  Matrix,
  MultilayerPerceptron,
  SoftmaxRegression,
  daunce,
  evaluateMethods,
  loadMnist,
  loadSpamAssassin,
  readNpy,
} from '../src/index.ts';
import { splitIndices } from '../src/protocols/rif/index.ts';
import { seededRandom, shuffleInPlace } from '../src/random.ts';
import { refGradient, refHessian, refObjective, rowOf, solveDense } from './helpers.ts';

const CLI = join(import.meta.dirname, '..', 'src', 'cli.ts');
const dir = mkdtempSync(join(tmpdir(), 'tdakit-cli-e2e-'));
const PIXELS = [152, 156, 180, 184, 208, 212, 300, 320, 350, 380, 410, 430, 460, 490, 520];

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, `tdakit ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Rows of MNIST digits (`perClass` of each, after skipping `skip`), 15 pixels, label last. */
interface Digits {
  X: Matrix;
  y: Float64Array;
  file: string;
}
let binary: Digits, binaryQueries: Digits, three: Digits, threeQueries: Digits;

before(async () => {
  const mnist = await loadMnist();
  const take = (
    name: string,
    digits: number[],
    perClass: number,
    skip: number,
    label: (d: number) => number,
  ): Digits => {
    const seen = new Map<number, number>();
    const rows: number[][] = [];
    for (let i = 0; i < mnist.X.rows; i++) {
      const d = mnist.y[i]!;
      if (!digits.includes(d)) continue;
      const c = (seen.get(d) ?? 0) + 1;
      seen.set(d, c);
      if (c > skip && c <= skip + perClass) rows.push([...PIXELS.map((p) => mnist.X.get(i, p)), label(d)]);
    }
    const file = join(dir, `${name}.csv`);
    writeFileSync(
      file,
      [[...PIXELS.map((p) => `px${p}`), 'label'].join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n',
    );
    return {
      X: Matrix.fromArrays(rows.map((r) => r.slice(0, -1))),
      y: Float64Array.from(rows, (r) => r.at(-1)!),
      file,
    };
  };
  binary = take('digits-4-9', [4, 9], 75, 0, (d) => (d === 9 ? 1 : 0));
  binaryQueries = take('digits-4-9-queries', [4, 9], 3, 75, (d) => (d === 9 ? 1 : 0));
  three = take('digits-0-1-2', [0, 1, 2], 30, 0, (d) => d);
  threeQueries = take('digits-0-1-2-queries', [0, 1, 2], 2, 30, (d) => d);
});

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  assert.equal(a.length, b.length);
  for (let k = 0; k < a.length; k++)
    assert.ok(Math.abs(a[k]! - b[k]!) <= tol * (1 + Math.abs(b[k]!)), `entry ${k}: ${a[k]} vs ${b[k]}`);
};

test('influence --full writes the n x m RIF matrix of the library; the top-k lines are its largest entries', async () => {
  const full = join(dir, 'influence-full.npy');
  const r = cli(
    'influence',
    '--train',
    binary.file,
    '--queries',
    binaryQueries.file,
    '--lambda',
    '0.5',
    '--top-k',
    '3',
    '--full',
    full,
  );
  const model = await LogisticRegression.fit(binary.X, binary.y, { lambda: 0.5 });
  const expected = await (await Influence.of(model)).scores(binaryQueries.X, binaryQueries.y, { method: 'rif' });
  const written = await readNpy(full);
  assert.deepEqual(written.shape, [150, 6]);
  close(written.data, expected, 1e-12);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { query: number; top: { index: number; score: number }[] });
  assert.equal(lines.length, 6);
  for (const line of lines) {
    const column = Array.from({ length: 150 }, (_, i) => written.data[i * 6 + line.query]!);
    const order = Array.from(column.keys()).sort((a, b) => column[b]! - column[a]!);
    assert.deepEqual(
      line.top.map((t) => t.index),
      order.slice(0, 3),
    );
  }
});

test('daunce --model softmax writes the covariance scores of the library run on three digit classes', async () => {
  const full = join(dir, 'daunce-softmax.npy');
  cli(
    'daunce',
    '--model',
    'softmax',
    '--train',
    three.file,
    '--queries',
    threeQueries.file,
    '--K',
    '4',
    '--ratio',
    '0.4',
    '--measure',
    'covariance',
    '--seed',
    '3',
    '--top-k',
    '2',
    '--full',
    full,
  );
  const model = await SoftmaxRegression.fit(three.X, three.y, { lambda: 1 });
  const run = await daunce({
    model,
    queries: { X: threeQueries.X, y: threeQueries.y },
    K: 4,
    ratio: 0.4,
    measure: 'covariance',
    seed: 3,
  });
  const written = await readNpy(full);
  assert.deepEqual(written.shape, [90, 6]);
  close(written.data, await run.scores(), 1e-12);
  assert.ok(written.data.some((v) => Math.abs(v) > 0));
});

test('daunce --model mlp (--hidden, --epochs, --variant trak) writes the scores of the library run', async () => {
  const full = join(dir, 'daunce-mlp.npy');
  cli(
    'daunce',
    '--model',
    'mlp',
    '--hidden',
    '4',
    '--epochs',
    '2',
    '--variant',
    'trak',
    '--train',
    three.file,
    '--queries',
    threeQueries.file,
    '--K',
    '3',
    '--top-k',
    '2',
    '--full',
    full,
  );
  const model = await MultilayerPerceptron.fit(three.X, three.y, { lambda: 1, hidden: [4], epochs: 2, seed: 0 });
  const run = await daunce({
    model,
    queries: { X: threeQueries.X, y: threeQueries.y },
    K: 3,
    variant: 'trak',
    seed: 0,
  });
  const written = await readNpy(full);
  assert.deepEqual(written.shape, [90, 6]);
  close(written.data, await run.scores(), 1e-12);
});

test('eval on a CSV file: evaluation.json equals evaluateMethods on the seeded 80/20 split; report and cache written', async () => {
  const out = join(dir, 'eval');
  const r = cli(
    'eval',
    '--dataset',
    binary.file,
    '--methods',
    'rif,random,trak',
    '--subsets',
    '8',
    '--queries',
    '5',
    '--trak-models',
    '2',
    '--lambda',
    '0.5',
    '--seed',
    '2',
    '--out',
    out,
  );
  assert.match(r.stdout, /rif\s+-?\d\.\d{3} \+- \d\.\d{3}/);
  const report = JSON.parse(readFileSync(join(out, 'evaluation.json'), 'utf8')) as Awaited<
    ReturnType<typeof evaluateMethods>
  >;
  const { trainIdx, testIdx } = splitIndices(150, 0.2, 2);
  const model = await LogisticRegression.fit(
    binary.X.selectRows(trainIdx),
    trainIdx.map((i) => binary.y[i]!),
    { lambda: 0.5 },
  );
  const te = testIdx.slice(0, 5);
  const expected = await evaluateMethods({
    model,
    queries: { X: binary.X.selectRows(te), y: Float64Array.from(te, (i) => binary.y[i]!) },
    methods: ['rif', 'random', 'trak'],
    subsets: 8,
    trakModels: 2,
    seed: 2,
  });
  assert.deepEqual([report.n, report.m, report.subsets, report.retrained], [120, 5, 8, 8]);
  for (const [j, m] of expected.methods.entries()) {
    assert.equal(report.methods[j]!.method, m.method);
    assert.equal(report.methods[j]!.lds, m.lds);
    assert.equal(report.methods[j]!.standardError, m.standardError);
    assert.deepEqual(report.methods[j]!.subsetRemoval, m.subsetRemoval);
  }
  assert.ok(existsSync(join(out, 'report.html')));
  assert.equal(readdirSync(join(out, 'cache')).length, 1);
});

test('bench rif with --lambda-sweep, --n-sweep and --poison: every record written; actual self-loss changes equal plain-JS refits', async () => {
  const out = join(dir, 'bench');
  const r = cli(
    'bench',
    'rif',
    '--dataset',
    binary.file,
    '--sizes',
    '3',
    '--strategies',
    'random,highest-loss',
    '--metrics',
    'self-loss,test-loss',
    '--lambda-sweep',
    '0.1,1',
    '--n-sweep',
    '80',
    '--poison',
    '2',
    '--out',
    out,
  );
  type Rec = { strategy: string; metric: string; size: number; removed: number[]; actual: { nonlinear: number } };
  const records = readFileSync(join(out, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec);
  assert.equal(records.length, 2 * 3 * 2);
  assert.deepEqual(new Set(records.map((x) => x.strategy)), new Set(['random', 'highest-loss']));
  // The protocol: the seeded 80/20 split, lambda 0.01; self-loss is the training objective F over every training example.
  const { trainIdx } = splitIndices(150, 0.2, 0);
  const X = binary.X.selectRows(trainIdx),
    y = trainIdx.map((i) => binary.y[i]!);
  const fit = (w: number[]) => {
    const pr = { kind: 'logistic' as const, X, y, w, lambda: 0.01, intercept: true };
    const theta = new Array<number>(X.cols + 1).fill(0);
    for (let it = 0; it < 100; it++) {
      const step = solveDense(refHessian(pr, theta), refGradient(pr, theta));
      for (let k = 0; k < theta.length; k++) theta[k]! -= step[k]!;
      if (Math.hypot(...step) < 1e-13) break;
    }
    return theta;
  };
  const all = { kind: 'logistic' as const, X, y, lambda: 0.01, intercept: true };
  const F0 = refObjective(all, fit(y.map(() => 1)));
  for (const rec of records.filter((x) => x.metric === 'self-loss')) {
    assert.equal(rec.removed.length, rec.size);
    const w = y.map((_, i) => (rec.removed.includes(i) ? 0 : 1));
    const expected = refObjective(all, fit(w)) - F0;
    assert.ok(
      Math.abs(rec.actual.nonlinear - expected) < 1e-7 * (1 + Math.abs(expected)),
      `${rec.strategy} |T| = ${rec.size}: ${rec.actual.nonlinear} vs ${expected}`,
    );
  }
  for (const [sweep, key, value] of [
    ['sweep-lambda-0.1', 'lambda', 0.1],
    ['sweep-lambda-1', 'lambda', 1],
    ['sweep-n-80', 'rows', 80],
  ] as const) {
    const config = JSON.parse(readFileSync(join(out, sweep, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(config[key], value, `${sweep} ${key}`);
    assert.ok(
      readFileSync(join(out, sweep, 'records.jsonl'), 'utf8')
        .trim()
        .split('\n').length > 0,
    );
  }
  assert.match(r.stdout, /poisoning check:\n2 flipped-label test points/);
  assert.match(r.stdout, /^RIF slope -?\d+\.\d{3}, Pearson -?[01]\.\d{3}$/m);
  assert.ok(
    existsSync(join(out, 'report.html')) &&
      existsSync(join(out, 'plots', 'sweep-lambda.svg')) &&
      existsSync(join(out, 'plots', 'sweep-n.svg')),
  );
});

test('demo on 200 SpamAssassin emails: the split sizes and test accuracy equal a plain-JS fit on the same seeded split', async () => {
  const r = cli('demo', '--limit', '200', '--vocabulary', '50', '--sets', '3', '--lambda', '0.01', '--seed', '3');
  const data = await loadSpamAssassin({ vocabulary: 50, limit: 200 });
  const order = shuffleInPlace(
    Array.from({ length: data.X.rows }, (_, i) => i),
    seededRandom(3),
  );
  const nTest = Math.round(0.2 * order.length);
  const train = order.slice(nTest),
    testRows = order.slice(0, nTest);
  assert.match(r.stdout, new RegExp(`${train.length} training emails x 50 words, ${testRows.length} test emails`));
  const X = data.X.selectRows(train),
    y = train.map((i) => data.y[i]!);
  const pr = { kind: 'logistic' as const, X, y, lambda: 0.01, intercept: true };
  const theta = new Array<number>(51).fill(0);
  for (let it = 0; it < 100; it++) {
    const step = solveDense(refHessian(pr, theta), refGradient(pr, theta));
    for (let k = 0; k < theta.length; k++) theta[k]! -= step[k]!;
    if (Math.hypot(...step) < 1e-12) break;
  }
  const Xt = data.X.selectRows(testRows);
  const correct = testRows.filter(
    (i, t) => (rowOf(Xt, t, true).reduce((s, v, k) => s + v * theta[k]!, 0) > 0 ? 1 : 0) === data.y[i],
  ).length;
  assert.match(r.stdout, new RegExp(`test accuracy ${((100 * correct) / testRows.length).toFixed(1)}%`));
  // The table: three estimates for each of the two metrics, with finite slopes and correlations in [-1, 1].
  const rows = [...r.stdout.matchAll(/^(self-loss|test loss)\s+(IF|RIF|NS)\s+(-?\d+\.\d{3})\s+(-?\d\.\d{4})$/gm)];
  assert.equal(rows.length, 6);
  for (const row of rows) assert.ok(Math.abs(Number(row[4])) <= 1);
});
