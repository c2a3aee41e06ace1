/** Agreement statistics between predicted and actual effects. */

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n !== y.length) throw new RangeError(`pearson: lengths ${n} and ${y.length} differ`);
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += x[i]!; my += y[i]!; }
  mx /= n; my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i]! - mx, b = y[i]! - my;
    sxy += a * b; sxx += a * a; syy += b * b;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

/** Least-squares slope of predicted on actual through the origin: 1 means unbiased magnitude. */
export function slopeThroughOrigin(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let xy = 0, xx = 0;
  for (let i = 0; i < actual.length; i++) { xy += actual[i]! * predicted[i]!; xx += actual[i]! * actual[i]!; }
  return xx === 0 ? NaN : xy / xx;
}
