/**
 * Child process of bench/pipeline-throughput.ts: loads a saved influence artifact and streams
 * query records read chunk by chunk from a .npy file through attributionStream into an NDJSON
 * sink that discards the bytes, sampling RSS as it goes. Prints one JSON object.
 *
 *   node --import tsx bench/pipeline-stream.ts ARTIFACT QUERIES.npy LABELS.npy COUNT K BATCH
 */
import { open } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readFileSync } from 'node:fs';
import { Influence } from '../src/index.ts';
import { nativeAddon } from '../src/native.ts';
import { parseNpyHeader } from '../src/data/npy.ts';
import { attributionStream } from '../src/streaming/attribution.ts';

const [artifact, queriesFile, labelsFile, countText, kText, batchText] = process.argv.slice(2);
const count = Number(countText),
  k = Number(kText),
  batchSize = Number(batchText);
const rssMiB = () => process.memoryUsage.rss() / 2 ** 20;
const peakMiB = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

/**
 * dgemm's GFLOP per CPU-second (user + system time of this process, all threads): on a shared
 * machine the wall-clock rate depends on what else runs, the work per CPU-second much less.
 * The difference of two runs cancels the set-up of the matrices: 4 extra 2048^3 products.
 */
const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
};
async function dgemmPerCpuSecond(): Promise<number> {
  let c = process.cpuUsage();
  await nativeAddon().dgemmRate({ size: 2048, reps: 1 });
  const one = cpuSeconds(c);
  c = process.cpuUsage();
  await nativeAddon().dgemmRate({ size: 2048, reps: 5 });
  return (4 * 2 * 2048 ** 3) / 1e9 / (cpuSeconds(c) - one);
}

// The machine is shared: the GEMM floor is measured right before and after the stream.
const dgemmBefore = await nativeAddon().dgemmRate({ size: 2048, reps: 3 });
const dgemmCpuBefore = await dgemmPerCpuSecond();
let t0 = performance.now();
let c0 = process.cpuUsage();
const influence = await Influence.load(artifact!);
const loadSeconds = (performance.now() - t0) / 1000;
const loadCpuSeconds = cpuSeconds(c0);
const afterLoadMiB = rssMiB();

/** Query records read 1,024 rows at a time (never the whole file). */
async function* records() {
  const q = await open(queriesFile!, 'r');
  const l = await open(labelsFile!, 'r');
  const head = new Uint8Array(4096);
  await q.read(head, 0, 4096, 0);
  const hq = parseNpyHeader(head, queriesFile);
  await l.read(head, 0, 4096, 0);
  const hl = parseNpyHeader(head, labelsFile);
  const d = hq.shape[1]!;
  const rows = 1024;
  const xs = new Float64Array(rows * d),
    ys = new Float64Array(rows);
  try {
    for (let first = 0; first < count; first += rows) {
      const m = Math.min(rows, count - first);
      await q.read(new Uint8Array(xs.buffer, 0, m * d * 8), 0, m * d * 8, hq.dataOffset + first * d * 8);
      await l.read(new Uint8Array(ys.buffer, 0, m * 8), 0, m * 8, hl.dataOffset + first * 8);
      // Each record owns its values (as parsed JSON would); the stream copies them into a batch.
      for (let j = 0; j < m; j++) yield { id: first + j, x: xs.slice(j * d, (j + 1) * d), y: ys[j]! };
    }
  } finally {
    await q.close();
    await l.close();
  }
}

const samples: { queries: number; rssMiB: number }[] = [];
let done = 0,
  bytes = 0;
const firstTop: number[][] = [];
t0 = performance.now();
c0 = process.cpuUsage();
await pipeline(
  Readable.from(records(), { highWaterMark: 64 }),
  attributionStream(influence, { k, batchSize }),
  new Writable({
    objectMode: true,
    write(r: { top: { index: number }[] }, _e, cb) {
      bytes += JSON.stringify(r).length + 1;
      if (firstTop.length < 50) firstTop.push(r.top.map((t) => t.index));
      if (++done % Math.max(1, Math.floor(count / 20)) === 0) samples.push({ queries: done, rssMiB: rssMiB() });
      cb();
    },
  }),
);
const seconds = (performance.now() - t0) / 1000;
const streamCpuSeconds = cpuSeconds(c0);
const dgemmAfter = await nativeAddon().dgemmRate({ size: 2048, reps: 3 });
const dgemmCpuAfter = await dgemmPerCpuSecond();
console.log(
  JSON.stringify({
    dgemmBefore,
    dgemmAfter,
    dgemmCpuBefore,
    dgemmCpuAfter,
    loadSeconds,
    loadCpuSeconds,
    streamCpuSeconds,
    afterLoadMiB,
    seconds,
    queries: done,
    ndjsonBytes: bytes,
    samples,
    peakMiB: peakMiB(),
    firstTop,
  }),
);
