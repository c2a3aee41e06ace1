/**
 * The fuzz driver run by test/fuzz.test.ts in a child process: seeded random malformed inputs
 * thrown at every public entry point until a time budget is spent. Each call must either
 * return a result without NaN (and without ±Infinity outside influence scores, where leverage
 * 1 gives a documented ±Infinity) or throw an Error with a message of tdakit's own (not a
 * JavaScript engine error such as "Cannot read properties of undefined"); a call must settle
 * within CALL_LIMIT_MS. A crash of the process is seen by the parent.
 *
 * The inputs are malformed values (wrong types, NaN, ±Infinity, negative, fractional, empty,
 * mismatched shapes, corrupt files, misbehaving external models). Valid but enormous sizes
 * (K = 2^31 models) are the caller's responsibility and are not drawn.
 *
 * Usage: node --import tsx test/fuzz-driver.ts <seed> <budget ms>. Prints one line per case to
 * stderr before running it (so a crash names its case) and a JSON report to stdout.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  daunce,
  encodeNpy,
  Influence,
  lds,
  LogisticRegression,
  LossCovariance,
  Matrix,
  Metric,
  MultilayerPerceptron,
  parseNpy,
  readCsv,
  readNpy,
  RidgeRegression,
  SoftmaxRegression,
  subsetRemoval,
  trakScores,
  writeNpy,
  benchmarkRemoval,
  groundTruth,
  type PerturbableModel,
  type Perturbation,
} from '../src/index.ts';
import { seededRandom } from '../src/random.ts';
import { logisticData, regressionData } from './helpers.ts';

const seed = Number(process.argv[2] ?? 1);
const budgetMs = Number(process.argv[3] ?? 30_000);
const CALL_LIMIT_MS = 20_000;
const random = seededRandom(seed);
const pick = <T>(a: readonly T[]): T => a[Math.floor(random() * a.length)]!;
const dir = mkdtempSync(join(tmpdir(), 'tdakit-fuzz-'));
// Fuzzed relative paths (cache and checkpoint directories) land in the temporary directory, never in the repository.
process.chdir(dir);

// Valid fixtures that the cases mutate.
const { X, y } = logisticData(40, 3, 7);
const q = logisticData(6, 3, 8);
const yr = regressionData(40, 3, 9).y;
const y3 = Float64Array.from(y, (v, i) => (i % 5 === 0 ? 2 : v));
const logistic = await LogisticRegression.fit(X, y, { lambda: 1 });
const ridge = await RidgeRegression.fit(X, yr, { lambda: 1 });
const softmax = await SoftmaxRegression.fit(X, y3, { lambda: 1 });
const mlp = await MultilayerPerceptron.fit(X, y3, { hidden: [4], epochs: 2, seed: 1 });
const influence = await Influence.of(logistic);
const validScores = Float64Array.from({ length: 40 * 6 }, (_, k) => Math.sin(k));
const validNpy = encodeNpy(
  Float64Array.from({ length: 6 }, (_, k) => k),
  [2, 3],
);

/** Malformed values: each call gives a fresh one. */
const JUNK: (() => unknown)[] = [
  () => undefined,
  () => null,
  () => NaN,
  () => Infinity,
  () => -Infinity,
  () => -1,
  () => 0,
  () => 1.5,
  () => -0,
  () => 2 ** 53,
  () => 1e308,
  () => -1e308,
  () => 'abc',
  () => '',
  () => '3',
  () => ({}),
  () => [],
  () => [NaN],
  () => [1, 2, 3],
  () => [-1],
  () => [0.5],
  () => [1e308, -1e308],
  () => [Infinity],
  () => new Float64Array(0),
  () => new Float64Array(3).fill(NaN),
  () => new Float32Array(40),
  () => new Float64Array(40),
  () => new Float64Array(41),
  () => Float64Array.from({ length: 40 }, (_, i) => i % 2),
  () => Float64Array.from({ length: 40 }, (_, i) => (i === 3 ? NaN : 1)),
  () => new Int32Array([1, 2]),
  () => X,
  () => q.X,
  () => new Matrix(new Float64Array(0), 0, 3),
  () => Matrix.fromArrays([[1e308, -1e308, 1e308]]),
  () => Matrix.fromArrays([[1, 2]]),
  () => Matrix.fromArrays([[1e-320, 0, 0]]),
  () => 5n,
  () => () => 1,
  () => true,
  () => ({ length: 3 }),
  () => new Array(3),
  () => new DataView(new ArrayBuffer(8)),
  () => Symbol('s'),
  () => new Date(0),
  () => ({ X: q.X }),
  () => ({ n: -1 }),
];
const junk = () => pick(JUNK)();
/** The valid value, or (with probability p) a malformed one. */
const maybe = <T>(valid: T, p = 0.3): T => (random() < p ? junk() : valid) as T;

