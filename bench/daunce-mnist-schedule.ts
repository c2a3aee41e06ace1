/**
 * Daunce on the MLP, 10-class MNIST (issue 17): LDS of the perturbed copies trained with the
 * cosine learning-rate decay (the default) against a constant rate, on identical draws (same
 * seeds), with the time per perturbed copy. Small configuration: 2,000 training digits,
 * 50 test queries, MLP 784-64-10 (5 epochs of Adam, lambda 1), K copies per run, ground truth
 * from retrains on half-subsets.
 *
 *   node --import tsx bench/daunce-mnist-schedule.ts [-- --K 50 --subsets 40 --seeds 2]
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { daunce, groundTruth, ldsFromScores, loadDataset, MultilayerPerceptron } from '../src/index.ts';
import { splitIndices } from '../src/protocols/rif/removal.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    K: { type: 'string', default: '50' },
    subsets: { type: 'string', default: '40' },
    seeds: { type: 'string', default: '2' },
  },
});
const K = Number(values.K),
  subsets = Number(values.subsets),
  drawSeeds = Number(values.seeds);
const load = loadavg()[0];

const mnist = await loadDataset('mnist');
const { trainIdx, testIdx } = splitIndices(mnist.X.rows, 0.2, 0);
const train = trainIdx.slice(0, 2000),
  test = testIdx.slice(0, 50);
const X = mnist.X.selectRows(train),
  y = train.map((i) => mnist.y[i]!);
const queries = { X: mnist.X.selectRows(test), y: test.map((i) => mnist.y[i]!) };
const model = await MultilayerPerceptron.fit(X, y, { hidden: [64], epochs: 5, lambda: 1 });

let t0 = performance.now();
const truth = await groundTruth({ model, queries, subsets, seeds: 1, target: 'loss' });
const groundTruthSeconds = (performance.now() - t0) / 1000;
console.log(`[ground truth] ${subsets} half-subset retrains: ${groundTruthSeconds.toFixed(1)} s`);

const runs: { seed: number; schedule: string; lds: number; standardError: number; secondsPerCopy: number }[] = [];
for (let seed = 0; seed < drawSeeds; seed++) {
  for (const schedule of ['constant', 'cosine'] as const) {
    t0 = performance.now();
    const r = await daunce({ model, queries, K, seed, training: { schedule } });
    const secondsPerCopy = (performance.now() - t0) / 1000 / K;
    const result = ldsFromScores(truth, await r.scores(), X.rows);
    runs.push({ seed, schedule, lds: result.mean, standardError: result.standardError, secondsPerCopy });
    console.log(
      `[daunce] seed ${seed}, ${schedule}: LDS ${result.mean.toFixed(3)} +- ${result.standardError.toFixed(3)}, ${(secondsPerCopy * 1e3).toFixed(1)} ms per copy`,
    );
  }
}
const gains = Array.from(
  { length: drawSeeds },
  (_, s) =>
    runs.find((r) => r.seed === s && r.schedule === 'cosine')!.lds -
    runs.find((r) => r.seed === s && r.schedule === 'constant')!.lds,
);
const meanGain = gains.reduce((a, b) => a + b, 0) / gains.length;
console.log(
  `[daunce] cosine - constant LDS on identical draws: ${gains.map((g) => g.toFixed(3)).join(', ')} (mean ${meanGain.toFixed(3)})`,
);
writeFileSync(
  join(here, 'results', 'daunce-mnist-schedule.json'),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      loadAverage1mAtStart: load,
      config: {
        dataset: 'mnist (10 classes)',
        train: 2000,
        queries: 50,
        architecture: '784-64-10',
        fit: { epochs: 5, optimizer: 'adam', lambda: 1 },
        K,
        subsets,
        groundTruthSeeds: 1,
        ratio: 0.3,
        variant: 'hessian',
      },
      groundTruthSeconds,
      runs,
      cosineMinusConstant: gains,
      meanCosineMinusConstant: meanGain,
    },
    null,
    2,
  ) + '\n',
);
