/**
 * Speed of the IF-vs-RIF benchmark protocol (issue 4): tdakit's time per exact retrain and in
 * total, against the same protocol driven by scipy's L-BFGS-B retrains (the RIF paper's
 * method), measured on a stratified sample of the same removal sets and projected to all.
 *
 *   npm run bench:rif                 # spam bag-of-words (6,046 emails, 2,000 words), default protocol
 *   npm run bench:rif -- --sample 24
 *
 * Reuses (resumes) the records in bench/results/rif-spam when the protocol already ran there.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchmarkRemoval, loadDataset, LogisticRegression, writeNpy } from '../src/index.ts';
import { splitIndices } from '../src/protocols/rif/removal.ts';
import { nativeAddon } from '../src/native.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    sample: { type: 'string', default: '16' },
    out: { type: 'string', default: join(here, 'results', 'rif-spam') },
  },
});
const lambda = 1e-2,
  seed = 0;
const data = await loadDataset('spam');
const t0 = performance.now();
const result = await benchmarkRemoval({ data, lambda, seed, out: values.out });
const wall = (performance.now() - t0) / 1000;
const sets = result.records.filter((r) => r.metric === result.records[0]!.metric);
const seconds = sets.map((r) => r.retrainSeconds).sort((a, b) => a - b);
const total = seconds.reduce((a, b) => a + b, 0);

// Stratified sample over strategies and sizes for scipy.
const sample = Number(values.sample);
const step = sets.length / sample;
const chosen = Array.from({ length: sample }, (_, j) => sets[Math.floor(j * step)]!);
const tmp = mkdtempSync(join(tmpdir(), 'tdakit-rif-bench-'));
const { trainIdx } = splitIndices(data.X.rows, 0.2, seed);
const X = data.X.selectRows(trainIdx),
  y = Float64Array.from(trainIdx, (i) => data.y[i]!);
const model = await LogisticRegression.fit(X, y, { lambda });
await writeNpy(join(tmp, 'X.npy'), X.data, [X.rows, X.cols]);
await writeNpy(join(tmp, 'y.npy'), y, [y.length]);
await writeNpy(join(tmp, 'theta.npy'), model.theta, [model.nParameters]);
// scipy is asked for the same gradient norm tdakit reaches (it usually stops far above it).
const ref = JSON.parse(
  execFileSync(
    'python3',
    [
      join(here, 'reference', 'glm_reference.py'),
      'retrain-many',
      tmp,
      JSON.stringify({ lambda, gtol: 1e-9, sets: chosen.map((r) => r.removed) }),
    ],
    { maxBuffer: 1 << 26 },
  ).toString(),
) as { retrains: { seconds: number; gradientNorm: number }[] };
rmSync(tmp, { recursive: true, force: true });
const scipyMean = ref.retrains.reduce((s, r) => s + r.seconds, 0) / ref.retrains.length;
const oursOnSample = chosen.reduce((s, r) => s + r.retrainSeconds, 0) / chosen.length;
const scipyGrad = ref.retrains.map((r) => r.gradientNorm).sort((a, b) => a - b);
const record = {
  date: new Date().toISOString(),
  dataset: data.name,
  train: X.rows,
  features: X.cols,
  retrains: sets.length,
  blas: nativeAddon().blasInfo().config.trim(),
  tdakit: {
    wallSecondsThisRun: wall,
    retrainSecondsTotal: total,
    retrainSecondsMean: total / sets.length,
    retrainSecondsMedian: seconds[Math.floor(seconds.length / 2)],
    meanOnSample: oursOnSample,
  },
  scipyLbfgsb: {
    sample: chosen.length,
    meanSeconds: scipyMean,
    projectedTotalSeconds: scipyMean * sets.length,
    medianGradientNorm: scipyGrad[Math.floor(scipyGrad.length / 2)],
  },
  speedupPerRetrain: scipyMean / oursOnSample,
};
writeFileSync(join(here, 'results', 'rif-protocol.json'), JSON.stringify(record, null, 2) + '\n');
console.log(`${data.name}: ${X.rows} x ${X.cols}, ${sets.length} removal sets`);
console.log(
  `tdakit: ${total.toFixed(1)} s in exact retrains (mean ${(total / sets.length).toFixed(3)} s, median ${record.tdakit.retrainSecondsMedian!.toFixed(3)} s); this run's wall time ${wall.toFixed(1)} s`,
);
console.log(
  `scipy L-BFGS-B on ${chosen.length} of the same sets: mean ${scipyMean.toFixed(3)} s (median ||grad|| ${record.scipyLbfgsb.medianGradientNorm!.toExponential(1)}), ` +
    `projected ${(scipyMean * sets.length).toFixed(0)} s for the protocol; ${record.speedupPerRetrain.toFixed(1)}x per retrain`,
);
