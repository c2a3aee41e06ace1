/** Synthetic-data helpers of the benchmarks (their own, so bench/ does not depend on test/). */
export { seededRandom as rng } from '../src/random.ts';
export { gaussian } from '../src/evaluation/gaussian.ts';
