/**
 * Predicted against actual removal effects for softmax regression on 10-class MNIST: the RIF
 * protocol (`benchmarkRemoval` with model 'softmax', what `tdakit bench rif --model softmax`
 * runs) on 7 x 7 pooled digits, subsampled to n training examples (80/20 split of n / 0.8
 * digits). Random, highest-loss and L2-cluster removals of 0.1% to 5% of n, each retrained
 * exactly; IF, RIF and NS against the retrain on the test loss and the self-loss.
 * Usage: node --import tsx bench/multiclass-rif.ts [--n 2000] [--lambda 1] [--sizes 12] [--out dir]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchmarkRemoval, defaultSizes, Influence, SoftmaxRegression } from '../src/index.ts';
import { loadMnist } from '../src/datasets/mnist.ts';
import { splitIndices } from '../src/protocols/rif/removal.ts';
import { sampleIndices, seededRandom } from '../src/random.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '2000' },
    lambda: { type: 'string', default: '1' },
    sizes: { type: 'string', default: '12' },
    out: { type: 'string', default: 'bench/results/rif-mnist-softmax' },
  },
});
const n = Number(values.n),
  lambda = Number(values.lambda),
  nSizes = Number(values.sizes);
const mnist = await loadMnist({ pool: 4 });
const keep = Array.from(sampleIndices(mnist.X.rows, Math.round(n / 0.8), seededRandom(7)));
const data = {
  name: `mnist-10-pool4-n${n}`,
  X: mnist.X.selectRows(keep),
  y: Float64Array.from(keep, (i) => mnist.y[i]!),
};
const out = join(values.out!, `lambda-${lambda}`);
const result = await benchmarkRemoval({
  data,
  model: 'softmax',
  lambda,
  sizes: defaultSizes(nSizes),
  strategies: ['random', 'highest-loss', 'l2-cluster'],
  metrics: ['test-loss', 'self-loss'],
  seed: 0,
  out,
});
// The leverage summaries of the protocol's fit (same split, same options).
const { trainIdx } = splitIndices(data.X.rows, 0.2, 0);
const model = await SoftmaxRegression.fit(
  data.X.selectRows(trainIdx),
  trainIdx.map((i) => data.y[i]!),
  { lambda, classes: 10 },
);
const inf = await Influence.of(model);
const lev = Array.from(inf.leverage).sort((a, b) => a - b);
const m = lev.length;
const retrainSeconds = result.records.filter((r) => r.metric === 'self-loss').reduce((s, r) => s + r.retrainSeconds, 0);
const lines = [
  `10-class MNIST, 7x7 pooled pixels: n = ${m}, lambda = ${lambda} (fixed), ${model.nParameters} parameters`,
  `largest leverage eigenvalue: median ${lev[Math.floor(m / 2)]!.toFixed(4)}, max ${lev[m - 1]!.toFixed(4)}; trace mean ${(inf.leverageTrace.reduce((a, b) => a + b, 0) / m).toFixed(4)}`,
  `${result.records.length / 2} removal sets (random, highest-loss, l2-cluster x ${nSizes} sizes 0.1%-5%), retrains ${retrainSeconds.toFixed(1)} s; run ${result.seconds.toFixed(1)} s`,
  '',
  'metric     method  slope   pearson  spearman  median-rel-err',
  ...result.summary
    .filter((r) => r.effect === 'nonlinear')
    .map(
      (r) =>
        `${r.metric.padEnd(10)} ${r.method.padEnd(6)} ${r.slope.toFixed(3).padStart(6)}  ${r.pearson.toFixed(4)}  ${r.spearman.toFixed(4)}    ${r.medianRelativeError.toFixed(3)}`,
    ),
];
console.log(lines.join('\n'));
await mkdir(values.out!, { recursive: true });
await writeFile(join(values.out!, `summary-lambda-${lambda}.txt`), lines.join('\n') + '\n');
