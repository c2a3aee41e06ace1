/**
 * Data sent to workers: a bundle of named float64 arrays (training inputs and labels, example
 * weights, queries) identified by the sha256 of its bytes. A job names its bundle by URI:
 * - `file:<relative path>` inside the worker's data root (a shared directory), or
 * - `redis:<sha256>`, the bundle stored once in Redis (for small sets).
 * The worker resolves a file URI inside its root only (realpath, so no `..` or symlink leads
 * out) and refuses bytes whose sha256 differs from the job's.
 */
import { sha256Hex } from '../hash.ts';
import { existsSync } from 'node:fs';
import { mkdir, readFile, realpath } from 'node:fs/promises';
import { endianness } from 'node:os';
import { isAbsolute, join, resolve, sep } from 'node:path';
import type { Redis } from 'ioredis';
import { writeFileAtomic } from '../io/atomic.ts';

const MAGIC = 'TDAKITDS';

/** One array of a bundle: rows x cols float64 values, row-major. */
export interface BundleArray {
  data: Float64Array;
  rows: number;
  cols: number;
}

export type Bundle = Record<string, BundleArray>;

/** What a job says about its data. */
export interface DatasetRef {
  uri: string;
  sha256: string;
}

function checkLittleEndian(): void {
  if (endianness() !== 'LE')
    throw new RangeError('tdakit distributed: float64 data travel little-endian; this machine is big-endian');
}

export function sha256(bytes: Uint8Array): string {
  return sha256Hex(bytes);
}

/**
 * Serialises named arrays: magic, header length, JSON header, then the arrays' bytes.
 * @param bundle - named arrays
 * @returns the bytes (hash them to name the bundle)
 */
export function encodeBundle(bundle: Bundle): Uint8Array {
  checkLittleEndian();
  const names = Object.keys(bundle).sort();
  const header = new TextEncoder().encode(
    JSON.stringify({ arrays: names.map((name) => ({ name, rows: bundle[name]!.rows, cols: bundle[name]!.cols })) }),
  );
  const headerBytes = Math.ceil((header.length + 12) / 8) * 8 - 12; // arrays start 8-aligned
  const total = 12 + headerBytes + names.reduce((s, name) => s + 8 * bundle[name]!.data.length, 0);
  const out = new Uint8Array(total);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, headerBytes, true);
  out.fill(0x20, 12, 12 + headerBytes);
  out.set(header, 12);
  let offset = 12 + headerBytes;
  for (const name of names) {
    const a = bundle[name]!;
    if (a.data.length !== a.rows * a.cols)
      throw new RangeError(`encodeBundle: ${name} has ${a.data.length} values, not ${a.rows} x ${a.cols}`);
    out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), offset);
    offset += a.data.byteLength;
  }
  return out;
}

/**
 * Parses bundle bytes (after their hash was checked).
 * @param bytes - the bundle
 * @param where - for error messages
 * @returns named arrays (copies)
 */
export function decodeBundle(given: Uint8Array, where: string): Bundle {
  checkLittleEndian();
  // A Buffer's slice is a view into a shared pool: work on a plain Uint8Array, whose slice copies.
  const bytes = new Uint8Array(given.buffer, given.byteOffset, given.byteLength);
  const bad = (why: string) => new RangeError(`${where}: not a tdakit data bundle (${why})`);
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw bad('no magic');
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (12 + headerBytes > bytes.length) throw bad('truncated header');
  let header: { arrays?: { name?: unknown; rows?: unknown; cols?: unknown }[] };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerBytes)));
  } catch {
    throw bad('unreadable header');
  }
  if (!header || !Array.isArray(header.arrays)) throw bad('no array list');
  const out: Bundle = {};
  let offset = 12 + headerBytes;
  for (const a of header.arrays) {
    if (
      typeof a?.name !== 'string' ||
      !Number.isInteger(a.rows) ||
      !Number.isInteger(a.cols) ||
      (a.rows as number) < 0 ||
      (a.cols as number) < 0
    )
      throw bad('bad array entry');
    const count = (a.rows as number) * (a.cols as number);
    if (offset + 8 * count > bytes.length) throw bad(`array ${a.name} truncated`);
    out[a.name] = {
      data: new Float64Array(bytes.slice(offset, offset + 8 * count).buffer),
      rows: a.rows as number,
      cols: a.cols as number,
    };
    offset += 8 * count;
  }
  if (offset !== bytes.length) throw bad('trailing bytes');
  return out;
}

