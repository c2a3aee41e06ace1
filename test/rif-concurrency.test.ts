/**
 * The RIF protocol's `concurrency`: several removal sets at once give the records of the
 * sequential run bit for bit, in its order (in memory and in records.jsonl), an abort writes no
 * set after it and leaves no unhandled rejection, and a run interrupted mid-way resumes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchmarkRemoval, loadSpamAssassin, type RemovalRecord } from '../src/index.ts';
import { runInOrder } from '../src/protocols/rif/ordered-runs.ts';
import { logisticData } from './helpers.ts';
import { report, runSnippet } from './child.ts';

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), `tdakit-${prefix}-`));
/** Records without their timing (the only field that is not a function of the set). */
const untimed = (rs: readonly RemovalRecord[]) => rs.map((r) => ({ ...r, retrainSeconds: 0 }));
const fileRecords = (out: string) =>
  readFileSync(join(out, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RemovalRecord);

/** Fails the test if a promise rejection goes unhandled while `run` runs (and shortly after). */
async function noUnhandledRejection<T>(run: () => Promise<T>): Promise<T> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  try {
    const value = await run();
    // Abandoned sets finish their native calls after the run has returned: wait for them.
    await new Promise((r) => setTimeout(r, 1500));
    return value;
  } finally {
    process.off('unhandledRejection', listener);
    assert.deepEqual(seen, [], 'no unhandled rejection');
  }
}

const { X, y } = logisticData(160, 4, 21);
const small = {
  data: { name: 'synthetic', X, y },
  lambda: 0.5,
  seed: 3,
  sizes: [0.02, 0.05, 0.1],
  strategies: ['random', 'highest-loss', 'if-test-loss-positive'] as (
    | 'random'
    | 'highest-loss'
    | 'if-test-loss-positive'
  )[],
  metrics: ['self-loss', 'test-loss'] as ('self-loss' | 'test-loss')[],
};

test('concurrency 1, 2 and 5 give the same records bit for bit, in the same order, in memory and on disk', async () => {
  const outs = [1, 2, 5].map((c) => ({ c, out: tmp(`rif-conc-${c}`) }));
  const runs = [];
  for (const { c, out } of outs) runs.push(await benchmarkRemoval({ ...small, concurrency: c, out }));
  const [one, ...others] = runs;
  assert.equal(one!.records.length, 3 * 3 * 2);
  for (const [j, r] of others.entries()) {
    // deepStrictEqual compares numbers with Object.is: the same bits (and -0 apart from 0).
    assert.deepStrictEqual(untimed(r.records), untimed(one!.records), `concurrency ${outs[j + 1]!.c}`);
    assert.deepStrictEqual(r.summary, one!.summary);
    assert.deepStrictEqual(untimed(fileRecords(outs[j + 1]!.out)), untimed(fileRecords(outs[0]!.out)));
  }
});

test('a model above 128 parameters on sparse counts (spam): concurrency 2 equals concurrency 1 bit for bit', async () => {
  const data = await loadSpamAssassin({ vocabulary: 300, limit: 500 });
  const opts = {
    data,
    lambda: 1e-2,
    seed: 1,
    sizes: [0.01, 0.05],
    strategies: ['random', 'highest-loss', 'l2-cluster', 'if-test-prediction-negative'] as (
      | 'random'
      | 'highest-loss'
      | 'l2-cluster'
      | 'if-test-prediction-negative'
    )[],
  };
  const one = await benchmarkRemoval({ ...opts, concurrency: 1 });
  const two = await benchmarkRemoval({ ...opts, concurrency: 2 });
  assert.ok(
    one.records.some((r) => r.retrainIterations > 1),
    'some retrain iterates',
  );
  assert.deepStrictEqual(untimed(two.records), untimed(one.records));
});

/**
 * A dense 301-parameter model (above the README's 128, large enough for the parallel
 * Hessian-vector products): concurrency 2 against 1 in a child with the given
 * OPENBLAS_NUM_THREADS.
 */
function denseRun(threads: number) {
  const r = runSnippet(
    `
import { benchmarkRemoval } from 'tdakit';
import { logisticData } from '${join(import.meta.dirname, 'helpers.ts')}';
const { X, y } = logisticData(1500, 300, 5);
const opts = { data: { name: 'dense', X, y }, lambda: 1, seed: 2, sizes: [0.01, 0.05], strategies: ['random', 'highest-loss', 'l2-cluster'] };
const values = (rs) => rs.flatMap((r) => ['actual', 'if', 'rif', 'ns'].flatMap((k) => [r[k].nonlinear, r[k].linear]));
const one = await benchmarkRemoval({ ...opts, concurrency: 1 });
const two = await benchmarkRemoval({ ...opts, concurrency: 2 });
console.log(JSON.stringify({ one: values(one.records), two: values(two.records) }));
`,
    { timeoutMs: 300_000, env: { OPENBLAS_NUM_THREADS: String(threads) } },
  );
  assert.equal(r.status, 0, r.stderr);
  return report<{ one: number[]; two: number[] }>(r);
}

