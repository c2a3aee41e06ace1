/**
 * The loss covariance of Daunce (docs/methods.md section 4). Each perturbed model contributes the
 * loss of every training example and every query. Per-example means and second moments are
 * kept as Welford/Chan co-moments, so two accumulators (other workers, resumed runs) merge
 * exactly. The loss rows themselves are kept model-major (K x (n + m) doubles: 162 MB at
 * 100,000 + 1,000 examples and K = 200), because the cross co-moments of all n x m pairs
 * would be far larger. Scores are then computed block by block as one GEMM of centred
 * K-vectors, optionally keeping only the top k per query.
 */
import type { Backend } from '../backend/types.ts';
import { resolveBackend } from '../backend/index.ts';
import { assertInteger } from '../data/validate.ts';
import { callNative } from '../errors.ts';
import type { TopKResult } from '../influence/analysis.ts';

/**
 * How Daunce turns loss co-variation into a score: covariance, or correlation (covariance over
 * both standard deviations).
 */
export type Measure = 'covariance' | 'correlation';

/** The same top-k layout as influence scores. */
export type TopKScores = TopKResult;

/** Running mean and sum of squared deviations (Welford), mergeable (Chan et al.). */
class Moments {
  count = 0;
  readonly mean: Float64Array;
  readonly m2: Float64Array;
  constructor(size: number) {
    this.mean = new Float64Array(size);
    this.m2 = new Float64Array(size);
  }
  add(x: Float64Array): void {
    this.count++;
    const c = this.count;
    for (let i = 0; i < x.length; i++) {
      const delta = x[i]! - this.mean[i]!;
      this.mean[i]! += delta / c;
      this.m2[i]! += delta * (x[i]! - this.mean[i]!);
    }
  }
  merge(o: Moments): void {
    const na = this.count,
      nb = o.count,
      n = na + nb;
    if (nb === 0) return;
    for (let i = 0; i < this.mean.length; i++) {
      const delta = o.mean[i]! - this.mean[i]!;
      this.mean[i]! += (delta * nb) / n;
      this.m2[i]! += o.m2[i]! + (delta * delta * na * nb) / n;
    }
    this.count = n;
  }
}

// Loss rows live in a SharedArrayBuffer: the native scorer reads them in place instead of copying
// K x n doubles (a gigabyte at n = 10^6, K = 128) on every call, since a shared buffer cannot be
// detached or shrunk while the call runs.
function lossRows(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}

/** Mergeable moments and loss rows of Daunce's perturbed models, scored block by block (docs/methods.md section 4). */
export class LossCovariance {
  readonly n: number;
  readonly m: number;
  private rowsTrain: Float64Array;
  private rowsQuery: Float64Array;
  private readonly train: Moments;
  private readonly query: Moments;
  /** Model ids in the order their rows were added (seeded draw index k). */
  readonly models: number[] = [];

  /**
   * An empty accumulator.
   * @param n - number of training examples
   * @param m - number of queries
   * @param capacity - models to reserve room for (it grows as needed)
   */
  constructor(n: number, m: number, capacity = 8) {
    this.n = assertInteger('LossCovariance: n', n, 1);
    this.m = assertInteger('LossCovariance: m', m, 1);
    this.rowsTrain = lossRows(n * capacity);
    this.rowsQuery = lossRows(m * capacity);
    this.train = new Moments(n);
    this.query = new Moments(m);
  }

  /** Number of models K added so far. */
  get count(): number {
    return this.models.length;
  }