const randomText = (length: number) => {
  const alphabet = [
    '0',
    '1',
    '9',
    '.',
    ',',
    ',',
    '\n',
    '\n',
    '-',
    'e',
    'NA',
    '"',
    ' ',
    'x',
    '0x1',
    '\r\n',
    ';',
    'inf',
    '1e999',
  ];
  return Array.from({ length }, () => pick(alphabet)).join('');
};

function mutateNpy(): Uint8Array {
  const b = validNpy.slice();
  switch (Math.floor(random() * 4)) {
    case 0:
      for (let k = 0; k < 3; k++) b[Math.floor(random() * b.length)] = Math.floor(random() * 256);
      return b;
    case 1:
      return b.subarray(0, Math.floor(random() * b.length));
    case 2: {
      const text = Buffer.from(b)
        .toString('latin1')
        .replace(
          '(2, 3)',
          pick(['(-2, 3)', '(2.5,)', '(NaN, 3)', '(9999999999999, 9999999)', '()', '(2, 3', '(1e3,)', '(0,)']),
        );
      return new Uint8Array(Buffer.from(text, 'latin1'));
    }
    default:
      b[6] = pick([0, 2, 3, 4, 255]);
      new DataView(b.buffer).setUint32(8, Math.floor(random() * 2 ** 32), true);
      return b;
  }
}

/** An external model that misbehaves at random: wrong values, throws, or answers slowly. */
function externalModel(n: number, m: number): PerturbableModel<Perturbation> {
  const mode = pick(['ok', 'nan', 'short', 'junk', 'throw', 'throw-null', 'slow']);
  return {
    train: async (p) => {
      if (mode === 'throw') throw new Error('model service unavailable');
      if (mode === 'throw-null') throw null;
      if (mode === 'slow') await new Promise((r) => setTimeout(r, 100));
      return p;
    },
    losses: async (p, which) => {
      const len = which === 'train' ? n : m;
      if (mode === 'nan') return new Float64Array(len).fill(NaN);
      if (mode === 'short') return new Float64Array(len - 1);
      if (mode === 'junk') return junk() as Float64Array;
      return Float64Array.from({ length: len }, (_, i) => Math.cos(i + p.xi[0]!));
    },
  };
}

const customMetric = () => ({
  name: 'fuzz',
  value: () => maybe(1) as number,
  gradient: () => maybe(new Float64Array(4)) as Float64Array,
});

