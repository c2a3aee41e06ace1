/**
 * Streaming attribution: query records `{ id, x, y? }` in, `{ id, top, bottom }` out, in input
 * order. Queries are micro-batched into one blocked native top-k call per batch, so memory
 * stays bounded by the batch size (plus the stream buffers) whatever the stream's length, and
 * the pace is set by the consumer (pull-based iterator; a Transform that honours backpressure).
 *
 * Malformed records (`onError`):
 * - 'fail' (default): every record before the bad one is scored and delivered, then the
 *   stream fails with a RecordError naming the record's position and id;
 * - 'emit': the bad record becomes `{ id, error }` in its place and the stream goes on.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { Matrix } from '../data/matrix.ts';
import { AbortError } from '../errors.ts';
import type { Influence, ScoreMethod, ScoreTarget, TopKResult } from '../influence/analysis.ts';
import { assertInteger } from '../data/validate.ts';

/** One query of a stream: an id echoed in the result, its features and (for loss targets) its label. */
export interface QueryRecord {
  /** Any JSON value identifying the query; echoed in its output. */
  id?: unknown;
  /** Features: numbers, as many as the model's training data has columns. */
  x: ArrayLike<number>;
  /** Label (needed for target 'loss', the default). */
  y?: number;
}

/** A training example and its score for one query. */
export interface ScoredEntry {
  index: number;
  score: number;
}

/** The result for one query: its k most supportive (top) and most opposing (bottom) training examples. */
export interface AttributionRecord {
  id: unknown;
  /** The k training examples with the largest scores (they helped the query most), largest first. */
  top: ScoredEntry[];
  /** The k most negative scores, most negative first. */
  bottom: ScoredEntry[];
}

/** A malformed record in 'emit' mode: its position (0-based) in the input, its id and the problem. */
export interface AttributionErrorRecord {
  id: unknown;
  record: number;
  error: string;
}

/** What a stream yields per query: a result, or an error record when malformed records are reported rather than fatal. */
export type AttributionOutput = AttributionRecord | AttributionErrorRecord;

/** Options of `attributeQueries` and `attributionStream`. */
export interface AttributionStreamOptions {
  /** Examples kept per query at each end. Default 10. */
  k?: number;
  /** Default 'rif'. */
  method?: ScoreMethod;
  /** Default 'loss' (records then need y). */
  target?: ScoreTarget;
  /** Queries per native call. Default 1024 (the score GEMM's rate per core grows with it: about 8, 19 and 23 GFLOP per CPU-second at 256, 1024 and 2048 for n = 100,000, d = 512). */
  batchSize?: number;
  /** What a malformed record does: 'fail' (default) or 'emit' an error record. */
  onError?: 'fail' | 'emit';
  /** Stops the stream with an AbortError (records already delivered stay delivered). */
  signal?: AbortSignal;
}

/**
 * Stands in for an input record that could not even be parsed (a line that is not JSON): the
 * stream treats it as a malformed record with this message.
 */
export class UnparsableRecord {
  constructor(
    readonly problem: string,
    readonly id?: unknown,
  ) {}
}

/** A malformed query record (in 'fail' mode the stream fails with it). */
export class RecordError extends Error {
  readonly code = 'ERR_TDAKIT_RECORD';
  constructor(
    readonly record: number,
    readonly id: unknown,
    problem: string,
  ) {
    super(`query record ${record}${id === undefined ? '' : ` (id ${JSON.stringify(id)})`}: ${problem}`);
    this.name = 'RecordError';
  }
}

interface Resolved {
  k: number;
  method: ScoreMethod;
  target: ScoreTarget;
  batchSize: number;
  onError: 'fail' | 'emit';
  signal?: AbortSignal;
}

function resolve(o: AttributionStreamOptions): Resolved {
  if (o === null || typeof o !== 'object') throw new TypeError('attribution stream: options must be an object');
  const onError = o.onError ?? 'fail';
  if (onError !== 'fail' && onError !== 'emit')
    throw new RangeError(`attribution stream: onError must be 'fail' or 'emit', got '${String(onError)}'`);
  return {
    k: assertInteger('attribution stream: k', o.k ?? 10, 1),
    method: o.method ?? 'rif',
    target: o.target ?? 'loss',
    batchSize: assertInteger('attribution stream: batchSize', o.batchSize ?? 1024, 1),
    onError,
    ...(o.signal ? { signal: o.signal } : {}),
  };
}

