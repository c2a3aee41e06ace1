/**
 * The fit target of issue 14 item 3: logistic regression on synthetic data (n x d, 64
 * informative features) against numpy's damped Newton (same stopping rule) and scikit-learn's
 * newton-cholesky solver, all timed in the same run, min/median of several runs each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogisticRegression, Matrix, writeNpy } from '../../src/index.ts';
import { gaussian, rng } from '../fixtures.ts';
import { repeat, runStats, type RunStats } from './measure.ts';
import { reference } from './python.ts';

/**
 * Synthetic logistic data: Gaussian features, labels from the first 64 (or d) of them.
 * @param rows - examples
 * @param d - features
 * @param seed - random seed
 * @returns the design and 0/1 labels
 */
export function syntheticLogistic(rows: number, d: number, seed: number): { X: Matrix; y: Float64Array } {
  const r = rng(seed);
  const informative = Math.min(64, d);
  const beta = Float64Array.from({ length: informative }, () => (3 * gaussian(r)) / Math.sqrt(informative));
  const X = new Float64Array(rows * d);
  for (let k = 0; k < X.length; k++) X[k] = gaussian(r);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let z = 0;
    for (let j = 0; j < informative; j++) z += X[i * d + j]! * beta[j]!;
    y[i] = r() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { X: new Matrix(X, rows, d), y };
}

interface ReferenceRuns {
  stats: RunStats;
  iterations: number;
  gradientNorm: number;
  version: string;
}

function referenceRuns(task: string, dir: string, params: object, runs: number): ReferenceRuns {
  const out = Array.from({ length: runs }, () => reference(task, dir, params));
  const last = out[out.length - 1]!;
  return {
    stats: runStats(out.map((o) => o.seconds as number)),
    iterations: last.iterations as number,
    gradientNorm: last.gradientNorm as number,
    version: String(last.sklearn ?? last.numpy),
  };
}

/**
 * Times the fit against numpy Newton and scikit-learn's newton-cholesky.
 * @param n - examples
 * @param d - features
 * @param lambda - L2 penalty (sum form; sklearn's C = 1 / lambda)
 * @param runs - runs of each solver
 * @returns timings, final gradient norms (tdakit's objective) and the ratios
 */
export async function fitTarget(n: number, d: number, lambda: number, runs: number) {
  const { X, y } = syntheticLogistic(n, d, 1);
  const dir = mkdtempSync(join(tmpdir(), 'tdakit-bench-fit-'));
  try {
    await writeNpy(join(dir, 'X.npy'), X.data, [n, d]);
    await writeNpy(join(dir, 'y.npy'), y, [n]);
    // The same work as the references (theta only): no final Hessian kept for influence.
    const ours = await repeat(runs, () => LogisticRegression.fit(X, y, { lambda, keepHessian: false }));
    const model = ours.last;
    const numpy = referenceRuns('fit', dir, { lambda, tol: model.options.tol }, runs);
    // scikit-learn at its default tolerance, the setting its users get.
    const sklearn = referenceRuns('sklearn-fit', dir, { lambda, tol: 1e-4 }, runs);
    return {
      n,
      d,
      lambda,
      tdakit: {
        stats: ours.stats,
        gradientNorm: model.gradientNorm,
        newtonIterations: model.iterations,
        krylovSteps: model.diagnostics.chordIterations,
        hessianVectorProducts: model.diagnostics.krylovIterations,
      },
      numpyNewton: numpy,
      sklearnNewtonCholesky: sklearn,
      speedupVsNumpy: numpy.stats.median / ours.stats.median,
      speedupVsSklearn: sklearn.stats.median / ours.stats.median,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
