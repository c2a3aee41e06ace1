/**
 * Independent references for the multilayer perceptron's training and attribution paths: SGD
 * with momentum, the margin gradients TRAK uses, Daunce's 'trak' variant (its first step) and
 * Daunce scores of the MLP recomputed from the per-copy losses of a plain-JS forward pass.
 * Gradients here are central finite differences of the plain-JS network (test/mlp-reference.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MultilayerPerceptron, daunce, drawPerturbation, subsetRemoval } from '../src/index.ts';
import { mixSeed, seededRandom } from '../src/random.ts';
import { mlpPerturbable } from '../src/daunce/mlp-perturbable.ts';
import { jsLogits, jsLoss, jsMargin, tinyData } from './mlp-reference.ts';

const H = 1e-6;

/** Central differences of a scalar function of theta. */
function fdGradient(f: (t: Float64Array) => number, theta: ArrayLike<number>): Float64Array {
  const g = new Float64Array(theta.length);
  for (let k = 0; k < theta.length; k++) {
    const tp = Float64Array.from(theta),
      tm = Float64Array.from(theta);
    tp[k]! += H;
    tm[k]! -= H;
    g[k] = (f(tp) - f(tm)) / (2 * H);
  }
  return g;
}

/** 1 for the weights, 0 for the biases (the penalty's mask), layer by layer: W then b. */
function weightMask(sizes: number[]): Float64Array {
  const mask: number[] = [];
  for (let l = 1; l < sizes.length; l++) {
    for (let k = 0; k < sizes[l]! * sizes[l - 1]!; k++) mask.push(1);
    for (let k = 0; k < sizes[l]!; k++) mask.push(0);
  }
  return Float64Array.from(mask);
}

const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!) / (1 + Math.abs(b[k]!)));
  return m;
};

test('MLP SGD with momentum: full-batch steps equal v = mu v + grad, theta -= lr v from the seeded initialisation (plain JS)', async () => {
  const { X, y } = tinyData(12, 3, 3, 21);
  const sizes = [3, 4, 3];
  const base = { hidden: [4], classes: 3, batchSize: 12, optimizer: 'sgd' as const, lambda: 0.4, seed: 5 };
  // A learning rate of 0 leaves the seeded initialisation in place: theta_0.
  const theta0 = (await MultilayerPerceptron.fit(X, y, { ...base, epochs: 1, learningRate: 0 })).theta;
  const mask = weightMask(sizes);
  const objective = (t: Float64Array) => {
    let s = 0;
    for (let i = 0; i < 12; i++) s += jsLoss(t, sizes, X.row(i), y[i]!);
    return s / 12;
  };
  for (const momentum of [0, 0.7]) {
    const lr = 0.2,
      epochs = 4;
    const fitted = await MultilayerPerceptron.fit(X, y, { ...base, epochs, learningRate: lr, momentum });
    const theta = Float64Array.from(theta0),
      v = new Float64Array(theta.length);
    for (let e = 0; e < epochs; e++) {
      const g = fdGradient(objective, theta);
      for (let k = 0; k < theta.length; k++) {
        v[k] = momentum * v[k]! + g[k]! + mask[k]! * (base.lambda / 12) * theta[k]!;
        theta[k]! -= lr * v[k]!;
      }
    }
    assert.ok(
      maxRel(fitted.theta, theta) < 1e-8,
      `momentum ${momentum}: max relative difference ${maxRel(fitted.theta, theta)}`,
    );
    assert.ok(maxRel(fitted.theta, theta0) > 1e-3, 'training did not move the parameters');
  }
});

