// Batched softmax-regression copies (issue 17): the native pool's copies equal one-at-a-time
// copies bit for bit, each copy minimises the documented perturbed objective (its gradient,
// written out here in plain JS, vanishes), the cross-entropies returned with a copy are the
// plain-JS ones, checkpoints of a batched run resume to the same scores, and bad input names
// the argument.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daunce, drawPerturbation, type Matrix, SoftmaxRegression, type PerturbableModel } from '../src/index.ts';
import { perturbableFor } from '../src/daunce/registry.ts';
import { multiclassData, rowOf, norm } from './helpers.ts';

const VARIANTS = ['hessian', 'fisher', 'trak'] as const;
const ACCESS = ['white-box', 'black-box'] as const;

/** All C logits of row i (the reference class last, logit 0); blocks of d + 1 per free class. */
function logitsOf(X: Matrix, theta: ArrayLike<number>, C: number, i: number): number[] {
  const a = rowOf(X, i, true);
  return [...Array.from({ length: C - 1 }, (_, c) => a.reduce((s, v, k) => s + v * theta[c * a.length + k]!, 0)), 0];
}

function logSumExp(z: number[], skip = -1): number {
  const m = Math.max(...z.filter((_, c) => c !== skip));
  return m + Math.log(z.reduce((s, v, c) => (c === skip ? s : s + Math.exp(v - m)), 0));
}

/** Cross-entropy l, margin f = z_y - lse_{c != y} z_c and their gradients in the C - 1 free logits. */
function terms(z: number[], y: number) {
  const C = z.length,
    all = logSumExp(z),
    others = logSumExp(z, y);
  return {
    l: all - z[y]!,
    f: z[y]! - others,
    dl: Array.from({ length: C - 1 }, (_, c) => Math.exp(z[c]! - all) - (c === y ? 1 : 0)),
    df: Array.from({ length: C - 1 }, (_, c) => (c === y ? 1 : -Math.exp(z[c]! - others))),
  };
}

/**
 * Gradient of the documented objective (docs/methods.md section 4, softmax-perturbable.ts) at
 * theta: (1/|D|) sum_{i in D} [gamma D_i - w_i grad_z(.)(z0_i)^T z_i] + (lambda/(2n)) ||W||^2,
 * w_i = rho (2 xi_i - 1); white-box D_i = l_i - dl0_i^T z_i (hessian), (l_i - l0_i)^2 / 2
 * (fisher), (f_i - f0_i)^2 / 2 (trak), with the first-order term in dl0 (dl0 for fisher, df0
 * for trak); black-box gamma times l_i, l_i^2 / 2, f_i^2 / 2 and no first-order term.
 */
function objectiveGradient(
  model: SoftmaxRegression,
  theta: ArrayLike<number>,
  subset: Uint32Array,
  xi: Float64Array,
  variant: string,
  access: string,
  gamma: number,
  rho: number,
): number[] {
  const X = model.X,
    n = X.rows,
    d = X.cols,
    C = model.options.classes;
  const grad = new Array<number>(theta.length).fill(0);
  const white = access === 'white-box';
  subset.forEach((i, j) => {
    const y = model.y[i]!;
    const t = terms(logitsOf(X, theta, C, i), y),
      t0 = terms(logitsOf(X, model.theta, C, i), y);
    const w = rho * (2 * xi[j]! - 1);
    const a = rowOf(X, i, true);
    for (let c = 0; c < C - 1; c++) {
      let dz: number;
      if (variant === 'hessian') dz = white ? gamma * (t.dl[c]! - t0.dl[c]!) - w * t0.dl[c]! : gamma * t.dl[c]!;
      else if (variant === 'fisher')
        dz = white ? gamma * (t.l - t0.l) * t.dl[c]! - w * t0.dl[c]! : gamma * t.l * t.dl[c]!;
      else dz = white ? gamma * (t.f - t0.f) * t.df[c]! - w * t0.df[c]! : gamma * t.f * t.df[c]!;
      for (const [k, v] of a.entries()) grad[c * (d + 1) + k]! += (dz * v) / subset.length;
    }
  });
  const lambda = model.options.lambda;
  for (let c = 0; c < C - 1; c++)
    for (let k = 0; k < d; k++) grad[c * (d + 1) + k]! += (lambda / n) * theta[c * (d + 1) + k]!;
  return grad;
}

