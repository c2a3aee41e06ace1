/** Plain-JS references for the multilayer perceptron (independent of the native kernels), shared by the MLP tests. */
import { Matrix } from '../src/index.ts';
import { gaussian, rng } from './helpers.ts';

/** n seeded Gaussian inputs with labels from the first two features. */
export function tinyData(n: number, d: number, classes: number, seed: number) {
  const r = rng(seed);
  const X = Float64Array.from({ length: n * d }, () => gaussian(r));
  const y = Float64Array.from({ length: n }, (_, i) => (X[i * d]! > 0.3 ? 2 : X[i * d + 1]! > 0 ? 1 : 0) % classes);
  return { X: new Matrix(X, n, d), y };
}

/** Plain-JS forward pass: the logits (independent of the native kernels). */
export function jsLogits(theta: ArrayLike<number>, sizes: number[], x: ArrayLike<number>): number[] {
  let h = Array.from(x);
  let at = 0;
  for (let l = 1; l < sizes.length; l++) {
    const out = sizes[l]!,
      inp = sizes[l - 1]!;
    const z = new Array<number>(out).fill(0);
    for (let o = 0; o < out; o++) {
      for (let i = 0; i < inp; i++) z[o]! += theta[at + o + i * out]! * h[i]!; // W column-major (out x in)
      z[o]! += theta[at + out * inp + o]!;
    }
    at += out * inp + out;
    h = l < sizes.length - 1 ? z.map((v) => Math.max(0, v)) : z;
  }
  return h;
}

export const logSumExp = (v: number[]) => {
  const m = Math.max(...v);
  return m + Math.log(v.reduce((s, x) => s + Math.exp(x - m), 0));
};

/** Cross-entropy from the JS logits. */
export function jsLoss(theta: ArrayLike<number>, sizes: number[], x: ArrayLike<number>, y: number): number {
  const g = jsLogits(theta, sizes, x);
  return logSumExp(g) - g[y]!;
}

/** True-class margin f = g_y - logsumexp_{c != y} g_c from the JS logits. */
export function jsMargin(theta: ArrayLike<number>, sizes: number[], x: ArrayLike<number>, y: number): number {
  const g = jsLogits(theta, sizes, x);
  return g[y]! - logSumExp(g.filter((_, c) => c !== y));
}
