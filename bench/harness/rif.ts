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
 * its 40 removal sizes or on an evenly spaced sample of them (the time then projected to all 40).
 * @param data - the data (spam)
 * @param sizes - removal sizes (default: the protocol's 40)
 * @param sample - run only this many of the sizes, evenly spaced, and project the wall time
 * @returns wall time (measured and projected to the whole protocol), retrain time and counts
 */
export async function rifProtocol(data: LabelledData, sizes?: number[], sample?: number) {
  const all = sizes ?? defaultSizes();
  const run =
    sample && sample < all.length
      ? Array.from({ length: sample }, (_, j) => all[Math.floor(((j + 0.5) * all.length) / sample)]!)
      : all;
  const out = mkdtempSync(join(tmpdir(), 'tdakit-bench-rif-'));
  try {
    const t = performance.now();
    const result = await benchmarkRemoval({
      data,
      lambda: 1e-2,
      seed: 0,
      out,
      sizes: run,
      onProgress: (done, total) => {
        if (done % 8 === 0 || done === total)
          console.log(`  [rif] ${done}/${total} removal sets, ${((performance.now() - t) / 1000).toFixed(0)} s`);
      },
    });
    const wallSeconds = (performance.now() - t) / 1000;
    const sets = result.records.filter((r) => r.metric === result.records[0]!.metric);
    const seconds = sets.map((r) => r.retrainSeconds).sort((a, b) => a - b);
    const retrainSeconds = seconds.reduce((a, b) => a + b, 0);
    return {
      dataset: data.name,
      n: data.X.rows,
      d: data.X.cols,
      retrains: sets.length,
      sizes: run.length,
      ofSizes: all.length,
      wallSeconds,
      projectedWallSeconds: (wallSeconds * all.length) / run.length,
      retrainSeconds,
      retrainMedianSeconds: seconds[seconds.length >> 1],
      retrainMaxSeconds: seconds[seconds.length - 1],
      retrainIterations: sets.reduce((s, r) => s + r.retrainIterations, 0),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