test('MLP outputGradients are the finite differences of the plain-JS true-class margin; labels() checks class ids', async () => {
  const { X, y } = tinyData(6, 3, 3, 22);
  const sizes = [3, 5, 3];
  const model = await MultilayerPerceptron.fit(X, y, {
    hidden: [5],
    classes: 3,
    epochs: 3,
    batchSize: 3,
    learningRate: 0.05,
    seed: 2,
  });
  const G = await model.outputGradients(X, model.labels(y, 6));
  for (let i = 0; i < 6; i++) {
    const fd = fdGradient((t) => jsMargin(t, sizes, X.row(i), y[i]!), model.theta);
    assert.ok(maxRel(G.row(i), fd) < 1e-7, `row ${i}: ${maxRel(G.row(i), fd)}`);
  }
  assert.deepEqual(Array.from(model.labels([0, 2, 1], 3)), [0, 2, 1]);
  assert.throws(() => model.labels([0, 3, 1], 3), /classes are 0..2/);
  assert.throws(() => model.labels([0, 1], 3), /y/);
});

test("Daunce 'trak' variant on the MLP: the first full-batch SGD step is -lr (mean of -(2 xi_i - 1) grad f_i(theta_0) + penalty)", async () => {
  const n = 20,
    ratio = 0.3,
    size = Math.ceil(ratio * n);
  const { X, y } = tinyData(n, 4, 3, 23);
  const sizes = [4, 6, 3];
  const lr = 0.05,
    lambda = 0.3;
  const model = await MultilayerPerceptron.fit(X, y, {
    hidden: [6],
    classes: 3,
    epochs: 2,
    batchSize: size,
    optimizer: 'sgd',
    momentum: 0,
    learningRate: lr,
    lambda,
    seed: 1,
  });
  const oneEpoch = Object.assign(Object.create(Object.getPrototypeOf(model)), model, {
    options: { ...model.options, epochs: 1 },
  }) as MultilayerPerceptron;
  const mask = weightMask(sizes);
  for (const access of ['white-box', 'black-box'] as const) {
    const p = drawPerturbation(n, ratio, 9, 0);
    const pm = mlpPerturbable({ model: oneEpoch, queries: { X, y }, variant: 'trak', access, seed: 0 });
    const theta1 = await pm.train(p, { variant: 'trak', access, ratio });
    // At theta_0 the squared margin term (f - f_0)^2 / 2 has zero gradient (white-box); black-box
    // minimises f^2 / 2, whose gradient is f_0 grad f.
    const expected = Float64Array.from(model.theta);
    const grad = new Float64Array(expected.length);
    p.subset.forEach((i, j) => {
      const gf = fdGradient((t) => jsMargin(t, sizes, X.row(i), y[i]!), model.theta);
      const coef = access === 'white-box' ? -(2 * p.xi[j]! - 1) : jsMargin(model.theta, sizes, X.row(i), y[i]!);
      for (let k = 0; k < grad.length; k++) grad[k]! += (coef * gf[k]!) / size;
    });
    for (let k = 0; k < expected.length; k++)
      expected[k]! -= lr * (grad[k]! + mask[k]! * (lambda / n) * model.theta[k]!);
    assert.ok(maxRel(theta1, expected) < 1e-8, `${access}: ${maxRel(theta1, expected)}`);
  }
});

