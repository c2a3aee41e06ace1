/**
 * Daunce benchmarks (issue 7):
 * 1. Scoring: blocked covariance with top-k per query at n = 100,000, m = 1,000, K = 200:
 *    GFLOP/s of the centred product (2 n m K flops) against this machine's dgemm rate and
 *    against numpy doing the same product in the same run; the process's peak memory.
 * 2. Time per perturbed model of the built-in logistic regression on real data.
 *
 *   npm run bench:daunce [-- --n 100000 --m 1000 --K 200]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  daunce,
  loadDataset,
  LogisticRegression,
  LossCovariance,
  Matrix,
  MultilayerPerceptron,
  SoftmaxRegression,
  selectBackend,
  writeNpy,
} from '../src/index.ts';
import { splitIndices } from '../src/protocols/rif/removal.ts';
import { nativeAddon } from '../src/native.ts';
import { seededRandom } from '../src/random.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    m: { type: 'string', default: '1000' },
    K: { type: 'string', default: '200' },
    models: { type: 'string', default: '20' },
  },
});
const n = Number(values.n),
  m = Number(values.m),
  K = Number(values.K);
const peakMiB = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
const addon = nativeAddon();
const dgemm = await addon.dgemmRate({ size: 2048, reps: 3 });
console.log(`BLAS ${addon.blasInfo().config.trim()}; dgemm ${dgemm.toFixed(1)} GFLOP/s`);

// Synthetic losses with structure: a few latent directions shared by examples and queries.
const random = seededRandom(1);
const acc = new LossCovariance(n, m, K);
const latent = 8;
const loadT = Float64Array.from({ length: n * latent }, () => random() - 0.5);
const loadQ = Float64Array.from({ length: m * latent }, () => random() - 0.5);
const tmp = mkdtempSync(join(tmpdir(), 'tdakit-daunce-bench-'));
const allT = new Float64Array(K * n),
  allQ = new Float64Array(K * m);
for (let k = 0; k < K; k++) {
  const f = Float64Array.from({ length: latent }, () => random() - 0.5);
  const t = new Float64Array(n),
    q = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    let s = 0.7;
    for (let l = 0; l < latent; l++) s += loadT[i * latent + l]! * f[l]!;
    t[i] = s + 0.1 * random();
  }
  for (let j = 0; j < m; j++) {
    let s = 0.7;
    for (let l = 0; l < latent; l++) s += loadQ[j * latent + l]! * f[l]!;
    q[j] = s + 0.1 * random();
  }
  acc.add(t, q, k);
  allT.set(t, k * n);
  allQ.set(q, k * m);
}
await writeNpy(join(tmp, 'train_losses.npy'), allT, [K, n]);
await writeNpy(join(tmp, 'query_losses.npy'), allQ, [K, m]);
const beforeScoring = peakMiB();
let t0 = performance.now();
const top = await acc.topK(10, 'covariance');
const topSeconds = (performance.now() - t0) / 1000;
const afterScoring = peakMiB();
const flops = 2 * n * m * K;
const ref = JSON.parse(
  execFileSync('python3', [join(here, 'reference', 'glm_reference.py'), 'centred-product', tmp], {
    maxBuffer: 1 << 24,
  }).toString(),
) as { seconds: number; check: number[][] };
rmSync(tmp, { recursive: true, force: true });
const scoring = {
  n,
  m,
  K,
  k: 10,
  seconds: topSeconds,
  gflops: flops / topSeconds / 1e9,
  fractionOfDgemm: flops / topSeconds / 1e9 / dgemm,
  numpySeconds: ref.seconds,
  numpyGflops: flops / ref.seconds / 1e9,
  speedup: ref.seconds / topSeconds,
  peakMiBBeforeScoring: beforeScoring,
  peakMiBAfterScoring: afterScoring,
  lossRowsMiB: (K * (n + m) * 8) / 2 ** 20,
  firstTop: top.topIndex[0],
};
console.log(
  `[scoring] top-10 covariance, ${n} x ${m} x K=${K}: ${topSeconds.toFixed(2)} s, ${scoring.gflops.toFixed(1)} GFLOP/s ` +
    `(${(100 * scoring.fractionOfDgemm).toFixed(0)}% of dgemm); numpy's centred product (full n x m matrix): ${ref.seconds.toFixed(2)} s, ` +
    `${scoring.numpyGflops.toFixed(1)} GFLOP/s: ${scoring.speedup.toFixed(2)}x`,
);
// The same top-k on WebGPU, when an adapter exists (a software adapter is slow; the numbers
// that matter come from a hardware GPU).
let webgpu:
  | { adapter: string; n: number; seconds: number; gflops: number; cpuSeconds: number; speedupOverCpu: number }
  | undefined;
try {
  const gpu = await selectBackend('webgpu');
  const { gpuContext } = await import('../src/backend/webgpu/device.ts');
  // A software adapter (llvmpipe) is timed on a 10,000-row slice, the CPU on the same slice.
  const nG = (await gpuContext())!.hardware ? n : Math.min(n, 10000);
  const sub = nG === n ? acc : new LossCovariance(nG, m, K);
  if (sub !== acc)
    for (let k = 0; k < K; k++) sub.add(allT.slice(k * n, k * n + nG), allQ.slice(k * m, (k + 1) * m), k);
  t0 = performance.now();
  await sub.topK(10, 'covariance');
  const cpuSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  await sub.topK(10, 'covariance', gpu);
  const s = (performance.now() - t0) / 1000;
  const f = 2 * nG * m * K;
  webgpu = {
    adapter: gpu.describe(),
    n: nG,
    seconds: s,
    gflops: f / s / 1e9,
    cpuSeconds,
    speedupOverCpu: cpuSeconds / s,
  };
  console.log(
    `[scoring] WebGPU (${gpu.describe()}) at ${nG} x ${m} x K=${K}: ${s.toFixed(2)} s, ${webgpu.gflops.toFixed(1)} GFLOP/s (f32); CPU ${cpuSeconds.toFixed(2)} s: ${webgpu.speedupOverCpu.toFixed(2)}x the CPU`,
  );
} catch (err) {
  console.log(`[scoring] WebGPU: not measured (${(err as Error).message})`);
}
console.log(
  `[scoring] peak memory of the process: ${afterScoring.toFixed(0)} MiB (loss rows ${scoring.lossRowsMiB.toFixed(0)} MiB; peak before scoring ${beforeScoring.toFixed(0)} MiB)`,
);

// Time per perturbed model on real data (spam bag-of-words, 4,837 x 2,000 training split).
const data = await loadDataset('spam');
const { trainIdx, testIdx } = splitIndices(data.X.rows, 0.2, 0);
const X = data.X.selectRows(trainIdx),
  y = Float64Array.from(trainIdx, (i) => data.y[i]!);
const Xq = data.X.selectRows(testIdx.slice(0, 100)),
  yq = Float64Array.from(testIdx.slice(0, 100), (i) => data.y[i]!);
const model = await LogisticRegression.fit(X, y, { lambda: 1 });
const perModel: Record<string, number> = {};
for (const variant of ['hessian', 'fisher', 'trak'] as const) {
  t0 = performance.now();
  await daunce({ model, queries: { X: Xq, y: yq }, K: Number(values.models), variant });
  perModel[variant] = (performance.now() - t0) / 1000 / Number(values.models);
  console.log(
    `[per model] ${variant}: ${perModel[variant]!.toFixed(3)} s per perturbed logistic regression (${X.rows} x ${X.cols}, ratio 0.3, exact Newton solve)`,
  );
}
// The MLP on 10-class MNIST (2,000 training digits, 784 -> 64 -> 10, 5 epochs of Adam per copy).
const mnist = await loadDataset('mnist');
const mIdx = splitIndices(mnist.X.rows, 0.2, 0);
const mTrain = mIdx.trainIdx.slice(0, 2000),
  mTest = mIdx.testIdx.slice(0, 50);
const mlp = await MultilayerPerceptron.fit(
  mnist.X.selectRows(mTrain),
  mTrain.map((i) => mnist.y[i]!),
  { hidden: [64], epochs: 5, lambda: 1 },
);
const mlpPerModel: Record<string, number> = {};
for (const variant of ['hessian', 'fisher', 'trak'] as const) {
  t0 = performance.now();
  await daunce({
    model: mlp,
    queries: { X: mnist.X.selectRows(mTest), y: mTest.map((i) => mnist.y[i]!) },
    K: Number(values.models),
    variant,
  });
  mlpPerModel[variant] = (performance.now() - t0) / 1000 / Number(values.models);
  console.log(
    `[per model] mlp ${variant}: ${mlpPerModel[variant]!.toFixed(3)} s per perturbed MLP (2000 x 784 -> 64 -> 10, ratio 0.3, 5 epochs of Adam)`,
  );
}
// Softmax regression on 10-class MNIST, 7 x 7 average-pooled (49 features, 450 parameters).
const pool = (rows: number[]) =>
  Matrix.fromArrays(
    rows.map((i) => {
      const img = mnist.X.row(i);
      return Array.from({ length: 49 }, (_, b) => {
        let s = 0;
        for (let r = 0; r < 4; r++)
          for (let c = 0; c < 4; c++) s += img[(Math.floor(b / 7) * 4 + r) * 28 + (b % 7) * 4 + c]!;
        return s / 16;
      });
    }),
  );
const softmax = await SoftmaxRegression.fit(
  pool(mTrain),
  mTrain.map((i) => mnist.y[i]!),
  { lambda: 1 },
);
const softmaxPerModel: Record<string, number> = {};
for (const variant of ['hessian', 'fisher', 'trak'] as const) {
  t0 = performance.now();
  await daunce({
    model: softmax,
    queries: { X: pool(mTest), y: mTest.map((i) => mnist.y[i]!) },
    K: Number(values.models),
    variant,
  });
  softmaxPerModel[variant] = (performance.now() - t0) / 1000 / Number(values.models);
  console.log(
    `[per model] softmax ${variant}: ${softmaxPerModel[variant]!.toFixed(3)} s per perturbed softmax regression (2000 x 49 pooled pixels, 10 classes, exact Newton solve)`,
  );
}
writeFileSync(
  join(here, 'results', 'daunce.json'),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      dgemmGflops: dgemm,
      scoring,
      webgpuScoring: webgpu ?? null,
      perModel: { dataset: data.name, train: X.rows, features: X.cols, secondsPerModel: perModel },
      perModelMlp: {
        dataset: mnist.name,
        train: 2000,
        architecture: '784-64-10',
        epochs: 5,
        secondsPerModel: mlpPerModel,
      },
      perModelSoftmax: {
        dataset: `${mnist.name} pooled 7x7`,
        train: 2000,
        features: 49,
        classes: 10,
        secondsPerModel: softmaxPerModel,
      },
    },
    null,
    2,
  ) + '\n',
);
