// gamma, rho and the copies' training settings (docs/methods.md section 4): each changes the
// perturbed objective exactly as documented, checked against gradients and training steps
// recomputed here in plain JS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  daunce,
  drawPerturbation,
  LogisticRegression,
  Matrix,
  MultilayerPerceptron,
  SoftmaxRegression,
  type PerturbableModel,
} from '../src/index.ts';
import { perturbableFor } from '../src/daunce/registry.ts';
import { logisticData, maxAbsDiff, rng, rowOf, refPointwise, norm } from './helpers.ts';

const VARIANTS = ['hessian', 'fisher', 'trak'] as const;
const ACCESS = ['white-box', 'black-box'] as const;

/** Three classes from the signs of x_0 - 0.3 and x_1, features uniform in (-1, 1). */
function threeClasses(n: number, d: number, seed: number): { X: Matrix; y: Float64Array } {
  const r = rng(seed);
  const X = new Matrix(
    Float64Array.from({ length: n * d }, () => r() * 2 - 1),
    n,
    d,
  );
  const y = Float64Array.from({ length: n }, (_, i) => (X.get(i, 0) > 0.3 ? 2 : X.get(i, 1) > 0 ? 1 : 0));
  return { X, y };
}

/** A white-box copy trainer of `model` with the given settings (queries: the training data when not given). */
const copies = (
  model: Parameters<typeof perturbableFor>[0]['model'],
  queries: { X: Matrix; y: Float64Array },
  o: Partial<Omit<Parameters<typeof perturbableFor>[0], 'model' | 'queries'>> = {},
) => perturbableFor({ model, queries, variant: 'hessian', access: 'white-box', seed: 0, ...o });

/**
 * Gradient of the documented logistic objective at theta:
 * (1/|D|) sum_i [gamma D_i(theta) - rho (2 xi_i - 1) grad_i^T theta] + (lambda/(2n))||w||^2,
 * D_i = l_i - g_i^T theta (hessian), (l_i - l0_i)^2 / 2 (fisher), (f_i - f0_i)^2 / 2 (trak);
 * black-box: gamma times l_i, l_i^2 / 2, f_i^2 / 2.
 */
function logisticObjectiveGradient(
  X: Matrix,
  y: Float64Array,
  theta0: Float64Array,
  theta: Float64Array,
  lambda: number,
  subset: Uint32Array,
  xi: Float64Array,
  variant: string,
  access: string,
  gamma: number,
  rho: number,
): number[] {
  const n = X.rows,
    p = theta.length;
  const g = new Array<number>(p).fill(0);
  subset.forEach((i, j) => {
    const a = rowOf(X, i, true);
    const z = a.reduce((s, v, k) => s + v * theta[k]!, 0),
      z0 = a.reduce((s, v, k) => s + v * theta0[k]!, 0);
    const l = refPointwise('logistic', z, y[i]!),
      l0 = refPointwise('logistic', z0, y[i]!);
    const sgn = 2 * y[i]! - 1;
    const w = rho * (2 * xi[j]! - 1);
    const white = access === 'white-box';
    let dz: number; // d/dz of the example's objective
    if (variant === 'hessian') dz = gamma * (l.slope - (white ? l0.slope : 0)) - (white ? w * l0.slope : 0);
    else if (variant === 'fisher') dz = gamma * (l.loss - (white ? l0.loss : 0)) * l.slope - (white ? w * l0.slope : 0);
    else dz = gamma * (z - (white ? z0 : 0)) - (white ? w * sgn : 0); // f = sgn z, so (f - f0)^2 = (z - z0)^2
    for (const [k, v] of a.entries()) g[k]! += (dz * v) / subset.length;
  });
  for (let k = 0; k < p - 1; k++) g[k]! += (lambda / n) * theta[k]!;
  return g;
}

