/**
 * A feature matrix plus a label column from a CSV, .npy, Parquet or Arrow file (for the CLI and
 * pipelines). Labels may be numbers or strings: strings map to class ids through a class list
 * that is stored and echoed (binary: an explicit positive class is 1, the other 0).
 */
import { extname } from 'node:path';
import { Matrix } from './matrix.ts';
import { columnIndex, readCsv, type CsvTable } from './csv.ts';
import { readNpy } from './npy.ts';
import { assertKnownOptions, optionKeys } from '../options-check.ts';

export interface LabelledFile {
  X: Matrix;
  y?: Float64Array;
  columns: string[];
  /** Class names by class id when the labels were strings (binary with `positive`: [negative, positive]). */
  classes?: string[];
  /** The label column's raw text per row (strings as written in the file). */
  labelText?: string[];
  /** The CSV delimiter used (given or detected). */
  delimiter?: string;
}

const BINARY_EXTENSIONS = new Set(['.npy', '.parquet', '.pq', '.arrow', '.feather', '.ipc', '.arrows']);

/** The one place data files are read by extension: .npy, .parquet, .arrow/.feather/.ipc, else CSV. */
export async function readTable(
  path: string,
): Promise<{ data: Float64Array; rows: number; cols: number; columns: string[] }> {
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') {
    const { data, shape } = await readNpy(path);
    if (shape.length !== 2) throw new RangeError(`${path}: expected a 2-D array, got shape (${shape.join(', ')})`);
    return { data, rows: shape[0]!, cols: shape[1]!, columns: Array.from({ length: shape[1]! }, (_, j) => `x${j}`) };
  }
  if (ext === '.parquet' || ext === '.pq') return (await import('./columnar.ts')).readParquet(path);
  if (ext === '.arrow' || ext === '.feather' || ext === '.ipc' || ext === '.arrows')
    return (await import('./columnar.ts')).readArrow(path);
  return readCsv(path);
}

export interface LabelledOptions {
  /** Label column: a CSV header name or a column index (negative counts from the end). */
  label?: string | number;
  /** CSV field separator, or 'auto' (default: detected). */
  delimiter?: string;
  /** String labels, binary: this class is 1 and the only other one is 0. */
  positive?: string;
  /** String labels: the class list (class id = position); labels outside it are an error. */
  classes?: readonly string[];
  /** Text feature columns to one-hot encode (one 0/1 column per value, named `column=value`). */
  oneHot?: readonly string[];
  /**
   * A file with exactly `features` columns has no label column (queries for label-free
   * targets); with `features + 1` the label column is read as usual.
   */
  features?: number;
}

const LABELLED_OPTION_KEYS = optionKeys<LabelledOptions>({
  label: true,
  delimiter: true,
  positive: true,
  classes: true,
  oneHot: true,
  features: true,
});

/**
 * Reads `path` (.csv, .npy, .parquet or .arrow). The second argument is the label column (or an options object);
 * without a label every column is a feature.
 */
export async function readLabelled(
  path: string,
  labelOrOptions?: string | number | LabelledOptions,
): Promise<LabelledFile> {
  const o: LabelledOptions =
    typeof labelOrOptions === 'object' && labelOrOptions !== null
      ? labelOrOptions
      : labelOrOptions === undefined
        ? {}
        : { label: labelOrOptions };
  assertKnownOptions('readLabelled', o, LABELLED_OPTION_KEYS);
  if (o.positive !== undefined && o.classes !== undefined)
    throw new TypeError('readLabelled: give positive or classes, not both');
  // Binary formats (.npy, Parquet, Arrow) are numeric only; CSV may carry string labels.
  const isCsv = !BINARY_EXTENSIONS.has(extname(path).toLowerCase());
  const table: CsvTable = !isCsv
    ? await readTable(path).then((t) => ({ ...t, text: new Map<number, string[]>(), delimiter: '' }))
    : await readCsv(path, {
        ...(o.delimiter !== undefined ? { delimiter: o.delimiter } : {}),
        textColumns: [...(o.label !== undefined ? [o.label] : []), ...(o.oneHot ?? [])],
      }).catch((err: Error) => {
        // A label-free query file has no column named like the label: read it without one.
        if (o.features !== undefined && o.label !== undefined && /no column '/.test(err.message)) {
          return readCsv(path, {
            ...(o.delimiter !== undefined ? { delimiter: o.delimiter } : {}),
            textColumns: o.oneHot ?? [],
          });
        }
        throw err;
      });
  const expanded = oneHotColumns(path, table, o.oneHot ?? []);
  const labelFree = o.label === undefined || (o.features !== undefined && expanded.cols === o.features);
  if (labelFree) {
    const out: LabelledFile = { X: new Matrix(expanded.data, expanded.rows, expanded.cols), columns: expanded.columns };
    if (table.delimiter) out.delimiter = table.delimiter;
    return out;
  }
  // The label is named against the file's columns; one-hot columns before it shift its position.
  const original = columnIndex(path, table.columns, o.label!, 'label column');
  const j = original + expanded.shiftBefore(original);
  const d = expanded.cols - 1;
  const X = new Float64Array(expanded.rows * d);
  const y = new Float64Array(expanded.rows);
  for (let i = 0; i < expanded.rows; i++) {
    for (let c = 0, k = 0; c < expanded.cols; c++) {
      const v = expanded.data[i * expanded.cols + c]!;
      if (c === j) y[i] = v;
      else X[i * d + k++] = v;
    }
  }
  const out: LabelledFile = {
    X: new Matrix(X, expanded.rows, d),
    y,
    columns: expanded.columns.filter((_, c) => c !== j),
  };
  if (table.delimiter) out.delimiter = table.delimiter;
  const text = expanded.labelText;
  if (text) {
    out.labelText = text;
    const numeric = y.every((v) => Number.isFinite(v));
    if (!numeric || o.positive !== undefined || o.classes !== undefined) {
      const { ids, classes } = classIdsOf(path, expanded.columns[j]!, text, o);
      out.y = ids;
      out.classes = classes;
    }
  }
  return out;
}

