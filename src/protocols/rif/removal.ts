/**
 * The IF-vs-RIF benchmark (the RIF paper's experiments, docs/methods.md section 5 "Predicted vs
 * actual"): for every removal strategy and size, the IF, RIF and NS predictions of the change
 * of each metric against the exact retrain. Records are appended as they complete, so an
 * interrupted run resumes without repeating a finished retrain.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Matrix } from '../../data/matrix.ts';
import { assertInteger, assertNumber, toFloat64 } from '../../data/validate.ts';
import type { LabelledData } from '../../datasets/mnist.ts';
import { AbortError } from '../../errors.ts';
import { writeFileAtomic } from '../../io/atomic.ts';
import { appendJsonLines, readJsonLines } from '../../io/json-lines.ts';
import { lockDirectory, type DirectoryLock } from '../../io/lock.ts';
import { Influence } from '../../influence/analysis.ts';
import type { MulticlassInfluence } from '../../influence/multiclass.ts';
import { Metric, type MetricSpec } from '../../influence/metrics.ts';
import { LogisticRegression } from '../../models/logistic.ts';
import { SoftmaxRegression } from '../../models/softmax.ts';
import { classIds } from '../../models/classify.ts';
import type { Regularization } from '../../models/options.ts';
import { mixSeed, seededRandom, shuffleInPlace } from '../../random.ts';
import { sha256Hex } from '../../hash.ts';
import { removalSet, STRATEGIES, type Strategy } from './strategies.ts';
import { BENCHMARK_METRICS, ESTIMATES, type BenchmarkMetric, type Estimate } from './names.ts';
import { summarize, type SummaryRow } from './summary.ts';
import { runInOrder } from './ordered-runs.ts';
import { RemoteRifRetrains } from '../../distributed/coordinators.ts';
import type { QueueOptions } from '../../distributed/executor.ts';
import { assertKnownOptions, optionKeys } from '../../options-check.ts';
import { refuseOtherFormat } from '../../io/format-version.ts';

export { BENCHMARK_METRICS, ESTIMATES, type BenchmarkMetric, type Estimate };

/** Options of `benchmarkRemoval`. */
export interface RemovalBenchmarkOptions {
  data: LabelledData;
  /**
   * 'logistic' (default; labels 0/1) or 'softmax': multinomial regression on class ids
   * 0..C-1 (C = the largest label + 1), whose influence uses leverage blocks.
   */
  model?: BenchmarkModel;
  /** L2 penalty of the model (sum form). Default 1e-2. */
  lambda?: number;
  regularization?: Regularization;
  /** Fraction of the data held out for testing. Default 0.2. */
  testFraction?: number;
  /** Removal sizes as fractions of n. Default 40 log-spaced from 0.001 to 0.05. */
  sizes?: number[];
  strategies?: Strategy[];
  metrics?: BenchmarkMetric[];
  /** Test subset: this many highest-loss test points plus as many random others. Default 50 + 50. */
  testHighestLoss?: number;
  testRandom?: number;
  /** Seed of the split, the test subset and every removal set. Default 0. */
  seed?: number;
  /** Directory for records.jsonl and config.json (resume), and the report. */
  out?: string;
  signal?: AbortSignal;
  /** Called after every finished (strategy, size) with the number done and the total. */
  onProgress?: (done: number, total: number, latest: RemovalRecord[]) => void;
  /** Run the exact retrains on tdakit workers over Redis (README "Running across machines"); records are identical. */
  queue?: QueueOptions;
  /**
   * Removal sets processed at once (an integer from 1 to 256). Default: the number of cores
   * (`os.availableParallelism()`, at most 256). Each set's retrain and estimates run on the libuv
   * pool and depend only on the set; a sparse refit (spam) keeps one core busy, so 2 sets at once
   * on 2 free cores finish up to 1.7x as many sets per second (README "Removal sets side by
   * side"). Records, records.jsonl and the progress events come in the order of the sequential
   * run, with the same bits as concurrency 1 (tested, also for a dense model above 128
   * parameters with 2 BLAS threads): no kernel a set runs switches OpenBLAS's process-wide
   * thread count, and the IF scores that kernel-switching scoring needs are computed before
   * the sets start.
   */
  concurrency?: number;
}