test('logistic: gamma and rho change the perturbed objective exactly as documented (its JS gradient vanishes)', async () => {
  // d = 5: Newton per copy; d = 2: 12 rows per parameter, preconditioned Newton-Krylov.
  for (const d of [5, 2]) {
    const { X, y } = logisticData(120, d, 21);
    const lambda = 2;
    const model = await LogisticRegression.fit(X, y, { lambda });
    const q = logisticData(3, d, 22);
    const p = drawPerturbation(120, 0.3, 5, 1);
    for (const variant of VARIANTS) {
      for (const access of ACCESS) {
        for (const [gamma, rho] of [
          [1, 1],
          [0.5, 1],
          [2, 0.25],
          [1, 0],
        ] as const) {
          const pm = copies(model, q, { variant, access, settings: { gamma, rho } });
          const theta = (await pm.train(p, { variant, access, ratio: 0.3, gamma, rho })) as Float64Array;
          const gradientAt = (g: number, r: number) =>
            logisticObjectiveGradient(X, y, model.theta, theta, lambda, p.subset, p.xi, variant, access, g, r);
          const grad = gradientAt(gamma, rho);
          assert.ok(
            norm(grad) < 1e-10,
            `d ${d} ${variant} ${access} gamma ${gamma} rho ${rho}: ||grad|| ${norm(grad)}`,
          );
          // The check can fail: the same point is not stationary for other settings (except
          // black-box trak, whose minimiser z = 0 is theta = 0 for every gamma).
          if (variant === 'trak' && access === 'black-box') continue;
          const other = gradientAt(gamma * 3, access === 'white-box' ? rho + 0.5 : rho);
          assert.ok(norm(other) > 1e-4, `${variant} ${access}: another gamma/rho is also stationary (${norm(other)})`);
        }
      }
    }
  }
});

test('defaults gamma = rho = 1 are the documented original objectives (l - 2 xi g, (l - l0)^2/2 - (2 xi - 1) g, ...) and leave the scores unchanged', async () => {
  const { X, y } = logisticData(90, 4, 31);
  const model = await LogisticRegression.fit(X, y, { lambda: 1 });
  const q = logisticData(4, 4, 32);
  const p = drawPerturbation(90, 0.3, 2, 3);
  for (const variant of VARIANTS) {
    const pm = copies(model, q, { variant });
    const theta = (await pm.train(p, { variant, access: 'white-box', ratio: 0.3 })) as Float64Array;
    // The paper's Table 1 written out without gamma and rho.
    const g = new Array<number>(5).fill(0);
    p.subset.forEach((i, j) => {
      const a = rowOf(X, i, true);
      const z = a.reduce((s, v, k) => s + v * theta[k]!, 0),
        z0 = a.reduce((s, v, k) => s + v * model.theta[k]!, 0);
      const l = refPointwise('logistic', z, y[i]!),
        l0 = refPointwise('logistic', z0, y[i]!);
      const xi = p.xi[j]!;
      const dz =
        variant === 'hessian'
          ? l.slope - 2 * xi * l0.slope
          : variant === 'fisher'
            ? (l.loss - l0.loss) * l.slope - (2 * xi - 1) * l0.slope
            : z - z0 - (2 * xi - 1) * (2 * y[i]! - 1);
      for (const [k, v] of a.entries()) g[k]! += (dz * v) / p.subset.length;
    });
    for (let k = 0; k < 4; k++) g[k]! += (1 / 90) * theta[k]!;
    assert.ok(norm(g) < 1e-10, `${variant}: ||grad|| ${norm(g)}`);
  }
  const queries = { X: q.X, y: q.y };
  const plain = await daunce({ model, queries, K: 6, seed: 4 });
  const explicit = await daunce({ model, queries, K: 6, seed: 4, gamma: 1, rho: 1 });
  assert.deepEqual(Array.from(await explicit.scores()), Array.from(await plain.scores()));
  const changed = await daunce({ model, queries, K: 6, seed: 4, gamma: 0.5 });
  assert.notDeepEqual(Array.from(await changed.scores()), Array.from(await plain.scores()));
});

