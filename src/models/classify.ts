/** Probabilities and labels from logits, shared by the multi-class models. */
import { assertMatrix, Matrix } from '../data/matrix.ts';
import { toFloat64 } from '../data/validate.ts';

/** Row-wise softmax of an n x C logit matrix (stable: the row maximum is subtracted). */
export function softmaxRows(logits: Matrix): Matrix {
  const C = logits.cols;
  const p = new Float64Array(logits.data.length);
  for (let i = 0; i < logits.rows; i++) {
    const row = logits.row(i);
    const m = Math.max(...row);
    let s = 0;
    for (let c = 0; c < C; c++) s += p[i * C + c] = Math.exp(row[c]! - m);
    for (let c = 0; c < C; c++) p[i * C + c]! /= s;
  }
  return new Matrix(p, logits.rows, C);
}

/** The column of each row's largest logit. */
export function argmaxRows(logits: Matrix): Float64Array {
  return Float64Array.from({ length: logits.rows }, (_, i) => {
    const row = logits.row(i);
    return row.indexOf(Math.max(...row));
  });
}

/**
 * Training inputs of a classifier: X with rows, class ids as integers >= 0 (below `classes`
 * when given). Returns the labels and the largest class id.
 */
export function classTrainingData(
  where: string,
  X: Matrix,
  y: Float64Array | readonly number[],
): { labels: Float64Array; maxLabel: number } {
  assertMatrix(`${where}: X`, X);
  if (X.rows === 0) throw new RangeError(`${where}: X has no rows (empty data)`);
  const labels = classIds(`${where}: y`, y, X.rows);
  return { labels, maxLabel: labels.reduce((a, b) => Math.max(a, b), 0) };
}

/** Class ids: integers in [0, classes) (classes optional). */
export function classIds(
  name: string,
  y: Float64Array | readonly number[],
  rows: number,
  classes?: number,
): Float64Array {
  const out = toFloat64(name, y, rows);
  out.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0)
      throw new RangeError(`${name}: label ${i} is ${v}; class ids must be integers >= 0`);
    if (classes !== undefined && v >= classes)
      throw new RangeError(`${name}: label ${i} is ${v}; the model's classes are 0..${classes - 1}`);
  });
  return out;
}

/**
 * What the multi-class models (softmax regression, the MLP) derive from their logits:
 * probabilities, predicted classes and checked class ids.
 */
export abstract class LogitClassifier {
  abstract readonly options: Readonly<{ classes: number }>;

  /**
   * Logits (n x C).
   * @param X - inputs
   * @param theta - parameters (default the fitted ones)
   * @returns the n x C logits
   */
  abstract logits(X: Matrix, theta?: Float64Array): Promise<Matrix>;

  /**
   * Class probabilities (softmax of the logits).
   * @param X - inputs
   * @returns the n x C probabilities
   */
  async predictProba(X: Matrix): Promise<Matrix> {
    return softmaxRows(await this.logits(X));
  }

  /**
   * The most probable class of each row.
   * @param X - inputs
   * @returns one class id per row
   */
  async predict(X: Matrix): Promise<Float64Array> {
    return argmaxRows(await this.logits(X));
  }

  /**
   * Class ids checked against this model.
   * @param y - class ids
   * @param rows - expected number of labels
   * @param name - argument name for error messages
   * @returns the labels as a Float64Array
   */
  labels(y: Float64Array | readonly number[], rows: number, name = 'y'): Float64Array {
    return classIds(name, y, rows, this.options.classes);
  }
}
