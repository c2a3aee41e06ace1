import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  daunce,
  drawPerturbation,
  Influence,
  LogisticRegression,
  LossCovariance,
  loadSpamAssassin,
  spearman,
  Matrix,
  type PerturbableModel,
  type Perturbation,
} from '../src/index.ts';
import { glmPerturbable } from '../src/daunce/glm-perturbable.ts';
import { logisticData, rng, rowOf, refPointwise, norm, pythonHas } from './helpers.ts';

/** Textbook two-pass covariance of columns. */
function twoPassCov(a: number[], b: number[]): number {
  const ma = a.reduce((s, x) => s + x, 0) / a.length,
    mb = b.reduce((s, x) => s + x, 0) / b.length;
  return a.reduce((s, x, k) => s + (x - ma) * (b[k]! - mb), 0) / (a.length - 1);
}

test('accumulator: scores equal the two-pass textbook covariance and correlation; merge of halves equals one pass', async () => {
  const r = rng(1);
  const K = 30,
    n = 40,
    m = 5;
  const rows = Array.from({ length: K }, () => ({
    t: Float64Array.from({ length: n }, () => 10 + r()),
    q: Float64Array.from({ length: m }, () => r() * 3),
  }));
  for (const row of rows) row.t[7] = 2.5; // a constant-loss example
  const one = new LossCovariance(n, m);
  for (const [k, row] of rows.entries()) one.add(row.t, row.q, k);
  const cov = await one.scores('covariance');
  const cor = await one.scores('correlation');
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const a = rows.map((x) => x.t[i]!),
        b = rows.map((x) => x.q[j]!);
      const c = twoPassCov(a, b);
      assert.ok(Math.abs(cov[i * m + j]! - c) < 1e-13, `cov ${i},${j}`);
      const expected = i === 7 ? 0 : c / Math.sqrt(twoPassCov(a, a) * twoPassCov(b, b));
      assert.ok(Math.abs(cor[i * m + j]! - expected) < 1e-12, `cor ${i},${j}`);
      assert.ok(Math.abs(cor[i * m + j]!) <= 1 + 1e-12);
    }
  }
  assert.deepEqual(one.zeroVariance().train, [7]);
  assert.ok(cov.every(Number.isFinite) && cor.every(Number.isFinite));
  // Streaming variance equals the two-pass one.
  const v = one.trainVariance();
  for (let i = 0; i < n; i++)
    assert.ok(
      Math.abs(
        v[i]! -
          twoPassCov(
            rows.map((x) => x.t[i]!),
            rows.map((x) => x.t[i]!),
          ),
      ) < 1e-13,
    );
  // Two workers' halves merged.
  const a = new LossCovariance(n, m),
    b = new LossCovariance(n, m);
  for (const [k, row] of rows.entries()) (k % 2 ? b : a).add(row.t, row.q, k);
  a.merge(b);
  const merged = await a.scores('covariance');
  for (let k = 0; k < cov.length; k++) assert.ok(Math.abs(merged[k]! - cov[k]!) < 1e-13);
  // Top-k from blocks equals sorting the matrix.
  const top = await one.topK(3, 'correlation');
  for (let j = 0; j < m; j++) {
    const col = Array.from({ length: n }, (_, i) => ({ i, s: cor[i * m + j]! })).sort((x, y) => y.s - x.s || x.i - y.i);
    assert.deepEqual(
      Array.from(top.topIndex.subarray(j * 3, j * 3 + 3)),
      col.slice(0, 3).map((e) => e.i),
    );
  }
  assert.throws(() => a.merge(b), /model 1 is in both accumulators/);
  assert.throws(() => one.add(new Float64Array(n), new Float64Array(m).fill(NaN), 99), /queryLosses\[0\] is NaN/);
  await assert.rejects(new LossCovariance(n, m).scores(), /needs at least 2 models/);
});

test('draws: ceil(r n) distinct indices, reproducible from (seed, k) alone', () => {
  const p = drawPerturbation(101, 0.3, 7, 4);
  assert.equal(p.subset.length, 31);
  assert.equal(new Set(p.subset).size, 31);
  assert.ok(p.xi.every((x) => x >= 0 && x < 1));
  assert.deepEqual(drawPerturbation(101, 0.3, 7, 4), p);
  assert.notDeepEqual(drawPerturbation(101, 0.3, 8, 4).subset, p.subset);
});

