/**
 * The scaling law of the Daunce paper (Figure 6): LDS(K) = a exp(-b K) + c, fitted by least
 * squares. For fixed b the model is linear in (a, c), so the fit minimises over b alone
 * (variable projection): a log-spaced scan, then golden-section refinement.
 */
export interface ScalingFit {
  a: number;
  b: number;
  c: number;
  /** Root mean squared residual. */
  rmse: number;
}

function linearPart(K: readonly number[], y: readonly number[], b: number) {
  // Least squares of y ~ a u + c with u = exp(-b K).
  const u = K.map((k) => Math.exp(-b * k));
  const n = K.length;
  const su = u.reduce((s, v) => s + v, 0),
    sy = y.reduce((s, v) => s + v, 0);
  const suu = u.reduce((s, v) => s + v * v, 0),
    suy = u.reduce((s, v, i) => s + v * y[i]!, 0);
  const det = n * suu - su * su;
  const a = det === 0 ? 0 : (n * suy - su * sy) / det;
  const c = (sy - a * su) / n;
  const sse = y.reduce((s, v, i) => s + (v - a * u[i]! - c) ** 2, 0);
  return { a, c, sse };
}

/**
 * Least-squares fit of LDS(K) = a exp(-b K) + c (the Daunce paper's Figure 6).
 * @param K - numbers of models (at least 3)
 * @param lds - the LDS at each K
 * @returns a, b, c and the root mean squared residual
 */
export function fitScalingLaw(K: readonly number[], lds: readonly number[]): ScalingFit {
  if (K.length !== lds.length || K.length < 3)
    throw new RangeError('fitScalingLaw: needs at least 3 (K, LDS) pairs of equal length');
  const kMax = Math.max(...K);
  let best = { b: 1 / kMax, sse: Infinity };
  for (let e = -4; e <= 1; e += 0.05) {
    const b = 10 ** e / kMax;
    const { sse } = linearPart(K, lds, b);
    if (sse < best.sse) best = { b, sse };
  }
  let lo = best.b / 1.2,
    hi = best.b * 1.2;
  const phi = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 100; it++) {
    const x1 = hi - phi * (hi - lo),
      x2 = lo + phi * (hi - lo);
    if (linearPart(K, lds, x1).sse < linearPart(K, lds, x2).sse) hi = x2;
    else lo = x1;
  }
  const b = (lo + hi) / 2;
  const { a, c, sse } = linearPart(K, lds, b);
  return { a, b, c, rmse: Math.sqrt(sse / K.length) };
}