export const REMOVAL_BENCHMARK_OPTION_KEYS = optionKeys<RemovalBenchmarkOptions>({
  data: true,
  model: true,
  lambda: true,
  regularization: true,
  testFraction: true,
  sizes: true,
  strategies: true,
  metrics: true,
  testHighestLoss: true,
  testRandom: true,
  seed: true,
  out: true,
  signal: true,
  onProgress: true,
  queue: true,
  concurrency: true,
});

/** The models the protocol fits. */
export const BENCHMARK_MODELS = ['logistic', 'softmax'] as const;
/** One of `BENCHMARK_MODELS`. */
export type BenchmarkModel = (typeof BENCHMARK_MODELS)[number];

/** One line of records.jsonl: one metric of one removal set. */
export interface RemovalRecord {
  strategy: Strategy;
  sizeIndex: number;
  size: number;
  fraction: number;
  metric: BenchmarkMetric;
  actual: { nonlinear: number; linear: number };
  if: { nonlinear: number; linear: number };
  rif: { nonlinear: number; linear: number };
  ns: { nonlinear: number; linear: number };
  retrainSeconds: number;
  retrainIterations: number;
  /** The removed training rows (indices into the training split). */
  removed: number[];
}

/** The result of `benchmarkRemoval`. */
export interface RemovalBenchmarkResult {
  config: Record<string, unknown>;
  records: RemovalRecord[];
  summary: SummaryRow[];
  /** Retrains run now (excludes those resumed from disk). */
  retrainsRun: number;
  seconds: number;
}

/**
 * Version of records.jsonl/config.json. 2: every random set (split, test subset, removal sets)
 * is drawn from seeds derived by sha256 (mixSeed), so records of format 1 describe other sets.
 */
export const RECORD_FORMAT = 2;

/** Refuses, with a clear message, to resume records written in another format (they describe other random sets). */
function checkRecordFormat(out: string, previousConfig: string): void {
  refuseOtherFormat(
    previousConfig,
    RECORD_FORMAT,
    (format) =>
      `benchmarkRemoval: ${out} holds records of format ${format}, ` +
      'written by an older tdakit whose random sets differ ' +
      `(this version writes format ${RECORD_FORMAT}); they cannot be resumed: use another out directory or delete it`,
  );
}

/**
 * Removal sizes as fractions of n, log-spaced (the protocol's 40 sizes from 0.1% to 5% by default).
 * @param count - number of sizes
 * @param from - smallest fraction
 * @param to - largest fraction
 * @returns the fractions
 */
export function defaultSizes(count = 40, from = 0.001, to = 0.05): number[] {
  return Array.from({ length: count }, (_, s) => from * (to / from) ** (count === 1 ? 0 : s / (count - 1)));
}

/**
 * Seeded train/test split of row indices.
 * @param rows - number of rows
 * @param testFraction - fraction of rows in the test split
 * @param seed - the protocol's seed
 * @returns training and test row indices
 */
export function splitIndices(
  rows: number,
  testFraction: number,
  seed: number,
): { trainIdx: number[]; testIdx: number[] } {
  const order = shuffleInPlace(
    Array.from({ length: rows }, (_, i) => i),
    seededRandom(subSeed(seed, 'split')),
  );
  const nTest = Math.round(testFraction * rows);
  return { trainIdx: order.slice(nTest), testIdx: order.slice(0, nTest) };
}

/**
 * A seed for each (strategy, size): sets do not depend on what ran before them.
 * @param seed - the protocol's seed
 * @param parts - what the stream is for
 * @returns a 32-bit seed
 */
export function subSeed(seed: number, ...parts: (string | number)[]): number {
  return mixSeed(seed, 'rif-protocol', ...parts);
}

/** SHA-256 of the features and labels (their float64 bytes). */
function dataHash(X: Float64Array, y: ArrayLike<number>): string {
  return sha256Hex(X, Float64Array.from(y));
}

/**
 * Runs the IF-vs-RIF protocol (docs/methods.md section 5): for every strategy and size, the exact
 * retrain against the IF, RIF and NS estimates. Resumes from `out`.
 * @param options - data, penalty, sizes, strategies, metrics, seed, output directory
 * @returns the configuration, the records and their summary
 */