test('every perturbed objective is solved exactly: its gradient, recomputed in JS, vanishes', async () => {
  const { X, y } = logisticData(150, 6, 3);
  const model = await LogisticRegression.fit(X, y, { lambda: 2 });
  const q = logisticData(4, 6, 4);
  const n = 150,
    d = 6;
  const z0 = Array.from({ length: n }, (_, i) => rowOf(X, i, true).reduce((s, v, k) => s + v * model.theta[k]!, 0));
  for (const variant of ['hessian', 'fisher', 'trak'] as const) {
    for (const access of ['white-box', 'black-box'] as const) {
      const pm = glmPerturbable({ model, queries: { X: q.X, y: q.y }, variant, access });
      const p: Perturbation = drawPerturbation(n, 0.3, 11, 2);
      const theta = await pm.train(p, { variant, access, ratio: 0.3 });
      const g = new Array<number>(d + 1).fill(0);
      p.subset.forEach((i, j) => {
        const a = rowOf(X, i, true);
        const z = a.reduce((s, v, k) => s + v * theta[k]!, 0);
        const l = refPointwise('logistic', z, y[i]!),
          l0 = refPointwise('logistic', z0[i]!, y[i]!);
        const xi = p.xi[j]!;
        const sgn = 2 * y[i]! - 1;
        let dz: number; // d phi / d z
        let lin = 0; // coefficient of a_i in the first-order term
        if (variant === 'hessian') {
          dz = l.slope;
          if (access === 'white-box') lin = -2 * xi * l0.slope;
        } else if (variant === 'fisher') {
          dz = (l.loss - (access === 'white-box' ? l0.loss : 0)) * l.slope;
          if (access === 'white-box') lin = -(2 * xi - 1) * l0.slope;
        } else {
          dz = z - (access === 'white-box' ? z0[i]! : 0);
          if (access === 'white-box') lin = -(2 * xi - 1) * sgn;
        }
        a.forEach((v, k) => {
          g[k]! += ((dz + lin) * v) / p.subset.length;
        });
      });
      for (let k = 0; k < d; k++) g[k]! += (2 / n) * theta[k]!;
      assert.ok(norm(g) < 1e-10, `${variant} ${access}: ||grad|| ${norm(g)}`);
      // Perturbations are real: theta moved away from theta_0.
      assert.ok(norm(Array.from(theta, (t, k) => t - model.theta[k]!)) > 1e-3);
    }
  }
});

test('first order: loss covariance equals G Sigma G_q^T for small perturbations', async () => {
  const { X, y } = logisticData(120, 4, 8);
  const q = logisticData(3, 4, 9);
  const errors: number[] = [];
  // Without an intercept every direction is penalised, so every perturbation shrinks with lambda
  // (an unpenalised intercept keeps O(1) perturbations and second-order terms).
  for (const lambda of [200, 2000]) {
    const model = await LogisticRegression.fit(X, y, { lambda, fitIntercept: false });
    const pm = glmPerturbable({ model, queries: { X: q.X, y: q.y }, variant: 'hessian', access: 'white-box' });
    const K = 40,
      p = 4;
    const thetas: Float64Array[] = [];
    const acc = new LossCovariance(120, 3);
    for (let k = 0; k < K; k++) {
      const th = await pm.train(drawPerturbation(120, 0.3, 1, k), {
        variant: 'hessian',
        access: 'white-box',
        ratio: 0.3,
      });
      thetas.push(th);
      acc.add(await pm.losses(th, 'train'), await pm.losses(th, 'queries'), k);
    }
    const mean = Array.from({ length: p }, (_, a) => thetas.reduce((s, t) => s + t[a]!, 0) / K);
    const sigma = Array.from({ length: p }, (_, a) =>
      Array.from(
        { length: p },
        (_, b) => thetas.reduce((s, t) => s + (t[a]! - mean[a]!) * (t[b]! - mean[b]!), 0) / (K - 1),
      ),
    );
    const G = await model.gradients(X, y),
      Gq = await model.gradients(q.X, q.y);
    // Loss gradients only (the 'fixed' convention carries no penalty share).
    const cov = await acc.scores('covariance');
    let num = 0,
      den = 0;
    for (let i = 0; i < 120; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) s += G.get(i, a) * sigma[a]![b]! * Gq.get(j, b);
        num += (s - cov[i * 3 + j]!) ** 2;
        den += s * s;
      }
    errors.push(Math.sqrt(num / den));
  }
  assert.ok(errors[1]! < 0.01, `relative error ${errors[1]}`);
  assert.ok(errors[1]! < errors[0]!, `the identity gets exact as perturbations shrink: ${errors}`);
});