test('Daunce on the MLP (ratio 0.5, trak variant): covariance and correlation equal the moments of plain-JS losses of each perturbed copy', async () => {
  const n = 30,
    K = 7,
    ratio = 0.5,
    seed = 4;
  const { X, y } = tinyData(n, 3, 3, 24);
  const q = tinyData(4, 3, 3, 25);
  const sizes = [3, 5, 3];
  const model = await MultilayerPerceptron.fit(X, y, {
    hidden: [5],
    classes: 3,
    epochs: 3,
    batchSize: 8,
    learningRate: 0.05,
    optimizer: 'sgd',
    seed: 3,
  });
  const run = await daunce({
    model,
    queries: { X: q.X, y: q.y },
    K,
    ratio,
    seed,
    variant: 'trak',
    measure: 'covariance',
  });
  // Each copy trained exactly as Daunce's runner trains copy k, its losses from the JS forward pass.
  const pm = mlpPerturbable({ model, queries: { X: q.X, y: q.y }, variant: 'trak', access: 'white-box', seed });
  const Ltrain: number[][] = [],
    Lq: number[][] = [];
  for (let k = 0; k < K; k++) {
    const theta = await pm.train(drawPerturbation(n, ratio, seed, k), { variant: 'trak', access: 'white-box', ratio });
    Ltrain.push(Array.from({ length: n }, (_, i) => jsLoss(theta, sizes, X.row(i), y[i]!)));
    Lq.push(Array.from({ length: 4 }, (_, j) => jsLoss(theta, sizes, q.X.row(j), q.y[j]!)));
  }
  const mean = (col: (k: number) => number) =>
    Array.from({ length: K }, (_, k) => col(k)).reduce((a, b) => a + b, 0) / K;
  const cov = (a: (k: number) => number, b: (k: number) => number) => {
    const ma = mean(a),
      mb = mean(b);
    let s = 0;
    for (let k = 0; k < K; k++) s += (a(k) - ma) * (b(k) - mb);
    return s / (K - 1);
  };
  const covariance = await run.scores('covariance');
  const correlation = await run.scores('correlation');
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 4; j++) {
      const c = cov(
        (k) => Ltrain[k]![i]!,
        (k) => Lq[k]![j]!,
      );
      const r =
        c /
        Math.sqrt(
          cov(
            (k) => Ltrain[k]![i]!,
            (k) => Ltrain[k]![i]!,
          ) *
            cov(
              (k) => Lq[k]![j]!,
              (k) => Lq[k]![j]!,
            ),
        );
      assert.ok(
        Math.abs(covariance[i * 4 + j]! - c) < 1e-9 * (1 + Math.abs(c)),
        `covariance ${i},${j}: ${covariance[i * 4 + j]} vs ${c}`,
      );
      assert.ok(
        Math.abs(correlation[i * 4 + j]! - r) < 1e-7,
        `correlation ${i},${j}: ${correlation[i * 4 + j]} vs ${r}`,
      );
    }
  }
});

test('subset removal on the MLP: the flipped fraction of correct queries after removing the top-N summed scores, averaged over seeded retrains (JS predictions)', async () => {
  const n = 60,
    seed = 4,
    seeds = 2,
    sizes = [5, 12];
  const { X, y } = tinyData(n, 3, 3, 26);
  const model = await MultilayerPerceptron.fit(X, y, {
    hidden: [6],
    classes: 3,
    epochs: 30,
    batchSize: 10,
    learningRate: 0.05,
    seed: 2,
  });
  const rows = Array.from({ length: 10 }, (_, j) => j * 6);
  const q = { X: X.selectRows(rows), y: Float64Array.from(rows, (i) => y[i]!) };
  const r = seededRandom(77);
  const scores = Float64Array.from({ length: n * 10 }, () => r() - 0.5);
  const result = await subsetRemoval({ model, queries: q, scores, sizes, seeds, seed });
  const argmax = (v: number[]) => v.indexOf(Math.max(...v));
  const predict = (theta: ArrayLike<number>) => rows.map((_, j) => argmax(jsLogits(theta, [3, 6, 3], q.X.row(j))));
  const correct = predict(model.theta).flatMap((c, j) => (c === q.y[j] ? [j] : []));
  assert.ok(correct.length > 0);
  assert.equal(result.correctQueries, correct.length);
  const total = Array.from({ length: n }, (_, i) => correct.reduce((s, j) => s + scores[i * 10 + j]!, 0));
  const order = Array.from(total.keys()).sort((a, b) => total[b]! - total[a]! || a - b);
  for (const [t, N] of sizes.entries()) {
    const removed = new Set(order.slice(0, N));
    const keep = Uint32Array.from(Array.from({ length: n }, (_, i) => i).filter((i) => !removed.has(i)));
    let flipped = 0;
    for (let s = 0; s < seeds; s++) {
      const retrained = await model.retrain({ subset: keep, seed: mixSeed(seed, 'subset-removal', N, s) });
      const after = predict(retrained.theta);
      flipped += correct.filter((j) => after[j] !== q.y[j]).length / correct.length / seeds;
    }
    assert.equal(result.curve[t]!.N, N);
    assert.ok(
      Math.abs(result.curve[t]!.flipped - flipped) < 1e-12,
      `N = ${N}: ${result.curve[t]!.flipped} vs ${flipped}`,
    );
  }
});
