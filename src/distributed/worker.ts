/**
 * A tdakit worker: watches the runs coordinators announce in Redis, takes their jobs through a
 * BullMQ Worker per run (each run has its own queue), validates every payload, reads the data
 * only from inside its data root (or from Redis) after checking its hash, runs the unit, and
 * returns the values. Models arrive as kind + options (refitted here) or as the name of an
 * external model registered on this worker; never as code.
 */
import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PerturbableModel } from '../daunce/runner.ts';
import {
  closeClients,
  probeRedis,
  ReconnectPolicy,
  redact,
  resolveConnection,
  type RedisConnection,
} from './connection.ts';
import { DataRefusedError, fetchData, sha256 } from './dataset.ts';
import { mkdir, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { encodeValues, resultFile, SchemaError, validateJob, type UnitJob, type UnitResult } from './schema.ts';
import { UnitContext } from './units.ts';
import { DEFAULT_PREFIX, jobId, queueName, runsKey } from './names.ts';

export { DEFAULT_PREFIX, jobId, queueName, runsKey };

/** Options of `startWorker`: the Redis connection, concurrency, data root and the external models it may run. */
export interface WorkerOptions {
  connection: RedisConnection;
  /** Jobs run at once per run. Default 1. */
  concurrency?: number;
  /** Stops the worker (active jobs finish first). */
  signal?: AbortSignal;
  /** Directory `file:` data URIs resolve in; nothing outside it is read. */
  dataRoot?: string;
  /** External models, by the name jobs use. */
  models?: Record<string, PerturbableModel>;
  /** Key prefix shared with the coordinators. Default 'tdakit'. */
  prefix?: string;
  /** How long a job's lock lasts without renewal: a killed worker's job is retried after it. Default 30000. */
  lockDurationMs?: number;
  /** How often stalled jobs (of killed workers) are looked for. Default 15000. */
  stalledIntervalMs?: number;
  /** How often the list of runs is read. Default 500. */
  pollMs?: number;
  /** Bound on the initial connection. Default 5000. */
  connectTimeoutMs?: number;
  /** Called once per finished or failed job. */
  onJob?: (event: { runId: string; unit: number; kind: string; ok: boolean; error?: string; seconds: number }) => void;
}

/** A started worker: wait for it, stop it, or read its job counts. */
export interface RunningWorker {
  /** Resolves once the worker has stopped. */
  closed: Promise<void>;
  /** Stops taking jobs, lets active ones finish, disconnects. */
  close(): Promise<void>;
  /**
   * Jobs finished and failed so far.
   * @returns the counts since the worker started
   */
  stats(): { completed: number; failed: number };
}

/**
 * Starts a worker (resolves once Redis answered; rejects with a clear error otherwise).
 * @param o - connection, concurrency, data root, external models
 * @returns a handle to stop it
 */
export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  if (o === null || typeof o !== 'object') throw new TypeError('startWorker: expects an options object');
  const connection = resolveConnection('startWorker', o.connection);
  const concurrency = o.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1024)
    throw new RangeError('startWorker: concurrency must be an integer in [1, 1024]');
  const prefix = o.prefix ?? DEFAULT_PREFIX;
  const models = o.models ?? {};
  for (const [name, m] of Object.entries(models)) {
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name))
      throw new RangeError(`startWorker: model name '${name}' must be 1-100 letters, digits, '_', '.' or '-'`);
    if (!m || typeof m.train !== 'function' || typeof m.losses !== 'function')
      throw new TypeError(`startWorker: models.${name} must be a PerturbableModel { train, losses }`);
  }
  const connectTimeoutMs = o.connectTimeoutMs ?? 5000;
  const probe: Redis = await probeRedis('startWorker', connection, connectTimeoutMs);
  probe.disconnect();
  // While the worker runs, its clients reconnect after any outage (Redis restarted); on close they give up.
  const reconnects = new ReconnectPolicy();
  const clientOptions = {
    ...connection.options,
    connectTimeout: connectTimeoutMs,
    retryStrategy: reconnects.retryStrategy,
  };
  const { Redis: RedisClient } = await import('ioredis');
  const redis: Redis = new RedisClient({ ...clientOptions, maxRetriesPerRequest: 2 });
  redis.on('error', () => {}); // reconnects on its own; polls fail quietly meanwhile
  const context = new UnitContext(
    (job) => fetchData(job.data!, { ...(o.dataRoot ? { dataRoot: o.dataRoot } : {}), redis, prefix }),
    models,
  );
  const workers = new Map<string, Worker>();
  let completed = 0,
    failed = 0;
  let stopping = false;

  const processor = async (job: Job): Promise<UnitResult> => {
    const t0 = performance.now();
    let payload: UnitJob | undefined;
    try {
      payload = validateJob(job.data);
      // A job must sit in its own run's queue under its own id: no cross-run injection.
      if (job.queueName !== queueName(payload.runId) || job.id !== jobId(payload.runId, payload.unit)) {
        throw new SchemaError(
          `job ${String(job.id).slice(0, 80)} in queue ${job.queueName} does not match its run and unit`,
        );
      }
      const out = await context.run(payload);
      const where =
        payload.resultTo === 'data-root'
          ? await writeSharedResult(payload, out.values)
          : { values: encodeValues(out.values) };
      completed++;
      o.onJob?.({
        runId: payload.runId,
        unit: payload.unit,
        kind: payload.kind,
        ok: true,
        seconds: (performance.now() - t0) / 1000,
      });
      return {
        runId: payload.runId,
        unit: payload.unit,
        kind: payload.kind,
        ...where,
        ...(out.iterations !== undefined ? { iterations: out.iterations } : {}),
        ...(out.seconds !== undefined ? { seconds: out.seconds } : {}),
      };
    } catch (err) {
      failed++;
      const message = redact((err as Error)?.message ?? String(err), connection);
      o.onJob?.({
        runId: payload?.runId ?? '?',
        unit: payload?.unit ?? -1,
        kind: payload?.kind ?? '?',
        ok: false,
        error: message,
        seconds: (performance.now() - t0) / 1000,
      });
      // Refused jobs and argument errors fail at once; other failures are retried with backoff.
      if (
        err instanceof SchemaError ||
        err instanceof DataRefusedError ||
        err instanceof TypeError ||
        err instanceof RangeError
      )
        throw new UnrecoverableError(message);
      throw err instanceof Error ? err : new Error(message);
    }
  };

  /** A large result goes to the shared data root (atomically), and only its name and hash through Redis. */
  const writeSharedResult = async (job: UnitJob, values: Float64Array) => {
    if (!o.dataRoot)
      throw new DataRefusedError('the job asks for its result in the data root, and this worker has none');
    const file = resultFile(job.runId, job.unit);
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    const path = join(await realpath(o.dataRoot), file);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, bytes);
    return { file, sha256: sha256(bytes) };
  };

  const workerFor = (runId: string) => {
    const w = new Worker(queueName(runId), processor, {
      connection: { ...clientOptions, maxRetriesPerRequest: null } as unknown as ConnectionOptions,
      prefix,
      concurrency,
      lockDuration: o.lockDurationMs ?? 30_000,
      stalledInterval: o.stalledIntervalMs ?? 15_000,
      maxStalledCount: 5,
    });
    w.on('error', () => {}); // connection errors: BullMQ reconnects
    return w;
  };

  const poll = async () => {
    if (stopping) return;
    let runs: string[];
    try {
      runs = await redis.smembers(runsKey(prefix));
    } catch {
      return;
    }
    const wanted = new Set(runs.filter((r) => /^[A-Za-z0-9_-]{1,64}$/.test(r)));
    for (const r of wanted) if (!workers.has(r) && !stopping) workers.set(r, workerFor(r));
    for (const [r, w] of workers) {
      if (!wanted.has(r)) {
        workers.delete(r);
        void w.close().catch(() => {});
      }
    }
  };
  await poll();
  const timer = setInterval(() => void poll(), o.pollMs ?? 500);

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const close = async () => {
    if (stopping) return closed;
    stopping = true;
    clearInterval(timer);
    o.signal?.removeEventListener('abort', onAbort);
    // While Redis answers, active jobs finish and report; without it, BullMQ's force close stops
    // the workers' lock renewal and stalled checks at once (their jobs go to other workers).
    const running = [...workers.values()];
    await closeClients(
      redis,
      reconnects,
      (graceful) => Promise.allSettled(running.map((w) => w.close(!graceful))),
      () => {
        for (const w of running) void w.disconnect().catch(() => {});
        redis.disconnect();
      },
    );
    workers.clear();
    resolveClosed();
  };
  const onAbort = () => void close();
  if (o.signal?.aborted) await close();
  else o.signal?.addEventListener('abort', onAbort, { once: true });
  return { closed, close, stats: () => ({ completed, failed }) };
}
