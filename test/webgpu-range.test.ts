/**
 * Issue 16 item 11: the f32 WebGPU covariance kernel on losses far outside f32's comfortable
 * range (near 1e20, where products overflow, and near 1e-25, where they underflow) agrees
 * with the float64 CPU scores. Skipped without a WebGPU adapter (llvmpipe counts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LossCovariance, selectBackend } from '../src/index.ts';
import { gpuContext } from '../src/backend/webgpu/device.ts';

const ctx = await gpuContext();
const skip = ctx ? false : 'no WebGPU adapter on this machine';

/** Max |a - b| over max |b| (the README's tolerance measure), and whether b is non-trivial. */
const relErr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let num = 0,
    den = 0;
  for (let k = 0; k < a.length; k++) {
    num = Math.max(num, Math.abs(a[k]! - b[k]!));
    den = Math.max(den, Math.abs(b[k]!));
  }
  return { err: num / den, largest: den };
};

function accumulator(n: number, m: number, K: number, trainScale: number, queryScale: number): LossCovariance {
  const acc = new LossCovariance(n, m, K);
  for (let k = 0; k < K; k++) {
    const t = Float64Array.from({ length: n }, (_, i) => trainScale * (2 + Math.sin(1.3 * i + 0.7 * k * k)));
    const q = Float64Array.from({ length: m }, (_, j) => queryScale * (2 + Math.cos(0.9 * j + 1.1 * k)));
    acc.add(t, q, k);
  }
  return acc;
}

test('WebGPU covariance scores match float64 for losses near 1e20 and 1e-25 (no f32 overflow or underflow)', {
  skip,
}, async () => {
  const gpu = await selectBackend('webgpu');
  const cpu = await selectBackend('cpu');
  for (const [ts, qs] of [
    [1e20, 1e20],
    [1e-25, 1e-25],
    [1e20, 1e-25],
    [1, 1],
  ] as const) {
    const acc = accumulator(300, 7, 20, ts, qs);
    for (const measure of ['covariance', 'correlation'] as const) {
      const want = await acc.scores(measure, cpu);
      const got = await acc.scores(measure, gpu);
      assert.ok(got.every(Number.isFinite), `${ts}/${qs} ${measure}: non-finite GPU scores`);
      const { err, largest } = relErr(got, want);
      assert.ok(largest > 0);
      assert.ok(err < 1e-5, `${ts}/${qs} ${measure}: relative error ${err}`);
    }
    // Top-k ranks by the unscaled values.
    const topCpu = await acc.topK(5, 'covariance', cpu);
    const topGpu = await acc.topK(5, 'covariance', gpu);
    const topErr = relErr(topGpu.topValue, topCpu.topValue).err;
    assert.ok(
      topErr < 1e-5,
      `${ts}/${qs} top-k: relative error ${topErr} ${topGpu.topValue.slice(0, 5)} vs ${topCpu.topValue.slice(0, 5)}`,
    );
  }
});

test('CPU: correlation is scale-free and covariance scales by the product, also for losses near 1e-25 and 1e20', async () => {
  const cpu = await selectBackend('cpu');
  const unit = accumulator(120, 4, 12, 1, 1);
  const corr = await unit.scores('correlation', cpu);
  const cov = await unit.scores('covariance', cpu);
  for (const [ts, qs] of [
    [1e20, 1e20],
    [1e-25, 1e-25],
    [1e20, 1e-25],
  ] as const) {
    const scaled = accumulator(120, 4, 12, ts, qs);
    assert.deepEqual(
      scaled.zeroVariance(),
      { train: [], queries: [] },
      `${ts}/${qs}: varying losses are not zero-variance`,
    );
    assert.ok(relErr(await scaled.scores('correlation', cpu), corr).err < 1e-12);
    const c = await scaled.scores('covariance', cpu);
    assert.ok(
      relErr(
        c.map((v) => v / ts / qs),
        cov,
      ).err < 1e-12,
    );
  }
});
