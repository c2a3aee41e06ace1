import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MultilayerPerceptron, Matrix, daunce, loadMnist, drawPerturbation } from '../src/index.ts';
import { mlpPerturbable } from '../src/daunce/mlp-perturbable.ts';
import { rng } from './helpers.ts';
import { jsLoss, jsMargin, tinyData } from './mlp-reference.ts';

test('MLP: losses match a plain-JS forward pass; per-example gradients match finite differences', async () => {
  const { X, y } = tinyData(8, 4, 3, 1);
  const model = await MultilayerPerceptron.fit(X, y, { hidden: [5, 4], classes: 3, epochs: 3, batchSize: 4, seed: 3 });
  const sizes = [4, 5, 4, 3];
  const losses = await model.losses(X, y);
  for (let i = 0; i < 8; i++) assert.ok(Math.abs(losses[i]! - jsLoss(model.theta, sizes, X.row(i), y[i]!)) < 1e-12);
  const G = await model.gradients(X, y);
  const h = 1e-6;
  for (let i = 0; i < 8; i += 3) {
    for (let k = 0; k < model.nParameters; k += 3) {
      const tp = model.theta.slice();
      tp[k]! += h;
      const tm = model.theta.slice();
      tm[k]! -= h;
      const fd = (jsLoss(tp, sizes, X.row(i), y[i]!) - jsLoss(tm, sizes, X.row(i), y[i]!)) / (2 * h);
      assert.ok(
        Math.abs(fd - G.get(i, k)) < 1e-6 * (1 + Math.abs(fd)),
        `example ${i}, parameter ${k}: ${G.get(i, k)} vs FD ${fd}`,
      );
    }
  }
});

