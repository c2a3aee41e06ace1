/**
 * Retrains without Hessian rebuilds (issue 14 item 2): on the SpamAssassin bag of words
 * (6,046 x 2,000, lambda = 0.01, the `bench rif --dataset spam` setting), exact refits after
 * removing 1% and 5% of the examples and LDS-style half-subset reweightings, timed as
 *   - krylov: model.refit (Newton-Krylov, preconditioned by the reference factor + Woodbury), and
 *   - newton: a Newton fit warm-started at the same optimum (a Hessian build per step: the refit
 *     path before this change, which fell back to Newton for these removals),
 * in the same run, min and median of --repeats runs each, both to the same tolerance.
 *
 *   node --import tsx bench/krylov-retrain.ts [--repeats 3] [--subsets 10]
 *
 * Results: stdout and bench/results/krylov-retrain.json (with the measured dgemm rate). The
 * machine may be shared: the ratio (same run, interleaved) is the figure to read.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LogisticRegression } from '../src/index.ts';
import { loadSpamAssassin } from '../src/datasets/spam.ts';
import { nativeAddon } from '../src/native.ts';
import { plainNewtonRefit } from './harness/newton-refit.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: { repeats: { type: 'string', default: '3' }, subsets: { type: 'string', default: '10' } },
});
const repeats = Number(values.repeats);
const subsets = Number(values.subsets);
const addon = nativeAddon();
const dgemm = await addon.dgemmRate({ size: 2048, reps: 3 });
const environment = {
  blas: addon.blasInfo().config.trim(),
  threads: addon.blasInfo().threads,
  OPENBLAS_CORETYPE: process.env.OPENBLAS_CORETYPE ?? '(unset)',
  dgemmGflops: dgemm,
  node: process.version,
};
console.log(`OPENBLAS_CORETYPE=${environment.OPENBLAS_CORETYPE}, measured dgemm ${dgemm.toFixed(1)} GFLOP/s`);

const { X, y } = await loadSpamAssassin({ vocabulary: 2000 });
const lambda = 0.01;
const model = await LogisticRegression.fit(X, y, { lambda });
await model.factorization();
console.log(`spam ${X.rows} x ${X.cols}, lambda ${lambda}: fit ||grad|| ${model.gradientNorm.toExponential(2)}`);

const now = (): number => performance.now() / 1000;
const stats = (t: number[]) => {
  const s = [...t].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, runs: t.length };
};

const newtonRetrain = (weights: Float64Array) => plainNewtonRefit(model, X, y, lambda, weights);

interface Case {
  name: string;
  weights: Float64Array[];
}
const cases: Case[] = [];
for (const fraction of [0.01, 0.05]) {
  const k = Math.round(fraction * X.rows);
  const w = new Float64Array(X.rows).fill(1);
  for (let j = 0; j < k; j++) w[Math.floor((j * X.rows) / k + 7) % X.rows] = 0;
  cases.push({ name: `remove ${fraction * 100}%`, weights: [w] });
}
const half: Float64Array[] = [];
for (let s = 0; s < subsets; s++) {
  let state = 1000 + s;
  const rnd = () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
  half.push(Float64Array.from({ length: X.rows }, () => (rnd() < 0.5 ? 1 : 0)));
}
cases.push({ name: `LDS ${subsets} half-subsets`, weights: half });

const results = [];
for (const c of cases) {
  const krylov: number[] = [],
    newton: number[] = [];
  let kd = {},
    nd = {};
  for (let r = 0; r < repeats; r++) {
    // Interleaved so that load on the shared machine hits both alike.
    let t = now();
    for (const w of c.weights) {
      const m = await model.refit({ weights: w }, { keepHessian: false });
      kd = m.diagnostics;
    }
    krylov.push(now() - t);
    t = now();
    for (const w of c.weights) {
      const f = await newtonRetrain(w);
      nd = {
        gradientNorm: f.gradientNorm,
        gradientScale: f.gradientScale,
        newtonIterations: f.newtonIterations,
        chordIterations: f.chordIterations,
      };
    }
    newton.push(now() - t);
  }
  const row = {
    case: c.name,
    krylov: stats(krylov),
    newton: stats(newton),
    speedup: stats(newton).median / stats(krylov).median,
    krylovDiagnostics: kd,
    newtonDiagnostics: nd,
  };
  results.push(row);
  console.log(
    `${c.name.padEnd(22)} krylov ${row.krylov.median.toFixed(3)} s (min ${row.krylov.min.toFixed(3)})  newton ${row.newton.median.toFixed(3)} s (min ${row.newton.min.toFixed(3)})  speed-up x${row.speedup.toFixed(1)}`,
  );
  console.log(`  krylov ${JSON.stringify(kd)}\n  newton ${JSON.stringify(nd)}`);
}
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(
  join(here, 'results', 'krylov-retrain.json'),
  JSON.stringify(
    {
      task: 'krylov-retrain',
      date: new Date().toISOString(),
      environment,
      note: 'shared 2-core machine (other jobs running): read the same-run ratios, not absolute times',
      results,
    },
    null,
    2,
  ) + '\n',
);
