/** Distributed runs over Redis (BullMQ): workers, the coordinators' queue option, data bundles, job and result checks. */
export { probeRedis, RedisUnavailableError, resolveConnection, type RedisConnection } from './connection.ts';
export {
  DataRefusedError,
  decodeBundle,
  encodeBundle,
  REDIS_DATA_LIMIT,
  sha256,
  type Bundle,
  type DatasetRef,
} from './dataset.ts';
export { QueueRun, type QueueOptions } from './executor.ts';
export { jobId, queueName, runsKey, DEFAULT_PREFIX } from './names.ts';
export {
  checkResult,
  encodeValues,
  ResultRefusedError,
  SchemaError,
  validateJob,
  type UnitJob,
  type UnitResult,
} from './schema.ts';
export { startWorker, type RunningWorker, type WorkerOptions } from './worker.ts';
