/**
 * Columnar files: Parquet (through hyparquet) and Arrow IPC, file or stream format (through
 * apache-arrow). Numeric columns of any width (float64/32, signed and unsigned integers,
 * booleans as 0/1) become float64; columns are selected by name; a null or non-numeric value
 * is an error naming the column.
 */
import { createReadStream } from 'node:fs';

export interface ColumnarOptions {
  /** Columns to read, in this order (default every column). */
  columns?: readonly string[];
}

export interface ColumnTable {
  columns: string[];
  rows: number;
  cols: number;
  /** Row-major values. */
  data: Float64Array;
}

function pickColumns(path: string, available: string[], wanted: readonly string[] | undefined): string[] {
  if (wanted === undefined) return available;
  if (!Array.isArray(wanted) || wanted.some((c) => typeof c !== 'string'))
    throw new TypeError(`${path}: options.columns must be an array of column names`);
  const missing = wanted.filter((c) => !available.includes(c));
  if (missing.length > 0)
    throw new RangeError(
      `${path}: no column ${missing.map((c) => `'${c}'`).join(', ')} (columns: ${available.join(', ')})`,
    );
  if (wanted.length === 0) throw new RangeError(`${path}: options.columns is empty`);
  return [...wanted];
}

/** One value of a numeric column as float64; anything else is an error naming the cell. */
function numeric(path: string, column: string, row: number, v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') {
    const x = Number(v);
    if (!Number.isSafeInteger(x))
      throw new RangeError(`${path}: column '${column}' row ${row}: ${v} does not fit a float64 exactly`);
    return x;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === null || v === undefined)
    throw new RangeError(`${path}: column '${column}' row ${row} is null; fill or drop missing values first`);
  throw new TypeError(
    `${path}: column '${column}' is not numeric (row ${row} holds ${JSON.stringify(v)?.slice(0, 40)})`,
  );
}

/** Reads numeric columns of a Parquet file into a row-major float64 table. */
export async function readParquet(path: string, options: ColumnarOptions = {}): Promise<ColumnTable> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetSchema, parquetRead } = await import('hyparquet');
  const file = await asyncBufferFromFile(path);
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (err) {
    throw new RangeError(`${path}: not a readable Parquet file (${(err as Error).message})`, { cause: err });
  }
  const available = parquetSchema(metadata).children.map((c) => c.element.name);
  const columns = pickColumns(path, available, options.columns);
  const rows = Number(metadata.num_rows);
  const cols = columns.length;
  const data = new Float64Array(rows * cols);
  const filled = new Float64Array(cols);
  // hyparquet does not propagate exceptions thrown by onChunk: keep the first and rethrow it.
  let failure: Error | undefined;
  await parquetRead({
    file,
    metadata,
    columns,
    onChunk: ({ columnName, columnData, rowStart, rowEnd }) => {
      const c = columns.indexOf(columnName);
      if (c < 0 || failure) return;
      const values = columnData as ArrayLike<unknown>;
      const end = Math.min(rowEnd, rows);
      try {
        for (let i = rowStart; i < end; i++) data[i * cols + c] = numeric(path, columnName, i, values[i - rowStart]);
      } catch (err) {
        failure = err as Error;
        return;
      }
      filled[c]! += end - rowStart;
    },
  });
  if (failure) throw failure;
  const short = columns.findIndex((_, c) => filled[c] !== rows);
  if (short >= 0)
    throw new RangeError(`${path}: column '${columns[short]}' has ${filled[short]} values, the file has ${rows} rows`);
  return { columns, rows, cols, data };
}

/** Reads numeric columns of an Arrow IPC file (or stream) batch by batch into a float64 table. */
export async function readArrow(path: string, options: ColumnarOptions = {}): Promise<ColumnTable> {
  const { RecordBatchReader } = await import('apache-arrow');
  let reader: Awaited<ReturnType<typeof RecordBatchReader.from>>;
  try {
    reader = await RecordBatchReader.from(createReadStream(path));
    await reader.open();
  } catch (err) {
    throw new RangeError(`${path}: not a readable Arrow IPC file (${(err as Error).message})`, { cause: err });
  }
  const available = reader.schema.fields.map((f) => f.name);
  const columns = pickColumns(path, available, options.columns);
  const cols = columns.length;
  let data = new Float64Array(1024 * cols);
  let rows = 0;
  for await (const batch of reader) {
    if (rows + batch.numRows > data.length / cols) {
      const bigger = new Float64Array(Math.max(2 * data.length, (rows + batch.numRows) * cols));
      bigger.set(data.subarray(0, rows * cols));
      data = bigger;
    }
    columns.forEach((name, c) => {
      const vector = batch.getChild(name)!;
      if (vector.nullCount > 0) {
        const at = Array.from({ length: batch.numRows }, (_, i) => i).find((i) => !vector.isValid(i))!;
        throw new RangeError(`${path}: column '${name}' row ${rows + at} is null; fill or drop missing values first`);
      }
      // Half floats come back as raw bits from toArray(); iterating decodes them.
      const half = String(vector.type) === 'Float16';
      const values = (half ? [...vector] : vector.toArray()) as ArrayLike<unknown>;
      if (values.length !== batch.numRows)
        throw new TypeError(`${path}: column '${name}' is not a numeric column (${String(vector.type)})`);
      for (let i = 0; i < batch.numRows; i++) data[(rows + i) * cols + c] = numeric(path, name, rows + i, values[i]);
    });
    rows += batch.numRows;
  }
  return { columns, rows, cols, data: data.slice(0, rows * cols) };
}
