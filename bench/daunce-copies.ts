/**
 * Daunce's perturbed logistic copies (issue 17): time per copy, parameters and losses
 * included, of
 *   - the previous path (one copy per call: a Newton fit over all n rows with zero weights
 *     outside D^k and a fresh factorisation per step, then two loss calls), replayed here;
 *   - the native copies one at a time (`train`) and many per call on the thread pool
 *     (`trainBatch`, what `daunce` uses), which give the same bits;
 *   - a NumPy Newton reference on the copy's rows (bench/reference/daunce_copies.py), same run.
 * Cases: 1,000 x 180 (K = 200, ratio 0.3) and n = 100,000, d = 100 (fewer copies).
 * With --baseline <checkout> (a built checkout of an earlier tdakit, e.g. `git worktree add
 * <dir> <commit>` then `npm run build:native` there), its own perturbed trainer is timed on the
 * same data in a child process: the path as it was, its native kernels included.
 *
 * Each path is timed in --rounds interleaved rounds (default 3) and reports its fastest, the
 * baseline included, so that the ratios compare times taken under the same load.
 *
 * Under `taskset -c 0` (cores: 1) the pool has one thread: per-copy cost on one core, which the
 * other users of a shared machine disturb less than the pool's scaling over cores.
 *
 *   node --import tsx bench/daunce-copies.ts [-- --large-copies 16 --rounds 3 --cases small,large
 *     --out daunce-copies.json --baseline <checkout>]
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { drawPerturbation, LogisticRegression, Matrix, type Perturbation } from '../src/index.ts';
import { glmPerturbable } from '../src/daunce/glm-perturbable.ts';
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
    'large-copies': { type: 'string', default: '16' },
    'small-copies': { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
    cases: { type: 'string', default: 'small,large' },
    out: { type: 'string', default: 'daunce-copies.json' },
    baseline: { type: 'string' },
  },
});

/** Seconds per copy (train + both losses) of the checkout's own trainer, in a child process. */
function baselineSeconds(checkout: string, n: number, d: number, copies: number, lambda: number): Timing {
  return childSeconds(
    checkout,
    'tdakit-daunce-baseline-',
    `
import { drawPerturbation, LogisticRegression, Matrix } from '${checkout}/src/index.ts';
import { glmPerturbable } from '${checkout}/src/daunce/glm-perturbable.ts';
import { seededRandom } from '${checkout}/src/random.ts';
${gaussian.toString()}
${syntheticLogistic.toString()}
const { X, y } = syntheticLogistic(${n}, ${d}, 1);
const q = syntheticLogistic(100, ${d}, 2);
const model = await LogisticRegression.fit(X, y, { lambda: ${lambda} });
const pm = glmPerturbable({ model, queries: { X: q.X, y: q.y }, variant: 'hessian', access: 'white-box' });
const ps = Array.from({ length: ${copies} }, (_, k) => drawPerturbation(${n}, 0.3, 0, k));
${childTimingLoop(copies, "const h = await pm.train(p, { variant: 'hessian', access: 'white-box', ratio: 0.3 }); await pm.losses(h, 'train'); await pm.losses(h, 'queries');")}`,
  );
}

function syntheticLogistic(n: number, d: number, seed: number): { X: Matrix; y: Float64Array } {
  const r = seededRandom(seed);
  const X = Float64Array.from({ length: n * d }, () => gaussian(r));
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = 0.3;
    for (let j = 0; j < Math.min(d, 10); j++) z += 0.5 * X[i * d + j]!;
    y[i] = r() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { X: new Matrix(X, n, d), y };
}

/**
 * The one-copy-per-call path of tdakit before issue 17 (glm-perturbable.ts, hessian variant),
 * replayed on this build's kernels (which are faster than they were: --baseline times the old build).
 */