type Case = { name: string; run: () => Promise<unknown> | unknown; infinityAllowed?: boolean; nanPaths?: RegExp };
const CASES: Case[] = [
  { name: 'new Matrix', run: () => new Matrix(maybe(Float64Array.from([1, 2, 3, 4, 5, 6])), maybe(2), maybe(3)) },
  { name: 'Matrix.from', run: () => Matrix.from(maybe([1, 2, 3, 4]), maybe(2), maybe(2)) },
  { name: 'Matrix.fromArrays', run: () => Matrix.fromArrays(maybe([[1, 2], maybe([3, 4])])) },
  {
    name: 'Matrix.fromCSV',
    run: () => {
      const file = join(dir, `f${Math.floor(random() * 1e9)}.csv`);
      writeFileSync(file, randomText(Math.floor(random() * 60)));
      return Matrix.fromCSV(file, maybe({}, 0.2));
    },
  },
  {
    name: 'readCsv',
    run: () => {
      const file = join(dir, `g${Math.floor(random() * 1e9)}.csv`);
      writeFileSync(file, random() < 0.5 ? randomText(40) : 'a,b\n1,2\n3,4\n');
      return readCsv(maybe(file, 0.1), { delimiter: maybe(','), header: maybe('auto') });
    },
  },
  { name: 'parseNpy', nanPaths: /\.data\[\d+\] = (NaN|-?Infinity)$/, run: () => parseNpy(mutateNpy()) },
  { name: 'encodeNpy', run: () => encodeNpy(maybe([1, 2, 3, 4]), maybe([2, 2])) },
  {
    // readNpy returns a file's values as they are (NaN included); Matrix.fromNpy rejects them.
    name: 'writeNpy/readNpy',
    nanPaths: /\.data\[\d+\] = (NaN|-?Infinity)$/,
    run: async () => {
      const file = join(dir, `h${Math.floor(random() * 1e9)}.npy`);
      await writeNpy(file, maybe(new Float32Array([1, 2, 3, 4])), maybe([4]));
      return readNpy(file);
    },
  },
  {
    name: 'Matrix.fromNpy',
    run: async () => {
      const f = join(dir, 'm.npy');
      writeFileSync(f, mutateNpy());
      return Matrix.fromNpy(f);
    },
  },
  {
    name: 'LogisticRegression.fit',
    run: () =>
      LogisticRegression.fit(
        maybe(X),
        maybe(y),
        maybe(
          {
            lambda: maybe(1),
            fitIntercept: maybe(true),
            regularization: maybe('fixed' as const),
            sampleWeights: maybe(undefined, 0.2),
            tol: maybe(1e-10, 0.1),
            maxIter: maybe(50, 0.1),
          },
          0.1,
        ),
      ),
  },
  {
    name: 'RidgeRegression.fit',
    run: () => RidgeRegression.fit(maybe(X), maybe(yr), { lambda: maybe(1), sampleWeights: maybe(undefined, 0.2) }),
  },
  {
    name: 'SoftmaxRegression.fit',
    run: () => SoftmaxRegression.fit(maybe(X), maybe(y3), { lambda: maybe(1), fitIntercept: maybe(true, 0.1) }),
  },
  // Layer sizes and class counts (allocation sizes) are the native-arch helper's tests.
  {
    name: 'MultilayerPerceptron.fit',
    run: () =>
      MultilayerPerceptron.fit(maybe(X), maybe(y3), {
        hidden: [3],
        epochs: maybe(2),
        batchSize: maybe(8),
        learningRate: maybe(0.01),
        optimizer: maybe('adam' as const),
        lambda: maybe(0.01),
        seed: maybe(1),
      }),
  },
  { name: 'model.predict', run: () => pick([logistic, ridge, softmax, mlp]).predict(maybe(q.X)) },
  { name: 'model.losses', run: () => pick([logistic, ridge, softmax, mlp]).losses(maybe(q.X), maybe(q.y)) },
  { name: 'glm.decisionFunction', run: () => pick([logistic, ridge]).decisionFunction(maybe(q.X)) },
  { name: 'glm.gradients', run: () => pick([logistic, ridge]).gradients(maybe(q.X), maybe(q.y)) },
  { name: 'glm.refit exclude', run: () => pick([logistic, ridge]).refit({ exclude: maybe([1, 2]) }) },
  {
    name: 'glm.refit weights',
    run: () =>
      pick([logistic, ridge]).refit({ weights: maybe(Float64Array.from({ length: 40 }, (_, i) => (i % 3 ? 1 : 0.5))) }),
  },
  {
    name: 'Influence.of',
    run: () => Influence.of(maybe(logistic as never), maybe(undefined, 0.2), maybe(undefined, 0.2)),
    infinityAllowed: true,
  },
  {
    name: 'influence.removalEffect',
    run: () => influence.removalEffect(maybe([1, 2]), { method: maybe('rif' as const) }),
    infinityAllowed: true,
  },
  {
    name: 'influence.scores',
    run: () =>
      influence.scores(
        maybe(q.X),
        maybe(q.y),
        maybe({ method: maybe('rif' as const), target: maybe('loss' as const) }, 0.2),
      ),
    infinityAllowed: true,
  },
  { name: 'influence.topK', run: () => influence.topK(maybe(q.X), maybe(q.y), { k: maybe(3) }), infinityAllowed: true },
  {
    name: 'influence.effect',
    run: () =>
      influence.effect(maybe([0, 5]), random() < 0.5 ? maybe(Metric.testLoss(q.X, q.y)) : customMetric(), {
        method: maybe('ns' as const),
      }),
    infinityAllowed: true,
  },
  {
    name: 'influence.metricScores',
    run: () => influence.metricScores(random() < 0.5 ? maybe(Metric.selfLoss()) : customMetric()),
    infinityAllowed: true,
  },
  {
    name: 'daunce (built-in)',
    run: async () => {
      const r = await daunce({
        model: maybe(pick([logistic, softmax, mlp]) as never, 0.15),
        queries: maybe({ X: q.X, y: q.y }, 0.15),
        K: maybe(3),
        ratio: maybe(0.5),
        seed: maybe(2),
        variant: maybe('hessian' as const, 0.15),
        measure: maybe('correlation' as const, 0.15),
      });
      return random() < 0.5 ? r.scores() : r.topK(maybe(2));
    },
  },
  {
    name: 'daunce (external)',
    run: async () => {
      const r = await daunce({
        model: externalModel(12, 2),
        train: maybe({ n: 12 }, 0.15),
        queries: maybe({ m: 2 }, 0.15),
        K: maybe(3, 0.15),
        retries: maybe(1, 0.15),
        retryDelayMs: maybe(1, 0.15),
        callTimeoutMs: maybe(2000, 0.15),
      });
      return r.scores(maybe('covariance' as const, 0.15));
    },
  },
  {
    name: 'lds',
    run: () =>
      lds({
        model: maybe(logistic as never, 0.15),
        queries: maybe({ X: q.X, y: q.y }, 0.15),
        scores: maybe(validScores),
        subsets: maybe(4),
        alpha: maybe(0.5, 0.15),
        seed: maybe(0, 0.15),
        target: maybe('loss' as const, 0.15),
      }),
    nanPaths: /perQuery/,
  },
  {
    name: 'groundTruth',
    run: () =>
      groundTruth({
        model: maybe(logistic as never, 0.1),
        queries: maybe({ X: q.X, y: q.y }, 0.2),
        subsets: maybe(3),
        cacheDir: maybe(join(dir, 'cache'), 0.15),
      }),
  },
  {
    name: 'subsetRemoval',
    run: () =>
      subsetRemoval({
        model: maybe(logistic as never, 0.15),
        queries: maybe({ X: q.X, y: q.y }, 0.15),
        scores: maybe(validScores),
        sizes: maybe([2, 5]),
        seeds: maybe(1, 0.1),
      }),
  },
  {
    name: 'trakScores',
    run: () =>
      trakScores({
        model: maybe(pick([logistic, softmax, mlp]) as never, 0.15),
        queries: maybe({ X: q.X, y: q.y }, 0.15),
        dimension: maybe(undefined, 0.2),
        ensemble: maybe(1, 0.2),
        seed: maybe(0, 0.1),
      }),
  },
  {
    name: 'LossCovariance',
    run: async () => {
      const acc = new LossCovariance(maybe(5, 0.15), maybe(2, 0.15));
      for (let k = 0; k < 3; k++)
        acc.add(
          maybe(
            Float64Array.from({ length: 5 }, (_, i) => Math.sin(i + k * k)),
            0.15,
          ),
          maybe(Float64Array.from([k, k * k]), 0.15),
        );
      return acc.scores(maybe('correlation' as const, 0.15));
    },
  },
  {
    // Correlations over fewer than two removal sets are undefined: documented NaN in the summary.
    name: 'benchmarkRemoval',
    nanPaths: /\.summary\[\d+\]\.(pearson|spearman|slope|medianRelativeError) = NaN/,
    run: () =>
      benchmarkRemoval({
        data: maybe({ name: 'fuzz', X, y }, 0.1),
        lambda: maybe(1, 0.15),
        sizes: maybe([0.05], 0.15),
        strategies: maybe(['random' as const], 0.15),
        metrics: maybe(['self-loss' as const], 0.15),
        seed: maybe(1, 0.1),
        testFraction: maybe(0.2, 0.1),
      }),
  },
];