test('softmax regression: gamma and rho enter as documented (the JS gradient of the objective vanishes)', async () => {
  const n = 60,
    d = 3,
    C = 3;
  const { X, y } = threeClasses(n, d, 41);
  const lambda = 1;
  const model = await SoftmaxRegression.fit(X, y, { lambda });
  const p = drawPerturbation(n, 0.4, 3, 0);
  const [gamma, rho] = [0.7, 0.4];
  const pm = copies(model, { X, y }, { settings: { gamma, rho } });
  const theta = (await pm.train(p, { variant: 'hessian', access: 'white-box', ratio: 0.4 })) as Float64Array;
  // Free logits z_c = theta_c^T [x, 1] for c < C - 1, the last is 0; blocks of d + 1.
  const logits = (t: ArrayLike<number>, i: number) => {
    const a = rowOf(X, i, true);
    return [...Array.from({ length: C - 1 }, (_, c) => a.reduce((s, v, k) => s + v * t[c * (d + 1) + k]!, 0)), 0];
  };
  const softmax = (z: number[]) => {
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  };
  const grad = new Array<number>(theta.length).fill(0);
  p.subset.forEach((i, j) => {
    const pr = softmax(logits(theta, i)),
      pr0 = softmax(logits(model.theta, i));
    const a = rowOf(X, i, true);
    for (let c = 0; c < C - 1; c++) {
      const dl = pr[c]! - (c === y[i] ? 1 : 0),
        dl0 = pr0[c]! - (c === y[i] ? 1 : 0);
      // gamma (l - grad l0^T z) - rho (2 xi - 1) grad l0^T z
      const dz = gamma * (dl - dl0) - rho * (2 * p.xi[j]! - 1) * dl0;
      for (const [k, v] of a.entries()) grad[c * (d + 1) + k]! += (dz * v) / p.subset.length;
    }
  });
  for (let c = 0; c < C - 1; c++)
    for (let k = 0; k < d; k++) grad[c * (d + 1) + k]! += (lambda / n) * theta[c * (d + 1) + k]!;
  assert.ok(norm(grad) < 1e-9, `||grad|| ${norm(grad)}`);
});

/**
 * Full-batch SGD with momentum on a network without hidden layers (softmax regression with W
 * column-major, then b) under the documented MLP objective and learning-rate schedule.
 */
function referenceTraining(
  X: Matrix,
  y: Float64Array,
  C: number,
  theta0: Float64Array,
  subset: Uint32Array,
  xi: Float64Array,
  variant: string,
  o: { gamma: number; rho: number; lr: number; momentum: number; epochs: number; cosine: boolean; penalty: number },
): Float64Array {
  const d = X.cols;
  const logitsOf = (t: Float64Array, i: number) =>
    Array.from({ length: C }, (_, c) => {
      let s = t[C * d + c]!;
      for (let k = 0; k < d; k++) s += t[k * C + c]! * X.get(i, k);
      return s;
    });
  const lse = (g: number[], skip = -1) => {
    const m = Math.max(...g.filter((_, c) => c !== skip));
    return m + Math.log(g.reduce((s, v, c) => (c === skip ? s : s + Math.exp(v - m)), 0));
  };
  const stats = (g: number[], yi: number) => {
    const all = lse(g),
      others = lse(g, yi);
    return {
      loss: all - g[yi]!,
      margin: g[yi]! - others,
      dLoss: g.map((v, c) => Math.exp(v - all) - (c === yi ? 1 : 0)),
      dMargin: g.map((v, c) => (c === yi ? 1 : -Math.exp(v - others))),
    };
  };
  const base = Array.from(subset, (i) => stats(logitsOf(theta0, i), y[i]!));
  const theta = theta0.slice();
  const velocity = new Float64Array(theta.length);
  const T = o.epochs; // one full batch per epoch
  for (let t = 0; t < T; t++) {
    const grad = new Float64Array(theta.length);
    subset.forEach((i, j) => {
      const s = stats(logitsOf(theta, i), y[i]!),
        s0 = base[j]!;
      const w = o.rho * (2 * xi[j]! - 1);
      const dg = Array.from({ length: C }, (_, c) => {
        if (variant === 'hessian') return o.gamma * (s.dLoss[c]! - s0.dLoss[c]!) - w * s0.dLoss[c]!;
        if (variant === 'fisher') return o.gamma * (s.loss - s0.loss) * s.dLoss[c]! - w * s0.dLoss[c]!;
        return o.gamma * (s.margin - s0.margin) * s.dMargin[c]! - w * s0.dMargin[c]!;
      });
      for (let c = 0; c < C; c++) {
        for (let k = 0; k < d; k++) grad[k * C + c]! += (dg[c]! * X.get(i, k)) / subset.length;
        grad[C * d + c]! += dg[c]! / subset.length;
      }
    });
    for (let k = 0; k < C * d; k++) grad[k]! += o.penalty * theta[k]!;
    const rate = o.cosine ? (o.lr * (1 + Math.cos((Math.PI * t) / T))) / 2 : o.lr;
    for (let k = 0; k < theta.length; k++) {
      velocity[k] = o.momentum * velocity[k]! + grad[k]!;
      theta[k]! -= rate * velocity[k]!;
    }
  }
  return theta;
}

