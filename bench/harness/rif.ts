/**
 * The RIF protocol target of issue 14 (`bench rif --dataset spam`: 8 removal strategies x 40
 * sizes = 320 exact retrains): its wall time, and where the time goes (retrains against the rest).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchmarkRemoval } from '../../src/index.ts';
import { defaultSizes } from '../../src/protocols/rif/removal.ts';
import type { LabelledData } from '../../src/datasets/mnist.ts';

/**
 * Runs the protocol once from scratch (a fresh output folder: nothing resumed), on every one of
 * its 40 removal sizes or on an evenly spaced sample of them. A sample's time is projected to all
 * 40 as the measured wall time plus the mean time of a removal set (every set after the first,
 * whose time also holds the fit, the leverages and the IF scores that strategies use) for each
 * set not run: the once-per-run work is counted once, not once per sampled fraction.
 * @param data - the data (spam)
 * @param sizes - removal sizes (default: the protocol's 40)
 * @param sample - run only this many of the sizes, evenly spaced, and project the wall time
 * @param concurrency - removal sets processed at once (the protocol's `concurrency`); the mean
 *   time per set is then the interval between finished sets, i.e. the inverse of the throughput
 * @returns wall time (measured, and projected to the whole protocol), mean time per removal set, retrain time and counts
 */
export async function rifProtocol(data: LabelledData, sizes?: number[], sample?: number, concurrency = 1) {
  const all = sizes ?? defaultSizes();
  const run =
    sample && sample < all.length
      ? Array.from({ length: sample }, (_, j) => all[Math.floor(((j + 0.5) * all.length) / sample)]!)
      : all;
  const out = mkdtempSync(join(tmpdir(), 'tdakit-bench-rif-'));
  try {
    const t = performance.now();
    const finished: number[] = [];
    const result = await benchmarkRemoval({
      data,
      lambda: 1e-2,
      seed: 0,
      out,
      sizes: run,
      concurrency,
      onProgress: (done, total) => {
        finished.push(performance.now());
        if (done % 8 === 0 || done === total)
          console.log(`  [rif] ${done}/${total} removal sets, ${((performance.now() - t) / 1000).toFixed(0)} s`);
      },
    });
    const wallSeconds = (performance.now() - t) / 1000;
    const setSeconds =
      finished.length > 1
        ? (finished[finished.length - 1]! - finished[0]!) / 1000 / (finished.length - 1)
        : wallSeconds;
    const totalSets = (finished.length * all.length) / run.length;
    const sets = result.records.filter((r) => r.metric === result.records[0]!.metric);
    const seconds = sets.map((r) => r.retrainSeconds).sort((a, b) => a - b);
    const retrainSeconds = seconds.reduce((a, b) => a + b, 0);
    return {
      dataset: data.name,
      n: data.X.rows,
      d: data.X.cols,
      retrains: sets.length,
      sizes: run.length,
      concurrency,
      ofSizes: all.length,
      wallSeconds,
      setupAndFirstSetSeconds: (finished[0]! - t) / 1000,
      meanSetSeconds: setSeconds,
      projectedWallSeconds: wallSeconds + setSeconds * (totalSets - finished.length),
      retrainSeconds,
      retrainMedianSeconds: seconds[seconds.length >> 1],
      retrainMaxSeconds: seconds[seconds.length - 1],
      retrainIterations: sets.reduce((s, r) => s + r.retrainIterations, 0),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
