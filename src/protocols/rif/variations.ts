/**
 * The variations of the RIF paper's Figures 2 and 3: how IF and RIF accuracy change with the
 * regularisation and the number of examples, and the poisoning check.
 */
import { join } from 'node:path';
import { Matrix } from '../../data/matrix.ts';
import { assertInteger } from '../../data/validate.ts';
import type { LabelledData } from '../../datasets/mnist.ts';
import { pearson, slopeThroughOrigin } from '../../evaluation/stats.ts';
import { Influence } from '../../influence/analysis.ts';
import { Metric } from '../../influence/metrics.ts';
import { LogisticRegression } from '../../models/logistic.ts';
import { sampleIndices, seededRandom, shuffleInPlace } from '../../random.ts';
import { benchmarkRemoval, splitIndices, subSeed, type RemovalBenchmarkOptions } from './removal.ts';
import { assertKnownOptions } from '../../options-check.ts';

/** One row of a sweep: an estimate's self-loss agreement at one value of lambda or n. */
export interface SweepRow {
  parameter: 'lambda' | 'n';
  value: number;
  method: 'IF' | 'RIF' | 'NS';
  slope: number;
  pearson: number;
}

/**
 * Runs a reduced protocol (default: random and highest-loss removals, 10 sizes, self-loss)
 * for each value of lambda or of n (a seeded subsample), each in its own resumable directory.
 * @param parameter - 'lambda' or 'n'
 * @param values - the values
 * @param base - the protocol's options (`out` is extended per value)
 * @returns slope and Pearson correlation per value and estimate
 */
export async function sweep(
  parameter: 'lambda' | 'n',
  values: number[],
  base: RemovalBenchmarkOptions,
): Promise<SweepRow[]> {
  const rows: SweepRow[] = [];
  for (const value of values) {
    let data: LabelledData = base.data;
    if (parameter === 'n') {
      assertInteger('sweep: n', value, 10, base.data.X.rows);
      const pick = seededRandom(subSeed(base.seed ?? 0, 'n-sweep', value));
      const keep = Array.from(sampleIndices(base.data.X.rows, value, pick));
      data = {
        name: `${base.data.name}-n${value}`,
        X: base.data.X.selectRows(keep),
        y: Float64Array.from(keep, (i) => base.data.y[i]!),
      };
    }
    const result = await benchmarkRemoval({
      strategies: ['random', 'highest-loss'],
      sizes: Array.from({ length: 10 }, (_, s) => 0.001 * 50 ** (s / 9)),
      metrics: ['self-loss'],
      ...base,
      data,
      ...(parameter === 'lambda' ? { lambda: value } : {}),
      ...(base.out ? { out: join(base.out, `sweep-${parameter}-${value}`) } : {}),
    });
    for (const r of result.summary.filter((x) => x.metric === 'self-loss' && x.effect === 'nonlinear')) {
      rows.push({
        parameter,
        value,
        method: r.method.toUpperCase() as SweepRow['method'],
        slope: r.slope,
        pearson: r.pearson,
      });
    }
  }
  return rows;
}

/** One poison of the poisoning check. */
export interface PoisonRow {
  testIndex: number;
  /** Change of the poison's own logit when it is removed again (exact). */
  actual: number;
  if: number;
  rif: number;
  leverage: number;
}

/**
 * Figure 3: add a test example with its label flipped to the training set, then predict with
 * IF and RIF the effect of removing it on its own logit. Removing it restores the clean
 * model, so the actual effect is exact without another retrain. All candidate poisons enter
 * one fit with weight 0; each is switched on by a warm refit.
 * @param options - data, penalty, number of poisons, seed, test fraction
 * @returns actual, IF and RIF effects and the leverage of each poison
 */
export async function poisoningCheck(options: {
  data: LabelledData;
  lambda?: number;
  count?: number;
  seed?: number;
  testFraction?: number;
}): Promise<PoisonRow[]> {
  assertKnownOptions('poisoningCheck', options, ['data', 'lambda', 'count', 'seed', 'testFraction']);
  const { data } = options;
  const lambda = options.lambda ?? 1e-2;
  const count = assertInteger('poisoningCheck: count', options.count ?? 20, 1);
  const seed = options.seed ?? 0;
  const { trainIdx, testIdx } = splitIndices(data.X.rows, options.testFraction ?? 0.2, seed);
  const pick = seededRandom(subSeed(seed, 'poison'));
  const poisons = shuffleInPlace(testIdx.slice(), pick, count);
  const chosen = poisons.slice(0, Math.min(count, poisons.length));
  const rows = [...trainIdx, ...chosen];
  const X = data.X.selectRows(rows);
  const y = Float64Array.from(rows, (i, r) => (r < trainIdx.length ? data.y[i]! : 1 - data.y[i]!));
  const weights = Float64Array.from(rows, (_, r) => (r < trainIdx.length ? 1 : 0));
  const clean = await LogisticRegression.fit(X, y, { lambda, sampleWeights: weights });
  const out: PoisonRow[] = [];
  for (const [j, testIndex] of chosen.entries()) {
    const r = trainIdx.length + j;
    const w = weights.slice();
    w[r] = 1;
    const poisoned = await clean.refit({ weights: w });
    const inf = await Influence.of(poisoned);
    const x = data.X.row(testIndex);
    const logit = Metric.queryLogit(x);
    const [zClean] = await clean.decisionFunction(Matrix.from(x, 1, x.length));
    const [zPoisoned] = await poisoned.decisionFunction(Matrix.from(x, 1, x.length));
    out.push({
      testIndex,
      actual: zClean! - zPoisoned!,
      if: (await inf.effect([r], logit, { method: 'if' })).linear,
      rif: (await inf.effect([r], logit, { method: 'rif' })).linear,
      leverage: inf.leverage[r]!,
    });
  }
  return out;
}

export function poisonSummary(rows: readonly PoisonRow[]) {
  const actual = rows.map((r) => r.actual);
  return {
    if: {
      slope: slopeThroughOrigin(
        actual,
        rows.map((r) => r.if),
      ),
      pearson: pearson(
        actual,
        rows.map((r) => r.if),
      ),
    },
    rif: {
      slope: slopeThroughOrigin(
        actual,
        rows.map((r) => r.rif),
      ),
      pearson: pearson(
        actual,
        rows.map((r) => r.rif),
      ),
    },
  };
}
