/** Dense row-major float64 matrix: one example per row. */
import { assertFinite, assertInteger, describe, toFloat64 } from './validate.ts';
import { assertKnownOptions } from '../options-check.ts';

/** A dense row-major float64 matrix: one example per row (the input of every model). */
export class Matrix {
  /** Row-major values, rows * cols long. Do not mutate while an async call is using it. */
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;

  /**
   * Wraps (does not copy) row-major float64 data. Throws a TypeError for other element types
   * (convert them with `Matrix.from`) and a RangeError for a length that does not match or for
   * NaN/Inf values.
   * @param data - row-major values, rows * cols long (wrapped, not copied)
   * @param rows - number of rows (examples)
   * @param cols - number of columns (features)
   */
  constructor(data: Float64Array, rows: number, cols: number) {
    if (!(data instanceof Float64Array)) {
      throw new TypeError(
        `Matrix data: must be a Float64Array, got ${describe(data)}; use Matrix.from(values, rows, cols) to convert`,
      );
    }
    assertInteger('Matrix rows', rows, 0);
    assertInteger('Matrix cols', cols, 0);
    if (data.length !== rows * cols) {
      throw new RangeError(
        `Matrix data: has ${data.length} values, expected rows * cols = ${rows} * ${cols} = ${rows * cols}`,
      );
    }
    assertFinite('Matrix data', data, cols);
    this.data = data;
    this.rows = rows;
    this.cols = cols;
  }

  /**
   * Copies any numeric array-like (number[], Float32Array, ...) into a new Matrix.
   * @param values - row-major numbers of any numeric array type
   * @param rows - number of rows
   * @param cols - number of columns
   * @returns a new matrix holding a float64 copy
   */
  static from(values: ArrayLike<number>, rows: number, cols: number): Matrix {
    if (!Array.isArray(values) && !(ArrayBuffer.isView(values) && !(values instanceof DataView))) {
      throw new TypeError(`Matrix.from: values must be an array or a typed array of numbers, got ${describe(values)}`);
    }
    return new Matrix(toFloat64('Matrix.from: values', values), rows, cols);
  }