/** Redis key of a bundle stored in Redis. */
export function dataKey(prefix: string, digest: string): string {
  return `${prefix}:data:${digest}`;
}

/** A job named data it may not read, or data that are not what the job says. */
export class DataRefusedError extends Error {
  readonly code = 'ERR_TDAKIT_DATA_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'DataRefusedError';
  }
}

/**
 * The path of a file URI, refused unless it is inside `root` once every symlink is resolved.
 * @param root - the worker's data root
 * @param relative - the URI's path
 * @returns the real path of the file
 */
export async function pathInsideRoot(root: string, relative: string): Promise<string> {
  if (relative === '' || isAbsolute(relative) || relative.includes('\0'))
    throw new DataRefusedError(`data URI 'file:${relative}' must be a relative path inside the worker's data root`);
  const realRoot = await realpath(root);
  let real: string;
  try {
    real = await realpath(resolve(realRoot, relative));
  } catch (err) {
    throw new DataRefusedError(
      `data URI 'file:${relative}': ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file in the data root' : (err as Error).message}`,
    );
  }
  if (!real.startsWith(realRoot + sep))
    throw new DataRefusedError(`data URI 'file:${relative}' leads outside the worker's data root; refused`);
  return real;
}

/**
 * Reads a job's data and checks its hash.
 * @param ref - URI and sha256 from the job
 * @param context - the worker's data root and Redis client
 * @returns the bundle's bytes
 */
export async function fetchData(
  ref: DatasetRef,
  context: { dataRoot?: string; redis: Redis; prefix: string },
): Promise<Uint8Array> {
  let bytes: Uint8Array;
  if (ref.uri.startsWith('file:')) {
    if (!context.dataRoot)
      throw new DataRefusedError(`data URI '${ref.uri}': this worker was started without a data root`);
    bytes = await readFile(await pathInsideRoot(context.dataRoot, ref.uri.slice('file:'.length)));
  } else if (ref.uri.startsWith('redis:')) {
    const digest = ref.uri.slice('redis:'.length);
    if (!/^[0-9a-f]{64}$/.test(digest)) throw new DataRefusedError(`data URI '${ref.uri}' must be redis:<sha256>`);
    const stored = await context.redis.getBuffer(dataKey(context.prefix, digest));
    if (!stored) throw new DataRefusedError(`data URI '${ref.uri}': not stored in Redis`);
    bytes = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
  } else {
    throw new DataRefusedError(`data URI '${ref.uri.slice(0, 80)}' must start with file: or redis:`);
  }
  const actual = sha256(bytes);
  if (actual !== ref.sha256)
    throw new DataRefusedError(`data '${ref.uri}' has sha256 ${actual}, the job expects ${ref.sha256}; refused`);
  return bytes;
}

/** Largest bundle stored in Redis; bigger data go through a shared directory (`dataDir`). */
export const REDIS_DATA_LIMIT = 64 * 2 ** 20;

/**
 * Makes a bundle available to workers, once: in the shared directory when one is given (file
 * named by its hash), otherwise in Redis.
 * @param bytes - the bundle
 * @param target - the shared directory, or the Redis client and key prefix
 * @returns the reference jobs carry
 */
export async function publishData(
  bytes: Uint8Array,
  target: { dataDir?: string; redis: Redis; prefix: string },
): Promise<DatasetRef> {
  const digest = sha256(bytes);
  if (target.dataDir) {
    const relative = join('tdakit-data', `${digest}.bundle`);
    const path = join(target.dataDir, relative);
    if (!existsSync(path)) {
      await mkdir(join(target.dataDir, 'tdakit-data'), { recursive: true });
      await writeFileAtomic(path, bytes);
    }
    return { uri: `file:${relative.split(sep).join('/')}`, sha256: digest };
  }
  if (bytes.length > REDIS_DATA_LIMIT) {
    throw new RangeError(
      `distributed: the data bundle is ${(bytes.length / 2 ** 20).toFixed(1)} MiB, more than the ${REDIS_DATA_LIMIT / 2 ** 20} MiB kept in Redis; give queue.dataDir (a directory every worker reads as its data root)`,
    );
  }
  const key = dataKey(target.prefix, digest);
  await target.redis.set(key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'NX');
  return { uri: `redis:${digest}`, sha256: digest };
}