/** Class ids for string labels: the given class list, a positive class, or the sorted distinct labels. */
function classIdsOf(
  path: string,
  column: string,
  text: readonly string[],
  o: LabelledOptions,
): { ids: Float64Array; classes: string[] } {
  const distinct = [...new Set(text)].sort();
  let classes: string[];
  if (o.classes) classes = [...o.classes];
  else if (o.positive !== undefined) {
    if (!distinct.includes(o.positive)) {
      throw new RangeError(
        `${path}: positive class '${o.positive}' does not occur in label column '${column}' (labels: ${distinct.join(', ')})`,
      );
    }
    const others = distinct.filter((c) => c !== o.positive);
    if (others.length > 1) {
      throw new RangeError(
        `${path}: a positive class makes the labels binary, but column '${column}' has ${distinct.length} classes (${distinct.join(', ')})`,
      );
    }
    classes = [others[0] ?? `not ${o.positive}`, o.positive];
  } else classes = distinct;
  const id = new Map(classes.map((c, k) => [c, k]));
  const ids = new Float64Array(text.length);
  text.forEach((t, i) => {
    const k = id.get(t);
    if (k === undefined)
      throw new RangeError(
        `${path}: row ${i}: label '${t}' in column '${column}' is not one of the classes (${classes.join(', ')})`,
      );
    ids[i] = k;
  });
  return { ids, classes };
}

interface Expanded {
  data: Float64Array;
  rows: number;
  cols: number;
  columns: string[];
  /** The label column's text, when the table kept it. */
  labelText?: string[];
  /** Columns added by one-hot encoding before original column c. */
  shiftBefore(c: number): number;
}

/** Replaces each one-hot column by one 0/1 column per distinct value (sorted); other text columns stay. */
function oneHotColumns(path: string, table: CsvTable, oneHot: readonly string[]): Expanded {
  const encode = new Set(oneHot.map((c) => columnIndex(path, table.columns, c, 'one-hot column')));
  const values = new Map<number, string[]>();
  for (const c of encode) values.set(c, [...new Set(table.text.get(c) ?? [])].sort());
  const columns: string[] = [];
  for (let c = 0; c < table.cols; c++) {
    if (encode.has(c)) for (const v of values.get(c)!) columns.push(`${table.columns[c]}=${v}`);
    else columns.push(table.columns[c]!);
  }
  const labelColumn = [...table.text.keys()].find((c) => !encode.has(c));
  const cols = columns.length;
  const shiftBefore = (c: number) =>
    [...encode].filter((e) => e < c).reduce((s, e) => s + values.get(e)!.length - 1, 0);
  if (encode.size === 0) {
    const out: Expanded = { data: table.data, rows: table.rows, cols, columns, shiftBefore };
    if (labelColumn !== undefined) out.labelText = table.text.get(labelColumn)!;
    return out;
  }
  const data = new Float64Array(table.rows * cols);
  for (let i = 0; i < table.rows; i++) {
    let k = i * cols;
    for (let c = 0; c < table.cols; c++) {
      if (encode.has(c)) {
        const vals = values.get(c)!;
        data[k + vals.indexOf(table.text.get(c)![i]!)] = 1;
        k += vals.length;
      } else data[k++] = table.data[i * table.cols + c]!;
    }
  }
  const out: Expanded = { data, rows: table.rows, cols, columns, shiftBefore };
  if (labelColumn !== undefined) out.labelText = table.text.get(labelColumn)!;
  return out;
}
