/** Names of a run's keys in Redis, shared by coordinators and workers. */

/** Key prefix of every tdakit key in Redis (BullMQ's prefix too). */
export const DEFAULT_PREFIX = 'tdakit';

/** The BullMQ queue of a run. */
export function queueName(runId: string): string {
  return `run-${runId}`;
}

/** The Redis set of runs coordinators have jobs in. */
export function runsKey(prefix: string): string {
  return `${prefix}:runs`;
}

/** The BullMQ job id of a unit (BullMQ ids cannot contain ':', so run and unit are joined by '.'). */
export function jobId(runId: string, unit: number): string {
  return `${runId}.${unit}`;
}
