/**
 * Independent reference computations for the tests: plain-JS objectives, gradients and dense
 * solves that share no code with the native core.
 */
import { execFileSync } from 'node:child_process';
import { Matrix } from '../src/index.ts';
import { seededRandom } from '../src/random.ts';

/** Seeded uniform generator (the library's own; its statistics are not under test). */
export const rng = seededRandom;

/**
 * The Park-Miller (Lehmer) generator, uniform in (0, 1): the fixed sequence the data of some
 * convergence tests were built on (their cases were chosen on these draws).
 */
export function lehmer(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

export { gaussian } from '../src/evaluation/gaussian.ts';
import { gaussian } from '../src/evaluation/gaussian.ts';

/** Logistic data with a planted signal on the first `signal` features. */
export function logisticData(n: number, d: number, seed = 1, signal = Math.min(d, 5)) {
  const r = rng(seed);
  const X = new Float64Array(n * d);
  for (let k = 0; k < X.length; k++) X[k] = gaussian(r);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = 0.3;
    for (let j = 0; j < signal; j++) z += X[i * d + j]!;
    y[i] = r() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { X: new Matrix(X, n, d), y };
}

/** Class ids 0..C-1 from binned x_0 - 0.7 x_1 plus noise (every class present for moderate n). */
export function multiclassData(n: number, d: number, C: number, seed: number) {
  const r = rng(seed);
  const X = Float64Array.from({ length: n * d }, () => gaussian(r));
  const y = Float64Array.from({ length: n }, (_, i) => {
    const s = X[i * d]! - 0.7 * X[i * d + 1]! + 0.8 * gaussian(r);
    return Math.min(C - 1, Math.max(0, Math.floor(((s + 1.5) * C) / 3)));
  });
  return { X: new Matrix(X, n, d), y };
}

export function regressionData(n: number, d: number, seed = 2) {
  const r = rng(seed);
  const X = new Float64Array(n * d);
  for (let k = 0; k < X.length; k++) X[k] = gaussian(r);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let z = 1;
    for (let j = 0; j < d; j++) z += ((j % 3) - 1) * X[i * d + j]!;
    y[i] = z + 0.5 * gaussian(r);
  }
  return { X: new Matrix(X, n, d), y };
}

export type Kind = 'logistic' | 'ridge';

/** a_i = [x_i, 1?]. */
export function rowOf(X: Matrix, i: number, intercept: boolean): number[] {
  const r = Array.from(X.row(i));
  if (intercept) r.push(1);
  return r;
}

/** Plain sum of products, in index order. */
export const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
};

/** Reference per-example loss, slope and curvature in plain JS. */
export function refPointwise(kind: Kind, z: number, y: number) {
  if (kind === 'ridge') return { loss: 0.5 * (z - y) ** 2, slope: z - y, curv: 1 };
  const p = 1 / (1 + Math.exp(-z));
  return { loss: Math.log(1 + Math.exp(z)) - y * z, slope: p - y, curv: p * (1 - p) };
}

export interface RefProblem {
  kind: Kind;
  X: Matrix;
  y: ArrayLike<number>;
  w?: ArrayLike<number>;
  lambda: number;
  intercept: boolean;
}

/** F(theta) = sum w l + lambda/2 ||P theta||^2 in plain JS. */
export function refObjective(pr: RefProblem, theta: ArrayLike<number>): number {
  let f = 0;
  for (let i = 0; i < pr.X.rows; i++) {
    const z = dot(rowOf(pr.X, i, pr.intercept), theta);
    f += (pr.w ? pr.w[i]! : 1) * refPointwise(pr.kind, z, pr.y[i]!).loss;
  }
  for (let k = 0; k < pr.X.cols; k++) f += 0.5 * pr.lambda * theta[k]! ** 2;
  return f;
}

export function refGradient(pr: RefProblem, theta: ArrayLike<number>): number[] {
  const p = theta.length;
  const g = new Array<number>(p).fill(0);
  for (let i = 0; i < pr.X.rows; i++) {
    const a = rowOf(pr.X, i, pr.intercept);
    const s = (pr.w ? pr.w[i]! : 1) * refPointwise(pr.kind, dot(a, theta), pr.y[i]!).slope;
    for (let k = 0; k < p; k++) g[k]! += s * a[k]!;
  }
  for (let k = 0; k < pr.X.cols; k++) g[k]! += pr.lambda * theta[k]!;
  return g;
}

export function refHessian(pr: RefProblem, theta: ArrayLike<number>): number[][] {
  const p = theta.length;
  const H = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  for (let i = 0; i < pr.X.rows; i++) {
    const a = rowOf(pr.X, i, pr.intercept);
    const c = (pr.w ? pr.w[i]! : 1) * refPointwise(pr.kind, dot(a, theta), pr.y[i]!).curv;
    for (let r = 0; r < p; r++) for (let s = 0; s < p; s++) H[r]![s]! += c * a[r]! * a[s]!;
  }
  for (let k = 0; k < pr.X.cols; k++) H[k]![k]! += pr.lambda;
  return H;
}

/** Solves A x = b by Gaussian elimination with partial pivoting (independent of LAPACK). */
export function solveDense(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[piv]![c]!)) piv = r;
    [M[c], M[piv]] = [M[piv]!, M[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= M[r]![k]! * x[k]!;
    x[r] = s / M[r]![r]!;
  }
  return x;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]!));
  return m;
}

/** Whether python3 can import the given modules (for tests that compare with NumPy/SciPy). */
export function pythonHas(...modules: string[]): boolean {
  try {
    execFileSync('python3', ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
