/**
 * Softmax LDS ground truth without Hessian rebuilds (issue 14 item 2): half-subset retrains of
 * softmax regression on 10-class MNIST (7 x 7 pooled, 49 features, 450 parameters), warm-started
 * at the full-data optimum as `SoftmaxRegression.retrain` does, timed as
 *   - krylov: Newton-Krylov steps on the softmax Hessian-vector products (the default), and
 *   - newton: plain Newton with chord steps (krylovSteps off: a (C-1)p square Hessian build per
 *     Newton step, the path before this change),
 * interleaved subset by subset in one run (alternating which goes first), both to the fit's
 * tolerance. Per n: the time of all retrains of each path, their ratio, the largest relative
 * difference between the two thetas and the largest ||grad|| / gradientScale.
 *
 *   node --import tsx bench/softmax-retrain.ts [--n 1000,8000] [--subsets 20] [--lambda 1]
 *
 * Results: stdout and bench/results/softmax-retrain.json (with the load average). The machine
 * may be shared: the ratio (same run, interleaved) is the figure to read.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SoftmaxRegression } from '../src/index.ts';
import { loadMnist } from '../src/datasets/mnist.ts';
import { nativeAddon } from '../src/native.ts';
import { sampleIndices, seededRandom } from '../src/random.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000,8000' },
    subsets: { type: 'string', default: '20' },
    lambda: { type: 'string', default: '1' },
  },
});
const sizes = values.n!.split(',').map(Number);
const subsets = Number(values.subsets);
const lambda = Number(values.lambda);
const addon = nativeAddon();
const mnist = await loadMnist({ pool: 4 });
const now = (): number => performance.now() / 1000;
const loadBefore = loadavg();
const cases = [];
for (const n of sizes) {
  const keep = Array.from(sampleIndices(mnist.X.rows, n, seededRandom(7)));
  const X = mnist.X.selectRows(keep);
  const y = Float64Array.from(keep, (i) => mnist.y[i]!);
  const model = await SoftmaxRegression.fit(X, y, { lambda, classes: 10 });
  const design = model.design(X);
  const random = seededRandom(11);
  const seconds = { krylov: 0, newton: 0 };
  const each = { krylov: [] as number[], newton: [] as number[] };
  const iterations = { krylov: [] as unknown[], newton: [] as unknown[] };
  let maxDiff = 0,
    maxRelGrad = 0;
  for (let s = 0; s < subsets; ++s) {
    const weights = new Float64Array(n);
    for (const i of sampleIndices(n, n / 2, random)) weights[i] = 1;
    const run = async (krylovSteps: boolean) => {
      const t0 = now();
      const r = await addon.multinomialFit({
        ...design,
        classes: 10,
        y,
        weights,
        lambda,
        tol: model.options.tol,
        maxIter: model.options.maxIter,
        keepHessian: false,
        theta0: model.theta,
        krylovSteps,
      });
      seconds[krylovSteps ? 'krylov' : 'newton'] += now() - t0;
      each[krylovSteps ? 'krylov' : 'newton'].push(now() - t0);
      iterations[krylovSteps ? 'krylov' : 'newton'].push({
        newton: r.newtonIterations,
        chord: r.chordIterations,
        products: r.krylovIterations,
      });
      maxRelGrad = Math.max(maxRelGrad, r.gradientNorm / r.gradientScale);
      return r.theta;
    };
    const [a, b] = s % 2 === 0 ? [await run(false), await run(true)] : [await run(true), await run(false)].reverse();
    let top = 0,
      diff = 0;
    for (let k = 0; k < a!.length; ++k) {
      top = Math.max(top, Math.abs(a![k]!));
      diff = Math.max(diff, Math.abs(a![k]! - b![k]!));
    }
    maxDiff = Math.max(maxDiff, diff / top);
  }
  const ratio = seconds.newton / seconds.krylov;
  const median = (t: number[]) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
  const perRetrain = {
    newton: { min: Math.min(...each.newton), median: median(each.newton) },
    krylov: { min: Math.min(...each.krylov), median: median(each.krylov) },
  };
  const medianRatio = perRetrain.newton.median / perRetrain.krylov.median;
  console.log(
    `n ${n} (${n / 2}-row subsets), ${subsets} retrains: newton ${seconds.newton.toFixed(2)} s, krylov ${seconds.krylov.toFixed(2)} s, ` +
      `${ratio.toFixed(1)}x (median per retrain ${(perRetrain.newton.median * 1e3).toFixed(1)} / ${(perRetrain.krylov.median * 1e3).toFixed(1)} ms, ${medianRatio.toFixed(1)}x); max |dtheta|/|theta| ${maxDiff.toExponential(1)}, max ||grad||/scale ${maxRelGrad.toExponential(1)}`,
  );
  console.log(
    `  iterations (first subset): newton ${JSON.stringify(iterations.newton[0])}, krylov ${JSON.stringify(iterations.krylov[0])}`,
  );
  cases.push({
    n,
    subsetRows: n / 2,
    subsets,
    lambda,
    seconds,
    ratio,
    perRetrain,
    medianRatio,
    maxThetaRelativeDifference: maxDiff,
    maxGradientOverScale: maxRelGrad,
    iterationsFirstSubset: { newton: iterations.newton[0], krylov: iterations.krylov[0] },
  });
}
const result = {
  date: new Date().toISOString(),
  data: 'MNIST 10 classes, 4 x 4 average-pooled (49 features + intercept, 9 x 50 = 450 parameters)',
  loadAverage: { before: loadBefore, after: loadavg() },
  blasThreads: addon.blasInfo().threads,
  cases,
};
writeFileSync(join(here, 'results', 'softmax-retrain.json'), `${JSON.stringify(result, null, 2)}\n`);