test('MLP copies: training settings, the cosine schedule, gamma and rho match full-batch SGD written out in JS', async () => {
  const n = 40,
    d = 3,
    C = 3;
  const { X, y } = threeClasses(n, d, 51);
  const lambda = 0.5;
  // No hidden layer: the network is linear in its logits, so the JS reference stays small.
  const model = await MultilayerPerceptron.fit(X, y, {
    hidden: [],
    classes: C,
    epochs: 30,
    learningRate: 0.05,
    seed: 3,
    lambda,
  });
  const p = drawPerturbation(n, 0.5, 7, 2);
  const epochs = 12;
  const cases = [
    { variant: 'hessian', gamma: 1, rho: 1, cosine: true, momentum: 0.5 },
    { variant: 'hessian', gamma: 2, rho: 0.3, cosine: true, momentum: 0 },
    { variant: 'fisher', gamma: 0.5, rho: 1.5, cosine: false, momentum: 0.9 },
    { variant: 'trak', gamma: 3, rho: 0.7, cosine: true, momentum: 0.2 },
  ] as const;
  for (const c of cases) {
    const training = {
      optimizer: 'sgd',
      learningRate: 0.2,
      schedule: c.cosine ? 'cosine' : 'constant',
      epochs,
      batchSize: n,
      momentum: c.momentum,
    } as const;
    const pm = copies(model, { X, y }, { variant: c.variant, settings: { gamma: c.gamma, rho: c.rho }, training });
    const theta = (await pm.train(p, { variant: c.variant, access: 'white-box', ratio: 0.5 })) as Float64Array;
    const o = {
      gamma: c.gamma,
      rho: c.rho,
      lr: 0.2,
      momentum: c.momentum,
      epochs,
      cosine: c.cosine,
      penalty: lambda / n,
    };
    const expected = referenceTraining(X, y, C, model.theta, p.subset, p.xi, c.variant, o);
    const err = maxAbsDiff(theta, expected);
    assert.ok(err < 1e-12, `${JSON.stringify(c)}: max |theta - reference| ${err}`);
    // The check can fail: the other schedule, or another gamma, lands elsewhere.
    const otherSchedule = referenceTraining(X, y, C, model.theta, p.subset, p.xi, c.variant, {
      ...o,
      cosine: !c.cosine,
    });
    assert.ok(maxAbsDiff(theta, otherSchedule) > 1e-6, `${c.variant}: schedule has no effect`);
    const otherGamma = referenceTraining(X, y, C, model.theta, p.subset, p.xi, c.variant, {
      ...o,
      gamma: c.gamma * 1.5,
    });
    assert.ok(maxAbsDiff(theta, otherGamma) > 1e-6, `${c.variant}: gamma has no effect`);
  }
  // The default schedule of the MLP's copies is cosine.
  const sgd = { optimizer: 'sgd', learningRate: 0.2, epochs, batchSize: n, momentum: 0 } as const;
  const trained = async (training: NonNullable<Parameters<typeof perturbableFor>[0]['training']>) =>
    Array.from(
      (await copies(model, { X, y }, { training }).train(p, {
        variant: 'hessian',
        access: 'white-box',
        ratio: 0.5,
      })) as Float64Array,
    );
  assert.deepEqual(await trained(sgd), await trained({ ...sgd, schedule: 'cosine' }));
});

test('external models receive gamma, rho and the training settings; checkpoints record non-default settings', async () => {
  const seen: unknown[] = [];
  const ext: PerturbableModel<number> = {
    async train(p, objective) {
      seen.push(objective);
      return p.k;
    },
    async losses(k, which) {
      return Float64Array.from({ length: which === 'train' ? 5 : 2 }, (_, i) => Math.sin(k + i));
    },
  };
  const training = {
    optimizer: 'sgd',
    learningRate: 0.1,
    schedule: 'cosine',
    epochs: 3,
    batchSize: 8,
    momentum: 0.9,
  } as const;
  const dir = mkdtempSync(join(tmpdir(), 'tdakit-daunce-settings-'));
  await daunce({
    model: ext,
    train: { n: 5 },
    queries: { m: 2 },
    K: 3,
    gamma: 0.5,
    rho: 0.2,
    training,
    checkpointDir: dir,
  });
  assert.equal(seen.length, 3);
  for (const o of seen)
    assert.deepEqual(o, { variant: 'hessian', access: 'white-box', ratio: 0.3, gamma: 0.5, rho: 0.2, training });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(config.gamma, 0.5);
  assert.deepEqual(config.training, training);
  await assert.rejects(
    daunce({ model: ext, train: { n: 5 }, queries: { m: 2 }, K: 3, gamma: 0.25, checkpointDir: dir }),
    /other data or options/,
  );
});

