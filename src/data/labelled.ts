/** A feature matrix plus a label column from a CSV, .npy, Parquet or Arrow file (for the CLI and pipelines). */
import { extname } from 'node:path';
import { Matrix } from './matrix.ts';
import { readCsv } from './csv.ts';
import { readNpy } from './npy.ts';

export interface LabelledFile {
  X: Matrix;
  y?: Float64Array;
  columns: string[];
}

/** The one place data files are read by extension: .npy, .parquet, .arrow/.feather/.ipc, else CSV. */
export async function readTable(path: string): Promise<{ data: Float64Array; rows: number; cols: number; columns: string[] }> {
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') {
    const { data, shape } = await readNpy(path);
    if (shape.length !== 2) throw new RangeError(`${path}: expected a 2-D array, got shape (${shape.join(', ')})`);
    return { data, rows: shape[0]!, cols: shape[1]!, columns: Array.from({ length: shape[1]! }, (_, j) => `x${j}`) };
  }
  if (ext === '.parquet' || ext === '.pq') return (await import('./columnar.ts')).readParquet(path);
  if (ext === '.arrow' || ext === '.feather' || ext === '.ipc' || ext === '.arrows') return (await import('./columnar.ts')).readArrow(path);
  return readCsv(path);
}

/**
 * Reads `path` (.csv, .npy, .parquet or .arrow). `label` names the label column (a CSV header name or a column
 * index; negative counts from the end); without it every column is a feature.
 */
export async function readLabelled(path: string, label?: string | number): Promise<LabelledFile> {
  const table = await readTable(path);
  if (label === undefined) return { X: new Matrix(table.data, table.rows, table.cols), columns: table.columns };
  const numeric = typeof label === 'number' || /^-?\d+$/.test(label);
  const index = numeric ? Number(label) : table.columns.indexOf(label);
  const j = numeric && index < 0 ? index + table.cols : index;
  if (j < 0 || j >= table.cols) throw new RangeError(`${path}: no label column '${label}' (columns: ${table.columns.join(', ')})`);
  const d = table.cols - 1;
  const X = new Float64Array(table.rows * d);
  const y = new Float64Array(table.rows);
  for (let i = 0; i < table.rows; i++) {
    for (let c = 0, k = 0; c < table.cols; c++) {
      const v = table.data[i * table.cols + c]!;
      if (c === j) y[i] = v;
      else X[i * d + k++] = v;
    }
  }
  return { X: new Matrix(X, table.rows, d), y, columns: table.columns.filter((_, c) => c !== j) };
}