/**
 * Collects valid queries into a batch and scores it with one native call. Pure bookkeeping: the
 * iterator and the Transform below decide when to flush.
 */
class Batcher {
  private readonly d: number;
  private readonly x: Float64Array;
  private readonly y: Float64Array;
  private ids: unknown[] = [];
  private seen = 0;

  constructor(
    private readonly influence: Influence,
    private readonly o: Resolved,
  ) {
    this.d = influence.model.nFeatures;
    this.x = new Float64Array(o.batchSize * this.d);
    this.y = new Float64Array(o.batchSize);
  }

  get size(): number {
    return this.ids.length;
  }
  get full(): boolean {
    return this.ids.length >= this.o.batchSize;
  }

  /** Adds a record to the batch, or returns its error record (and throws in 'fail' mode). */
  add(record: unknown): AttributionErrorRecord | undefined {
    const position = this.seen++;
    const problem = this.check(record, this.ids.length);
    if (problem === undefined) {
      this.ids.push((record as QueryRecord).id);
      return undefined;
    }
    const id = record !== null && typeof record === 'object' ? (record as QueryRecord).id : undefined;
    return { id, record: position, error: problem };
  }

  /** Copies a valid record into slot `slot`, or says what is wrong with it. */
  private check(record: unknown, slot: number): string | undefined {
    if (record instanceof UnparsableRecord) return record.problem;
    if (record === null || typeof record !== 'object' || Array.isArray(record))
      return `must be an object { id, x, y? }, got ${JSON.stringify(record)?.slice(0, 80)}`;
    const r = record as QueryRecord;
    const x = r.x as unknown;
    if (!Array.isArray(x) && !(ArrayBuffer.isView(x) && !(x instanceof DataView)))
      return 'x must be an array of numbers';
    const values = x as ArrayLike<unknown>;
    if (values.length !== this.d) return `x has ${values.length} values, the model has ${this.d} features`;
    for (let j = 0; j < this.d; j++) {
      const v = values[j];
      if (typeof v !== 'number' || !Number.isFinite(v))
        return `x[${j}] is ${JSON.stringify(v) ?? String(v)}, not a finite number`;
    }
    if (this.o.target === 'loss' && r.y === undefined) return "y is required for target 'loss'";
    if (r.y !== undefined) {
      try {
        this.influence.model.labels([r.y as number], 1, 'y');
      } catch (err) {
        // The model's check speaks of "label 0" of an array; here there is one label.
        return `y is ${JSON.stringify(r.y)}: ${(err as Error).message.replace(/^y: (label 0 is [^;]*; |element 0 is )/, '')}`;
      }
    }
    // Only now that it is valid does it enter the batch.
    for (let j = 0; j < this.d; j++) this.x[slot * this.d + j] = values[j] as number;
    this.y[slot] = r.y ?? 0;
    return undefined;
  }

  /** Scores the batch (one blocked native call) and empties it. */
  async flush(): Promise<AttributionRecord[]> {
    const m = this.ids.length;
    if (m === 0) return [];
    const ids = this.ids;
    this.ids = [];
    const X = new Matrix(this.x.slice(0, m * this.d), m, this.d);
    const y = this.o.target === 'loss' || this.o.target === undefined ? this.y.slice(0, m) : undefined;
    const top = await this.influence.topK(X, y, {
      k: this.o.k,
      method: this.o.method,
      target: this.o.target,
      queryBlock: m,
    });
    return ids.map((id, j) => toRecord(id, top, j));
  }
}

