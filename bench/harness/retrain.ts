/**
 * Retrain targets of issue 14 item 2 on the SpamAssassin bag of words (lambda = 0.01): exact
 * refits after removing 1% and 5% of the emails, and LDS-style half-subset reweightings, timed as
 *   - tdakit's refit (Newton-Krylov, preconditioned by the reference factor + Woodbury),
 *   - a Newton fit warm-started at the same optimum with a Hessian build per Newton step and
 *     chord steps between (krylovSteps: false; the retrain path before Newton-Krylov),
 *     interleaved with it, min/median of several runs,
 *   - numpy's damped Newton warm-started at the same optimum (one run per removal case),
 * all to the same tolerance.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogisticRegression, writeNpy } from '../../src/index.ts';
import type { LabelledData } from '../../src/datasets/mnist.ts';
import { runStats } from './measure.ts';
import { plainNewtonRefit } from './newton-refit.ts';
import { reference } from './python.ts';

/**
 * Times the retrain cases.
 * @param data - the data (spam; a small slice of it in quick mode)
 * @param lambda - L2 penalty
 * @param runs - interleaved runs of each method
 * @param subsets - LDS half-subsets
 * @returns per case: timings, diagnostics, speed-ups over the warm Newton retrain and numpy
 */
export async function retrainTargets(data: LabelledData, lambda: number, runs: number, subsets: number) {
  const { X, y } = data;
  const model = await LogisticRegression.fit(X, y, { lambda });
  await model.factorization();
  const newtonRetrain = (weights: Float64Array) => plainNewtonRefit(model, X, y, lambda, weights);
  const cases: { name: string; fraction?: number; weights: Float64Array[] }[] = [];
  for (const fraction of [0.01, 0.05]) {
    const k = Math.round(fraction * X.rows);
    const w = new Float64Array(X.rows).fill(1);
    for (let j = 0; j < k; j++) w[Math.floor((j * X.rows) / k + 7) % X.rows] = 0;
    cases.push({ name: `remove ${fraction * 100}%`, fraction, weights: [w] });
  }
  const half: Float64Array[] = [];
  for (let s = 0; s < subsets; s++) {
    let state = 1000 + s;
    const rnd = () => {
      state = (state * 16807) % 2147483647;
      return state / 2147483647;
    };
    half.push(Float64Array.from({ length: X.rows }, () => (rnd() < 0.5 ? 1 : 0)));
  }
  cases.push({ name: `LDS ${subsets} half-subsets`, weights: half });

  const dir = mkdtempSync(join(tmpdir(), 'tdakit-bench-retrain-'));
  try {
    await writeNpy(join(dir, 'X.npy'), X.data, [X.rows, X.cols]);
    await writeNpy(join(dir, 'y.npy'), y, [X.rows]);
    await writeNpy(join(dir, 'theta.npy'), model.theta, [model.nParameters]);
    const out = [];
    for (const c of cases) {
      const krylov: number[] = [],
        newton: number[] = [];
      let krylovGrad = 0,
        newtonGrad = 0,
        krylovDiagnostics = {},
        newtonDiagnostics = {};
      for (let r = 0; r < runs; r++) {
        // Interleaved so that load on a shared machine hits both alike.
        let t = performance.now();
        for (const w of c.weights) {
          const m = await model.refit({ weights: w }, { keepHessian: false });
          krylovGrad = Math.max(krylovGrad, m.gradientNorm);
          krylovDiagnostics = m.diagnostics;
        }
        krylov.push((performance.now() - t) / 1000);
        t = performance.now();
        for (const w of c.weights) {
          const f = await newtonRetrain(w);
          newtonGrad = Math.max(newtonGrad, f.gradientNorm);
          newtonDiagnostics = {
            newtonIterations: f.newtonIterations,
            chordIterations: f.chordIterations,
            krylovIterations: f.krylovIterations,
          };
        }
        newton.push((performance.now() - t) / 1000);
      }
      let numpy: Record<string, number | string> | undefined;
      if (c.fraction !== undefined) {
        await writeNpy(join(dir, 'weights.npy'), c.weights[0]!, [X.rows]);
        numpy = reference('newton-retrain', dir, { lambda, tol: model.options.tol });
      }
      const k = runStats(krylov),
        n = runStats(newton);
      out.push({
        case: c.name,
        retrains: c.weights.length,
        krylov: { ...k, maxGradientNorm: krylovGrad, lastDiagnostics: krylovDiagnostics },
        warmNewton: { ...n, maxGradientNorm: newtonGrad, lastDiagnostics: newtonDiagnostics },
        speedup: n.median / k.median,
        ...(numpy ? { numpyWarmNewton: numpy, speedupVsNumpy: (numpy.seconds as number) / k.median } : {}),
      });
    }
    return { dataset: data.name, n: X.rows, d: X.cols, lambda, cases: out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
