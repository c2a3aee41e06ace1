/**
 * The draws of Algorithm 1 (docs/methods.md section 4) for model k: a subset D^k of ceil(r n)
 * training indices without replacement and xi_i^k ~ U(0, 1), from a generator seeded by
 * (seed, k) alone, so model k is the same in every run, resumed or parallel.
 */
import { mixSeed, sampleIndices, seededRandom } from '../random.ts';

/** The perturbed objective: Daunce ('hessian'), Daunce-E ('fisher') or Daunce-T ('trak'). */
export type DaunceVariant = 'hessian' | 'fisher' | 'trak';
/** White-box (with the first-order term) or black-box (without it) objectives. */
export type DaunceAccess = 'white-box' | 'black-box';

/** The draws of one perturbed copy. */
export interface Perturbation {
  /** Draw index k (0-based). */
  k: number;
  /** Sorted training indices of D^k. */
  subset: Uint32Array;
  /** xi_i^k for each index of `subset`, same order. */
  xi: Float64Array;
}

/**
 * The seed of perturbed model k of a run (its draws and, for the MLP, its training).
 * @param seed - the run's seed
 * @param k - the model's index
 * @returns a 32-bit seed
 */
export function modelSeed(seed: number, k: number): number {
  return mixSeed(seed, 'daunce-model', k);
}

/**
 * The subset D^k and the xi^k of copy k (docs/methods.md section 4), from (seed, k) alone.
 * @param n - number of training examples
 * @param ratio - fraction of them in D^k
 * @param seed - the run's seed
 * @param k - the copy's index
 * @returns the copy's draws
 */
export function drawPerturbation(n: number, ratio: number, seed: number, k: number): Perturbation {
  const random = seededRandom(modelSeed(seed, k));
  const subset = sampleIndices(n, Math.ceil(ratio * n), random);
  return { k, subset, xi: Float64Array.from(subset, () => random()) };
}
