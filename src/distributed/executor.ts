/**
 * The coordinator's side of a distributed run: one BullMQ queue per run (named from a hash of
 * the run's configuration, so a restarted coordinator finds its finished jobs again), one job
 * per unit with the idempotent id `run.unit` (a second add of the same unit is ignored),
 * retries with exponential backoff, every result checked (run, unit, kind, length, finite
 * values) before use, cancellation of queued jobs on abort, and progress as jobs finish.
 * Coordinators merge the results in unit order, so the answer does not depend on which
 * worker ran what or when it finished.
 */
import { createHash } from 'node:crypto';
import { Queue, QueueEvents, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { AbortError } from '../errors.ts';
import {
  answers,
  closeClients,
  probeRedis,
  ReconnectPolicy,
  redact,
  RedisUnavailableError,
  resolveConnection,
  settlesWithin,
  type RedisConnection,
  type ResolvedConnection,
} from './connection.ts';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeBundle, pathInsideRoot, publishData, type Bundle, type DatasetRef } from './dataset.ts';
import { checkResult, RUN_ID, type JobKind, type UnitJob } from './schema.ts';
import { DEFAULT_PREFIX, jobId, queueName, runsKey } from './names.ts';

/** How a coordinator reaches its workers (the `queue` option of benchmarkRemoval, groundTruth/lds and daunce). */
export interface QueueOptions {
  /** redis:// or rediss:// URL (or { url, username, password, tls }). */
  connection: RedisConnection;
  /**
   * Name of the run's queue. Default: derived from a hash of the run's configuration and data,
   * so a restarted coordinator reuses the jobs already finished.
   */
  runId?: string;
  /**
   * A directory every worker reads as its data root (a shared mount at the same path on the
   * coordinator): data bundles are written there once. Default: the bundle is stored in Redis
   * (at most 64 MiB).
   */
  dataDir?: string;
  /**
   * With `dataDir`: results larger than this many bytes are written by the workers into
   * `dataDir/tdakit-results/<run>/` instead of travelling through Redis. Default 1 MiB.
   */
  fileResultBytes?: number;
  /** Key prefix shared with the workers. Default 'tdakit'. */
  prefix?: string;
  /** Attempts per unit (retries on failure, with backoff). Default 3. */
  attempts?: number;
  /** First backoff delay in ms (doubling). Default 1000. */
  backoffMs?: number;
  /** Bound on connecting to Redis. Default 5000. */
  connectTimeoutMs?: number;
  /** Redis unreachable this long during the run fails it with RedisUnavailableError. Default 60000. */
  unavailableMs?: number;
  /** Called as each job's result arrives (completion order). */
  onJob?: (event: { unit: number; done: number; total: number }) => void;
}

/** Results kept in Redis this long (a restarted coordinator finds them), then dropped. */
const KEEP_SECONDS = 7 * 24 * 3600;

/** The queue of one run. */
export class QueueRun {
  private submitted = 0;
  private finished = 0;
  private closed = false;
  private readonly aborted: Promise<never>;
  private readonly onAbort: () => void;
  private readonly watchdog: ReturnType<typeof setInterval>;

  private constructor(
    readonly where: string,
    readonly runId: string,
    private readonly options: QueueOptions,
    private readonly connection: ResolvedConnection,
    private readonly redis: Redis,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly prefix: string,
    private readonly reconnects: ReconnectPolicy,
    private readonly signal?: AbortSignal,
  ) {
    let reject!: (e: unknown) => void;
    this.aborted = new Promise<never>((_, r) => (reject = r));
    this.aborted.catch(() => {});
    this.onAbort = () => {
      reject(new AbortError(`${where}: aborted`));
      void this.cancel();
    };
    if (signal?.aborted) this.onAbort();
    else signal?.addEventListener('abort', this.onAbort, { once: true });
    // A run whose Redis went away fails after unavailableMs instead of waiting for ever.
    const limit = options.unavailableMs ?? 60_000;
    let lastAnswer = Date.now();
    this.watchdog = setInterval(
      () => {
        if (Date.now() - lastAnswer > limit) {
          reject(
            new RedisUnavailableError(
              `${where}: Redis at ${connection.address} has not answered for ${Math.round(limit / 1000)} s; the run stops (finished units are kept: records, checkpoints, results in Redis)`,
            ),
          );
          // Redis is gone: the run's clients stop reconnecting, and what they hold fails now, so closing is quick.
          reconnects.stop();
          clearInterval(this.watchdog);
          return;
        }
        void Promise.race([redis.ping(), new Promise((_, r) => setTimeout(r, Math.min(limit, 5000)))]).then(
          () => (lastAnswer = Date.now()),
          () => {},
        );
      },
      Math.min(1000, limit / 4),
    );
    this.watchdog.unref();
  }

