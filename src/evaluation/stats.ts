/** Agreement statistics between predicted and actual effects. */

/**
 * Pearson's correlation coefficient of two equally long samples (NaN when either is constant).
 * @param x - first sample
 * @param y - second sample
 * @returns the correlation in [-1, 1]
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n !== y.length) throw new RangeError(`pearson: lengths ${n} and ${y.length} differ`);
  let mx = 0,
    my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i]! - mx,
      b = y[i]! - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

/**
 * Least-squares slope of predicted on actual through the origin: 1 means unbiased magnitude.
 * @param actual - actual effects
 * @param predicted - predicted effects, same length
 * @returns sum(actual * predicted) / sum(actual^2)
 */
export function slopeThroughOrigin(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let xy = 0,
    xx = 0;
  for (let i = 0; i < actual.length; i++) {
    xy += actual[i]! * predicted[i]!;
    xx += actual[i]! * actual[i]!;
  }
  return xx === 0 ? NaN : xy / xx;
}

/**
 * Ranks 1..n with ties given their average rank.
 * @param x - a sample
 * @returns the rank of each value
 */
export function ranks(x: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const r = new Float64Array(x.length);
  for (let s = 0; s < order.length; ) {
    let e = s;
    while (e + 1 < order.length && x[order[e + 1]!] === x[order[s]!]) e++;
    const avg = (s + e) / 2 + 1;
    for (let k = s; k <= e; k++) r[order[k]!] = avg;
    s = e + 1;
  }
  return r;
}

/**
 * Spearman's rank correlation: Pearson correlation of the (tie-averaged) ranks.
 * @param x - first sample
 * @param y - second sample
 * @returns the rank correlation in [-1, 1]
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return pearson(ranks(x), ranks(y));
}

/**
 * Median of |predicted - actual| / |actual| over pairs with actual != 0.
 * @param actual - actual effects
 * @param predicted - predicted effects, same length
 * @returns the median relative error
 */
export function medianRelativeError(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const e: number[] = [];
  for (let i = 0; i < actual.length; i++)
    if (actual[i] !== 0) e.push(Math.abs(predicted[i]! - actual[i]!) / Math.abs(actual[i]!));
  if (e.length === 0) return NaN;
  e.sort((a, b) => a - b);
  const m = e.length >> 1;
  return e.length % 2 ? e[m]! : (e[m - 1]! + e[m]!) / 2;
}