test('softmax copies: a batch on the native pool equals one-at-a-time copies bit for bit, and each minimises the documented objective', async () => {
  // d = 12, C = 3: 120 rows per copy for 26 parameters (damped Newton); d = 2: 20 rows per
  // parameter (chord steps preconditioned by the reference factorisation).
  for (const d of [12, 2]) {
    const { X, y } = multiclassData(400, d, 3, 81);
    const q = multiclassData(7, d, 3, 82);
    const model = await SoftmaxRegression.fit(X, y, { lambda: 2, classes: 3 });
    const queries = { X: q.X, y: Float64Array.from(q.y) };
    for (const variant of VARIANTS) {
      for (const access of ACCESS) {
        const [gamma, rho] = [1.5, 0.8];
        const pm = perturbableFor({ model, queries, variant, access, seed: 0, settings: { gamma, rho } });
        const ps = Array.from({ length: 5 }, (_, k) => drawPerturbation(400, 0.3, 17, k));
        const objective = { variant, access, ratio: 0.3 };
        assert.ok(pm.trainBatch, 'softmax copies train in batches');
        const batch = (await pm.trainBatch!(ps, objective)) as Float64Array[];
        for (const [k, p] of ps.entries()) {
          const what = `${variant} ${access} d ${d}: copy ${k}`;
          const alone = (await pm.train(p, objective)) as Float64Array;
          assert.deepEqual(Array.from(batch[k]!), Array.from(alone), what);
          const train = await pm.losses(batch[k], 'train');
          assert.deepEqual(Array.from(train), Array.from(await pm.losses(alone, 'train')), what);
          assert.deepEqual(
            Array.from(await pm.losses(batch[k], 'queries')),
            Array.from(await pm.losses(alone, 'queries')),
            what,
          );
          const g = objectiveGradient(model, batch[k]!, p.subset, p.xi, variant, access, gamma, rho);
          assert.ok(norm(g) < 1e-9, `${what}: ||grad|| ${norm(g)}`);
          // The cross-entropies that come back with the copy are the plain-JS ones.
          for (let i = 0; i < 400; i += 37) {
            const t = terms(logitsOf(X, batch[k]!, 3, i), y[i]!);
            assert.ok(Math.abs(train[i]! - t.l) < 1e-12, `${what}: loss ${i}`);
          }
        }
      }
    }
  }
});

test('softmax copies through daunce: batched scores equal the one-copy-per-call runner, and a checkpointed run resumes to them', async () => {
  const { X, y } = multiclassData(300, 4, 3, 91);
  const q = multiclassData(6, 4, 3, 92);
  const model = await SoftmaxRegression.fit(X, y, { lambda: 1, classes: 3 });
  const queries = { X: q.X, y: Float64Array.from(q.y) };
  const opts = { model, queries, K: 12, seed: 5, variant: 'fisher' as const };
  const full = await (await daunce(opts)).scores();
  const pm = perturbableFor({ model, queries, variant: 'fisher', access: 'white-box', seed: 5 });
  const single: PerturbableModel = { train: (p, o) => pm.train(p, o), losses: (h, w) => pm.losses(h, w) };
  const alone = await daunce({
    model: single,
    train: { n: 300 },
    queries: { m: 6 },
    K: 12,
    seed: 5,
    variant: 'fisher',
  });
  assert.deepEqual(Array.from(await alone.scores()), Array.from(full));
  const dir = mkdtempSync(join(tmpdir(), 'tdakit-softmax-copies-'));
  const controller = new AbortController();
  await assert.rejects(
    daunce({
      ...opts,
      checkpointDir: dir,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done === 5) controller.abort();
      },
    }),
    { name: 'AbortError' },
  );
  const saved = readdirSync(dir).filter((f) => f.endsWith('.f64')).length;
  assert.ok(saved >= 5 && saved < 12, `copies checkpointed before the abort: ${saved}`);
  const resumed = await daunce({ ...opts, checkpointDir: dir });
  assert.equal(resumed.resumed, saved);
  assert.deepEqual(Array.from(await resumed.scores()), Array.from(full));
});

test('multinomialCopies: bad input is an error that names the argument', async () => {
  const { X, y } = multiclassData(40, 3, 3, 93);
  const model = await SoftmaxRegression.fit(X, y, { lambda: 1, classes: 3 });
  const backend = model.backendKernels();
  const design = model.design(model.X);
  const good = {
    ...design,
    classes: 3,
    y: model.y,
    objective: 'crossEntropy' as const,
    lambda: 0.1,
    theta0: model.theta,
    sizes: Uint32Array.of(10),
    rows: Uint32Array.from({ length: 10 }, (_, i) => i),
    weights: new Float64Array(10).fill(0.1),
    qx: design.x,
    qn: design.n,
    qd: design.d,
    qintercept: design.intercept,
    queryLabels: model.y,
    referenceWeight: 0.025,
    precondition: true,
    threads: 2,
    tol: 1e-12,
    maxIter: 50,
  };
  const r = await backend.multinomialCopies(good);
  assert.equal(r.theta.length, model.theta.length);
  await assert.rejects(async () => backend.multinomialCopies({ ...good, sizes: Uint32Array.of(0) }), /'sizes'/);
  await assert.rejects(async () => backend.multinomialCopies({ ...good, rows: Uint32Array.of(1, 2) }), /'rows'/);
  await assert.rejects(async () => backend.multinomialCopies({ ...good, coef: new Float64Array(3) }), /'coef'/);
  await assert.rejects(
    async () => backend.multinomialCopies({ ...good, queryLabels: new Float64Array(40).fill(5) }),
    /'queryLabels'/,
  );
  await assert.rejects(async () => backend.multinomialCopies({ ...good, theta0: new Float64Array(2) }), /'theta0'/);
  await assert.rejects(async () => backend.multinomialCopies({ ...good, threads: 0 }), /'threads'/);
  await assert.rejects(async () => backend.multinomialCopies({ ...good, objective: 'nope' as never }), /objective/);
});