test('real data (spam bag-of-words, 1000 x 180): agreement with exact IF rises with K, and so does agreement between seeds', async (test_) => {
  const data = await loadSpamAssassin({ vocabulary: 180, limit: 1250 });
  const X = data.X.selectRows(Array.from({ length: 1000 }, (_, i) => i)),
    y = data.y.subarray(0, 1000);
  const Xq = data.X.selectRows(Array.from({ length: 10 }, (_, i) => 1000 + i * 25)),
    yq = Array.from({ length: 10 }, (_, i) => data.y[1000 + i * 25]!);
  const model = await LogisticRegression.fit(X, y, { lambda: 1 });
  const exact = await (await Influence.of(model)).scores(Xq, yq, { method: 'if', target: 'loss' });
  const column = (s: Float64Array, j: number) => Array.from({ length: 1000 }, (_, i) => s[i * 10 + j]!);
  const agreement = (a: Float64Array, b: Float64Array) =>
    Array.from({ length: 10 }, (_, j) => spearman(column(a, j), column(b, j))).reduce((s, v) => s + v, 0) / 10;
  const withIf: number[] = [],
    seeds: number[] = [];
  const Ks = [25, 50, 100, 200];
  for (const K of Ks) {
    const r0 = await daunce({ model, queries: { X: Xq, y: yq }, K, seed: 1, measure: 'covariance' });
    const r1 = await daunce({ model, queries: { X: Xq, y: yq }, K, seed: 2, measure: 'covariance' });
    const s0 = await r0.scores(),
      s1 = await r1.scores();
    withIf.push(agreement(s0, exact));
    seeds.push(agreement(s0, s1));
  }
  // Reported for the record (issue 7 asks for K = 25, 50, 100, 200).
  test_.diagnostic(
    `mean Spearman with exact IF by K ${Ks.join(', ')}: ${withIf.map((v) => v.toFixed(3)).join(', ')}; between seeds: ${seeds.map((v) => v.toFixed(3)).join(', ')}`,
  );
  assert.ok(withIf[3]! > withIf[0]! + 0.05, `agreement with IF: ${withIf}`);
  assert.ok(withIf[2]! > withIf[0]! && withIf[3]! > withIf[1]!, `agreement with IF rises with K: ${withIf}`);
  assert.ok(withIf[3]! > 0.2, `agreement with IF at K=200: ${withIf[3]}`);
  assert.ok(
    seeds[3]! > seeds[0]! + 0.1 && seeds[2]! > seeds[0]! && seeds[3]! > seeds[1]!,
    `agreement between seeds: ${seeds}`,
  );
});

test('same seed, same scores; a checkpointed run interrupted by an abort resumes to the same result', async () => {
  const { X, y } = logisticData(100, 5, 12);
  const q = logisticData(4, 5, 13);
  const model = await LogisticRegression.fit(X, y, { lambda: 1 });
  const opts = { model, queries: { X: q.X, y: q.y }, K: 12, seed: 3, variant: 'fisher' as const };
  const full = await (await daunce(opts)).scores();
  assert.deepEqual(await (await daunce(opts)).scores(), full);
  const dir = mkdtempSync(join(tmpdir(), 'tdakit-daunce-'));
  const controller = new AbortController();
  const seen: number[] = [];
  await assert.rejects(
    daunce({
      ...opts,
      checkpointDir: dir,
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p.done);
        if (p.done === 5) controller.abort();
      },
    }),
    { name: 'AbortError' },
  );
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.f64')).length, 5);
  const resumed = await daunce({ ...opts, checkpointDir: dir });
  assert.equal(resumed.resumed, 5);
  assert.deepEqual(await resumed.scores(), full);
  await assert.rejects(daunce({ ...opts, seed: 4, checkpointDir: dir }), /holds a run with other data or options/);
});

