/**
 * Atomic artifact directories: each file is written by the project's atomic writer
 * (src/io/atomic.ts: unique temporary name, fsync, rename), and the whole directory is built
 * beside its destination and renamed onto it, so a reader never sees a partial artifact.
 */
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { temporaryName } from '../io/atomic.ts';

/**
 * Builds a directory with `fill(tmpDir)` and renames it onto `dir`. An existing `dir` is
 * replaced only when it is empty or holds a file named `marker` (a previous artifact);
 * anything else is refused, so a mistyped path never deletes unrelated files.
 */
export async function writeDirectoryAtomic(
  dir: string,
  marker: string,
  fill: (tmpDir: string) => Promise<void>,
): Promise<void> {
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