  /**
   * Adds one perturbed model's losses (id: its draw index, used to order and deduplicate).
   * @param trainLosses - the model's loss on every training example
   * @param queryLosses - its loss on every query
   * @param id - the model's draw index (default: the next one)
   */
  add(trainLosses: Float64Array, queryLosses: Float64Array, id = this.count): void {
    if (!(trainLosses instanceof Float64Array) || trainLosses.length !== this.n)
      throw new RangeError(`LossCovariance.add: trainLosses must be a Float64Array of length ${this.n}`);
    if (!(queryLosses instanceof Float64Array) || queryLosses.length !== this.m)
      throw new RangeError(`LossCovariance.add: queryLosses must be a Float64Array of length ${this.m}`);
    for (const [name, v] of [
      ['trainLosses', trainLosses],
      ['queryLosses', queryLosses],
    ] as const) {
      const bad = v.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0)
        throw new RangeError(
          `LossCovariance.add: ${name}[${bad}] is ${v[bad]}; a perturbed model produced a non-finite loss`,
        );
    }
    if (this.models.includes(id)) throw new RangeError(`LossCovariance.add: model ${id} was already added`);
    const k = this.count;
    if ((k + 1) * this.n > this.rowsTrain.length) {
      const grow = (a: Float64Array, w: number) => {
        const b = lossRows(Math.max(2 * a.length, (k + 1) * w));
        b.set(a);
        return b;
      };
      this.rowsTrain = grow(this.rowsTrain, this.n);
      this.rowsQuery = grow(this.rowsQuery, this.m);
    }
    this.rowsTrain.set(trainLosses, k * this.n);
    this.rowsQuery.set(queryLosses, k * this.m);
    this.train.add(trainLosses);
    this.query.add(queryLosses);
    this.models.push(id);
  }

  /**
   * Adds every model of another accumulator over the same examples: exact (Chan et al.).
   * @param other - an accumulator over the same examples and queries
   */
  merge(other: LossCovariance): void {
    if (!(other instanceof LossCovariance) || other.n !== this.n || other.m !== this.m) {
      throw new RangeError('LossCovariance.merge: the other accumulator covers different examples');
    }
    const clash = other.models.find((id) => this.models.includes(id));
    if (clash !== undefined) throw new RangeError(`LossCovariance.merge: model ${clash} is in both accumulators`);
    const k = this.count;
    const total = k + other.count;
    if (total * this.n > this.rowsTrain.length) {
      const t = lossRows(total * this.n),
        q = lossRows(total * this.m);
      t.set(this.rowsTrain.subarray(0, k * this.n));
      q.set(this.rowsQuery.subarray(0, k * this.m));
      this.rowsTrain = t;
      this.rowsQuery = q;
    }
    this.rowsTrain.set(other.rowsTrain.subarray(0, other.count * this.n), k * this.n);
    this.rowsQuery.set(other.rowsQuery.subarray(0, other.count * this.m), k * this.m);
    this.train.merge(other.train);
    this.query.merge(other.query);
    this.models.push(...other.models);
  }

  /**
   * The accumulator of the first K models (by id order): models are seeded by their index
   * alone, so this is exactly a K-model run (the scaling law in K costs one run).
   * @param K - number of models to keep
   * @returns a new accumulator
   */
  prefix(K: number): LossCovariance {
    assertInteger('LossCovariance.prefix: K', K, 1, this.count);
    const order = this.models
      .map((id, row) => ({ id, row }))
      .sort((a, b) => a.id - b.id)
      .slice(0, K);
    const out = new LossCovariance(this.n, this.m, K);
    for (const { id, row } of order) {
      out.add(
        this.rowsTrain.slice(row * this.n, (row + 1) * this.n),
        this.rowsQuery.slice(row * this.m, (row + 1) * this.m),
        id,
      );
    }
    return out;
  }

  /**
   * Per-example loss variance (divisor K - 1).
   * @returns one variance per training example
   */
  trainVariance(): Float64Array {
    return this.train.m2.map((v) => v / Math.max(1, this.count - 1));
  }
  /**
   * Per-query loss variance (divisor K - 1).
   * @returns one variance per query
   */
  queryVariance(): Float64Array {
    return this.query.m2.map((v) => v / Math.max(1, this.count - 1));
  }

  /**
   * Examples whose loss did not vary across the models (variance 0 up to rounding): their
   * covariance is 0 and their correlation is reported as 0 instead of 0/0.
   * @returns the indices of constant-loss training examples and queries
   */
  zeroVariance(): { train: number[]; queries: number[] } {
    const find = (mom: Moments) => {
      const out: number[] = [];
      for (let i = 0; i < mom.m2.length; i++) {
        // Relative to the loss's own magnitude, so losses near 1e-25 that do vary are kept.
        if (!(mom.m2[i]! > 1e-28 * mom.mean[i]! * mom.mean[i]! * this.count)) out.push(i);
      }
      return out;
    };
    return { train: find(this.train), queries: find(this.query) };
  }

  /**
   * Full n x m score matrix (row-major).
   * @param measure - 'correlation' (default) or 'covariance'
   * @param backend - the scoring backend (default: CPU)
   * @returns n x m scores
   */
  async scores(measure: Measure = 'correlation', backend?: Backend): Promise<Float64Array> {
    return (await this.run(measure, undefined, backend)) as Float64Array;
  }

  /**
   * The k largest and k most negative scores per query, without the n x m matrix.
   * @param k - scores kept per query at each end
   * @param measure - 'correlation' (default) or 'covariance'
   * @param backend - the scoring backend (default: CPU)
   * @returns the top and bottom k indices and scores per query
   */
  async topK(k: number, measure: Measure = 'correlation', backend?: Backend): Promise<TopKScores> {
    assertInteger('LossCovariance.topK: k', k, 1);
    const r = (await this.run(measure, k, backend)) as Omit<TopKScores, 'queries'>;
    return { ...r, queries: this.m };
  }

  /**
   * The loss rows (model-major K x n and K x m) and model ids: what a checkpoint stores.
   * @returns copies of the loss rows and the model ids
   */
  rows(): { train: Float64Array; query: Float64Array; models: number[] } {
    return {
      train: this.rowsTrain.slice(0, this.count * this.n),
      query: this.rowsQuery.slice(0, this.count * this.m),
      models: [...this.models],
    };
  }

  private async run(measure: Measure, k: number | undefined, backend?: Backend) {
    if (measure !== 'covariance' && measure !== 'correlation')
      throw new RangeError(`measure: must be 'covariance' or 'correlation', got '${String(measure)}'`);
    if (this.count < 2) throw new RangeError(`LossCovariance: needs at least 2 models, has ${this.count}`);
    const scale = (mom: Moments, zero: number[]) => {
      const s = mom.m2.map((v) => 1 / Math.sqrt(v / (this.count - 1)));
      for (const i of zero) s[i] = 0;
      return s;
    };
    const zero = this.zeroVariance();
    const kernels = backend ?? resolveBackend('auto');
    return callNative('LossCovariance.scores', () =>
      kernels.covarianceScores({
        train: this.rowsTrain.subarray(0, this.count * this.n),
        n: this.n,
        query: this.rowsQuery.subarray(0, this.count * this.m),
        m: this.m,
        models: this.count,
        trainMean: this.train.mean,
        queryMean: this.query.mean,
        ...(measure === 'correlation'
          ? { trainScale: scale(this.train, zero.train), queryScale: scale(this.query, zero.queries) }
          : {}),
        ...(k !== undefined ? { k } : {}),
      }),
    );
  }
}