function toRecord(id: unknown, r: TopKResult, j: number): AttributionRecord {
  const top: ScoredEntry[] = new Array(r.k);
  const bottom: ScoredEntry[] = new Array(r.k);
  for (let t = 0; t < r.k; t++) {
    top[t] = { index: r.topIndex[j * r.k + t]!, score: r.topValue[j * r.k + t]! };
    bottom[t] = { index: r.bottomIndex[j * r.k + t]!, score: r.bottomValue[j * r.k + t]! };
  }
  return { id, top, bottom };
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted)
    throw signal.reason instanceof Error ? signal.reason : new AbortError('attribution stream: aborted');
}

/**
 * Attributes every query of `source` (any iterable or async iterable of records), yielding
 * results in input order. Pull-based: nothing is read ahead of the consumer beyond one batch.
 * @param influence - a factored influence analysis (fitted or loaded from an artifact)
 * @param source - query records `{ id, x, y? }`
 * @param options - k, method, target, batch size, per-record error handling, AbortSignal
 * @returns an async generator of `{ id, top, bottom }` (or error records when configured)
 */
export async function* attributeQueries(
  influence: Influence,
  source: AsyncIterable<unknown> | Iterable<unknown>,
  options: AttributionStreamOptions = {},
): AsyncGenerator<AttributionOutput> {
  const o = resolve(options);
  const batch = new Batcher(influence, o);
  checkAbort(o.signal);
  for await (const record of source) {
    checkAbort(o.signal);
    const bad = batch.add(record);
    if (bad) {
      for (const out of await batch.flush()) yield out;
      if (o.onError === 'fail') throw new RecordError(bad.record, bad.id, bad.error);
      yield bad;
      continue;
    }
    if (batch.full) {
      const outs = await batch.flush();
      checkAbort(o.signal);
      for (const out of outs) yield out;
    }
  }
  checkAbort(o.signal);
  for (const out of await batch.flush()) yield out;
}

/**
 * The same as an object-mode Transform (records in, results out), for `pipeline(...)`. Write
 * callbacks wait while the readable side is full, so a slow consumer stops the producer.
 * @param influence - a factored influence analysis (fitted or loaded from an artifact)
 * @param options - as for `attributeQueries`, plus the stream's `highWaterMark` (records)
 * @returns an object-mode Transform from query records to results
 */
export function attributionStream(
  influence: Influence,
  options: AttributionStreamOptions & { highWaterMark?: number } = {},
): Transform {
  const o = resolve(options);
  const batch = new Batcher(influence, o);
  // In 'fail' mode the error waits until the consumer has read every record before it:
  // destroying a stream discards what is still buffered.
  let pendingError: Error | undefined;
  const failWhenDrained = (stream: Transform) => {
    if (pendingError && stream.readableLength === 0 && !stream.destroyed) stream.destroy(pendingError);
  };
  const stream = new Transform({
    objectMode: true,
    highWaterMark: options.highWaterMark ?? o.batchSize,
    transform(record: unknown, _enc, done: TransformCallback) {
      const bad = batch.add(record);
      if (!bad && !batch.full) return done();
      batch.flush().then(
        (outs) => {
          for (const r of outs) this.push(r);
          if (!bad) return done();
          if (o.onError === 'emit') {
            this.push(bad);
            return done();
          }
          // The write callback is never called: the producer stops here.
          pendingError = new RecordError(bad.record, bad.id, bad.error);
          failWhenDrained(this);
        },
        (err: unknown) => done(err as Error),
      );
    },
    flush(done: TransformCallback) {
      batch.flush().then((outs) => {
        for (const r of outs) this.push(r);
        done();
      }, done);
    },
  });
  // Every consumer (pipe, for await, read()) drains through read(): check after each one,
  // once the chunk it returned is on its way.
  const read = stream.read.bind(stream);
  stream.read = (size?: number) => {
    const chunk = read(size);
    if (pendingError && stream.readableLength === 0) process.nextTick(failWhenDrained, stream);
    return chunk;
  };
  if (o.signal) {
    const abort = () =>
      stream.destroy(
        o.signal!.reason instanceof Error ? o.signal!.reason : new AbortError('attribution stream: aborted'),
      );
    if (o.signal.aborted) queueMicrotask(abort);
    else o.signal.addEventListener('abort', abort, { once: true });
    stream.once('close', () => o.signal!.removeEventListener('abort', abort));
  }
  return stream;
}
