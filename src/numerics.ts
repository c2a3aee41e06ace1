/** Scalar numerics shared by the models and analyses (one home, so each formula exists once). */

/**
 * The logistic function 1 / (1 + e^-z), evaluated without overflow for either sign of z.
 * @param z - a logit
 * @returns the probability in [0, 1]
 */
export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * log(sum_c e^{v_c}), with the maximum subtracted first so no term overflows.
 * @param values - the terms v_c
 * @returns the log of the sum of exponentials (-Infinity for no terms)
 */
export function logSumExp(values: ArrayLike<number>): number {
  let m = -Infinity;
  for (let c = 0; c < values.length; c++) m = Math.max(m, values[c]!);
  if (m === -Infinity || !Number.isFinite(m)) return m;
  let s = 0;
  for (let c = 0; c < values.length; c++) s += Math.exp(values[c]! - m);
  return m + Math.log(s);
}
