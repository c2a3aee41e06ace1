/** Seeded randomness: every random choice in tdakit comes from a seed the caller can set. */
import { createHash } from 'node:crypto';

/** mulberry32: a small, fast 32-bit generator of uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 32-bit seed for one named use of a user seed: sha256 of the seed and the parts, so streams
 * for different (seed, parts) are unrelated and none depends on what was drawn before it.
 * Every derived seed in tdakit comes from here.
 * @param seed - the user's seed
 * @param parts - what the stream is for (a name, a model index, a subset index, ...)
 * @returns an unsigned 32-bit seed for `seededRandom`
 */
export function mixSeed(seed: number, ...parts: (string | number)[]): number {
  return createHash('sha256')
    .update(JSON.stringify([seed, ...parts]))
    .digest()
    .readUInt32LE(0);
}

/**
 * Fisher-Yates shuffle in place of the first `count` positions: afterwards a[0..count) is a
 * uniform random sample without replacement, in random order (count = a.length - 1 or more
 * shuffles the whole array).
 * @param a - the array to shuffle (modified)
 * @param random - uniform generator on [0, 1)
 * @param count - how many leading positions to draw. Default all.
 * @returns the same array
 */
export function shuffleInPlace<T>(a: T[], random: () => number, count = a.length): T[] {
  const len = a.length;
  for (let i = 0; i < Math.min(count, len - 1); i++) {
    const j = i + Math.floor(random() * (len - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/**
 * `size` distinct indices drawn uniformly from [0, n), sorted.
 * @param n - population size
 * @param size - sample size (at most n)
 * @param random - uniform generator on [0, 1)
 * @returns sorted indices
 */
export function sampleIndices(n: number, size: number, random: () => number): Uint32Array {
  // The loop of shuffleInPlace on a typed array (4 bytes per index rather than a JS array's
  // boxed elements): the same draws with far less memory at large n.
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = 0; i < Math.min(size, n - 1); i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx.slice(0, size).sort();
}
