/**
 * Daunce's perturbed softmax-regression copies (issue 17): time per copy, parameters and both
 * cross-entropy vectors included, of
 *   - the unbatched path (one copy per call, before issue 17's batching: a Newton fit over all n
 *     rows with zero weights outside D^k, the linear term built in JS by one A^T v per class,
 *     then the losses from the logits in JS), replayed here on this build's kernels;
 *   - the native copies one at a time (`train`) and many per call on the thread pool
 *     (`trainBatch`, what `daunce` uses), which give the same bits;
 *   - a NumPy Newton reference on the copy's rows (bench/reference/daunce_softmax_copies.py),
 *     same run, with the largest parameter difference from the first batched copy.
 * Case: n = 1,000, d = 60, 4 classes (183 parameters), ratio 0.3 (300 rows per copy), hessian
 * variant, white-box. With --baseline <checkout> (an earlier tdakit built there), that build's
 * own softmax trainer is timed on the same data in a child process. Each path is timed in
 * --rounds interleaved rounds (default 3) and reports its fastest.
 *
 *   node --import tsx bench/daunce-softmax-copies.ts [-- --copies 64 --rounds 3 --baseline <checkout>]
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { drawPerturbation, Matrix, SoftmaxRegression, type Perturbation } from '../src/index.ts';
import { logitStatistics } from '../src/daunce/logit-statistics.ts';
import { softmaxPerturbable } from '../src/daunce/softmax-perturbable.ts';
import { nativeAddon } from '../src/native.ts';
import { seededRandom } from '../src/random.ts';
import {
  childSeconds,
  childTimingLoop,
  copyPaths,
  copyTimings,
  fastest,
  gaussian,
  interleavedRounds,
  leastCpu,
  numpyReference,
  type Timing,
} from './copies-timing.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    copies: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    baseline: { type: 'string' },
  },
});
const n = 1000,
  d = 60,
  C = 4,
  lambda = 1,
  ratio = 0.3;
const copies = Number(values.copies),
  rounds = Number(values.rounds);

/** Four classes from a noisy linear score of the first features. */
function syntheticSoftmax(rows: number, cols: number, seed: number): { X: Matrix; y: Float64Array } {
  const r = seededRandom(seed);
  const X = Float64Array.from({ length: rows * cols }, () => gaussian(r));
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const s = 0.8 * X[i * cols]! - 0.6 * X[i * cols + 1]! + 0.4 * X[i * cols + 2]! + 0.7 * gaussian(r);
    y[i] = Math.min(3, Math.max(0, Math.floor(s + 2)));
  }
  return { X: new Matrix(X, rows, cols), y };
}

/** Seconds per copy (train + both losses) of the checkout's own softmax trainer, in a child process. */
function baselineSeconds(checkout: string): Timing {
  return childSeconds(
    checkout,
    'tdakit-softmax-baseline-',
    `
import { drawPerturbation, Matrix, SoftmaxRegression } from '${checkout}/src/index.ts';
import { softmaxPerturbable } from '${checkout}/src/daunce/softmax-perturbable.ts';
import { seededRandom } from '${checkout}/src/random.ts';
${gaussian.toString()}
${syntheticSoftmax.toString()}
const { X, y } = syntheticSoftmax(${n}, ${d}, 1);
const q = syntheticSoftmax(100, ${d}, 2);
const model = await SoftmaxRegression.fit(X, y, { lambda: ${lambda}, classes: ${C} });
const pm = softmaxPerturbable({ model, queries: { X: q.X, y: q.y }, variant: 'hessian', access: 'white-box' });
const ps = Array.from({ length: ${copies} }, (_, k) => drawPerturbation(${n}, ${ratio}, 0, k));
${childTimingLoop(copies, `const h = await pm.train(p, { variant: 'hessian', access: 'white-box', ratio: ${ratio} }); await pm.losses(h, 'train'); await pm.losses(h, 'queries');`)}`,
  );
}