export async function benchmarkRemoval(options: RemovalBenchmarkOptions): Promise<RemovalBenchmarkResult> {
  const held: { lock?: DirectoryLock; remote?: RemoteRifRetrains } = {};
  let succeeded = false;
  try {
    const result = await runBenchmarkRemoval(options, held);
    succeeded = true;
    return result;
  } finally {
    await held.remote?.close(succeeded);
    await held.lock?.release();
  }
}

/** The run itself; the lock it takes on `out` is left in `held` for the caller to release. */
async function runBenchmarkRemoval(
  options: RemovalBenchmarkOptions,
  held: { lock?: DirectoryLock; remote?: RemoteRifRetrains },
): Promise<RemovalBenchmarkResult> {
  const t0 = performance.now();
  const { data } = options;
  if (!data || !(data.X instanceof Matrix)) throw new TypeError('benchmarkRemoval: data must be { X: Matrix, y }');
  toFloat64('benchmarkRemoval: data.y', data.y, data.X.rows);
  assertKnownOptions('benchmarkRemoval', options, REMOVAL_BENCHMARK_OPTION_KEYS);
  const lambda = assertNumber('benchmarkRemoval: lambda', options.lambda ?? 1e-2, 0);
  const testFraction = assertNumber('benchmarkRemoval: testFraction', options.testFraction ?? 0.2, 0, 0.9);
  const seed = assertInteger('benchmarkRemoval: seed', options.seed ?? 0, 0);
  const concurrency = assertInteger(
    'benchmarkRemoval: concurrency',
    options.concurrency ?? Math.min(256, availableParallelism()),
    1,
    256,
  );
  for (const key of ['sizes', 'strategies', 'metrics'] as const) {
    if (options[key] !== undefined && !Array.isArray(options[key]))
      throw new TypeError(`benchmarkRemoval: ${key} must be an array`);
  }
  const sizes = options.sizes ?? defaultSizes();
  for (const [i, f] of sizes.entries()) assertNumber(`benchmarkRemoval: sizes[${i}]`, f, 0, 0.5);
  const strategies = options.strategies ?? [...STRATEGIES];
  for (const s of strategies)
    if (!STRATEGIES.includes(s))
      throw new RangeError(`benchmarkRemoval: unknown strategy '${s}' (expected ${STRATEGIES.join(', ')})`);
  const metricNames = options.metrics ?? [...BENCHMARK_METRICS];
  for (const m of metricNames)
    if (!BENCHMARK_METRICS.includes(m))
      throw new RangeError(`benchmarkRemoval: unknown metric '${m}' (expected ${BENCHMARK_METRICS.join(', ')})`);
  const highest = assertInteger('benchmarkRemoval: testHighestLoss', options.testHighestLoss ?? 50, 0);
  const randomCount = assertInteger('benchmarkRemoval: testRandom', options.testRandom ?? 50, 0);
  const kind = options.model ?? 'logistic';
  if (!BENCHMARK_MODELS.includes(kind))
    throw new RangeError(`benchmarkRemoval: unknown model '${String(kind)}' (expected ${BENCHMARK_MODELS.join(', ')})`);
  const config = {
    format: RECORD_FORMAT,
    // Logistic runs keep the configuration they had before the model option, so they still resume.
    ...(kind === 'logistic' ? {} : { model: kind }),
    dataset: data.name,
    rows: data.X.rows,
    cols: data.X.cols,
    lambda,
    regularization: options.regularization ?? 'fixed',
    testFraction,
    seed,
    sizes,
    strategies,
    metrics: metricNames,
    testHighestLoss: highest,
    testRandom: randomCount,
    // The data's content: an edited file with the same name must not resume the old records.
    dataHash: dataHash(data.X.data, data.y),
  };
  if (options.out) {
    await mkdir(options.out, { recursive: true });
    held.lock = await lockDirectory(options.out, 'benchmarkRemoval');
  }

  const { trainIdx, testIdx } = splitIndices(data.X.rows, testFraction, seed);
  const nTest = testIdx.length;
  const X = data.X.selectRows(trainIdx),
    y = Float64Array.from(trainIdx, (i) => data.y[i]!);
  const { model, influence, losses } = await fitModel(kind, X, y, data.y, lambda, options.regularization ?? 'fixed');
  const n = X.rows;

  // Test subset: the highest-loss test points plus random others.
  const Xtest = data.X.selectRows(testIdx),
    ytest = Float64Array.from(testIdx, (i) => data.y[i]!);
  const testLosses = nTest > 0 ? await model.losses(Xtest, ytest) : new Float64Array(0);
  const byLoss = Array.from(testLosses.keys()).sort((a, b) => testLosses[b]! - testLosses[a]! || a - b);
  const chosen = byLoss.slice(0, Math.min(highest, byLoss.length));
  const rest = byLoss.slice(chosen.length);
  const pick = seededRandom(subSeed(seed, 'test-subset'));
  for (let r = 0; r < randomCount && rest.length > 0; r++)
    chosen.push(rest.splice(Math.floor(pick() * rest.length), 1)[0]!);
  const needsTest = metricNames.some((m) => m !== 'self-loss') || strategies.some((s) => s.startsWith('if-'));
  if (needsTest && chosen.length === 0)
    throw new RangeError('benchmarkRemoval: the test subset is empty (raise testFraction or the test subset sizes)');
  const XS = Xtest.selectRows(chosen),
    yS = Float64Array.from(chosen, (i) => ytest[i]!);
  const metricSpecs: Record<BenchmarkMetric, MetricSpec> = {
    'test-prediction': Metric.testPrediction(XS),
    'test-loss': Metric.testLoss(XS, yS),
    'self-loss': Metric.selfLoss(),
  };
  const specs = metricNames.map((m) => metricSpecs[m]);
  const ifCache = new Map<string, Promise<Float64Array>>();
  const ctx = {
    influence,
    losses,
    ifScores: (m: 'test-loss' | 'test-prediction') => {
      if (!ifCache.has(m)) ifCache.set(m, influence.metricScores(metricSpecs[m], { method: 'if' }));
      return ifCache.get(m)!;
    },
  };

  // Resume: valid records already on disk for this exact configuration are kept. The records
  // file is only ever appended to, and the directory is locked so two runs cannot interleave.
  let records: RemovalRecord[] = [];
  const recordsFile = options.out ? join(options.out, 'records.jsonl') : undefined;
  if (options.out) records = await resumeRecords(options.out, config, sizes.length);
  const finished = new Set<string>();
  for (const r of records) finished.add(`${r.strategy}:${r.sizeIndex}`);

  const total = strategies.length * sizes.length;
  let done = finished.size;
  let retrainsRun = 0;
  const setSize = (fraction: number) => Math.max(1, Math.min(n - 1, Math.round(fraction * n)));
  const unitOf = (strategy: Strategy, sizeIndex: number) => strategies.indexOf(strategy) * sizes.length + sizeIndex;
  if (options.queue) {
    // Every pending retrain is enqueued at once; results are merged below in the local order.
    held.remote = await RemoteRifRetrains.open(options.queue, model, JSON.stringify(config), options.signal);
    const remote = held.remote;
    for (const strategy of strategies) {
      for (const [sizeIndex, fraction] of sizes.entries()) {
        if (finished.has(`${strategy}:${sizeIndex}`)) continue;
        remote.retrain(
          unitOf(strategy, sizeIndex),
          await removalSet(strategy, setSize(fraction), ctx, seededRandom(subSeed(seed, strategy, sizeIndex))),
        );
      }
    }
  }
  // The pending sets in the order of the sequential run: their records are committed (appended,
  // reported) in this order whatever order the concurrent sets finish in.
  const pending = strategies.flatMap((strategy) =>
    sizes.flatMap((fraction, sizeIndex) =>
      finished.has(`${strategy}:${sizeIndex}`) ? [] : [{ strategy, sizeIndex, fraction }],
    ),
  );
  // The IF scores the pending sets choose from, computed before any set runs: the score kernel
  // runs single-threaded BLAS on its workers by switching OpenBLAS's process-wide thread count,
  // which would change the split (and last bits) of a retrain running beside it.
  if (!held.remote)
    await Promise.all(
      [...new Set(pending.filter((u) => u.strategy.startsWith('if-')).map((u) => u.strategy))].map((strategy) =>
        ctx.ifScores(strategy.startsWith('if-test-loss') ? 'test-loss' : 'test-prediction'),
      ),
    );
  const stopped = (stop: AbortSignal) => {
    if (stop.aborted) throw new AbortError('benchmarkRemoval: aborted');
  };
  // One removal set: its retrain and estimates, which depend only on the set (same bits at any
  // concurrency); `stop` ends an abandoned set between its native calls.
  const runSet = async (
    { strategy, sizeIndex, fraction }: (typeof pending)[number],
    _index: number,
    stop: AbortSignal,
  ): Promise<RemovalRecord[]> => {
    const k = setSize(fraction);
    const T =
      held.remote?.removed(unitOf(strategy, sizeIndex)) ??
      (await removalSet(strategy, k, ctx, seededRandom(subSeed(seed, strategy, sizeIndex))));
    stopped(stop);
    const {
      theta: refitTheta,
      iterations: retrainIterations,
      seconds: retrainSeconds,
    } = held.remote ? await held.remote.result(unitOf(strategy, sizeIndex)) : await retrainLocally(influence, T);
    stopped(stop);
    const actualDelta = refitTheta.map((t, j) => t - model.theta[j]!);
    const actual = await Promise.all(specs.map((m) => influence.effectOfChange(actualDelta, m)));
    const predicted = {} as Record<Estimate, { nonlinear: number; linear: number }[]>;
    for (const e of ESTIMATES) {
      stopped(stop);
      predicted[e] = await influence.effects(T, specs, { method: e });
    }
    return metricNames.map(
      (metric, j): RemovalRecord => ({
        strategy,
        sizeIndex,
        size: k,
        fraction,
        metric,
        actual: actual[j]!,
        if: predicted.if[j]!,
        rif: predicted.rif[j]!,
        ns: predicted.ns[j]!,
        retrainSeconds,
        retrainIterations,
        removed: T,
      }),
    );
  };
  await runInOrder(
    pending,
    concurrency,
    runSet,
    async (latest) => {
      retrainsRun++;
      if (recordsFile) await appendJsonLines(recordsFile, latest);
      records.push(...latest);
      options.onProgress?.(++done, total, latest);
    },
    options.signal,
    'benchmarkRemoval: aborted',
  );
  return { config, records, summary: summarize(records), retrainsRun, seconds: (performance.now() - t0) / 1000 };
}