test('bad gamma, rho and training settings are refused with the argument named', async () => {
  const { X, y } = logisticData(30, 3, 61);
  const model = await LogisticRegression.fit(X, y, { lambda: 1 });
  const queries = { X, y };
  await assert.rejects(daunce({ model, queries, K: 2, gamma: 0 }), /gamma must be > 0/);
  await assert.rejects(daunce({ model, queries, K: 2, gamma: Number.NaN }), /gamma/);
  await assert.rejects(daunce({ model, queries, K: 2, rho: -1 }), /rho/);
  await assert.rejects(
    daunce({ model, queries, K: 2, training: { epochs: 3 } }),
    /training applies to copies trained by minibatches/,
  );
  const ext: PerturbableModel<number> = {
    train: async () => 0,
    losses: async (_, w) => new Float64Array(w === 'train' ? 4 : 1),
  };
  const bad = (training: unknown) =>
    daunce({ model: ext, train: { n: 4 }, queries: { m: 1 }, K: 2, training: training as never });
  await assert.rejects(bad({ schedule: 'linear' }), /training.schedule must be 'constant' or 'cosine'/);
  await assert.rejects(bad({ optimizer: 'rmsprop' }), /training.optimizer/);
  await assert.rejects(bad({ learningRate: 0 }), /training.learningRate/);
  await assert.rejects(bad({ epochs: 1.5 }), /training.epochs/);
  await assert.rejects(bad({ momentum: 2 }), /training.momentum/);
  await assert.rejects(bad({ lr: 0.1 }), /training.lr is not an option/);
});

test('GLM copies: a batch on the native thread pool equals the copies trained one at a time, bit for bit', async () => {
  // d = 12: 120 rows per copy for 13 parameters (Newton); d = 3: 30 rows per parameter
  // (Newton-Krylov preconditioned by the reference factorisation).
  for (const [d, lambda] of [
    [12, 1],
    [12, 30],
    [3, 1],
  ] as const) {
    const { X, y } = logisticData(400, d, 71);
    const q = logisticData(7, d, 72);
    const model = await LogisticRegression.fit(X, y, { lambda });
    for (const variant of VARIANTS) {
      for (const access of ACCESS) {
        const pm = copies(model, q, { variant, access, settings: { gamma: 1.5, rho: 0.8 } });
        const ps = Array.from({ length: 9 }, (_, k) => drawPerturbation(400, 0.3, 13, k));
        const objective = { variant, access, ratio: 0.3 };
        const batch = await pm.trainBatch!(ps, objective);
        for (const [k, p] of ps.entries()) {
          const alone = await pm.train(p, objective);
          assert.deepEqual(
            Array.from(batch[k] as Float64Array),
            Array.from(alone as Float64Array),
            `${variant} ${access} d ${d} lambda ${lambda}: copy ${k}`,
          );
          assert.deepEqual(Array.from(await pm.losses(batch[k], 'train')), Array.from(await pm.losses(alone, 'train')));
          assert.deepEqual(
            Array.from(await pm.losses(batch[k], 'queries')),
            Array.from(await pm.losses(alone, 'queries')),
          );
        }
      }
    }
  }
  const { X, y } = logisticData(400, 12, 71);
  const q = logisticData(7, 12, 72);
  // Through daunce: checkpoints of a batched run hold the same bits as the one-copy-per-call runner.
  const model = await LogisticRegression.fit(X, y, { lambda: 3 });
  const queries = { X: q.X, y: q.y };
  const batched = await daunce({ model, queries, K: 40, seed: 9 });
  const pm = perturbableFor({ model, queries, variant: 'hessian', access: 'white-box', seed: 9 });
  const single: PerturbableModel = { train: (p, o) => pm.train(p, o), losses: (h, w) => pm.losses(h, w) };
  const alone = await daunce({ model: single, train: { n: 400 }, queries: { m: 7 }, K: 40, seed: 9 });
  assert.deepEqual(Array.from(await batched.scores('covariance')), Array.from(await alone.scores('covariance')));
});
