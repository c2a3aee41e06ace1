/**
 * Per-example quantities at theta_0 from a logit matrix (n x C, row-major), shared by the
 * multi-class perturbable models: the cross-entropy l, the true-class margin
 * f = g_y - logsumexp_{c != y} g_c, and their gradients in the first `columns` logits (all C
 * for the MLP; the C - 1 free ones for softmax regression, whose last logit is fixed at 0).
 */
export interface LogitStatistics {
  loss: Float64Array;
  margin: Float64Array;
  /** n x columns: d l / d g_c. */
  dLoss: Float64Array;
  /** n x columns: d f / d g_c. */
  dMargin: Float64Array;
}

export function logitStatistics(logits: Float64Array, y: Float64Array, C: number, columns = C): LogitStatistics {
  const n = y.length;
  const loss = new Float64Array(n),
    margin = new Float64Array(n);
  const dLoss = new Float64Array(n * columns),
    dMargin = new Float64Array(n * columns);
  for (let i = 0; i < n; i++) {
    const yi = y[i]!;
    const row = logits.subarray(i * C, (i + 1) * C);
    const lse = (skip: number) => {
      let m = -Infinity;
      for (let c = 0; c < C; c++) if (c !== skip) m = Math.max(m, row[c]!);
      let s = 0;
      for (let c = 0; c < C; c++) if (c !== skip) s += Math.exp(row[c]! - m);
      return m + Math.log(s);
    };
    const all = lse(-1),
      others = lse(yi);
    loss[i] = all - row[yi]!;
    margin[i] = row[yi]! - others;
    for (let c = 0; c < columns; c++) {
      dLoss[i * columns + c] = Math.exp(row[c]! - all) - (c === yi ? 1 : 0);
      dMargin[i * columns + c] = c === yi ? 1 : -Math.exp(row[c]! - others);
    }
  }
  return { loss, margin, dLoss, dMargin };
}