/** The protocol's model, its influence analysis and its training losses. */
async function fitModel(
  kind: BenchmarkModel,
  X: Matrix,
  y: Float64Array,
  allLabels: Float64Array | readonly number[],
  lambda: number,
  regularization: Regularization,
) {
  if (kind === 'softmax') {
    // Classes from every label, so a class seen only in the test split is still a class.
    const classes = classIds('benchmarkRemoval: data.y', allLabels, allLabels.length).reduce(
      (c, v) => Math.max(c, v + 1),
      2,
    );
    const model = await SoftmaxRegression.fit(X, y, { lambda, regularization, classes });
    return { model, influence: await Influence.of(model), losses: await model.losses(X, y) };
  }
  const model = await LogisticRegression.fit(X, y, { lambda, regularization });
  return {
    model,
    influence: (await Influence.of(model)) as Influence | MulticlassInfluence,
    losses: (await model.trainingPointwise()).loss,
  };
}

/** The exact retrain of one unit in this process (what a worker runs for a queued unit). */
async function retrainLocally(
  influence: Influence | MulticlassInfluence,
  T: number[],
): Promise<{ theta: Float64Array; iterations: number; seconds: number }> {
  const t0 = performance.now();
  const refit = await influence.retrain(T);
  const iterations = refit.diagnostics.chordIterations + refit.diagnostics.newtonIterations;
  return { theta: refit.theta, iterations, seconds: (performance.now() - t0) / 1000 };
}

