/**
 * Pipeline throughput (issue 12): streaming top-10 attribution against a saved influence
 * artifact. Fits logistic regression at n = 100,000, d = 512 on synthetic data, saves the
 * influence artifact, then in a fresh child process loads it (timed) and streams 100,000
 * query records through attributionStream (queries/s, RSS sampled along the stream, peak RSS).
 * The same run times numpy doing the same scoring from the same artifact files (blocked GEMM +
 * argpartition) and measures this machine's dgemm rate (the GEMM floor).
 *
 *   npm run bench:pipeline [-- --n 100000 --d 512 --queries 100000 --numpy-queries 20000 --batch 2048]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Influence, LogisticRegression, Matrix } from '../src/index.ts';
import { encodeNpyHeader } from '../src/data/npy.ts';
import { nativeAddon } from '../src/native.ts';
import { seededRandom } from '../src/random.ts';
import { gaussian } from '../src/evaluation/gaussian.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    d: { type: 'string', default: '512' },
    queries: { type: 'string', default: '100000' },
    'numpy-queries': { type: 'string', default: '20000' },
    batch: { type: 'string', default: '2048' },
    k: { type: 'string', default: '10' },
  },
});
const n = Number(values.n),
  d = Number(values.d),
  m = Number(values.queries),
  mNumpy = Math.min(m, Number(values['numpy-queries']));
const batch = Number(values.batch),
  k = Number(values.k);
const addon = nativeAddon();
const dgemm = await addon.dgemmRate({ size: 2048, reps: 3 });
console.log(
  `BLAS ${addon.blasInfo().config.trim()}; OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'}; dgemm ${dgemm.toFixed(1)} GFLOP/s`,
);

// Synthetic logistic data: labels from a planted direction, so the fit is well posed.
const random = seededRandom(12);
const direction = Float64Array.from({ length: d }, () => gaussian(random) / Math.sqrt(d));
const draw = (rows: number) => {
  const X = new Float64Array(rows * d),
    y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let z = 0.2;
    for (let j = 0; j < d; j++) {
      X[i * d + j] = gaussian(random);
      z += 2 * X[i * d + j]! * direction[j]!;
    }
    y[i] = random() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { X, y };
};
const tmp = mkdtempSync(join(tmpdir(), 'tdakit-pipeline-bench-'));
const train = draw(n);
let t0 = performance.now();
const model = await LogisticRegression.fit(new Matrix(train.X, n, d), train.y, { lambda: 1 });
const influence = await Influence.of(model);
const fitSeconds = (performance.now() - t0) / 1000;
const artifact = join(tmp, 'artifact');
t0 = performance.now();
await influence.save(artifact);
const saveSeconds = (performance.now() - t0) / 1000;
console.log(
  `fit + factor + leverages: ${fitSeconds.toFixed(1)} s; saved the influence artifact in ${saveSeconds.toFixed(2)} s`,
);

// Queries written to .npy chunk by chunk (the stream reads them the same way).
const queriesFile = join(tmp, 'queries.npy'),
  labelsFile = join(tmp, 'labels.npy');
const qf = await open(queriesFile, 'w'),
  lf = await open(labelsFile, 'w');
await qf.write(encodeNpyHeader([m, d]));
await lf.write(encodeNpyHeader([m]));
for (let first = 0; first < m; first += 4096) {
  const part = draw(Math.min(4096, m - first));
  await qf.write(new Uint8Array(part.X.buffer));
  await lf.write(new Uint8Array(part.y.buffer));
}
await qf.close();
await lf.close();

const stream = JSON.parse(
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(here, 'pipeline-stream.ts'),
      artifact,
      queriesFile,
      labelsFile,
      String(m),
      String(k),
      String(batch),
    ],
    {
      maxBuffer: 1 << 26,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  ).toString(),
) as {
  dgemmBefore: number;
  dgemmAfter: number;
  dgemmCpuBefore: number;
  dgemmCpuAfter: number;
  loadSeconds: number;
  loadCpuSeconds: number;
  streamCpuSeconds: number;
  afterLoadMiB: number;
  seconds: number;
  queries: number;
  ndjsonBytes: number;
  samples: { queries: number; rssMiB: number }[];
  peakMiB: number;
  firstTop: number[][];
};
const numpy = JSON.parse(
  execFileSync(
    'python3',
    [
      join(here, 'reference', 'stream_reference.py'),
      artifact,
      queriesFile,
      labelsFile,
      String(mNumpy),
      String(k),
      '256',
    ],
    {
      maxBuffer: 1 << 26,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  ).toString(),
) as { seconds: number; queries: number; loadSeconds: number; firstTop: number[][]; numpy: string };
rmSync(tmp, { recursive: true, force: true });

const p = d + 1;
const flopsPerQuery = 2 * n * p; // the score GEMM; the solves add 2 p^2 per query (1%)
const qps = stream.queries / stream.seconds,
  numpyQps = numpy.queries / numpy.seconds;
// The floor the stream ran against: the mean of the rates measured just before and after it.
const floor = (stream.dgemmBefore + stream.dgemmAfter) / 2;
// The same per CPU-second (all threads of the process): less sensitive to what else runs.
const cpuFloor = (stream.dgemmCpuBefore + stream.dgemmCpuAfter) / 2;
const gflopsPerCpuSecond = (stream.queries * flopsPerQuery) / 1e9 / stream.streamCpuSeconds;
const rss = stream.samples.map((s) => s.rssMiB);
const agreement = numpy.firstTop.filter((t, j) => t.join() === stream.firstTop[j]!.join()).length;
const result = {
  date: new Date().toISOString(),
  machine: 'the project machine (2 cores), shared with other helpers during the run: timings are noisy',
  loadAverage: loadavg(),
  blas: addon.blasInfo().config.trim(),
  OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? '(unset)',
  dgemmGflops: { atStart: dgemm, beforeStream: stream.dgemmBefore, afterStream: stream.dgemmAfter },
  dgemmGflopsPerCpuSecond: { beforeStream: stream.dgemmCpuBefore, afterStream: stream.dgemmCpuAfter },
  n,
  d,
  k,
  batch,
  queries: stream.queries,
  fitSeconds,
  saveSeconds,
  artifactLoadSeconds: stream.loadSeconds,
  artifactLoadCpuSeconds: stream.loadCpuSeconds,
  queriesPerSecond: qps,
  gflops: (qps * flopsPerQuery) / 1e9,
  fractionOfDgemm: (qps * flopsPerQuery) / 1e9 / floor,
  streamCpuSeconds: stream.streamCpuSeconds,
  coresUsedOnAverage: stream.streamCpuSeconds / stream.seconds,
  gflopsPerCpuSecond,
  fractionOfDgemmPerCpuSecond: gflopsPerCpuSecond / cpuFloor,
  gemmFloorQueriesPerSecond: (floor * 1e9) / flopsPerQuery,
  rssAfterLoadMiB: stream.afterLoadMiB,
  rssAlongStreamMiB: stream.samples,
  rssGrowthMiB: Math.max(...rss) - rss[0]!,
  peakRssMiB: stream.peakMiB,
  ndjsonMiB: stream.ndjsonBytes / 2 ** 20,
  numpy: {
    version: numpy.numpy,
    queries: numpy.queries,
    block: 256,
    seconds: numpy.seconds,
    queriesPerSecond: numpyQps,
    loadSeconds: numpy.loadSeconds,
  },
  speedupOverNumpy: qps / numpyQps,
  topKAgreementFirst50: agreement,
};
console.log(
  `stream: ${stream.queries} queries in ${stream.seconds.toFixed(1)} s = ${qps.toFixed(0)} queries/s, ${result.gflops.toFixed(1)} GFLOP/s ` +
    `(${(100 * result.fractionOfDgemm).toFixed(0)}% of dgemm measured around the stream, ${stream.dgemmBefore.toFixed(1)}/` +
    `${stream.dgemmAfter.toFixed(1)} GFLOP/s; GEMM floor ${result.gemmFloorQueriesPerSecond.toFixed(0)} queries/s)\n` +
    `per CPU-second: ${gflopsPerCpuSecond.toFixed(1)} GFLOP, ${(100 * result.fractionOfDgemmPerCpuSecond).toFixed(0)}% of dgemm's ` +
    `${stream.dgemmCpuBefore.toFixed(1)}/${stream.dgemmCpuAfter.toFixed(1)}; ${result.coresUsedOnAverage.toFixed(2)} cores used on average; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n` +
    `artifact load ${stream.loadSeconds.toFixed(2)} s (${stream.loadCpuSeconds.toFixed(2)} CPU-s); RSS after load ${stream.afterLoadMiB.toFixed(0)} MiB, along the stream ` +
    `${Math.min(...rss).toFixed(0)}-${Math.max(...rss).toFixed(0)} MiB, peak ${stream.peakMiB.toFixed(0)} MiB\n` +
    `numpy ${numpy.numpy} (blocked GEMM + argpartition, ${numpy.queries} queries): ${numpyQps.toFixed(0)} queries/s; tdakit ${result.speedupOverNumpy.toFixed(2)}x; ` +
    `top-10 identical for ${agreement}/50 queries`,
);
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'pipeline-throughput.json'), JSON.stringify(result, null, 2) + '\n');