/** JavaScript engine errors (a bug reaching the caller instead of a message of ours). */
const ENGINE_ERROR =
  /Cannot read prop|Cannot set prop|Cannot convert|is not a function|is not iterable|is not a constructor|Maximum call stack|Invalid typed array length|Invalid array length|Array buffer allocation failed|Cannot mix BigInt|Reduce of empty array|of undefined|of null|undefined is not|null is not|Do not know how to serialize/;

/** Paths of non-finite numbers in a result (typed arrays, arrays, plain objects, models' theta). */
function nonFinite(value: unknown, path = 'result', out: string[] = [], depth = 0): string[] {
  if (out.length > 3 || depth > 4) return out;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) out.push(`${path} = ${value}`);
  } else if (value instanceof Float64Array || value instanceof Float32Array) {
    const k = value.findIndex((v) => !Number.isFinite(v));
    if (k >= 0) out.push(`${path}[${k}] = ${value[k]}`);
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.slice(0, 100).entries()) nonFinite(v, `${path}[${i}]`, out, depth + 1);
  } else if (value && typeof value === 'object' && !(value instanceof Matrix) && !ArrayBuffer.isView(value)) {
    for (const key of Object.keys(value)) {
      if (key === 'X' || key === 'accumulator') continue;
      nonFinite((value as Record<string, unknown>)[key], `${path}.${key}`, out, depth + 1);
    }
  }
  return out;
}

