/**
 * The distributed API as the package root exports it: BullMQ and ioredis are loaded on the
 * first call, so `import 'tdakit'` does not pay for them (about a second) unless it is used.
 */
import type { RunningWorker, WorkerOptions } from './worker.ts';

export { RedisUnavailableError, type RedisConnection } from './connection.ts';
export { DataRefusedError } from './dataset.ts';
export { ResultRefusedError, SchemaError } from './schema.ts';
export type { QueueOptions } from './executor.ts';
export type { RunningWorker, WorkerOptions };

/**
 * Starts a worker that takes distributed units from Redis (see `WorkerOptions`).
 * @param options - connection, concurrency, signal, data root, external models
 * @returns a handle to stop it
 */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  return (await import('./worker.ts')).startWorker(options);
}
