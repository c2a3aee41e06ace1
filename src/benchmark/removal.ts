/**
 * The IF-vs-RIF benchmark (the RIF paper's experiments, methods.md section 5 "Predicted vs
 * actual"): for every removal strategy and size, the IF, RIF and NS predictions of the change
 * of each metric against the exact retrain. Records are appended as they complete, so an
 * interrupted run resumes without repeating a finished retrain.
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Matrix } from '../data/matrix.ts';
import { assertInteger, assertNumber } from '../data/validate.ts';
import type { LabelledData } from '../datasets/mnist.ts';
import { AbortError } from '../errors.ts';
import { Influence } from '../influence/analysis.ts';
import { Metric, type MetricSpec } from '../influence/metrics.ts';
import { LogisticRegression } from '../models/logistic.ts';
import type { Regularization } from '../models/options.ts';
import { seededRandom } from '../random.ts';
import { removalSet, STRATEGIES, type Strategy } from './strategies.ts';
import { summarize, type SummaryRow } from './summary.ts';
import { assertKnownOptions, optionKeys } from '../options-check.ts';
import { createHash } from 'node:crypto';

export const BENCHMARK_METRICS = ['test-prediction', 'test-loss', 'self-loss'] as const;
export type BenchmarkMetric = (typeof BENCHMARK_METRICS)[number];
export const ESTIMATES = ['if', 'rif', 'ns'] as const;
export type Estimate = (typeof ESTIMATES)[number];

export interface RemovalBenchmarkOptions {
  data: LabelledData;
  /** L2 penalty of the logistic model (sum form). Default 1e-2. */
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
}

export const REMOVAL_BENCHMARK_OPTION_KEYS = optionKeys<RemovalBenchmarkOptions>({
  data: true, lambda: true, regularization: true, testFraction: true, sizes: true, strategies: true, metrics: true,
  testHighestLoss: true, testRandom: true, seed: true, out: true, signal: true, onProgress: true,
});

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

export interface RemovalBenchmarkResult {
  config: Record<string, unknown>;
  records: RemovalRecord[];
  summary: SummaryRow[];
  /** Retrains run now (excludes those resumed from disk). */
  retrainsRun: number;
  seconds: number;
}

export function defaultSizes(count = 40, from = 0.001, to = 0.05): number[] {
  return Array.from({ length: count }, (_, s) => from * Math.pow(to / from, count === 1 ? 0 : s / (count - 1)));
}

/** Seeded train/test split of row indices. */
export function splitIndices(rows: number, testFraction: number, seed: number): { trainIdx: number[]; testIdx: number[] } {
  const random = seededRandom(subSeed(seed, 'split'));
  const order = Array.from({ length: rows }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nTest = Math.round(testFraction * rows);
  return { trainIdx: order.slice(nTest), testIdx: order.slice(0, nTest) };
}

/** A seed for each (strategy, size): sets do not depend on what ran before them. */
export function subSeed(seed: number, ...parts: (string | number)[]): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const ch of parts.join('|')) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/** SHA-256 of the features and labels (their float64 bytes). */
function dataHash(X: Float64Array, y: ArrayLike<number>): string {
  const h = createHash('sha256');
  h.update(new Uint8Array(X.buffer, X.byteOffset, X.byteLength));
  const labels = Float64Array.from(y);
  h.update(new Uint8Array(labels.buffer));
  return h.digest('hex');
}

