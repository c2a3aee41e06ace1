/**
 * `tdakit attribute`: load an influence artifact once and stream the top-k training examples
 * of every query. Queries come as NDJSON records `{ "id", "x": [...], "y" }` on stdin (`-`) or
 * in a .ndjson/.jsonl file, or as the rows of a CSV/.npy/Parquet/Arrow file (id = row number).
 * Output: one NDJSON line per query, in input order, on stdout or --out (written atomically).
 * Only the summary and errors go to stderr.
 *
 * Exit codes: 0 every record was scored (or, with --on-error skip, skipped and reported on
 * stderr); 1 a fatal error, or with --on-error fail (default) a malformed record: every record
 * before it is written first; 2 with --on-error emit, when any record failed (its error line
 * `{ "id", "record", "error" }` is in the output in its place).
 */
import type { Command } from 'commander';
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { extname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { temporaryName } from '../io/atomic.ts';
import { readLabelled } from '../data/labelled.ts';
import { Influence } from '../influence/analysis.ts';
import { attributeQueries, RecordError, UnparsableRecord, type AttributionOutput } from '../streaming/attribution.ts';
import { oneOf, positiveInteger } from './options.ts';

interface AttributeOptions {
  model: string;
  queries: string;
  label: string;
  topK: number;
  method: 'if' | 'rif';
  target: 'loss' | 'logit' | 'probability';
  batch: number;
  onError: 'fail' | 'emit' | 'skip';
  out?: string;
}

export function registerAttribute(program: Command): void {
  program
    .command('attribute')
    .description(
      'stream the top-k training examples of every query against a saved influence artifact (tdakit fit --out)',
    )
    .requiredOption('--model <dir>', 'influence artifact directory written by tdakit fit (logistic or ridge)')
    .requiredOption(
      '--queries <file|->',
      "NDJSON records { id, x, y } ('-' = stdin, .ndjson/.jsonl), or a .csv/.npy/.parquet/.arrow file",
    )
    .option('--label <column>', "label column of a CSV/.npy/Parquet/Arrow query file ('none': no labels)", '-1')
    .option('--top-k <k>', 'examples per query at each end', positiveInteger('--top-k'), 10)
    .option('--method <method>', 'if | rif', oneOf('--method', ['if', 'rif'] as const), 'rif')
    .option(
      '--target <target>',
      'loss | logit | probability',
      oneOf('--target', ['loss', 'logit', 'probability'] as const),
      'loss',
    )
    .option('--batch <count>', 'queries per native call', positiveInteger('--batch'), 1024)
    .option(
      '--on-error <mode>',
      'malformed record: fail (exit 1) | emit an error line (exit 2) | skip it (exit 0, reported on stderr)',
      oneOf('--on-error', ['fail', 'emit', 'skip'] as const),
      'fail',
    )
    .option('--out <file>', 'NDJSON output (default stdout)')
    .action(async (o: AttributeOptions) => runAttribute(o));
}

async function runAttribute(o: AttributeOptions): Promise<void> {
  const started = performance.now();
  const influence = await Influence.load(o.model);
  const loadSeconds = (performance.now() - started) / 1000;
  const output = await openOutput(o.out);
  const abort = new AbortController();
  output.stream.on('error', () => abort.abort());
  let scored = 0;
  let failed = 0;
  let fatal: unknown;
  try {
    const records = attributeQueries(influence, await querySource(o), {
      k: o.topK,
      method: o.method,
      target: o.target,
      batchSize: o.batch,
      onError: o.onError === 'fail' ? 'fail' : 'emit',
      signal: abort.signal,
    });
    for await (const r of records) {
      if ('error' in r) {
        failed++;
        if (o.onError === 'skip') {
          if (failed <= 10)
            process.stderr.write(
              `attribute: skipped query record ${r.record}${r.id === undefined ? '' : ` (id ${JSON.stringify(r.id)})`}: ${r.error}\n`,
            );
          continue;
        }
      } else {
        scored++;
      }
      await output.write(r);
    }
  } catch (err) {
    fatal = abort.signal.aborted ? new Error(`attribute: the output was closed after ${scored} records`) : err;
    if (err instanceof RecordError) failed++;
  }
  await output.close(fatal === undefined || fatal instanceof RecordError);
  const wall = (performance.now() - started) / 1000;
  process.stderr.write(
    `attribute: ${scored} queries scored, ${failed} failed, in ${wall.toFixed(2)} s (${(scored / Math.max(wall - loadSeconds, 1e-9)).toFixed(0)} queries/s); ` +
      `artifact loaded in ${loadSeconds.toFixed(3)} s\n`,
  );
  if (fatal !== undefined) throw fatal;
  if (failed > 0 && o.onError === 'emit') process.exitCode = 2;
}

/** Query records from stdin or a file, produced as the consumer pulls them. */
async function querySource(o: AttributeOptions): Promise<AsyncIterable<unknown> | Iterable<unknown>> {
  const ext = extname(o.queries).toLowerCase();
  if (o.queries === '-') return ndjsonRecords(process.stdin);
  if (ext === '.ndjson' || ext === '.jsonl' || ext === '.json') return ndjsonRecords(createReadStream(o.queries));
  const file = await readLabelled(o.queries, o.label === 'none' ? undefined : o.label);
  return (function* () {
    for (let i = 0; i < file.X.rows; i++) yield { id: i, x: file.X.row(i), ...(file.y ? { y: file.y[i] } : {}) };
  })();
}

/** One parsed value per non-empty line; a line that is not JSON becomes an UnparsableRecord. */
async function* ndjsonRecords(input: NodeJS.ReadableStream): AsyncGenerator<unknown> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let line = 0;
  const parse = (text: string) => {
    line++;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return new UnparsableRecord(`line ${line} is not valid JSON: ${JSON.stringify(text.slice(0, 60))}`);
    }
  };
  for await (const chunk of input) {
    carry += decoder.write(chunk as Buffer);
    for (let at = carry.indexOf('\n'); at >= 0; at = carry.indexOf('\n')) {
      const text = carry.slice(0, at).trim();
      carry = carry.slice(at + 1);
      if (text === '') line++;
      else yield parse(text);
    }
  }
  carry += decoder.end();
  if (carry.trim() !== '') yield parse(carry.trim());
}

interface Output {
  stream: NodeJS.WritableStream;
  write(record: AttributionOutput): Promise<void>;
  /** Flushes; a file is renamed into place when `keep`, else removed. */
  close(keep: boolean): Promise<void>;
}

/** NDJSON lines buffered into ~64 KiB writes that wait for 'drain' (backpressure). */
async function openOutput(path?: string): Promise<Output> {
  const tmp = path ? temporaryName(path) : undefined;
  const stream: NodeJS.WritableStream = tmp ? createWriteStream(tmp, { flags: 'wx' }) : process.stdout;
  let pending = '';
  const flush = async () => {
    if (pending === '') return;
    const text = pending;
    pending = '';
    if (!stream.write(text)) await once(stream, 'drain');
  };
  return {
    stream,
    async write(record) {
      pending += JSON.stringify(record) + '\n';
      if (pending.length >= 65536) await flush();
    },
    async close(keep) {
      await flush().catch(() => {});
      if (!tmp) return;
      const file = stream as WriteStream;
      await new Promise<void>((resolve) => file.end(() => resolve()));
      if (keep) await rename(tmp, path!);
      else await rm(tmp, { force: true });
    },
  };
}
