/**
 * The draws of Algorithm 1 (methods.md section 4) for model k: a subset D^k of ceil(r n)
 * training indices without replacement and xi_i^k ~ U(0, 1), from a generator seeded by
 * (seed, k) alone, so model k is the same in every run, resumed or parallel.
 */
import { seededRandom } from '../random.ts';

export type DaunceVariant = 'hessian' | 'fisher' | 'trak';
export type DaunceAccess = 'white-box' | 'black-box';

export interface Perturbation {
  /** Draw index k (0-based). */
  k: number;
  /** Sorted training indices of D^k. */
  subset: Uint32Array;
  /** xi_i^k for each index of `subset`, same order. */
  xi: Float64Array;
}

export function modelSeed(seed: number, k: number): number {
  let h = (Math.imul(seed ^ 0x85ebca6b, 0x9e3779b1) ^ Math.imul(k + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

export function drawPerturbation(n: number, ratio: number, seed: number, k: number): Perturbation {
  const random = seededRandom(modelSeed(seed, k));
  const size = Math.ceil(ratio * n);
  // A typed array (4 bytes per example) rather than a JS array: same draws, far less memory.
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  const subset = idx.slice(0, size).sort();
  return { k, subset, xi: Float64Array.from(subset, () => random()) };
}
