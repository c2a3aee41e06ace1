/**
 * The one place where tdakit writes files that a later run reads back (checkpoints, caches,
 * records' configuration): a unique temporary name, fsync, then rename, so a crash leaves
 * either the old file or the new one, never a torn one, and two processes writing into one
 * directory never share a temporary file. Binary payloads can be sealed with a SHA-256
 * trailer so that a bit flip or same-size garbage is detected on read.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { IntegrityError } from '../errors.ts';

export { IntegrityError };

/** A temporary name next to `path` that no other process or call can choose. */
export function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

export interface AtomicWriteOptions {
  /** Create only: fail with EEXIST (code preserved) if `path` already exists, atomically. */
  exclusive?: boolean;
}

/**
 * Writes `data` to `path` atomically: readers see the old file or the complete new one.
 * With `exclusive`, the file is linked into place instead of renamed, which fails if another
 * writer got there first.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string | Iterable<string | Uint8Array>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const tmp = temporaryName(path);
  const handle = await open(tmp, 'wx');
  try {
    try {
      if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data);
      else await writeChunks(handle, data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.exclusive) {
      await link(tmp, path);
      await unlink(tmp);
    } else {
      await rename(tmp, path);
    }
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

/**
 * Writes text chunks in batches of about 1 MiB (output too large for one string); byte chunks
 * (an array file's header and data) are written as they are, without a copy.
 */
async function writeChunks(handle: FileHandle, chunks: Iterable<string | Uint8Array>): Promise<void> {
  let batch: string[] = [];
  let size = 0;
  for (const chunk of chunks) {
    if (chunk instanceof Uint8Array) {
      if (batch.length > 0) await handle.write(batch.join(''));
      batch = [];
      size = 0;
      // One write takes at most 2 GiB.
      for (let at = 0; at < chunk.byteLength; )
        at += (await handle.write(chunk.subarray(at, at + (1 << 30)))).bytesWritten;
      continue;
    }
    batch.push(chunk);
    size += chunk.length;
    if (size >= 1 << 20) {
      await handle.write(batch.join(''));
      batch = [];
      size = 0;
    }
  }
  if (batch.length > 0) await handle.write(batch.join(''));
}

/**
 * Checks, before any work starts, that `path` can be written: its directory exists and takes
 * a new file, and `path` itself is not a directory. Throws an Error naming `option` and path.
 */
export async function checkWritable(path: string, option: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory()) throw new Error(`${option} ${path}: is a directory; give a file name`);
  const dir = dirname(path);
  const dirInfo = await stat(dir).catch(() => undefined);
  if (!dirInfo) throw new Error(`${option} ${path}: directory ${dir} does not exist`);
  if (!dirInfo.isDirectory()) throw new Error(`${option} ${path}: ${dir} is not a directory`);
  const probe = temporaryName(path);
  try {
    await (await open(probe, 'wx')).close();
  } catch (err) {
    throw new Error(
      `${option} ${path}: cannot create files in ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  await unlink(probe).catch(() => {});
}

// Sealed files: payload, then an 8-byte marker, then the 32-byte SHA-256 of the payload.
const SEAL_MARKER = Buffer.from('TDAKSHA1', 'latin1');
const SEAL_BYTES = SEAL_MARKER.length + 32;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

/** payload + marker + SHA-256(payload). */
export function seal(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.byteLength + SEAL_BYTES);
  out.set(payload, 0);
  out.set(SEAL_MARKER, payload.byteLength);
  out.set(sha256(payload), payload.byteLength + SEAL_MARKER.length);
  return out;
}

/** The payload of a sealed file's bytes; IntegrityError if the seal is missing or does not match. */
export function unseal(bytes: Uint8Array, path: string): Uint8Array {
  if (bytes.byteLength < SEAL_BYTES)
    throw new IntegrityError(path, `too short (${bytes.byteLength} bytes) to hold a checksum`);
  const end = bytes.byteLength - SEAL_BYTES;
  const marker = bytes.subarray(end, end + SEAL_MARKER.length);
  if (!Buffer.from(marker).equals(SEAL_MARKER))
    throw new IntegrityError(path, 'has no checksum trailer (truncated, or not written by tdakit)');
  const payload = bytes.subarray(0, end);
  if (!sha256(payload).equals(bytes.subarray(end + SEAL_MARKER.length))) {
    throw new IntegrityError(path, 'checksum mismatch (the file is corrupted)');
  }
  return payload;
}

/** Atomic write of a sealed payload. */
export function writeSealedAtomic(path: string, payload: Uint8Array): Promise<void> {
  return writeFileAtomic(path, seal(payload));
}

/** Reads and verifies a sealed file. ENOENT passes through; a bad seal is an IntegrityError. */
export async function readSealed(path: string): Promise<Uint8Array> {
  return unseal(new Uint8Array(await readFile(path)), path);
}