  /**
   * From nested arrays, one inner array per row; all rows must have the same length.
   * @param rows - one array of numbers per row
   * @returns a new matrix
   */
  static fromArrays(rows: readonly (readonly number[] | ArrayLike<number>)[]): Matrix {
    if (!Array.isArray(rows)) throw new TypeError(`Matrix.fromArrays: expects an array of rows, got ${describe(rows)}`);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (!Array.isArray(r) && !(ArrayBuffer.isView(r) && !(r instanceof DataView))) {
        throw new TypeError(`Matrix.fromArrays: row ${i} must be an array of numbers, got ${describe(r)}`);
      }
    }
    const cols = rows.length > 0 ? rows[0]!.length : 0;
    const data = new Float64Array(rows.length * cols);
    rows.forEach((r, i) => {
      if (r.length !== cols)
        throw new RangeError(`Matrix.fromArrays: row ${i} has ${r.length} values, row 0 has ${cols}`);
      for (let j = 0; j < cols; j++) data[i * cols + j] = r[j]!;
    });
    return new Matrix(data, rows.length, cols);
  }

  /**
   * Reads a 2-D NumPy .npy file (float64, float32 or integer; C or Fortran order).
   * @param path - the .npy file
   * @returns the matrix (a 1-D array becomes one column)
   */
  static fromNpy(path: string): Promise<Matrix> {
    return matrixFromNpy(path);
  }

  /**
   * Reads a numeric CSV file, one example per line; a non-numeric first line is the header.
   * @param path - the CSV file
   * @param options - delimiter and header detection
   * @returns the matrix of every numeric column
   */
  static async fromCSV(path: string, options: MatrixFileOptions = {}): Promise<Matrix> {
    assertKnownOptions('Matrix.fromCSV', options, ['delimiter', 'header']);
    return matrixFromCsv(path, options);
  }

  /**
   * Reads numeric columns of a Parquet file (float64/32, integers, booleans), optionally only
   * `options.columns`, in that order.
   * @param path - the .parquet file
   * @param options - `columns`: names of the columns to read, in order (default all)
   * @returns one row per Parquet row
   */
  static async fromParquet(path: string, options: ColumnarFileOptions = {}): Promise<Matrix> {
    const { readParquet } = await import('./columnar.ts');
    const t = await readParquet(path, options);
    return new Matrix(t.data, t.rows, t.cols);
  }

  /**
   * Reads numeric columns of an Arrow IPC file or stream (as `fromParquet`).
   * @param path - the .arrow / .feather / IPC stream file
   * @param options - `columns`: names of the columns to read, in order (default all)
   * @returns one row per Arrow row
   */
  static async fromArrow(path: string, options: ColumnarFileOptions = {}): Promise<Matrix> {
    const { readArrow } = await import('./columnar.ts');
    const t = await readArrow(path, options);
    return new Matrix(t.data, t.rows, t.cols);
  }

  /**
   * Writes the matrix as a float64 .npy file.
   * @param path - the file to write
   */
  async toNpy(path: string): Promise<void> {
    const { writeNpy } = await import('./npy.ts');
    await writeNpy(path, this.data, [this.rows, this.cols]);
  }

  /**
   * The entry in row i, column j (unchecked, for inner loops).
   * @param i - row index
   * @param j - column index
   * @returns the value
   */
  get(i: number, j: number): number {
    return this.data[i * this.cols + j]!;
  }

  /**
   * A view (no copy) of row i.
   * @param i - row index
   * @returns the row's values (a view sharing memory with the matrix)
   */
  row(i: number): Float64Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.rows)
      throw new RangeError(`row: index ${i} out of range [0, ${this.rows})`);
    return this.data.subarray(i * this.cols, (i + 1) * this.cols);
  }

  /**
   * A new matrix with the given rows, in the given order.
   * @param indices - row indices (repeats allowed)
   * @returns a new matrix (copied rows)
   */
  selectRows(indices: ArrayLike<number>): Matrix {
    const out = new Float64Array(indices.length * this.cols);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      if (!Number.isInteger(i) || i < 0 || i >= this.rows)
        throw new RangeError(`selectRows: index ${i} out of range [0, ${this.rows})`);
      out.set(this.data.subarray(i * this.cols, (i + 1) * this.cols), k * this.cols);
    }
    return new Matrix(out, indices.length, this.cols);
  }

  /**
   * The rows as nested arrays of numbers.
   * @returns one array per row
   */
  toArrays(): number[][] {
    return Array.from({ length: this.rows }, (_, i) => Array.from(this.row(i)));
  }
}

/** Checks that a caller passed a Matrix (not nested arrays or a typed array). */
export function assertMatrix(name: string, x: unknown): Matrix {
  if (!(x instanceof Matrix)) {
    throw new TypeError(
      `${name}: must be a Matrix (use Matrix.fromArrays or new Matrix(Float64Array, rows, cols)), got ${describe(x)}`,
    );
  }
  return x;
}

/** How `Matrix.fromParquet` and `Matrix.fromArrow` read a file. */
export interface ColumnarFileOptions {
  /** Columns to read, by name, in this order (default every column). */
  columns?: readonly string[];
}

/** How `Matrix.fromCSV` reads a file. */
export interface MatrixFileOptions {
  /** CSV only: field separator (default ','). */
  delimiter?: string;
  /** CSV only: whether the first line is a header ('auto' by default). */
  header?: boolean | 'auto';
}

/** Reads a 2-D .npy array (a 1-D array becomes one column). */
export async function matrixFromNpy(path: string): Promise<Matrix> {
  const { readNpy } = await import('./npy.ts');
  const { data, shape } = await readNpy(path);
  if (shape.length === 1) return new Matrix(data, shape[0]!, 1);
  if (shape.length !== 2) throw new RangeError(`${path}: expected a 2-D array, got shape (${shape.join(', ')})`);
  return new Matrix(data, shape[0]!, shape[1]!);
}

/** Reads a numeric CSV file (header detected automatically). */
export async function matrixFromCsv(path: string, options: MatrixFileOptions = {}): Promise<Matrix> {
  if (options === null || typeof options !== 'object') throw new TypeError('Matrix.fromCSV: options must be an object');
  const { readCsv } = await import('./csv.ts');
  const t = await readCsv(path, options);
  return new Matrix(t.data, t.rows, t.cols);
}