/** The one-copy-per-call softmax trainer before issue 17's batching (hessian, white-box), replayed. */
function unbatchedPath(model: SoftmaxRegression, Xq: Matrix, yq: Float64Array) {
  const backend = model.backendKernels();
  const design = model.design(model.X);
  const K = C - 1,
    p = model.blockSize;
  const base = model.logits(model.X).then((z) => logitStatistics(z.data, model.y, C, K));
  return async (pert: Perturbation) => {
    const b = await base;
    const size = pert.subset.length;
    const weights = new Float64Array(n);
    for (const i of pert.subset) weights[i] = 1 / size;
    const linear = new Float64Array(K * p);
    for (let c = 0; c < K; c++) {
      const coef = new Float64Array(n);
      pert.subset.forEach((i, j) => {
        coef[i] = (-2 * pert.xi[j]! * b.dLoss[i * K + c]!) / size;
      });
      linear.set(await backend.transposeTimes({ ...design, v: coef }), c * p);
    }
    const r = await backend.multinomialFit({
      ...design,
      classes: C,
      y: model.y,
      weights,
      lambda: model.options.lambda / n,
      objective: 'crossEntropy',
      linear,
      theta0: model.theta,
      tol: model.options.tol,
      maxIter: model.options.maxIter,
      keepHessian: false,
    });
    await model.losses(model.X, model.y, r.theta);
    await model.losses(Xq, yq, r.theta);
    return r.theta;
  };
}

const load = loadavg()[0];
const addon = nativeAddon();
const { X, y } = syntheticSoftmax(n, d, 1);
const q = syntheticSoftmax(100, d, 2);
const model = await SoftmaxRegression.fit(X, y, { lambda, classes: C });
const pm = softmaxPerturbable({ model, queries: { X: q.X, y: q.y }, variant: 'hessian', access: 'white-box' });
const objective = { variant: 'hessian', access: 'white-box', ratio } as const;
const ps = Array.from({ length: copies }, (_, k) => drawPerturbation(n, ratio, 0, k));
const unbatched = unbatchedPath(model, q.X, q.y);
let first: Float64Array | undefined;
const samples = await interleavedRounds(
  rounds,
  copies,
  {
    unbatched: async () => {
      for (const p of ps) await unbatched(p);
    },
    ...copyPaths(ps, pm, objective, (hs) => {
      first ??= hs[0];
    }),
  },
  values.baseline ? () => baselineSeconds(values.baseline!) : undefined,
);

const size = ps[0]!.subset.length;
const ref = await numpyReference(
  join(here, 'reference', 'daunce_softmax_copies.py'),
  { X, y, Xq: q.X, yq: q.y, theta0: model.theta, ps },
  { lam: lambda / n, classes: C },
);
const agreement = Math.max(...ref.firstTheta.map((v, k) => Math.abs(v - first![k]!)));
const timings = copyTimings(samples, 'unbatched', ref.secondsPerCopy, values.baseline !== undefined);
const baseline = timings.secondsPerCopy.baselineCheckout;
const batchSeconds = timings.secondsPerCopy.nativeBatched;
const result = {
  date: new Date().toISOString(),
  cores: availableParallelism(),
  openblasThreads: process.env.OPENBLAS_NUM_THREADS ?? null,
  loadAverage1mAtStart: load,
  loadAverage1mAtEnd: loadavg()[0],
  blas: addon.blasInfo().config.trim(),
  note: 'per copy: parameters and the cross-entropies of all training examples and queries; the machine is shared, see the load averages',
  n,
  d,
  classes: C,
  parameters: model.theta.length,
  copies,
  ratio,
  lambda,
  rowsPerCopy: size,
  rounds,
  secondsPerCopyByRound: samples,
  ...timings,
  numpyNewtonIterationsPerCopy: ref.newtonIterationsPerCopy,
  maxAbsThetaDifferenceFromNumpy: agreement,
};
if (baseline !== undefined)
  console.log(
    `baseline checkout ${values.baseline}: ${(baseline * 1e3).toFixed(2)} ms per copy (${(baseline / batchSeconds).toFixed(1)}x the batched copies; CPU time ${(leastCpu(samples.baseline) / leastCpu(samples.batched)).toFixed(1)}x)`,
  );
console.log(
  `softmax ${n} x ${d}, ${C} classes, ${copies} copies of ${size} rows: unbatched ${(fastest(samples.unbatched) * 1e3).toFixed(2)} ms, native one at a time ${(timings.secondsPerCopy.nativeOneAtATime * 1e3).toFixed(2)} ms, ` +
    `batched ${(batchSeconds * 1e3).toFixed(2)} ms (${(fastest(samples.unbatched) / batchSeconds).toFixed(1)}x the unbatched), NumPy Newton ${(ref.secondsPerCopy * 1e3).toFixed(2)} ms (${result.speedupOverNumpy.toFixed(1)}x); ` +
    `|theta - numpy| ${agreement.toExponential(1)}`,
);
writeFileSync(join(here, 'results', 'daunce-softmax-copies.json'), `${JSON.stringify(result, null, 2)}\n`);