  /**
   * Connects (bounded, clear error when Redis is unreachable or refuses us) and announces the run to the workers.
   * @param where - coordinator name for messages
   * @param options - the queue option
   * @param fingerprint - everything the run's results depend on (names its queue)
   * @param signal - cancels the run's queued jobs
   * @returns the run
   */
  static async open(
    where: string,
    options: QueueOptions,
    fingerprint: string,
    signal?: AbortSignal,
  ): Promise<QueueRun> {
    if (options === null || typeof options !== 'object')
      throw new TypeError(`${where}: queue must be { connection: 'redis://host:port', ... }`);
    const connection = resolveConnection(`${where}: queue`, options.connection);
    const runId = options.runId ?? createHash('sha256').update(fingerprint).digest('hex').slice(0, 32);
    if (typeof runId !== 'string' || !RUN_ID.test(runId))
      throw new RangeError(`${where}: queue.runId must be 1-64 letters, digits, '_' or '-'`);
    for (const key of ['attempts', 'backoffMs', 'fileResultBytes'] as const) {
      const v = options[key];
      if (v !== undefined && !(Number.isInteger(v) && v >= (key === 'attempts' ? 1 : 0)))
        throw new RangeError(
          `${where}: queue.${key} must be a ${key === 'attempts' ? 'positive' : 'non-negative'} integer`,
        );
    }
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    // The probe fails fast and clearly; the run then uses a client that reconnects after a blip.
    const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    (await probeRedis(`${where}: queue`, connection, connectTimeoutMs)).disconnect();
    const { Redis } = await import('ioredis');
    const reconnects = new ReconnectPolicy();
    const clientOptions = {
      ...connection.options,
      connectTimeout: connectTimeoutMs,
      retryStrategy: reconnects.retryStrategy,
    };
    const redis = new Redis({ ...clientOptions, maxRetriesPerRequest: 2 });
    redis.on('error', () => {});
    const bullConnection = { ...clientOptions, maxRetriesPerRequest: null } as unknown as ConnectionOptions;
    const queue = new Queue(queueName(runId), { connection: bullConnection, prefix });
    const events = new QueueEvents(queueName(runId), { connection: bullConnection, prefix });
    queue.on('error', () => {});
    events.on('error', () => {});
    // Every unit in flight waits on these emitters (BullMQ's waitUntilFinished): thousands are expected.
    queue.setMaxListeners(0);
    events.setMaxListeners(0);
    try {
      const ready = Promise.all([queue.waitUntilReady(), events.waitUntilReady(), redis.sadd(runsKey(prefix), runId)]);
      if (!(await settlesWithin(ready, connectTimeoutMs)))
        throw new RedisUnavailableError(
          `${where}: queue: Redis at ${connection.address} stopped answering while the run was opened`,
        );
      await ready;
    } catch (err) {
      await closeClients(
        redis,
        reconnects,
        () => Promise.allSettled([queue.close(), events.close()]),
        () => {
          void queue.disconnect().catch(() => {});
          void events.disconnect().catch(() => {});
          redis.disconnect();
        },
      );
      if (err instanceof RedisUnavailableError) throw err;
      throw new RedisUnavailableError(
        `${where}: queue: Redis at ${connection.address}: ${redact((err as Error).message, connection)}`,
      );
    }
    return new QueueRun(where, runId, options, connection, redis, queue, events, prefix, reconnects, signal);
  }

  /**
   * Publishes the run's data once (shared directory or Redis).
   * @param bundle - named arrays
   * @returns the reference jobs carry
   */
  async publish(bundle: Bundle): Promise<DatasetRef> {
    return publishData(encodeBundle(bundle), {
      ...(this.options.dataDir ? { dataDir: this.options.dataDir } : {}),
      redis: this.redis,
      prefix: this.prefix,
    });
  }

