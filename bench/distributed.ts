/**
 * Distributed runs (issue 13) on this machine: a local redis-server and 1 or 2 `tdakit worker`
 * processes.
 * 1. Speedup: Daunce on a logistic regression (one Newton fit per perturbed model) run here,
 *    then through the queue with 1 and with 2 workers (same scores, checked bit for bit).
 * 2. Per-job overhead: a unit that does no work (an external model returning fixed losses),
 *    timed one at a time from enqueue to checked result, and as a batch.
 * 3. Bytes moved per unit (job payload and result) for the three kinds of jobs.
 * This machine is shared (2 cores, several other processes): the timings are noisy, and two
 * workers on 2 cores cannot show more than the cores they get.
 *
 *   npm run bench:distributed [-- --n 3000 --d 100 --K 16 --blas-threads 1]
 * (--blas-threads: OPENBLAS_NUM_THREADS of the workers; one thread each when workers share cores.)
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { daunce, LogisticRegression, Matrix } from '../src/index.ts';
import { QueueRun } from '../src/distributed/index.ts';
import { nativeAddon } from '../src/native.ts';
import { gaussian, rng } from './fixtures.ts';
import {
  killAll,
  startRedis,
  startWorkerProcess,
  stopAll,
  stopProcess,
  type WorkerProcessOptions,
} from '../scripts/local-queue.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '3000' },
    d: { type: 'string', default: '100' },
    m: { type: 'string', default: '50' },
    K: { type: 'string', default: '16' },
    jobs: { type: 'string', default: '200' },
    'blas-threads': { type: 'string' },
  },
});
const n = Number(values.n),
  d = Number(values.d),
  m = Number(values.m),
  K = Number(values.K),
  emptyJobs = Number(values.jobs);
process.on('exit', killAll);

const { url } = await startRedis();
const dataRoot = mkdtempSync(join(tmpdir(), 'tdakit-bench-dist-'));
const workerOptions: WorkerProcessOptions = {
  args: ['--quiet', '--lock-ms', '30000'],
  env: values['blas-threads'] ? { OPENBLAS_NUM_THREADS: values['blas-threads'] } : {},
};
const startWorkers = (count: number) =>
  Promise.all(Array.from({ length: count }, () => startWorkerProcess(url, dataRoot, workerOptions)));

const addon = nativeAddon();
const dgemm = await addon.dgemmRate({ size: 1024, reps: 3 });
console.log(
  `${cpus().length} cores (shared with other processes: timings are noisy); dgemm ${dgemm.toFixed(1)} GFLOP/s; redis-server on loopback`,
);

// 1. Speedup on Daunce models of a logistic regression.
const r = rng(3);
const X = new Matrix(
  Float64Array.from({ length: n * d }, () => gaussian(r)),
  n,
  d,
);
const y = Float64Array.from({ length: n }, (_, i) =>
  X.data[i * d]! + X.data[i * d + 1]! + 0.5 * gaussian(r) > 0 ? 1 : 0,
);
const Xq = new Matrix(
  Float64Array.from({ length: m * d }, () => gaussian(r)),
  m,
  d,
);
const yq = Float64Array.from({ length: m }, (_, i) => (Xq.data[i * d]! > 0 ? 1 : 0));
const model = await LogisticRegression.fit(X, y, { lambda: 1 });
const options = { model, queries: { X: Xq, y: yq }, K, seed: 1, ratio: 0.5 };
let t0 = performance.now();
const local = await daunce(options);
const localSeconds = (performance.now() - t0) / 1000;
const localScores = await local.scores();
const speed: Record<string, number> = { local: localSeconds };
console.log(
  `\nDaunce, logistic n = ${n}, d = ${d}, m = ${m}, K = ${K}: here ${localSeconds.toFixed(2)} s (${((localSeconds / K) * 1000).toFixed(0)} ms per model)`,
);
for (const count of [1, 2]) {
  const ws = await startWorkers(count);
  // Each run gets its own queue (runId), so no result of an earlier run is reused.
  t0 = performance.now();
  const remote = await daunce({ ...options, queue: { connection: url, runId: `bench-${count}-${Date.now()}` } });
  const seconds = (performance.now() - t0) / 1000;
  const scores = await remote.scores();
  const same = Buffer.from(scores.buffer).equals(Buffer.from(localScores.buffer));
  speed[`workers${count}`] = seconds;
  console.log(
    `  ${count} worker(s): ${seconds.toFixed(2)} s, speedup ${(localSeconds / seconds).toFixed(2)}x over here; scores bit-identical: ${same}`,
  );
  if (!same) throw new Error('distributed scores differ from the local ones');
  await Promise.all(ws.map((w) => stopProcess(w.process)));
}

// 2. Per-job overhead: a unit with no work (n = 20, m = 4 fixed losses).
const [w] = await startWorkers(1);
const run = await QueueRun.open('bench', { connection: url, runId: `overhead-${Date.now()}` }, 'overhead');
const job = (unit: number) => ({
  kind: 'daunce-model' as const,
  unit,
  model: { external: 'deterministic' },
  n: 20,
  m: 4,
  ratio: 0.3,
  seed: 1,
  variant: 'hessian' as const,
  access: 'white-box' as const,
});
const latencies: number[] = [];
for (let u = 0; u < 50; u++) {
  const s = performance.now();
  await run.submit(job(u), 24);
  latencies.push(performance.now() - s);
}
latencies.sort((a, b) => a - b);
t0 = performance.now();
await Promise.all(Array.from({ length: emptyJobs }, (_, u) => run.submit(job(1000 + u), 24)));
const batchSeconds = (performance.now() - t0) / 1000;
await run.close(true);
await stopProcess(w!.process);
const median = latencies[latencies.length >> 1]!,
  p90 = latencies[Math.floor(latencies.length * 0.9)]!;
console.log(
  `\nper-job overhead (enqueue -> checked result, one at a time, 1 worker): median ${median.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms`,
);
console.log(
  `  ${emptyJobs} empty jobs at once through 1 worker: ${batchSeconds.toFixed(2)} s = ${(emptyJobs / batchSeconds).toFixed(0)} jobs/s`,
);

// 3. Bytes per unit.
const p = model.nParameters;
const bytes = {
  rifRetrainResult: Math.ceil((8 * p) / 3) * 4,
  daunceModelResult: Math.ceil((8 * (n + m)) / 3) * 4,
  ldsRetrainResult: Math.ceil((8 * m) / 3) * 4,
  daunceJob: JSON.stringify(job(0)).length + 200,
  dataBundle: 8 * (n * d + n + m * d + m),
};
console.log(
  `\nbytes per unit here: Daunce model result ${bytes.daunceModelResult} (base64 of 8·(n + m)), RIF retrain result ${bytes.rifRetrainResult} (8·p), ` +
    `LDS retrain result ${bytes.ldsRetrainResult} (8·m); a Daunce job ~${bytes.daunceJob}; the data bundle ${(bytes.dataBundle / 2 ** 20).toFixed(1)} MiB once per worker`,
);

mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(
  join(here, 'results', 'distributed.json'),
  JSON.stringify(
    {
      machine: { cores: cpus().length, dgemmGflops: dgemm, note: 'shared machine: timings are noisy' },
      daunce: { n, d, m, K, seconds: speed },
      overheadMs: { median, p90, batchJobsPerSecond: emptyJobs / batchSeconds },
      bytes,
    },
    null,
    2,
  ) + '\n',
);
await stopAll();
process.exit(0);
