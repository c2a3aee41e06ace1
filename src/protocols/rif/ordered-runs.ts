/**
 * Bounded concurrency whose results are taken in order: the RIF protocol runs several removal
 * sets at once (the native refits run on the libuv pool, and a sparse refit keeps one core busy),
 * while its records are appended in the order of the sequential run.
 */
import { AbortError } from '../../errors.ts';

/**
 * Runs `work` on every item, at most `concurrency` at once, and hands each result to `commit` in
 * item order: `commit(j)` runs after `commit(j - 1)` has settled, whatever order the work ends
 * in. At most 2 x `concurrency` items are started ahead of the last commit (bounded memory), so a
 * slow item lets the others run on without holding more than a few results. On abort or on the
 * first failure, no further item starts or is committed, the promise rejects (an abort with an
 * AbortError carrying `abortMessage`) without waiting for work already running, and `work` sees
 * its `stop` signal aborted so it can skip its remaining stages; the abandoned results and
 * failures are dropped (never an unhandled rejection).
 * @param items - the items, in commit order
 * @param concurrency - the most items in `work` at once (an integer >= 1)
 * @param work - computes one item's result; `stop` is aborted when the run ends early
 * @param commit - takes one result, in item order
 * @param signal - aborts the run
 * @param abortMessage - the message of the AbortError an abort rejects with
 * @returns a promise that settles once every item is committed
 */
export async function runInOrder<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number, stop: AbortSignal) => Promise<R>,
  commit: (result: R, item: T, index: number) => void | Promise<void>,
  signal: AbortSignal | undefined,
  abortMessage: string,
): Promise<void> {
  const stop = new AbortController();
  let running = 0;
  const queued: (() => void)[] = [];
  const acquire = async (): Promise<void> => {
    if (running < concurrency) running++;
    else await new Promise<void>((resolve) => queued.push(resolve)); // handed a slot, `running` kept
  };
  const release = () => {
    const nextInLine = queued.shift();
    if (nextInLine) nextInLine();
    else running--;
  };
  const started = new Map<number, Promise<R>>();
  let next = 0;
  const start = () => {
    const j = next++;
    const result = (async () => {
      await acquire();
      try {
        if (stop.signal.aborted) throw new AbortError(abortMessage);
        return await work(items[j]!, j, stop.signal);
      } finally {
        release();
      }
    })();
    result.catch(() => {}); // awaited below unless the run ends first: then dropped, not unhandled
    started.set(j, result);
  };
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new AbortError(abortMessage));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  try {
    for (let j = 0; j < items.length; j++) {
      if (signal?.aborted) throw new AbortError(abortMessage);
      while (next < items.length && next < j + 2 * concurrency) start();
      const result = await Promise.race([started.get(j)!, aborted]);
      started.delete(j);
      // An abort while this item finished: its result is not committed (nothing after an abort).
      if (signal?.aborted) throw new AbortError(abortMessage);
      await commit(result, items[j]!, j);
    }
  } finally {
    stop.abort();
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
