/** Content hashes (sha256 from node:crypto) that identify data in cache keys, checkpoints and artifacts. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * The bytes of a typed array, as a view on the same memory (no copy).
 * @param a - a typed array or other buffer view
 * @returns a Uint8Array over the same bytes
 */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * sha256 of the chunks in order, as if concatenated: typed arrays by their bytes, strings as UTF-8.
 * @param chunks - what to hash
 * @returns the hex digest (64 characters)
 */
export function sha256Hex(...chunks: (ArrayBufferView | string)[]): string {
  const h = createHash('sha256');
  for (const c of chunks) h.update(typeof c === 'string' ? c : bytesOf(c));
  return h.digest('hex');
}

/**
 * sha256 of a file's bytes, read as a stream (the file is never held in memory whole).
 * @param path - the file
 * @returns the hex digest (64 characters)
 */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * sha256 of an array's bytes, prefixed by its length: equal strings mean equal contents.
 * @param a - a typed array
 * @returns `length:hex digest`
 */
export function hashArray(a: ArrayBufferView & { length: number }): string {
  return `${a.length}:${sha256Hex(a).slice(0, 32)}`;
}
