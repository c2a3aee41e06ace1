/**
 * Removal strategies of the RIF paper (App. C; docs/methods.md section 5). Each draws a set of k
 * training indices from its own seeded generator, so a set is the same whatever ran before
 * it (what makes resumed runs identical to uninterrupted ones).
 */
import type { Matrix } from '../../data/matrix.ts';
import { shuffleInPlace } from '../../random.ts';

/** The removal strategies of the RIF protocol (docs/methods.md section 5). */
export const STRATEGIES = [
  'random',
  'feature-cluster',
  'l2-cluster',
  'highest-loss',
  'if-test-loss-positive',
  'if-test-loss-negative',
  'if-test-prediction-positive',
  'if-test-prediction-negative',
] as const;
/** One of `STRATEGIES`. */
export type Strategy = (typeof STRATEGIES)[number];

/** What the strategies read: the influence analysis, training losses and IF scores. */
export interface StrategyContext {
  /** The analysis (binary or multiclass): the strategies read its model's training inputs. */
  influence: { readonly model: { readonly X: Matrix } };
  /** Training losses at the fit. */
  losses: Float64Array;
  /** Lazily computed IF scores of single removals on the test-subset metrics. */
  ifScores(metric: 'test-loss' | 'test-prediction'): Promise<Float64Array>;
}

/** Indices of the k smallest keys; ties broken by a random rank so clusters are not index-biased. */
function smallest(keys: Float64Array, k: number, random: () => number): number[] {
  const tie = Float64Array.from(keys, () => random());
  return Array.from(keys.keys())
    .sort((a, b) => keys[a]! - keys[b]! || tie[a]! - tie[b]!)
    .slice(0, k);
}

/** k random distinct indices of `pool` (partial Fisher-Yates). */
function sample(pool: number[], k: number, random: () => number): number[] {
  return shuffleInPlace(pool.slice(), random, k).slice(0, k);
}

/**
 * Draws the removed set of one strategy.
 * @param strategy - the strategy
 * @param k - the set's size
 * @param ctx - influence analysis, losses and IF scores
 * @param random - the set's own seeded generator
 * @returns k distinct training indices
 */
export async function removalSet(
  strategy: Strategy,
  k: number,
  ctx: StrategyContext,
  random: () => number,
): Promise<number[]> {
  const X = ctx.influence.model.X;
  const n = X.rows;
  switch (strategy) {
    case 'random':
      return sample(
        Array.from({ length: n }, (_, i) => i),
        k,
        random,
      );
    case 'feature-cluster': {
      // Random example i and feature j: the k examples whose feature j is closest to x_ij.
      const i = Math.floor(random() * n),
        j = Math.floor(random() * X.cols);
      const target = X.get(i, j);
      return smallest(
        Float64Array.from({ length: n }, (_, r) => Math.abs(X.get(r, j) - target)),
        k,
        random,
      );
    }
    case 'l2-cluster': {
      // The k nearest (Euclidean) to a random training example.
      const centre = X.row(Math.floor(random() * n));
      const dist = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        const x = X.row(r);
        let s = 0;
        for (let c = 0; c < X.cols; c++) s += (x[c]! - centre[c]!) ** 2;
        dist[r] = s;
      }
      return smallest(dist, k, random);
    }
    case 'highest-loss':
      return smallest(
        ctx.losses.map((v) => -v),
        k,
        random,
      );
    default: {
      // Top 2k by IF influence on the metric (most positive or most negative), keep a random half.
      const metric = strategy.startsWith('if-test-loss') ? 'test-loss' : 'test-prediction';
      const scores = await ctx.ifScores(metric);
      const sign = strategy.endsWith('positive') ? -1 : 1;
      const top = smallest(
        scores.map((v) => sign * v),
        Math.min(n, 2 * k),
        random,
      );
      return sample(top, k, random);
    }
  }
}
