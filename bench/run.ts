/**
 * The benchmark harness of issue 14: every target with its ratio, measured in one run.
 *   - kernels (benchmark.js: mean ± relative margin of error): Daunce scoring and Influence
 *     top-k at n = 1,000,000, d = K = 128, m = 1,000, as a fraction of the dgemm rate measured
 *     right before and after each (target >= 70%);
 *   - the fit at n = 10,000, d = 2,048 against numpy's Newton (target >= 5x) and scikit-learn's
 *     newton-cholesky (target: faster, at a tighter final gradient), min/median of runs;
 *   - exact retrains on spam: 1% and 5% removal (target >= 10x over a warm Newton retrain), LDS
 *     half-subsets (target >= 3x), with numpy's warm Newton beside them;
 *   - the RIF protocol on spam, 320 retrains (target < 60 s).
 *
 *   npm run bench                  # full sizes (about 15 minutes on 2 cores)
 *   npm run bench -- --quick       # small sizes: a smoke test of the harness (seconds)
 *   npm run bench -- --only kernels,fit --runs 5
 *   npm run bench -- --only rif --rif-sample 8   # 8 of the protocol's 40 sizes, time projected
 *   npm run bench -- --only rif --rif-concurrency 1   # removal sets one at a time (default: one per core)
 *
 * Results: stdout and bench/results/harness[-quick].json (with the machine's dgemm rate and load).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadSpamAssassin } from '../src/datasets/spam.ts';
import { dgemmRate, environment } from './harness/environment.ts';
import { fitTarget } from './harness/fit.ts';
import { daunceScoring, influenceTopK, type KernelResult } from './harness/kernels.ts';
import { retrainTargets } from './harness/retrain.ts';
import { rifProtocol } from './harness/rif.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: 'kernels,fit,retrain,rif' },
    runs: { type: 'string' },
    'rif-sample': { type: 'string' },
    'rif-concurrency': { type: 'string' },
    out: { type: 'string' },
  },
});
const quick = values.quick!;
const only = new Set(values.only!.split(','));
const runs = Number(values.runs ?? (quick ? 2 : 3));
const size = quick
  ? {
      n: 20_000,
      m: 100,
      d: 128,
      samples: 3,
      dgemmSize: 512,
      fitN: 600,
      fitD: 64,
      spamRows: 500,
      spamWords: 100,
      subsets: 2,
      rifSizes: [0.01, 0.05],
    }
  : {
      n: 1_000_000,
      m: 1_000,
      d: 128,
      samples: 5,
      dgemmSize: 2048,
      fitN: 10_000,
      fitD: 2_048,
      spamRows: undefined,
      spamWords: 2_000,
      subsets: 5,
      rifSizes: undefined,
    };

interface Target {
  target: string;
  measured: string;
  ratio: number;
  goal: number;
  met: boolean;
}
const targets: Target[] = [];
const report = (target: string, measured: string, ratio: number, goal: number, higherIsBetter = true) => {
  const met = higherIsBetter ? ratio >= goal : ratio < goal;
  targets.push({ target, measured, ratio, goal, met });
  console.log(`${met ? 'MET ' : 'MISS'} ${target}: ${measured}`);
};

const env = environment();
const startDgemm = await dgemmRate(size.samples, size.dgemmSize);
console.log(`tdakit benchmark harness${quick ? ' (quick: small sizes, targets are not meaningful)' : ''}`);
console.log(
  `BLAS ${env.blas}, ${env.threads} threads, OPENBLAS_CORETYPE=${env.OPENBLAS_CORETYPE}; load average ${env.loadAverage.map((l) => l.toFixed(2)).join(' ')}`,
);
console.log(
  `dgemm (${size.dgemmSize}^3): median ${startDgemm.median.toFixed(1)} GFLOP/s (min ${startDgemm.min.toFixed(1)})\n`,
);
const record: Record<string, unknown> = {
  date: new Date().toISOString(),
  quick,
  runs,
  environment: env,
  dgemmAtStart: startDgemm,
};

if (only.has('kernels')) {
  const kernels: KernelResult[] = [];
  for (const run of [
    () => daunceScoring(size.n, size.m, size.d, 10, size.samples, size.dgemmSize, quick ? 0.25 : 1),
    () => influenceTopK(size.n, size.m, size.d, 10, size.samples, size.dgemmSize, quick ? 0.25 : 1),
  ]) {
    const k = await run();
    kernels.push(k);
    report(
      `${k.kernel} at n = ${k.n}, d = ${k.d}, m = ${k.m}, top-${k.k}`,
      `${k.stats.meanSeconds.toFixed(3)} s ± ${k.stats.rmePercent.toFixed(1)}% (${k.stats.samples} samples), ${k.gflops.toFixed(1)} GFLOP/s = ` +
        `${(100 * k.fractionOfDgemm).toFixed(0)}% of dgemm ${k.dgemmGflops.toFixed(1)} GFLOP/s (goal 70%)`,
      k.fractionOfDgemm,
      0.7,
    );
  }
  record.kernels = kernels;
}

if (only.has('fit')) {
  const f = await fitTarget(size.fitN, size.fitD, 1, runs);
  record.fit = f;
  const t = f.tdakit;
  report(
    `fit at n = ${f.n}, d = ${f.d} vs numpy Newton`,
    `tdakit median ${t.stats.median.toFixed(2)} s (min ${t.stats.min.toFixed(2)}; ${t.newtonIterations} Newton + ${t.krylovSteps} Newton-Krylov steps, ` +
      `${t.hessianVectorProducts ?? 0} Hessian-vector products, ||grad|| ${t.gradientNorm.toExponential(2)}), numpy ${f.numpyNewton.stats.median.toFixed(2)} s ` +
      `(${f.numpyNewton.iterations} it, ||grad|| ${f.numpyNewton.gradientNorm.toExponential(2)}): ${f.speedupVsNumpy.toFixed(2)}x (goal 5x)`,
    f.speedupVsNumpy,
    5,
  );
  const sk = f.sklearnNewtonCholesky;
  const tighter = t.gradientNorm < sk.gradientNorm;
  report(
    `fit at n = ${f.n}, d = ${f.d} vs scikit-learn newton-cholesky`,
    `sklearn ${sk.version} median ${sk.stats.median.toFixed(2)} s (${sk.iterations} it, tol 1e-4, ||grad|| ${sk.gradientNorm.toExponential(2)} ` +
      `against tdakit's ${t.gradientNorm.toExponential(2)}${tighter ? ': tdakit tighter' : ': tdakit NOT tighter'}): ${f.speedupVsSklearn.toFixed(2)}x (goal > 1x)`,
    tighter ? f.speedupVsSklearn : 0,
    1.0000001,
  );
}

if (only.has('retrain') || only.has('rif')) {
  const spam = await loadSpamAssassin({
    vocabulary: size.spamWords,
    ...(size.spamRows ? { limit: size.spamRows } : {}),
  });
  if (only.has('retrain')) {
    const r = await retrainTargets(spam, 0.01, runs, size.subsets);
    record.retrain = r;
    for (const c of r.cases) {
      const goal = c.case.startsWith('LDS') ? 3 : 10;
      report(
        `retrain on spam (${r.n} x ${r.d}), ${c.case}`,
        `Newton-Krylov refit median ${c.krylov.median.toFixed(3)} s (||grad|| <= ${c.krylov.maxGradientNorm.toExponential(1)}), warm Newton ` +
          `${c.warmNewton.median.toFixed(3)} s (||grad|| <= ${c.warmNewton.maxGradientNorm.toExponential(1)}): ${c.speedup.toFixed(1)}x (goal ${goal}x)` +
          (c.numpyWarmNewton
            ? `; numpy warm Newton ${(c.numpyWarmNewton.seconds as number).toFixed(2)} s: ${c.speedupVsNumpy!.toFixed(1)}x`
            : ''),
        c.speedup,
        goal,
      );
    }
  }
  if (only.has('rif')) {
    const p = await rifProtocol(
      spam,
      size.rifSizes,
      values['rif-sample'] ? Number(values['rif-sample']) : undefined,
      values['rif-concurrency'] ? Number(values['rif-concurrency']) : availableParallelism(),
    );
    record.rif = p;
    const sampled =
      p.sizes < p.ofSizes
        ? ` (${p.sizes} of the ${p.ofSizes} sizes: ${p.wallSeconds.toFixed(1)} s, of which ${p.setupAndFirstSetSeconds.toFixed(1)} s fit and first set; ` +
          `projected with ${p.meanSetSeconds.toFixed(2)} s per further set)`
        : '';
    report(
      `RIF protocol on spam (${p.n} x ${p.d}), ${(p.retrains * p.ofSizes) / p.sizes} retrains, ${p.concurrency} at once`,
      `${p.projectedWallSeconds.toFixed(1)} s wall${sampled}, ${p.retrainSeconds.toFixed(1)} s in ${p.retrains} retrains (median ${p.retrainMedianSeconds!.toFixed(3)} s, ` +
        `max ${p.retrainMaxSeconds!.toFixed(2)} s) (goal < 60 s)`,
      p.projectedWallSeconds,
      60,
      false,
    );
  }
}

record.dgemmAtEnd = await dgemmRate(size.samples, size.dgemmSize);
record.loadAverageAtEnd = loadavg();
record.targets = targets;
const file = values.out ?? join(here, 'results', quick ? 'harness-quick.json' : 'harness.json');
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
console.log(`\n${targets.filter((t) => t.met).length} of ${targets.length} targets met; results in ${file}`);
