/**
 * tdakit benchmarks (issues 2 and 3): each tdakit run is timed against a numpy/scipy
 * reference on the same data in the same run, and against this machine's measured dgemm rate.
 *
 *   npm run bench:glm                  # all: fit, influence, retrain at n = 10,000, d = 2,048
 *   npm run bench:glm -- --only fit --n 4000 --d 512
 *
 * Results go to stdout and bench/results/<task>.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Influence, LogisticRegression, Matrix, readNpy, writeNpy } from '../src/index.ts';
import { nativeAddon } from '../src/native.ts';
import { gaussian, rng } from './fixtures.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    n: { type: 'string', default: '10000' },
    d: { type: 'string', default: '2048' },
    queries: { type: 'string', default: '100' },
    remove: { type: 'string', default: '50' },
    lambda: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
  },
});
const n = Number(values.n),
  d = Number(values.d),
  m = Number(values.queries),
  lambda = Number(values.lambda);
const tasks = values.only ?? ['fit', 'influence', 'retrain'];
const tmp = mkdtempSync(join(tmpdir(), 'tdakit-bench-'));
const now = () => performance.now() / 1000;

function syntheticLogistic(rows: number, seed: number) {
  const r = rng(seed);
  const beta = Float64Array.from({ length: d }, (_, j) => (j < 64 ? (3 * gaussian(r)) / Math.sqrt(64) : 0));
  const X = new Float64Array(rows * d);
  for (let k = 0; k < X.length; k++) X[k] = gaussian(r);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let z = 0;
    for (let j = 0; j < 64; j++) z += X[i * d + j]! * beta[j]!;
    y[i] = r() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { X: new Matrix(X, rows, d), y };
}

function python(task: string, params: object): Record<string, number | string> {
  const out = execFileSync(
    'python3',
    [join(here, 'reference', 'glm_reference.py'), task, tmp, JSON.stringify(params)],
    {
      env: process.env,
      maxBuffer: 1 << 24,
    },
  );
  return JSON.parse(out.toString());
}

const addon = nativeAddon();
const blas = addon.blasInfo();
const dgemm = await addon.dgemmRate({ size: 2048, reps: 3 });
const environment = {
  blas: blas.config.trim(),
  threads: blas.threads,
  OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? '(unset)',
  dgemmGflops: dgemm,
  node: process.version,
};
console.log(`tdakit benchmarks: n = ${n}, d = ${d}, lambda = ${lambda}`);
console.log(`BLAS ${environment.blas}, ${blas.threads} threads, OPENBLAS_CORETYPE=${environment.OPENBLAS_CORETYPE}`);
console.log(`measured dgemm (2048^3): ${dgemm.toFixed(1)} GFLOP/s`);

const { X, y } = syntheticLogistic(n, Number(values.seed));
await writeNpy(join(tmp, 'X.npy'), X.data, [n, d]);
await writeNpy(join(tmp, 'y.npy'), y, [n]);
const p = d + 1;
const results: Record<string, unknown> = {};
const save = (task: string, r: object) => {
  mkdirSync(join(here, 'results'), { recursive: true });
  const record = { task, date: new Date().toISOString(), n, d, lambda, environment, ...r };
  writeFileSync(join(here, 'results', `${task}.json`), JSON.stringify(record, null, 2) + '\n');
  results[task] = record;
};

let t = now();
const model = await LogisticRegression.fit(X, y, { lambda });
const fitSeconds = now() - t;
await writeNpy(join(tmp, 'theta.npy'), model.theta, [p]);

if (tasks.includes('fit')) {
  const ref = python('fit', { lambda, tol: model.options.tol });
  // The same work as numpy (theta only): without the final Hessian kept for influence analysis.
  t = now();
  const plain = await LogisticRegression.fit(X, y, { lambda, keepHessian: false });
  const plainSeconds = now() - t;
  // The Hessian build + Cholesky alone: n p^2 (syrk) + p^3 / 3 flops.
  const coef = new Float64Array(n).fill(0.25);
  t = now();
  await addon.hessian({ x: X.data, n, d, intercept: true, coef, lambda });
  const hessianSeconds = now() - t;
  const hessianGflops = (n * p * p + (p * p * p) / 3) / hessianSeconds / 1e9;
  const thetaNumpy = (await readNpy(join(tmp, 'theta_numpy.npy'))).data;
  const agreement = Math.max(...Array.from(model.theta, (v, k) => Math.abs(v - thetaNumpy[k]!)));
  const r = {
    tdakit: { seconds: fitSeconds, ...model.diagnostics, secondsWithoutFinalHessian: plainSeconds },
    numpy: ref,
    speedup: (ref.seconds as number) / plainSeconds,
    speedupKeepingHessian: (ref.seconds as number) / fitSeconds,
    hessian: { seconds: hessianSeconds, gflops: hessianGflops, fractionOfDgemm: hessianGflops / dgemm },
    maxAbsThetaDifference: agreement,
  };
  save('fit', r);
  console.log(
    `\n[fit] to ||grad|| ${plain.gradientNorm.toExponential(2)}: tdakit ${plainSeconds.toFixed(2)} s (${plain.iterations} Newton + ` +
      `${plain.diagnostics.chordIterations} chord steps), numpy Newton ${(ref.seconds as number).toFixed(2)} s (${ref.iterations} it, ||grad|| ` +
      `${(ref.gradientNorm as number).toExponential(2)}): ${r.speedup.toFixed(2)}x; keeping the Hessian at the optimum for influence: ` +
      `${fitSeconds.toFixed(2)} s, ${r.speedupKeepingHessian.toFixed(2)}x; |theta - theta_numpy| <= ${agreement.toExponential(1)}`,
  );
  console.log(
    `[fit] Hessian build + Cholesky: ${hessianSeconds.toFixed(3)} s, ${hessianGflops.toFixed(1)} GFLOP/s = ${((100 * hessianGflops) / dgemm).toFixed(0)}% of dgemm`,
  );
}

if (tasks.includes('influence')) {
  const q = syntheticLogistic(m, Number(values.seed) + 1000);
  await writeNpy(join(tmp, 'Xq.npy'), q.X.data, [m, d]);
  await writeNpy(join(tmp, 'yq.npy'), q.y, [m]);
  // Warm: a freshly fitted model keeps the Hessian its last Newton evaluation built, so only
  // the Cholesky factor is computed. Cold: a model without it (a chord refit with unchanged
  // weights has the same theta) rebuilds the Hessian first, as the numpy reference does.
  const fresh = await LogisticRegression.fit(X, y, { lambda });
  const cold = await fresh.refit({ weights: fresh.weights });
  const timeScores = async (model: LogisticRegression) => {
    const start = now();
    const inf = await Influence.of(model);
    const tOf = now() - start;
    const sIf = await inf.scores(q.X, q.y, { method: 'if' });
    const sRif = await inf.scores(q.X, q.y, { method: 'rif' });
    return { inf, tOf, sIf, sRif, seconds: now() - start };
  };
  const coldRun = await timeScores(cold);
  const { inf, tOf, sIf, sRif, seconds } = await timeScores(fresh);
  // The dominant step alone: the blocked triangular solve for the leverages (n p^2 flops).
  const coef = new Float64Array(n).fill(0.25);
  t = now();
  await addon.leverage({ x: X.data, n, d, intercept: true, factor: inf.factorization.factor, coef });
  const levSeconds = now() - t;
  const levGflops = (n * p * p) / levSeconds / 1e9;
  const ref = python('influence', { lambda });
  const levNumpy = (await readNpy(join(tmp, 'leverage_numpy.npy'))).data;
  const rifNumpy = (await readNpy(join(tmp, 'rif_numpy.npy'))).data;
  let levErr = 0,
    rifErr = 0,
    rifScale = 0;
  for (let i = 0; i < n; i++) levErr = Math.max(levErr, Math.abs(levNumpy[i]! - inf.leverage[i]!));
  for (let k = 0; k < sRif.length; k++) {
    rifErr = Math.max(rifErr, Math.abs(rifNumpy[k]! - sRif[k]!));
    rifScale = Math.max(rifScale, Math.abs(rifNumpy[k]!));
  }
  const r = {
    tdakit: {
      seconds,
      influenceOfSeconds: tOf,
      scoresSeconds: seconds - tOf,
      coldSeconds: coldRun.seconds,
      checksum: sIf[0]! + coldRun.sIf[0]!,
    },
    numpy: ref,
    speedup: (ref.seconds as number) / seconds,
    speedupCold: (ref.seconds as number) / coldRun.seconds,
    leverageSolve: { seconds: levSeconds, gflops: levGflops, fractionOfDgemm: levGflops / dgemm },
    maxAbsLeverageDifference: levErr,
    maxRelRifDifference: rifErr / rifScale,
  };
  save('influence', r);
  console.log(
    `\n[influence] leverage + IF + RIF scores (${n} x ${m}): tdakit ${seconds.toFixed(2)} s with the fit's Hessian ` +
      `(Influence.of ${tOf.toFixed(2)} s), ${coldRun.seconds.toFixed(2)} s rebuilding it; numpy ${(ref.seconds as number).toFixed(2)} s: ` +
      `${r.speedup.toFixed(2)}x (${r.speedupCold.toFixed(2)}x cold); agreement: leverage ${levErr.toExponential(1)}, RIF ${r.maxRelRifDifference.toExponential(1)} relative`,
  );
  console.log(
    `[influence] leverage triangular solve: ${levSeconds.toFixed(3)} s, ${levGflops.toFixed(1)} GFLOP/s = ${((100 * levGflops) / dgemm).toFixed(0)}% of dgemm`,
  );
}

if (tasks.includes('retrain')) {
  const k = Number(values.remove);
  const r0 = rng(Number(values.seed) + 7);
  const T = new Set<number>();
  while (T.size < k) T.add(Math.floor(r0() * n));
  const remove = [...T];
  t = now();
  const inf = await Influence.of(model);
  const factorSeconds = now() - t;
  t = now();
  const refit = await inf.retrain(remove);
  const seconds = now() - t;
  // scipy's gtol bounds the gradient's infinity norm; asking for tdakit's 2-norm demands at least as much.
  const ref = python('retrain', { lambda, remove, gtol: refit.gradientNorm });
  const thetaNumpy = (await readNpy(join(tmp, 'theta_retrain_numpy.npy'))).data;
  const agreement = Math.max(...Array.from(refit.theta, (v, j) => Math.abs(v - thetaNumpy[j]!)));
  const r = {
    removed: k,
    tdakit: { seconds, secondsWithFactorization: seconds + factorSeconds, ...refit.diagnostics },
    scipyLbfgsb: ref,
    speedup: (ref.seconds as number) / seconds,
    speedupIncludingFactorization: (ref.seconds as number) / (seconds + factorSeconds),
    maxAbsThetaDifference: agreement,
  };
  save('retrain', r);
  console.log(
    `\n[retrain] remove ${k}: tdakit ${seconds.toFixed(3)} s (${refit.diagnostics.chordIterations} chord it, ||grad|| ${refit.gradientNorm.toExponential(2)}; ` +
      `${(seconds + factorSeconds).toFixed(2)} s with the one-time factorisation), scipy L-BFGS-B ${(ref.seconds as number).toFixed(2)} s ` +
      `(${ref.iterations} it, ||grad|| ${(ref.gradientNorm as number).toExponential(2)}, ${ref.message}): ${r.speedup.toFixed(1)}x ` +
      `(${r.speedupIncludingFactorization.toFixed(1)}x with factorisation); |theta - theta_scipy| <= ${agreement.toExponential(1)}`,
  );
}

rmSync(tmp, { recursive: true, force: true });
