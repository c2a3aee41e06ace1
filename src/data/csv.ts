/**
 * Numeric CSV files, streamed line by line so only the parsed numbers are held in memory.
 * A first line with a field that is a name (not a number, not a missing-value marker such as
 * NA) is taken as the header; fields are plain decimal numbers (csv-values.ts).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { looksLikeHeader, parseDecimal } from './csv-values.ts';

export interface CsvOptions {
  /** Field separator. Default ','. */
  delimiter?: string;
  /** 'auto' (default): a first line with a non-numeric field is a header. */
  header?: boolean | 'auto';
}

export interface CsvTable {
  columns: string[];
  rows: number;
  cols: number;
  data: Float64Array; // row-major
}

const unquote = (s: string) => s.trim().replace(/^"(.*)"$/, '$1');

/**
 * Reads a numeric CSV file, streamed line by line.
 * @param path - the CSV file
 * @param options - delimiter and header detection
 * @returns column names, size and the row-major values
 */
export async function readCsv(path: string, options: CsvOptions = {}): Promise<CsvTable> {
  if (options === null || typeof options !== 'object') throw new TypeError(`readCsv: options must be an object, got ${options === null ? 'null' : typeof options}`);
  const delimiter = options.delimiter ?? ',';
  const headerOpt = options.header ?? 'auto';
  if (typeof delimiter !== 'string' || delimiter === '') throw new TypeError('readCsv: delimiter must be a non-empty string');
  if (headerOpt !== true && headerOpt !== false && headerOpt !== 'auto') throw new TypeError("readCsv: header must be true, false or 'auto'");
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let columns: string[] | undefined;
  let cols = -1;
  let buf = new Float64Array(1024);
  let used = 0;
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    if (raw.trim() === '') continue;
    const fields = raw.split(delimiter).map(unquote);
    if (cols < 0) {
      cols = fields.length;
      if (headerOpt === true || (headerOpt === 'auto' && looksLikeHeader(fields))) {
        columns = fields;
        continue;
      }
      columns = fields.map((_, j) => `x${j}`);
    }
    if (fields.length !== cols) throw new RangeError(`${path}:${lineNo}: has ${fields.length} fields, expected ${cols}`);
    if (used + cols > buf.length) {
      const bigger = new Float64Array(Math.max(buf.length * 2, used + cols));
      bigger.set(buf.subarray(0, used));
      buf = bigger;
    }
    for (let j = 0; j < cols; j++) {
      const f = fields[j]!;
      const v = parseDecimal(f);
      if (v === undefined) {
        throw new RangeError(`${path}:${lineNo}: column '${columns![j]}' holds ${JSON.stringify(f)}, not a finite number`);
      }
      buf[used++] = v;
    }
  }
  if (cols < 0) throw new RangeError(`${path}: is empty`);
  return { columns: columns!, rows: used / cols, cols, data: buf.slice(0, used) };
}