  /**
   * Enqueues one unit (ignored if its job already exists) and waits for its checked result.
   * @param job - the unit's job without the run id
   * @param length - number of values the result must hold
   * @returns the values, and the retrain's iterations and seconds when reported
   */
  async submit(
    job: DistributiveJob,
    length: number,
  ): Promise<{ values: Float64Array; iterations: number; seconds: number }> {
    if (this.signal?.aborted) throw new AbortError(`${this.where}: aborted`);
    const toFile = this.options.dataDir !== undefined && 8 * length > (this.options.fileResultBytes ?? 2 ** 20);
    const payload = { ...job, runId: this.runId, ...(toFile ? { resultTo: 'data-root' } : {}) } as UnitJob;
    const id = jobId(this.runId, job.unit);
    this.submitted++;
    const wait = (async () => {
      const added = await this.queue.add(job.kind, payload, {
        jobId: id,
        attempts: this.options.attempts ?? 3,
        backoff: { type: 'exponential', delay: this.options.backoffMs ?? 1000 },
        removeOnComplete: { age: KEEP_SECONDS },
        removeOnFail: { age: KEEP_SECONDS },
      });
      // A unit that failed in an earlier coordinator's run is tried again.
      if ((await added.getState()) === 'failed') await added.retry('failed');
      try {
        return await added.waitUntilFinished(this.events);
      } catch (err) {
        if (this.signal?.aborted) throw new AbortError(`${this.where}: aborted`);
        throw new Error(
          `${this.where}: ${job.kind} unit ${job.unit} failed on the workers after its attempts: ${redact((err as Error).message, this.connection)}`,
        );
      }
    })();
    const value = await Promise.race([wait, this.aborted]);
    const dataDir = this.options.dataDir;
    const readShared = dataDir
      ? async (relative: string) => readFile(await pathInsideRoot(dataDir, relative))
      : undefined;
    const checked = await checkResult(value, { runId: this.runId, unit: job.unit, kind: job.kind, length }, readShared);
    this.options.onJob?.({ unit: job.unit, done: ++this.finished, total: this.submitted });
    return checked;
  }

  /** Removes the run's queued (waiting and delayed) jobs; jobs already running finish, unused. */
  async cancel(): Promise<void> {
    if (this.closed) return;
    await bounded(this.queue.drain(true));
    await bounded(this.redis.srem(runsKey(this.prefix), this.runId));
  }

  /**
   * Ends the run: after success its queue is deleted (the results are in the caller's hands
   * and on disk); after a failure or abort, finished jobs stay for a restarted coordinator.
   * @param succeeded - whether every unit was merged
   */
  async close(succeeded: boolean): Promise<void> {
    if (this.closed) return;
    clearInterval(this.watchdog);
    this.signal?.removeEventListener('abort', this.onAbort);
    // Redis gone (say, an abort after it died): the clean-up steps below then fail at once instead of each waiting out its bound.
    if (!this.reconnects.stopped && !(await answers(this.redis, 1000))) this.reconnects.stop();
    if (succeeded) {
      await bounded(this.redis.srem(runsKey(this.prefix), this.runId));
      await bounded(this.queue.obliterate({ force: true }));
      if (this.options.dataDir)
        await rm(join(this.options.dataDir, 'tdakit-results', this.runId), { recursive: true, force: true });
    } else {
      await this.cancel();
    }
    this.closed = true;
    // Closing also stops QueueEvents' read loop, which would otherwise retry for ever without Redis.
    await closeClients(
      this.redis,
      this.reconnects,
      () => Promise.allSettled([this.events.close(), this.queue.close()]),
      () => {
        void this.events.disconnect().catch(() => {});
        void this.queue.disconnect().catch(() => {});
        this.redis.disconnect();
      },
    );
  }
}

/** Waits for a clean-up step at most `ms` (Redis may be gone), never failing. */
async function bounded(step: Promise<unknown>, ms = 5000): Promise<void> {
  await settlesWithin(step, ms);
}

/** A unit's job as a coordinator builds it (the run id is added by the queue). */
export type DistributiveJob = DistributiveOf<UnitJob>;
type DistributiveOf<T> = T extends unknown ? Omit<T, 'runId'> : never;

/**
 * Runs `body` with a queue run open, closing it (and cancelling queued jobs on failure) after.
 * @param where - coordinator name
 * @param options - the queue option
 * @param fingerprint - names the run's queue
 * @param signal - abort
 * @param body - the coordinator's work
 * @returns what body returns
 */
export async function withQueueRun<T>(
  where: string,
  options: QueueOptions,
  fingerprint: string,
  signal: AbortSignal | undefined,
  body: (run: QueueRun) => Promise<T>,
): Promise<T> {
  const run = await QueueRun.open(where, options, fingerprint, signal);
  let ok = false;
  try {
    const out = await body(run);
    ok = true;
    return out;
  } finally {
    await run.close(ok);
  }
}

export type { JobKind };
