/**
 * Predicted against actual removal effects for softmax regression on 10-class MNIST (the RIF
 * paper's protocol, methods.md section 5, on a multiclass model): random, highest-loss and
 * L2-cluster removals of 0.1% to 5% of n, each retrained exactly; IF, RIF and NS against the
 * retrain on the test loss (50 highest-loss + 50 random test digits) and the self-loss.
 * Usage: node --import tsx bench/multiclass-rif.ts [--n 2000] [--lambda 1] [--sizes 12] [--out dir]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Influence, Matrix, Metric, SoftmaxRegression } from '../src/index.ts';
import { loadMnist } from '../src/datasets/mnist.ts';
import { seededRandom } from '../src/random.ts';
import { summarize } from '../src/protocols/rif/summary.ts';
import type { EstimateRecord } from '../src/protocols/rif/names.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '2000' }, lambda: { type: 'string', default: '1' }, sizes: { type: 'string', default: '12' }, out: { type: 'string', default: 'bench/results/rif-mnist-softmax' } } });
const n = Number(values.n), lambda = Number(values.lambda), nSizes = Number(values.sizes);
const mnist = await loadMnist();
const random = seededRandom(7);
const order = Array.from({ length: mnist.X.rows }, (_, i) => i);
for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
// 7 x 7 average-pooled pixels (49 features, 450 parameters with 9 free classes and intercepts).
const pool = (rows: number[]) => Matrix.fromArrays(rows.map((i) => {
  const img = mnist.X.row(i);
  return Array.from({ length: 49 }, (_, b) => {
    const br = Math.floor(b / 7) * 4, bc = (b % 7) * 4;
    let s = 0;
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) s += img[(br + r) * 28 + bc + c]!;
    return s / 16;
  });
}));
const trainIdx = order.slice(0, n), testIdx = order.slice(n, n + 1000);
const X = pool(trainIdx), y = Float64Array.from(trainIdx, (i) => mnist.y[i]!);
const Xt = pool(testIdx), yt = Float64Array.from(testIdx, (i) => mnist.y[i]!);
const t0 = performance.now();
const model = await SoftmaxRegression.fit(X, y, { lambda, classes: 10 });
const inf = await Influence.of(model);
const setup = (performance.now() - t0) / 1000;
const testLosses = await model.losses(Xt, yt);
const byLoss = Array.from(testLosses.keys()).sort((a, b) => testLosses[b]! - testLosses[a]!);
const chosen = [...byLoss.slice(0, 50), ...byLoss.slice(50).filter((_, k) => k % 19 === 0).slice(0, 50)];
const metrics = { 'test-loss': Metric.testLoss(Xt.selectRows(chosen), chosen.map((j) => yt[j]!)), 'self-loss': Metric.selfLoss() } as const;
const trainLosses = await model.losses(X, y);
const sizes = Array.from({ length: nSizes }, (_, s) => 0.001 * 50 ** (s / (nSizes - 1)));
const records: EstimateRecord[] = [];
let retrainSeconds = 0;
for (const strategy of ['random', 'highest-loss', 'l2-cluster'] as const) {
  for (const [s, fraction] of sizes.entries()) {
    const k = Math.max(1, Math.round(fraction * n));
    const r = seededRandom(1000 * s + strategy.length);
    let T: number[];
    if (strategy === 'random') T = order.slice(0, n).map((_, i) => i).sort(() => r() - 0.5).slice(0, k);
    else if (strategy === 'highest-loss') T = Array.from(trainLosses.keys()).sort((a, b) => trainLosses[b]! - trainLosses[a]!).slice(0, k);
    else {
      const centre = X.row(Math.floor(r() * n));
      const dist = Array.from({ length: n }, (_, i) => X.row(i).reduce((a, v, c) => a + (v - centre[c]!) ** 2, 0));
      T = Array.from(dist.keys()).sort((a, b) => dist[a]! - dist[b]!).slice(0, k);
    }
    const tr = performance.now();
    const delta = await inf.removalEffect(T, { method: 'retrain' });
    retrainSeconds += (performance.now() - tr) / 1000;
    for (const [metric, spec] of Object.entries(metrics)) {
      const actual = await inf.effectOfChange(delta, spec);
      const est = {} as Record<'if' | 'rif' | 'ns', { nonlinear: number; linear: number }>;
      for (const m of ['if', 'rif', 'ns'] as const) est[m] = await inf.effect(T, spec, { method: m });
      records.push({ metric: metric as EstimateRecord['metric'], actual, ...est } as EstimateRecord);
    }
  }
}
const rows = summarize(records).filter((r) => r.effect === 'nonlinear');
const lev = Array.from(inf.leverage).sort((a, b) => a - b);
const lines = [
  `10-class MNIST, 7x7 pooled pixels: n = ${n}, lambda = ${lambda} (fixed), ${model.nParameters} parameters; fit + influence setup ${setup.toFixed(2)} s`,
  `largest leverage eigenvalue: median ${lev[Math.floor(n / 2)]!.toFixed(4)}, max ${lev[n - 1]!.toFixed(4)}; trace mean ${(inf.leverageTrace.reduce((a, b) => a + b, 0) / n).toFixed(4)}`,
  `${records.length / 2} removal sets (random, highest-loss, l2-cluster x ${nSizes} sizes 0.1%-5%), retrains ${retrainSeconds.toFixed(1)} s`,
  '', 'metric     method  slope   pearson  spearman  median-rel-err',
  ...rows.map((r) => `${r.metric.padEnd(10)} ${r.method.padEnd(6)} ${r.slope.toFixed(3).padStart(6)}  ${r.pearson.toFixed(4)}  ${r.spearman.toFixed(4)}    ${r.medianRelativeError.toFixed(3)}`),
];
console.log(lines.join('\n'));
await mkdir(values.out!, { recursive: true });
await writeFile(join(values.out!, `summary-lambda-${lambda}.txt`), lines.join('\n') + '\n');
await writeFile(join(values.out!, `records-lambda-${lambda}.json`), JSON.stringify(records));