test('a dense model above 128 parameters: concurrency 2 equals 1 bit for bit with OPENBLAS_NUM_THREADS=1 and 2', () => {
  const single = denseRun(1);
  assert.ok(single.one.length > 0);
  assert.deepStrictEqual(single.two, single.one);
  // With 2 BLAS threads too: the dense refit's Hessian-vector products call no BLAS and leave
  // OpenBLAS's thread count alone, so a set's level-3 kernels keep their split whatever runs
  // beside them (they differed in their last bits while the products switched BLAS to 1 thread).
  const threaded = denseRun(2);
  assert.ok(threaded.one.length > 0);
  assert.deepStrictEqual(threaded.two, threaded.one);
});

test('an abort with sets in flight writes only committed sets, rejects with AbortError, leaves no unhandled rejection; the run resumes', async () => {
  const reference = await benchmarkRemoval(small);
  const out = tmp('rif-conc-abort');
  const controller = new AbortController();
  let reported = 0;
  await noUnhandledRejection(() =>
    assert.rejects(
      benchmarkRemoval({
        ...small,
        out,
        concurrency: 3,
        signal: controller.signal,
        onProgress: (done) => {
          reported = done;
          if (done === 4) controller.abort();
        },
      }),
      { name: 'AbortError', message: 'benchmarkRemoval: aborted' },
    ),
  );
  assert.equal(reported, 4, 'no set is reported after the abort');
  // Exactly the 4 committed sets, whole, in the sequential order.
  assert.deepStrictEqual(untimed(fileRecords(out)), untimed(reference.records.slice(0, 4 * 2)));
  const resumed = await benchmarkRemoval({ ...small, out, concurrency: 2 });
  assert.equal(resumed.retrainsRun, 9 - 4);
  assert.deepStrictEqual(untimed(resumed.records), untimed(reference.records));
  assert.deepStrictEqual(untimed(fileRecords(out)), untimed(reference.records));
});

test('an abort from outside while sets run: the set being appended is finished, no other is committed', async () => {
  const out = tmp('rif-conc-outside');
  const controller = new AbortController();
  let reported = 0;
  let abortedAt = -1;
  await noUnhandledRejection(() =>
    assert.rejects(
      benchmarkRemoval({
        ...small,
        out,
        concurrency: 2,
        signal: controller.signal,
        onProgress: (done) => {
          reported = done;
          if (done === 2)
            setImmediate(() => {
              abortedAt = reported;
              controller.abort();
            });
        },
      }),
      { name: 'AbortError' },
    ),
  );
  // A set being appended when the abort came is finished (never half-written), none after it.
  assert.ok(reported <= abortedAt + 1, `reported ${reported} after an abort at ${abortedAt}`);
  assert.equal(fileRecords(out).length, reported * 2);
});

test('concurrency is validated and named in errors', async () => {
  for (const bad of [0, 1.5, 257, Number.NaN])
    await assert.rejects(benchmarkRemoval({ ...small, concurrency: bad }), /benchmarkRemoval: concurrency/);
  await assert.rejects(benchmarkRemoval({ ...small, concurrency: '2' as never }), /concurrency: must be an integer/);
});

test('runInOrder: at most `concurrency` at once, at most 2 x concurrency ahead, commits in order', async () => {
  const delays = [30, 5, 20, 1, 15, 2, 25, 3, 10, 1, 8, 4];
  let running = 0,
    maxRunning = 0,
    committed = 0,
    maxAhead = 0;
  const startedAt: number[] = [];
  const order: number[] = [];
  await runInOrder(
    delays,
    3,
    async (ms, j) => {
      startedAt.push(j);
      maxAhead = Math.max(maxAhead, j + 1 - committed);
      maxRunning = Math.max(maxRunning, ++running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      return j * 10;
    },
    (result, ms, j) => {
      assert.equal(result, j * 10);
      assert.equal(ms, delays[j]);
      order.push(j);
      committed++;
    },
    undefined,
    'aborted',
  );
  assert.deepEqual(
    order,
    delays.map((_, j) => j),
  );
  assert.deepEqual(
    startedAt,
    delays.map((_, j) => j),
    'items start in order',
  );
  assert.equal(maxRunning, 3);
  assert.ok(maxAhead <= 6, `started ahead of the commits: ${maxAhead}`);
});

test('runInOrder: a failure rejects with it, commits nothing after it, starts nothing more and stops the rest', async () => {
  const committed: number[] = [];
  const stops: AbortSignal[] = [];
  let started = 0;
  await assert.rejects(
    runInOrder(
      Array.from({ length: 20 }, (_, j) => j),
      2,
      async (j, _index, stop) => {
        started++;
        stops.push(stop);
        await new Promise((r) => setTimeout(r, 5));
        if (j === 3) throw new RangeError('set 3 failed');
        return j;
      },
      (j) => {
        committed.push(j);
      },
      undefined,
      'aborted',
    ),
    /set 3 failed/,
  );
  assert.deepEqual(committed, [0, 1, 2]);
  assert.ok(started <= 3 + 4, `started ${started}`);
  assert.ok(
    stops.every((s) => s.aborted),
    'running work is told to stop',
  );
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(started <= 3 + 4, 'nothing starts after the failure');
});
