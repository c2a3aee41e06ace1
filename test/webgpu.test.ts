/**
 * The WebGPU kernels against the CPU float64 path on real data. On GPU-less machines this runs
 * on Mesa's llvmpipe (software) adapter; without any adapter the tests are skipped.
 * Tolerances (f32 with compensated sums): Daunce scores within 1e-5 of the float64 scores
 * relative to their largest magnitude; GLM margins/losses and MLP logits within 1e-5 relative (measured: about 5e-7).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  daunce,
  loadMnist,
  loadSpamAssassin,
  LogisticRegression,
  MultilayerPerceptron,
  RidgeRegression,
  selectBackend,
} from '../src/index.ts';
import { gpuContext } from '../src/backend/webgpu/device.ts';

const ctx = await gpuContext();
const skip = ctx ? false : 'no WebGPU adapter on this machine';

const relErr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let num = 0,
    den = 0;
  for (let k = 0; k < a.length; k++) {
    num = Math.max(num, Math.abs(a[k]! - b[k]!));
    den = Math.max(den, Math.abs(b[k]!));
  }
  return num / den;
};

test('backend selection: auto takes WebGPU only on hardware; webgpu takes any adapter and says which', {
  skip,
}, async () => {
  const auto = await selectBackend('auto');
  assert.equal(auto.name, ctx!.hardware ? 'webgpu' : 'cpu');
  const gpu = await selectBackend('webgpu');
  assert.equal(gpu.name, 'webgpu');
  assert.match(gpu.describe(), /webgpu \(.*(hardware|software) adapter/);
  await assert.rejects(selectBackend('tpu' as never), /unknown backend 'tpu'/);
});

test('Daunce scoring on WebGPU equals the float64 CPU scores (real data: spam bag-of-words)', { skip }, async () => {
  const data = await loadSpamAssassin({ vocabulary: 150, limit: 700 });
  const X = data.X.selectRows(Array.from({ length: 600 }, (_, i) => i)),
    y = data.y.subarray(0, 600);
  const q = Array.from({ length: 40 }, (_, j) => 600 + 2 * j);
  const model = await LogisticRegression.fit(X, y, { lambda: 1 });
  const queries = { X: data.X.selectRows(q), y: Float64Array.from(q, (i) => data.y[i]!) };
  const onCpu = await daunce({ model, queries, K: 30, seed: 4, backend: 'cpu' });
  const onGpu = await daunce({ model, queries, K: 30, seed: 4, backend: 'webgpu' });
  assert.equal(onCpu.backend, 'cpu');
  assert.equal(onGpu.backend, 'webgpu');
  for (const measure of ['covariance', 'correlation'] as const) {
    const a = await onCpu.scores(measure),
      b = await onGpu.scores(measure);
    assert.ok(relErr(b, a) < 1e-5, `${measure}: relative error ${relErr(b, a)}`);
    const ta = await onCpu.topK(5, measure),
      tb = await onGpu.topK(5, measure);
    assert.ok(relErr(tb.topValue, ta.topValue) < 1e-5 && relErr(tb.bottomValue, ta.bottomValue) < 1e-5);
    // The chosen examples agree wherever the float64 scores are not within the f32 tolerance of a tie.
    for (let j = 0; j < 40; j++) {
      const col = Array.from({ length: 600 }, (_, i) => a[i * 40 + j]!).sort((x, z) => z - x);
      if (col[4]! - col[5]! > 1e-3 * Math.abs(col[0]!)) {
        assert.deepEqual(
          new Set(tb.topIndex.subarray(j * 5, j * 5 + 5)),
          new Set(ta.topIndex.subarray(j * 5, j * 5 + 5)),
        );
      }
    }
  }
});

test('GLM margins, losses, slopes, curvatures and per-example gradients on WebGPU equal the CPU (logistic and ridge)', {
  skip,
}, async () => {
  const data = await loadSpamAssassin({ vocabulary: 300, limit: 500 });
  const gpu = await selectBackend('webgpu'),
    cpu = await selectBackend('cpu');
  for (const Model of [LogisticRegression, RidgeRegression]) {
    const model = await Model.fit(data.X, data.y, { lambda: 1 });
    const args = {
      x: data.X.data,
      n: data.X.rows,
      d: data.X.cols,
      intercept: true,
      family: (Model === LogisticRegression ? 'logistic' : 'squared') as 'logistic' | 'squared',
      theta: model.theta,
      y: data.y,
    };
    const a = await cpu.pointwise(args),
      b = await gpu.pointwise(args);
    for (const key of ['margin', 'loss', 'slope', 'curvature'] as const) {
      assert.ok(relErr(b[key]!, a[key]!) < 1e-5, `${Model.name} ${key}: ${relErr(b[key]!, a[key]!)}`);
    }
    // Per-example gradients (n x p), with a per-example penalty share as the offset.
    const offset = Float64Array.from({ length: model.nParameters }, (_, k) => 0.01 * k);
    const ga = await cpu.scaledRows({
      x: data.X.data,
      n: data.X.rows,
      d: data.X.cols,
      intercept: true,
      coef: a.slope!,
      offset,
    });
    const gb = await gpu.scaledRows({
      x: data.X.data,
      n: data.X.rows,
      d: data.X.cols,
      intercept: true,
      coef: a.slope!,
      offset,
    });
    assert.ok(relErr(gb, ga) < 1e-5, `${Model.name} gradients: ${relErr(gb, ga)}`);
  }
});

test('MLP forward pass on WebGPU equals the CPU (real 10-class MNIST)', { skip }, async () => {
  const mnist = await loadMnist();
  const idx = Array.from({ length: 600 }, (_, i) => i * 16);
  const X = mnist.X.selectRows(idx);
  const model = await MultilayerPerceptron.fit(
    X,
    idx.map((i) => mnist.y[i]!),
    { hidden: [32, 16], epochs: 3 },
  );
  const gpu = await selectBackend('webgpu'),
    cpu = await selectBackend('cpu');
  const args = { ...model.architecture(), x: X.data, n: X.rows, theta: model.theta };
  const a = await cpu.mlpLogits(args),
    b = await gpu.mlpLogits(args);
  assert.ok(relErr(b, a) < 1e-5, `logits relative error ${relErr(b, a)}`);
});

test('a lost device gives a clear error, and the next request finds a device again', { skip }, async () => {
  const { LossCovariance } = await import('../src/index.ts');
  const acc = new LossCovariance(4, 2);
  for (let k = 0; k < 3; k++)
    acc.add(
      Float64Array.from([1, 2, 3, 4], (v) => v * (k + 1)),
      Float64Array.from([k, 2 * k]),
      k,
    );
  const gpu = await selectBackend('webgpu');
  (await gpuContext())!.device.destroy();
  await assert.rejects(acc.scores('covariance', gpu), /webgpu backend: covarianceScores failed .* use backend 'cpu'/);
  await new Promise((r) => setTimeout(r, 50)); // device.lost settles
  const again = await selectBackend('webgpu');
  const cpu = await acc.scores('covariance');
  assert.ok(relErr(await acc.scores('covariance', again), cpu) < 1e-5);
});