const ESTIMATE_KEYS = ['actual', 'if', 'rif', 'ns'] as const;

/** A parsed line of records.jsonl, or what is wrong with it. */
function validRecord(
  v: unknown,
  strategies: readonly string[],
  metrics: readonly string[],
  sizeCount: number,
): RemovalRecord | string {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not an object';
  const r = v as Record<string, unknown>;
  if (!strategies.includes(r.strategy as string)) return 'unknown strategy';
  if (!metrics.includes(r.metric as string)) return 'unknown metric';
  if (!Number.isInteger(r.sizeIndex) || (r.sizeIndex as number) < 0 || (r.sizeIndex as number) >= sizeCount)
    return 'bad sizeIndex';
  if (!Number.isInteger(r.size) || (r.size as number) < 1) return 'bad size';
  for (const key of ESTIMATE_KEYS) {
    const e = r[key] as { nonlinear?: unknown; linear?: unknown } | null;
    if (!e || typeof e !== 'object' || typeof e.nonlinear !== 'number' || typeof e.linear !== 'number')
      return `bad ${key}`;
  }
  if (
    !Array.isArray(r.removed) ||
    r.removed.length !== r.size ||
    !r.removed.every((i) => Number.isInteger(i) && i >= 0)
  )
    return 'bad removed';
  return r as unknown as RemovalRecord;
}