test('external models: concurrency, retries with backoff, completion order does not matter', async () => {
  const n = 30,
    m = 3;
  let failures = 0,
    active = 0,
    peak = 0;
  const flaky: PerturbableModel<Perturbation> = {
    async train(p) {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, (p.k * 7) % 5));
      active--;
      if (p.k % 4 === 1 && failures < 3) {
        failures++;
        throw new Error('service unavailable');
      }
      return p;
    },
    async losses(p, which) {
      const len = which === 'train' ? n : m;
      return Float64Array.from({ length: len }, (_, i) => Math.sin(i + p.subset[0]! + p.xi[0]!));
    },
  };
  const r = await daunce({
    model: flaky,
    train: { n },
    queries: { m },
    K: 8,
    concurrency: 3,
    retryDelayMs: 1,
    measure: 'covariance',
  });
  assert.equal(failures, 3);
  assert.ok(peak > 1 && peak <= 3, `peak concurrency ${peak}`);
  const serial = await daunce({
    model: flaky,
    train: { n },
    queries: { m },
    K: 8,
    concurrency: 1,
    retryDelayMs: 1,
    measure: 'covariance',
  });
  assert.deepEqual(await r.scores(), await serial.scores());
  const broken: PerturbableModel = {
    train: async () => {
      throw new Error('down');
    },
    losses: async () => new Float64Array(0),
  };
  await assert.rejects(
    daunce({ model: broken, train: { n }, queries: { m }, K: 3, retries: 2, retryDelayMs: 1 }),
    /down/,
  );
});

test('daunce rejects bad arguments', async () => {
  const { X, y } = logisticData(30, 3, 1);
  const model = await LogisticRegression.fit(X, y);
  const queries = { X: Matrix.fromArrays([[1, 2, 3]]), y: [1] };
  await assert.rejects(daunce({ model, queries, K: 1 }), /K: must be in \[2/);
  await assert.rejects(daunce({ model, queries, ratio: 1.5 }), /ratio: must be in \[0, 1\]/);
  await assert.rejects(
    daunce({ model, queries, variant: 'ekfac' as never }),
    /variant must be one of hessian, fisher, trak/,
  );
  await assert.rejects(daunce({ model, queries, access: 'grey' as never }), /access must be/);
  await assert.rejects(
    daunce({ model, queries: { X: Matrix.fromArrays([[1, 2]]), y: [1] } }),
    /queries.X: has 2 columns/,
  );
  await assert.rejects(daunce({ model, queries: { X: queries.X, y: [3] } }), /label 0 is 3/);
  await assert.rejects(
    daunce({ model: {} as never, queries: { m: 1 } }),
    /model must be a fitted LogisticRegression, SoftmaxRegression, MultilayerPerceptron or a PerturbableModel/,
  );
});

test("worked example: a model trained in a Python child process gives the built-in exact solver's scores", {
  skip: !pythonHas('numpy', 'scipy') && 'python3 with numpy and scipy not installed',
}, async () => {
  const { ChildProcessModel } = await import('../examples/child-process/model.ts');
  const { X, y } = logisticData(150, 5, 21);
  const q = logisticData(4, 5, 22);
  const model = await LogisticRegression.fit(X, y, { lambda: 1 });
  const child = await ChildProcessModel.start({ X, y, Xq: q.X, yq: q.y, theta0: model.theta, lambda: 1 });
  try {
    const external = await daunce({
      model: child,
      train: { n: 150 },
      queries: { m: 4 },
      K: 10,
      seed: 5,
      measure: 'covariance',
    });
    const builtIn = await daunce({ model, queries: { X: q.X, y: q.y }, K: 10, seed: 5, measure: 'covariance' });
    const a = await external.scores(),
      b = await builtIn.scores();
    let num = 0,
      den = 0;
    for (let k = 0; k < a.length; k++) {
      num += (a[k]! - b[k]!) ** 2;
      den += b[k]! ** 2;
    }
    assert.ok(Math.sqrt(num / den) < 1e-5, `relative difference ${Math.sqrt(num / den)}`);
  } finally {
    await child.close();
  }
});
