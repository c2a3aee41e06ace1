/**
 * The RIF protocol target of issue 14 (`bench rif --dataset spam`: 8 removal strategies x 40
 * sizes = 320 exact retrains): its wall time, and where the time goes (retrains against the rest).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchmarkRemoval } from '../../src/index.ts';
import type { LabelledData } from '../../src/datasets/mnist.ts';

/**
 * Runs the protocol once from scratch (a fresh output folder: nothing resumed).
 * @param data - the data (spam)
 * @param sizes - removal sizes (default: the protocol's 40)
 * @returns wall time, retrain time and retrain counts
 */
export async function rifProtocol(data: LabelledData, sizes?: number[]) {
  const out = mkdtempSync(join(tmpdir(), 'tdakit-bench-rif-'));
  try {
    const t = performance.now();
    const result = await benchmarkRemoval({ data, lambda: 1e-2, seed: 0, out, ...(sizes ? { sizes } : {}) });
    const wallSeconds = (performance.now() - t) / 1000;
    const sets = result.records.filter((r) => r.metric === result.records[0]!.metric);
    const seconds = sets.map((r) => r.retrainSeconds).sort((a, b) => a - b);
    const retrainSeconds = seconds.reduce((a, b) => a + b, 0);
    return {
      dataset: data.name, n: data.X.rows, d: data.X.cols, retrains: sets.length, wallSeconds, retrainSeconds,
      retrainMedianSeconds: seconds[seconds.length >> 1], retrainMaxSeconds: seconds[seconds.length - 1],
      retrainIterations: sets.reduce((s, r) => s + r.retrainIterations, 0),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