/**
 * Reads the records of a previous run in `out` (refusing a run with other options) and keeps,
 * for each (strategy, size), the last record of every metric, and only sets with all metrics:
 * a set cut short, a torn line or a garbage line is redone, never counted twice.
 */
async function resumeRecords(
  out: string,
  config: Record<string, unknown> & { strategies: string[]; metrics: string[] },
  sizeCount: number,
): Promise<RemovalRecord[]> {
  const configFile = join(out, 'config.json');
  const configText = JSON.stringify(config, null, 2);
  if (!existsSync(configFile) && existsSync(join(out, 'records.jsonl'))) {
    throw new RangeError(
      `benchmarkRemoval: ${out} holds records.jsonl without its config.json; use another out directory`,
    );
  }
  try {
    await writeFileAtomic(configFile, configText, { exclusive: true });
    return [];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const previous = await readFile(configFile, 'utf8');
  checkRecordFormat(out, previous);
  const previousHash = (() => {
    try {
      return (JSON.parse(previous) as { dataHash?: string }).dataHash;
    } catch {
      return undefined;
    }
  })();
  if (previousHash !== config.dataHash) {
    throw new RangeError(
      `benchmarkRemoval: the data differ from those of the run in ${out} (content hash ${String(previousHash).slice(0, 12)} there, ` +
        `${String(config.dataHash).slice(0, 12)} now): its records do not apply; use another out directory or remove this one`,
    );
  }
  if (previous !== configText) {
    throw new RangeError(
      `benchmarkRemoval: ${out} holds a run with different options (${configFile}); use another out directory`,
    );
  }
  const file = join(out, 'records.jsonl');
  const read = await readJsonLines(file, (v) => validRecord(v, config.strategies, config.metrics, sizeCount));
  if (read.rejected.length > 0) {
    process.emitWarning(
      `benchmarkRemoval: ${file}: skipped ${read.rejected.length} invalid line(s) (line ${read.rejected.slice(0, 5).join(', ')}${read.rejected.length > 5 ? ', ...' : ''}); their sets are run again`,
      { code: 'TDAKIT_RECORDS_SKIPPED' },
    );
  }
  const latest = new Map<string, RemovalRecord>();
  for (const r of read.records) latest.set(`${r.strategy}:${r.sizeIndex}:${r.metric}`, r);
  const complete = (r: RemovalRecord) => config.metrics.every((m) => latest.has(`${r.strategy}:${r.sizeIndex}:${m}`));
  // Every (strategy, size) appears once, in the order of the run, metrics in config order.
  const kept: RemovalRecord[] = [];
  const seen = new Set<string>();
  for (const r of read.records) {
    const key = `${r.strategy}:${r.sizeIndex}`;
    if (seen.has(key) || !complete(r)) continue;
    seen.add(key);
    for (const m of config.metrics) kept.push(latest.get(`${key}:${m}`)!);
  }
  return kept;
}
