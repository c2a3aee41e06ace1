/** Content hashes (sha256 from node:crypto) that identify data in cache keys and checkpoint configurations. */
import { createHash } from 'node:crypto';

/**
 * sha256 of an array's bytes, prefixed by its length: equal strings mean equal contents.
 * @param a - a typed array
 * @returns `length:hex digest`
 */
export function hashArray(a: ArrayBufferView & { length: number }): string {
  const digest = createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
  return `${a.length}:${digest.slice(0, 32)}`;
}
