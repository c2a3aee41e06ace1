/**
 * CSV files (RFC 4180) through papaparse, streamed chunk by chunk so only the parsed numbers
 * (and the text of the columns allowed to hold text) are held in memory. Quoted fields,
 * delimiters and newlines inside quotes, a UTF-8 byte-order mark and CRLF line ends are all
 * handled by the parser; the delimiter is detected from the first lines unless given.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { isMissingMarker, looksLikeHeader } from './csv-values.ts';
import { assertKnownOptions, optionKeys } from '../options-check.ts';

export interface CsvOptions {
  /** Field separator, or 'auto' (default): the one of , ; tab | that splits the first lines evenly. */
  delimiter?: string;
  /** 'auto' (default): a first line with a non-numeric field (missing-value tokens aside) is a header. */
  header?: boolean | 'auto';
  /**
   * Columns (header names or indices, negative from the end) that may hold text, such as a
   * string label. Their raw fields are returned in `text`; any other non-numeric field is an
   * error that names its column.
   */
  textColumns?: readonly (string | number)[];
}

export interface CsvTable {
  columns: string[];
  rows: number;
  cols: number;
  /** Row-major numbers; NaN where a text column holds a non-numeric field. */
  data: Float64Array;
  /** Raw fields of the text columns, by column index. */
  text: Map<number, string[]>;
  /** The delimiter used (given or detected). */
  delimiter: string;
}

const CANDIDATE_DELIMITERS = [',', ';', '\t', '|'];
/** Decimal numbers only: '0x10' or '0b101' are not numbers in a data file. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The field as a finite decimal number, or NaN: the numbers csv-values.ts's parseDecimal
 * accepts (plain decimal notation), checked faster. Number() does the work; the fields it
 * accepts that are not decimal numbers are caught by cheap checks: '' and blanks (0 for
 * Number), and the 0x / 0o / 0b prefixes.
 */
export function fastDecimal(field: string): number {
  const v = Number(field);
  if (!Number.isFinite(v)) return NaN;
  if (field.length === 0) return NaN;
  const c1 = field.charCodeAt(1) | 32; // lower-case letter or other
  if (field.charCodeAt(0) === 48 && field.length > 2 && (c1 === 120 || c1 === 111 || c1 === 98)) return NaN;
  const c0 = field.charCodeAt(0);
  if ((c0 === 32 || c0 === 9) && !DECIMAL.test(field.trim())) return NaN;
  return v;
}

/**
 * The delimiter that splits the first lines into the same number (> 1) of fields, counting only
 * outside quotes; ',' when none does.
 */
export function detectDelimiter(sample: string): string {
  const lines = splitSampleLines(sample).slice(0, 20);
  let best = ',',
    bestFields = 1;
  for (const d of CANDIDATE_DELIMITERS) {
    const counts = lines.map((line) => countOutsideQuotes(line, d));
    if (counts.length === 0 || counts[0] === 0 || counts.some((c) => c !== counts[0])) continue;
    if (counts[0]! + 1 > bestFields) [best, bestFields] = [d, counts[0]! + 1];
  }
  return best;
}

/** Whole records of the sample (newlines inside quotes kept), without the last, possibly cut one. */
function splitSampleLines(sample: string): string[] {
  const lines: string[] = [];
  let quoted = false,
    start = 0;
  for (let k = 0; k < sample.length; k++) {
    const c = sample[k];
    if (c === '"') quoted = !quoted;
    else if (c === '\n' && !quoted) {
      const line = sample.slice(start, k).replace(/\r$/, '');
      if (line.trim() !== '') lines.push(line);
      start = k + 1;
    }
  }
  return lines;
}

function countOutsideQuotes(line: string, d: string): number {
  let quoted = false,
    count = 0;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (c === d && !quoted) count++;
  }
  return count;
}

async function readSample(path: string, bytes = 65536): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
  } finally {
    await handle.close();
  }
}

/** A problem with the record-th non-empty record (1-based), reported with its line number. */
class RecordError extends Error {
  constructor(
    readonly record: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The line on which the record-th non-empty record (1-based) starts. Only errors need it, so
 * the file is scanned again then rather than tracking lines while parsing.
 */
async function lineOfRecord(path: string, record: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(path, 'utf8');
  let line = 1,
    seen = 0,
    quoted = false,
    blank = true,
    start = 1;
  for (let k = 0; k < text.length; k++) {
    const c = text[k]!;
    if (c === '"') quoted = !quoted;
    if (c === '\n') {
      line++;
      if (!quoted) {
        if (!blank && ++seen === record) return start;
        blank = true;
        start = line;
      }
    } else if (c !== '\r' && c !== ' ' && c !== '\t' && c !== '\uFEFF') blank = false;
  }
  return blank ? line : start;
}

async function startsWithBom(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(3), 0, 3, 0);
    return bytesRead === 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf;
  } finally {
    await handle.close();
  }
}

/** Resolves a column given by name or index (negative counts from the end) against the header. */
export function columnIndex(
  path: string,
  columns: readonly string[],
  column: string | number,
  what = 'column',
): number {
  const numeric = typeof column === 'number' || /^-?\d+$/.test(column);
  const index = numeric ? Number(column) : columns.indexOf(column);
  const j = numeric && index < 0 ? index + columns.length : index;
  if (j < 0 || j >= columns.length) {
    throw new RangeError(`${path}: no ${what} '${column}' (columns: ${columns.join(', ')})`);
  }
  return j;
}