function previousPath(model: LogisticRegression, Xq: Matrix, yq: Float64Array) {
  const backend = model.backendKernels();
  const design = model.design(model.X);
  const n = model.X.rows;
  const base = backend.pointwise({ ...design, family: 'logistic', theta: model.theta, y: model.y });
  return async (p: Perturbation) => {
    const b = await base;
    const size = p.subset.length;
    const weights = new Float64Array(n),
      coef = new Float64Array(n);
    p.subset.forEach((i, j) => {
      weights[i] = 1 / size;
      coef[i] = (-2 * p.xi[j]! * b.slope![i]!) / size;
    });
    const linear = await backend.transposeTimes({ ...design, v: coef });
    const r = await backend.fit({
      ...design,
      family: 'logistic',
      y: model.y,
      weights,
      lambda: model.options.lambda / n,
      linear,
      theta0: model.theta,
      tol: model.options.tol,
      maxIter: model.options.maxIter,
      keepHessian: false,
    });
    await backend.pointwise({ ...design, family: 'logistic', theta: r.theta, y: model.y });
    await backend.pointwise({ ...model.design(Xq), family: 'logistic', theta: r.theta, y: yq });
    return r.theta;
  };
}

const rounds = Number(values.rounds);

async function measure(name: string, n: number, d: number, copies: number, lambda: number) {
  const { X, y } = syntheticLogistic(n, d, 1);
  const q = syntheticLogistic(100, d, 2);
  const model = await LogisticRegression.fit(X, y, { lambda });
  const pm = glmPerturbable({ model, queries: { X: q.X, y: q.y }, variant: 'hessian', access: 'white-box' });
  const objective = { variant: 'hessian', access: 'white-box', ratio: 0.3 } as const;
  const ps = Array.from({ length: copies }, (_, k) => drawPerturbation(n, 0.3, 0, k));
  const previous = previousPath(model, q.X, q.y);
  const samples = await interleavedRounds(
    rounds,
    copies,
    {
      previous: async () => {
        for (const p of ps) await previous(p);
      },
      ...copyPaths(ps, pm, objective),
    },
    values.baseline ? () => baselineSeconds(values.baseline!, n, d, copies, lambda) : undefined,
  );
  const first = await pm.train(ps[0]!, objective);

  const size = ps[0]!.subset.length;
  const ref = await numpyReference(
    join(here, 'reference', 'daunce_copies.py'),
    { X, y, Xq: q.X, yq: q.y, theta0: model.theta, ps },
    { lam: lambda / n },
  );
  const agreement = Math.max(...ref.firstTheta.map((v, k) => Math.abs(v - first[k]!)));
  const timings = copyTimings(samples, 'previous', ref.secondsPerCopy, values.baseline !== undefined);
  const baseline = timings.secondsPerCopy.baselineCheckout;
  const batchSeconds = timings.secondsPerCopy.nativeBatched;
  const result = {
    n,
    d,
    parameters: d + 1,
    copies,
    ratio: 0.3,
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
      `[${name}] baseline checkout ${values.baseline}: ${(baseline * 1e3).toFixed(2)} ms per copy (${(baseline / batchSeconds).toFixed(1)}x the batched copies; CPU time ${(leastCpu(samples.baseline) / leastCpu(samples.batched)).toFixed(1)}x)`,
    );
  console.log(
    `[${name}] ${n} x ${d}, ${copies} copies of ${size} rows: previous ${(fastest(samples.previous) * 1e3).toFixed(2)} ms, native one at a time ${(timings.secondsPerCopy.nativeOneAtATime * 1e3).toFixed(2)} ms, ` +
      `batched ${(batchSeconds * 1e3).toFixed(2)} ms (${(fastest(samples.previous) / batchSeconds).toFixed(1)}x the previous), NumPy Newton ${(ref.secondsPerCopy * 1e3).toFixed(2)} ms (${result.speedupOverNumpy.toFixed(1)}x); ` +
      `|theta - numpy| ${agreement.toExponential(1)}`,
  );
  return result;
}

const load = loadavg()[0];
const addon = nativeAddon();
const cases = (values.cases ?? '').split(',');
const small = cases.includes('small')
  ? await measure('small', 1000, 180, Number(values['small-copies']), 1)
  : undefined;
const large = cases.includes('large')
  ? await measure('large', 100_000, 100, Number(values['large-copies']), 1)
  : undefined;
writeFileSync(
  join(here, 'results', values.out ?? 'daunce-copies.json'),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      cores: availableParallelism(),
      openblasThreads: process.env.OPENBLAS_NUM_THREADS ?? null,
      loadAverage1mAtStart: load,
      blas: addon.blasInfo().config.trim(),
      loadAverage1mAtEnd: loadavg()[0],
      note: 'per copy: parameters and the losses of all training examples and queries; fastest of the interleaved rounds; the machine is shared, see the load averages',
      small,
      large,
    },
    null,
    2,
  ) + '\n',
);