const failures: { case: number; name: string; problem: string }[] = [];
const counts: Record<string, { ok: number; errors: number }> = {};
const started = performance.now();
let index = 0;
while (performance.now() - started < budgetMs) {
  const c = pick(CASES);
  const i = index++;
  process.stderr.write(`case ${i}: ${c.name}\n`);
  counts[c.name] ??= { ok: 0, errors: 0 };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const call = (async () => c.run())();
  call.catch(() => {}); // settled below; a late rejection after a timeout must not be unhandled
  const outcome = await Promise.race([
    call.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise<{ hung: true }>((res) => {
      timer = setTimeout(() => res({ hung: true }), CALL_LIMIT_MS);
    }),
  ]);
  clearTimeout(timer);
  if ('hung' in outcome) {
    failures.push({ case: i, name: c.name, problem: `did not settle within ${CALL_LIMIT_MS} ms` });
    continue;
  }
  if ('error' in outcome) {
    counts[c.name]!.errors++;
    const e = outcome.error;
    if (!(e instanceof Error)) failures.push({ case: i, name: c.name, problem: `threw a non-Error: ${String(e)}` });
    else if (ENGINE_ERROR.test(e.message) || !e.message)
      failures.push({ case: i, name: c.name, problem: `unclear ${e.name}: ${e.message}` });
    continue;
  }
  counts[c.name]!.ok++;
  const value = outcome.value as Record<string, unknown> | undefined;
  const checked =
    value instanceof LogisticRegression ||
    value instanceof RidgeRegression ||
    value instanceof SoftmaxRegression ||
    value instanceof MultilayerPerceptron
      ? { theta: value.theta }
      : value;
  const bad = nonFinite(checked).filter((p) => !c.nanPaths?.test(p) && !(c.infinityAllowed && /= -?Infinity$/.test(p)));
  if (bad.length > 0) failures.push({ case: i, name: c.name, problem: `silent non-finite output: ${bad.join('; ')}` });
}
console.log(JSON.stringify({ seed, cases: index, seconds: (performance.now() - started) / 1000, counts, failures }));