test('MLP on real 10-class MNIST learns (held-out accuracy) and is reproducible from its seed', async () => {
  const data = await loadMnist();
  const r = rng(2);
  const idx = Array.from({ length: data.X.rows }, (_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  const train = idx.slice(0, 2000),
    test_ = idx.slice(2000, 2500);
  const X = data.X.selectRows(train),
    y = train.map((i) => data.y[i]!);
  const opts = { hidden: [64], epochs: 8, batchSize: 64, learningRate: 2e-3, seed: 4 };
  const model = await MultilayerPerceptron.fit(X, y, opts);
  const pred = await model.predict(data.X.selectRows(test_));
  const acc = pred.filter((v, k) => v === data.y[test_[k]!]).length / test_.length;
  assert.ok(acc > 0.85, `held-out accuracy ${acc}`);
  const again = await MultilayerPerceptron.fit(X, y, opts);
  assert.deepEqual(Array.from(again.theta), Array.from(model.theta));
});

test('Daunce on the MLP: first-order terms in logit space give the expected first SGD step', async () => {
  const { X, y } = tinyData(20, 4, 3, 5);
  const size = Math.ceil(0.3 * 20);
  // One epoch of full-batch plain SGD from theta_0: theta_1 = theta_0 - lr grad Phi(theta_0).
  const model = await MultilayerPerceptron.fit(X, y, {
    hidden: [6],
    classes: 3,
    epochs: 2,
    batchSize: size,
    optimizer: 'sgd',
    momentum: 0,
    learningRate: 0.05,
    lambda: 0.3,
    seed: 1,
  });
  const G = await model.gradients(X, y);
  const p = drawPerturbation(20, 0.3, 9, 0);
  for (const variant of ['hessian', 'fisher', 'trak'] as const) {
    const pm = mlpPerturbable({
      model: Object.assign(Object.create(Object.getPrototypeOf(model)), model, {
        options: { ...model.options, epochs: 1 },
      }),
      queries: { X, y },
      variant,
      access: 'white-box',
      seed: 0,
    });
    const theta1 = await pm.train(p, { variant, access: 'white-box', ratio: 0.3 });
    if (variant === 'trak') {
      assert.ok(theta1.every(Number.isFinite));
      continue;
    }
    // hessian: grad phi_i(theta_0) = (1 - 2 xi_i) g_i; fisher: the squared term vanishes at theta_0, leaving -(2 xi_i - 1) g_i.
    const expected = model.theta.slice();
    const penalised = weightMask([4, 6, 3]);
    for (let k = 0; k < expected.length; k++) {
      let g = 0;
      p.subset.forEach((i, j) => {
        g += ((variant === 'hessian' ? 1 - 2 * p.xi[j]! : -(2 * p.xi[j]! - 1)) * G.get(i, k)) / size;
      });
      if (penalised[k]) g += (0.3 / 20) * model.theta[k]!;
      expected[k]! -= 0.05 * g;
    }
    for (let k = 0; k < expected.length; k++)
      assert.ok(Math.abs(theta1[k]! - expected[k]!) < 1e-12, `${variant} parameter ${k}`);
  }
  // End to end: scores are finite and reproducible.
  const q = tinyData(3, 4, 3, 6);
  const a = await (await daunce({ model, queries: { X: q.X, y: q.y }, K: 6, seed: 2 })).scores();
  const b = await (await daunce({ model, queries: { X: q.X, y: q.y }, K: 6, seed: 2 })).scores();
  assert.ok(a.every(Number.isFinite));
  assert.deepEqual(a, b);
});

function weightMask(sizes: number[]): boolean[] {
  const mask: boolean[] = [];
  for (let l = 1; l < sizes.length; l++) {
    for (let k = 0; k < sizes[l]! * sizes[l - 1]!; k++) mask.push(true);
    for (let k = 0; k < sizes[l]!; k++) mask.push(false);
  }
  return mask;
}

test('MLP rejects bad arguments', async () => {
  const { X, y } = tinyData(10, 4, 3, 1);
  await assert.rejects(
    MultilayerPerceptron.fit(
      X,
      Array.from(y, () => -1),
    ),
    /class ids must be integers >= 0/,
  );
  await assert.rejects(
    MultilayerPerceptron.fit(X, y, { hidden: [0] }),
    /hidden must be an array of positive layer sizes/,
  );
  await assert.rejects(MultilayerPerceptron.fit(X, y, { classes: 2 }), /label 2 is not below options.classes = 2/);
  await assert.rejects(
    MultilayerPerceptron.fit(X, y, { optimizer: 'lbfgs' as never }),
    /optimizer must be 'adam' or 'sgd'/,
  );
  const m = await MultilayerPerceptron.fit(X, y, { epochs: 1 });
  await assert.rejects(
    m.losses(
      X,
      Array.from(y, () => 7),
    ),
    /the model's classes are 0..2/,
  );
  await assert.rejects(m.logits(Matrix.fromArrays([[1, 2]])), /has 2 columns, the model has 4 inputs/);
  await assert.rejects(
    MultilayerPerceptron.fit(X, y, { learningRate: 1e6, optimizer: 'sgd', epochs: 50 }),
    /diverged|non-finite/,
  );
});

test("MLP margin gradients match finite differences; TRAK on the MLP at the gradients' rank equals the unprojected formula", async () => {
  const { trakScores } = await import('../src/evaluation/trak.ts');
  const { solveDense } = await import('./helpers.ts');
  const { X, y } = tinyData(80, 3, 3, 7);
  const model = await MultilayerPerceptron.fit(X, y, {
    hidden: [4],
    classes: 3,
    epochs: 20,
    batchSize: 16,
    learningRate: 1e-2,
    seed: 1,
  });
  const sizes = [3, 4, 3];
  const G = await model.gradients(X, y, 'margin');
  const P = model.nParameters;
  const h = 1e-6;
  for (const i of [0, 41])
    for (let k = 0; k < P; k += 2) {
      const tp = model.theta.slice();
      tp[k]! += h;
      const tm = model.theta.slice();
      tm[k]! -= h;
      const fd = (jsMargin(tp, sizes, X.row(i), y[i]!) - jsMargin(tm, sizes, X.row(i), y[i]!)) / (2 * h);
      assert.ok(
        Math.abs(fd - G.get(i, k)) < 1e-6 * (1 + Math.abs(fd)),
        `margin gradient ${i},${k}: ${G.get(i, k)} vs ${fd}`,
      );
    }
  const q = tinyData(2, 3, 3, 8);
  // Margin gradients never move H + 1 directions (softmax is shift-invariant: shifting every
  // output unit alike) nor H more (ReLU is positively homogeneous: scaling a unit's input
  // weights by a and its output weights by 1/a), so their rank is P - 2H - 1. A projection to
  // exactly that rank keeps the after-kernel invariant: scores = g_q^T (G^T G)^+ g_i.
  const rank = P - 2 * 4 - 1;
  const scores = await trakScores({ model, queries: { X: q.X, y: q.y }, dimension: rank, seed: 3 });
  const GtG = Array.from({ length: P }, (_, a) =>
    Array.from({ length: P }, (_, b) => {
      let s = 0;
      for (let i = 0; i < 80; i++) s += G.get(i, a) * G.get(i, b);
      return s;
    }),
  );
  const ridge = 1e-11 * GtG.reduce((s, row, a) => s + row[a]!, 0);
  GtG.forEach((row, a) => {
    row[a]! += ridge;
  });
  const Gq = await model.gradients(q.X, q.y, 'margin');
  const losses = await model.losses(X, y);
  for (let j = 0; j < 2; j++) {
    const v = solveDense(GtG, Array.from(Gq.row(j)));
    for (const i of [3, 50]) {
      const expected = Array.from(G.row(i)).reduce((s, g, a) => s + g * v[a]!, 0) * (1 - Math.exp(-losses[i]!));
      assert.ok(
        Math.abs(scores[i * 2 + j]! - expected) < 1e-5 * (1 + Math.abs(expected)),
        `TRAK ${i},${j}: ${scores[i * 2 + j]} vs ${expected}`,
      );
    }
  }
});
