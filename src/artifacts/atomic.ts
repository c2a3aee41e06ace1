/**
 * Atomic writes for artifacts: every file goes to a unique temporary name and is renamed into
 * place after an fsync, and a whole artifact directory is built beside its destination and
 * renamed onto it, so a reader sees either the old artifact or the complete new one.
 * (A project-wide helper may replace this module; its contract is the same.)
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** A name next to `path` that no other writer picks. */
export function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** Writes the chunks to `path` through a temporary file, fsync and rename. */
export async function writeFileAtomic(path: string, chunks: readonly Uint8Array[]): Promise<void> {
  const tmp = temporaryName(path);
  const fh = await open(tmp, 'wx');
  try {
    for (const chunk of chunks) {
      // fh.write takes at most 2 GiB at once: write large arrays piecewise.
      for (let at = 0; at < chunk.byteLength; ) {
        const piece = chunk.subarray(at, Math.min(chunk.byteLength, at + (1 << 30)));
        const { bytesWritten } = await fh.write(piece);
        at += bytesWritten;
      }
    }
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Builds a directory with `fill(tmpDir)` and renames it onto `dir`. An existing `dir` is
 * replaced only when it is empty or holds a file named `marker` (a previous artifact);
 * anything else is refused, so a mistyped path never deletes unrelated files.
 */
export async function writeDirectoryAtomic(dir: string, marker: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const target = resolve(dir);
  await mkdir(dirname(target), { recursive: true });
  const tmp = temporaryName(target);
  await mkdir(tmp);
  try {
    await fill(tmp);
    await syncDirectory(tmp);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  let old: string | undefined;
  const existing = await stat(target).catch(() => undefined);
  if (existing) {
    const entries = existing.isDirectory() ? await readdir(target) : undefined;
    if (!entries || (entries.length > 0 && !entries.includes(marker))) {
      await rm(tmp, { recursive: true, force: true });
      throw new Error(`${dir}: exists and is not a tdakit artifact (no ${marker}); refusing to replace it`);
    }
    old = temporaryName(target);
    await rename(target, old);
  }
  try {
    await rename(tmp, target);
  } catch (err) {
    if (old) await rename(old, target).catch(() => {});
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  await syncDirectory(dirname(target));
  if (old) await rm(old, { recursive: true, force: true });
}

/** fsync of a directory makes the renames in it durable (best effort where unsupported). */
async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined);
  if (!fh) return;
  try {
    await fh.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  } finally {
    await fh.close();
  }
}