/**
 * Reads a numeric CSV file (RFC 4180: quoted fields, embedded delimiters and newlines, BOM, CRLF), streamed.
 * @param path - the file
 * @param options - delimiter (or detection) and header detection
 * @returns column names, shape and the values, row-major
 */
export async function readCsv(path: string, options: CsvOptions = {}): Promise<CsvTable> {
  if (options === null || typeof options !== 'object')
    throw new TypeError(`readCsv: options must be an object, got ${options === null ? 'null' : typeof options}`);
  assertKnownOptions('readCsv', options, optionKeys<CsvOptions>({ delimiter: true, header: true, textColumns: true }));
  const delimiterOption = options.delimiter ?? 'auto';
  if (typeof delimiterOption !== 'string' || delimiterOption === '') {
    throw new TypeError(
      `readCsv: delimiter must be a non-empty string or 'auto', got ${typeof delimiterOption === 'string' ? "''" : typeof delimiterOption}`,
    );
  }
  const headerOption = options.header ?? 'auto';
  if (headerOption !== true && headerOption !== false && headerOption !== 'auto')
    throw new TypeError("readCsv: header must be true, false or 'auto'");
  if (options.textColumns !== undefined && !Array.isArray(options.textColumns))
    throw new TypeError('readCsv: textColumns must be an array of column names or indices');
  const delimiter = delimiterOption === 'auto' ? detectDelimiter(await readSample(path)) : delimiterOption;
  // Loaded on first use: `import('tdakit')` stays lean for programs that never read a CSV.
  const { default: Papa } = await import('papaparse');
  // Number() ignores surrounding blanks; header names and text fields are trimmed here.
  // A byte-order mark before a quoted first field would hide the quote from the parser: skip it.
  const source = createReadStream(path, { encoding: 'utf8', start: (await startsWithBom(path)) ? 3 : 0 });
  let columns: string[] | undefined;
  let cols = -1;
  let buf = new Float64Array(1 << 14);
  let used = 0;
  let isText: boolean[] = [];
  const text = new Map<number, string[]>();
  let record = 0;
  const onRecord = (fields: string[]): void => {
    if (fields.length === 1 && fields[0]!.trim() === '') return;
    record++;
    if (cols < 0) {
      cols = fields.length;
      // Text columns given by index (a headerless file's string labels) do not make a header.
      const textByIndex = new Set(
        (options.textColumns ?? [])
          .filter((c) => typeof c === 'number' || /^-?\d+$/.test(c))
          .map((c) => (Number(c) + cols) % cols),
      );
      // csv-values.ts decides: a name (not a number, missing-value marker or 0x10-like) makes a header.
      const named = fields.filter((_, j) => !textByIndex.has(j)).map((f) => f.trim());
      const isHeader = headerOption === true || (headerOption === 'auto' && looksLikeHeader(named));
      columns = isHeader ? fields.map((f, j) => (f.trim() === '' ? `x${j}` : f.trim())) : fields.map((_, j) => `x${j}`);
      isText = new Array(cols).fill(false);
      for (const c of options.textColumns ?? []) {
        const j = columnIndex(path, columns, c);
        isText[j] = true;
        text.set(j, []);
      }
      if (isHeader) return;
    }
    if (fields.length !== cols) {
      throw new RecordError(
        record,
        `has ${fields.length} fields, expected ${cols} (delimiter ${JSON.stringify(delimiter)})`,
      );
    }
    if (used + cols > buf.length) {
      const bigger = new Float64Array(Math.max(buf.length * 2, used + cols));
      bigger.set(buf.subarray(0, used));
      buf = bigger;
    }
    for (let j = 0; j < cols; j++) {
      const f = fields[j]!;
      const v = fastDecimal(f);
      if (isText[j]) text.get(j)!.push(f.trim());
      else if (!Number.isFinite(v)) {
        throw new RecordError(
          record,
          `column '${columns![j]}' holds ${JSON.stringify(f)}, not a finite number` +
            (isMissingMarker(f)
              ? ' (missing values must be removed or imputed first)'
              : ` (a categorical column? one-hot encode it: oneHot: ['${columns![j]}'], on the command line --one-hot '${columns![j]}')`),
        );
      }
      buf[used++] = v;
    }
  };
  // papaparse (its fast path splits unquoted text, about 3x the speed of csv-parse here).
  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      source.destroy();
      if (!(err instanceof RecordError)) return reject(err);
      lineOfRecord(path, err.record).then(
        (line) => reject(new RangeError(`${path}:${line}: ${err.message}`)),
        () => reject(new RangeError(`${path}: record ${err.record}: ${err.message}`)),
      );
    };
    source.on('error', fail);
    Papa.parse<string[]>(source, {
      delimiter,
      skipEmptyLines: true, // blank-but-spaces lines are skipped in onRecord ('greedy' costs 15%)
      chunk: (results, parser) => {
        if (failed) return;
        try {
          const problem = results.errors.find((e) => e.type === 'Quotes');
          if (problem) throw new RecordError(record + (problem.row ?? 0) + 1, problem.message);
          for (const fields of results.data) {
            onRecord(fields);
          }
        } catch (err) {
          fail(err as Error); // first: abort() completes the parse synchronously
          parser.abort();
        }
      },
      complete: () => {
        if (!failed) resolve();
      },
      error: (err: Error) => fail(err),
    });
  });
  if (cols < 0) throw new RangeError(`${path}: is empty`);
  return { columns: columns!, rows: used / cols, cols, data: buf.slice(0, used), text, delimiter };
}