export async function benchmarkRemoval(options: RemovalBenchmarkOptions): Promise<RemovalBenchmarkResult> {
  const t0 = performance.now();
  const { data } = options;
  if (!data || !(data.X instanceof Matrix)) throw new TypeError('benchmarkRemoval: data must be { X: Matrix, y }');
  assertKnownOptions('benchmarkRemoval', options, REMOVAL_BENCHMARK_OPTION_KEYS);
  const lambda = assertNumber('benchmarkRemoval: lambda', options.lambda ?? 1e-2, 0);
  const testFraction = assertNumber('benchmarkRemoval: testFraction', options.testFraction ?? 0.2, 0, 0.9);
  const seed = assertInteger('benchmarkRemoval: seed', options.seed ?? 0, 0);
  const sizes = options.sizes ?? defaultSizes();
  sizes.forEach((f, i) => assertNumber(`benchmarkRemoval: sizes[${i}]`, f, 0, 0.5));
  const strategies = options.strategies ?? [...STRATEGIES];
  for (const s of strategies) if (!STRATEGIES.includes(s)) throw new RangeError(`benchmarkRemoval: unknown strategy '${s}' (expected ${STRATEGIES.join(', ')})`);
  const metricNames = options.metrics ?? [...BENCHMARK_METRICS];
  for (const m of metricNames) if (!BENCHMARK_METRICS.includes(m)) throw new RangeError(`benchmarkRemoval: unknown metric '${m}' (expected ${BENCHMARK_METRICS.join(', ')})`);
  const highest = assertInteger('benchmarkRemoval: testHighestLoss', options.testHighestLoss ?? 50, 0);
  const randomCount = assertInteger('benchmarkRemoval: testRandom', options.testRandom ?? 50, 0);
  const config = {
    dataset: data.name, rows: data.X.rows, cols: data.X.cols, lambda, regularization: options.regularization ?? 'fixed',
    testFraction, seed, sizes, strategies, metrics: metricNames, testHighestLoss: highest, testRandom: randomCount,
    // The data's content: an edited file with the same name must not resume the old records.
    dataHash: dataHash(data.X.data, data.y),
  };

  const { trainIdx, testIdx } = splitIndices(data.X.rows, testFraction, seed);
  const nTest = testIdx.length;
  const X = data.X.selectRows(trainIdx), y = Float64Array.from(trainIdx, (i) => data.y[i]!);
  const model = await LogisticRegression.fit(X, y, { lambda, regularization: options.regularization ?? 'fixed' });
  const influence = await Influence.of(model);
  const n = X.rows;

  // Test subset: the highest-loss test points plus random others.
  const Xtest = data.X.selectRows(testIdx), ytest = Float64Array.from(testIdx, (i) => data.y[i]!);
  const testLosses = nTest > 0 ? await model.losses(Xtest, ytest) : new Float64Array(0);
  const byLoss = Array.from(testLosses.keys()).sort((a, b) => testLosses[b]! - testLosses[a]! || a - b);
  const chosen = byLoss.slice(0, Math.min(highest, byLoss.length));
  const rest = byLoss.slice(chosen.length);
  const pick = seededRandom(subSeed(seed, 'test-subset'));
  for (let r = 0; r < randomCount && rest.length > 0; r++) chosen.push(rest.splice(Math.floor(pick() * rest.length), 1)[0]!);
  const needsTest = metricNames.some((m) => m !== 'self-loss') || strategies.some((s) => s.startsWith('if-'));
  if (needsTest && chosen.length === 0) throw new RangeError('benchmarkRemoval: the test subset is empty (raise testFraction or the test subset sizes)');
  const XS = Xtest.selectRows(chosen), yS = Float64Array.from(chosen, (i) => ytest[i]!);
  const metricSpecs: Record<BenchmarkMetric, MetricSpec> = {
    'test-prediction': Metric.testPrediction(XS),
    'test-loss': Metric.testLoss(XS, yS),
    'self-loss': Metric.selfLoss(),
  };
  const specs = metricNames.map((m) => metricSpecs[m]);
  const pw = await model.trainingPointwise();
  const ifCache = new Map<string, Promise<Float64Array>>();
  const ctx = {
    influence,
    losses: pw.loss,
    ifScores: (m: 'test-loss' | 'test-prediction') => {
      if (!ifCache.has(m)) ifCache.set(m, influence.metricScores(metricSpecs[m], { method: 'if' }));
      return ifCache.get(m)!;
    },
  };

  // Resume: records already on disk for this exact configuration are kept.
  const records: RemovalRecord[] = [];
  const recordsFile = options.out ? join(options.out, 'records.jsonl') : undefined;
  if (options.out) {
    await mkdir(options.out, { recursive: true });
    const configFile = join(options.out, 'config.json');
    if (existsSync(configFile)) {
      const previous = await readFile(configFile, 'utf8');
      const previousHash = (() => {
        try {
          return (JSON.parse(previous) as { dataHash?: string }).dataHash;
        } catch {
          return undefined;
        }
      })();
      if (previousHash !== config.dataHash) {
        throw new RangeError(
          `benchmarkRemoval: the data differ from those of the run in ${options.out} (content hash ${String(previousHash).slice(0, 12)} there, ` +
            `${config.dataHash.slice(0, 12)} now): its records do not apply; use another out directory or remove this one`,
        );
      }
      if (previous !== JSON.stringify(config, null, 2)) {
        throw new RangeError(`benchmarkRemoval: ${options.out} holds a run with different options; use another out directory`);
      }
      if (existsSync(recordsFile!)) {
        for (const line of (await readFile(recordsFile!, 'utf8')).split('\n')) {
          if (!line.trim()) continue;
          try {
            records.push(JSON.parse(line) as RemovalRecord);
          } catch {
            // A line cut short by a crash: its set is simply run again.
          }
        }
        // Rewrite without a torn tail so appends stay line-aligned.
        await writeFile(recordsFile!, records.map((r) => JSON.stringify(r) + '\n').join(''));
      }
    } else {
      await writeFile(configFile, JSON.stringify(config, null, 2));
    }
  }
  const finished = new Set<string>();
  const byKey = new Map<string, number>();
  for (const r of records) byKey.set(`${r.strategy}:${r.sizeIndex}`, (byKey.get(`${r.strategy}:${r.sizeIndex}`) ?? 0) + 1);
  for (const [key, count] of byKey) if (count >= metricNames.length) finished.add(key);
  // Keep only complete sets (a set cut between its metric lines is redone whole).
  const kept = records.filter((r) => finished.has(`${r.strategy}:${r.sizeIndex}`));
  records.length = 0;
  records.push(...kept);

  const total = strategies.length * sizes.length;
  let done = finished.size;
  let retrainsRun = 0;
  for (const strategy of strategies) {
    for (const [sizeIndex, fraction] of sizes.entries()) {
      if (finished.has(`${strategy}:${sizeIndex}`)) continue;
      if (options.signal?.aborted) throw new AbortError('benchmarkRemoval: aborted');
      const k = Math.max(1, Math.min(n - 1, Math.round(fraction * n)));
      const T = await removalSet(strategy, k, ctx, seededRandom(subSeed(seed, strategy, sizeIndex)));
      const tr = performance.now();
      const refit = await influence.retrain(T);
      const retrainSeconds = (performance.now() - tr) / 1000;
      retrainsRun++;
      const actualDelta = refit.theta.map((t, j) => t - model.theta[j]!);
      const actual = await Promise.all(specs.map((m) => influence.effectOfChange(actualDelta, m)));
      const predicted = {} as Record<Estimate, { nonlinear: number; linear: number }[]>;
      for (const e of ESTIMATES) predicted[e] = await influence.effects(T, specs, { method: e });
      const latest = metricNames.map((metric, j): RemovalRecord => ({
        strategy, sizeIndex, size: k, fraction, metric,
        actual: actual[j]!, if: predicted.if[j]!, rif: predicted.rif[j]!, ns: predicted.ns[j]!,
        retrainSeconds, retrainIterations: refit.diagnostics.chordIterations + refit.diagnostics.newtonIterations,
        removed: T,
      }));
      if (recordsFile) await appendFile(recordsFile, latest.map((r) => JSON.stringify(r) + '\n').join(''));
      records.push(...latest);
      options.onProgress?.(++done, total, latest);
    }
  }
  return { config, records, summary: summarize(records), retrainsRun, seconds: (performance.now() - t0) / 1000 };
}
