/**
 * Append-only JSON-lines files that survive crashes: records are only ever appended (the file
 * is never rewritten, so a kill cannot lose finished work), and reading validates every line
 * so a torn last line, a line of valid-JSON garbage or a `null` is skipped and reported, never
 * turned into a record.
 */
import { open, readFile } from 'node:fs/promises';

export interface JsonLinesRead<T> {
  records: T[];
  /** 1-based line numbers that were not valid records (torn, garbage, wrong shape). */
  rejected: number[];
  /** Whether the file ends without a newline (a torn final append). */
  tornTail: boolean;
}

/**
 * Reads every valid record. `validate` returns the record or a string saying what is wrong.
 * A missing file reads as empty.
 */
export async function readJsonLines<T>(
  path: string,
  validate: (value: unknown) => T | string,
): Promise<JsonLinesRead<T>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], rejected: [], tornTail: false };
    throw err;
  }
  const lines = text.split('\n');
  const tornTail = lines[lines.length - 1] !== '';
  const records: T[] = [];
  const rejected: number[] = [];
  lines.forEach((line, k) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      rejected.push(k + 1);
      return;
    }
    const r = validate(value);
    if (typeof r === 'string') rejected.push(k + 1);
    else records.push(r);
  });
  return { records, rejected, tornTail };
}

/**
 * Appends lines. If the file ends in a torn line, a newline is written first so the torn
 * fragment stays a line of its own (skipped on read) instead of corrupting the next record.
 */
export async function appendJsonLines(path: string, records: readonly unknown[]): Promise<void> {
  let prefix = '';
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) prefix = '\n';
      }
    } finally {
      await handle.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const payload = prefix + records.map((r) => JSON.stringify(r) + '\n').join('');
  // One write with O_APPEND: the whole batch lands at the end of the file; synced so a finished
  // record survives a power loss, not only a killed process.
  const out = await open(path, 'a');
  try {
    await out.writeFile(payload);
    await out.datasync();
  } finally {
    await out.close();
  }
}
