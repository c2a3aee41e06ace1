/**
 * An exclusive lock on an output directory, so two runs cannot interleave their records.
 * The lock file names its owner (pid and host). A lock left by a process that died (kill -9,
 * power loss) is recognised on the same host because that pid is no longer alive, and is
 * taken over; a live owner, or one on another host, gives a clear error.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readFile, rename, unlink } from 'node:fs/promises';
import { temporaryName, writeFileAtomic } from './atomic.ts';

export const LOCK_FILE = '.tdakit.lock';

interface LockOwner {
  pid: number;
  host: string;
  started: string;
}

export interface DirectoryLock {
  readonly file: string;
  /** Removes the lock (idempotent). */
  release(): Promise<void>;
}

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockOwner> | null;
    if (v && typeof v === 'object' && Number.isSafeInteger(v.pid) && v.pid! > 0 && typeof v.host === 'string')
      return v as LockOwner;
  } catch {
    // not JSON: handled by the caller
  }
  return undefined;
}

/**
 * Takes the lock of `dir` (which must exist) for `who` (used in messages), or throws an Error
 * naming the holder.
 */
export async function lockDirectory(dir: string, who: string): Promise<DirectoryLock> {
  const file = join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // Linked into place whole: a reader never sees a half-written lock.
      await writeFileAtomic(file, JSON.stringify(me) + '\n', { exclusive: true });
      let released = false;
      return {
        file,
        release: async () => {
          if (released) return;
          released = true;
          await unlink(file).catch(() => {});
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
      throw err;
    }
    const owner = parseOwner(text);
    if (!owner) {
      throw new Error(`${who}: ${file} exists but does not name its owner; if no run is using ${dir}, delete the file`);
    }
    if (owner.host !== me.host) {
      throw new Error(
        `${who}: ${dir} is locked by pid ${owner.pid} on host ${owner.host} (${file}); if that run is gone, delete the file`,
      );
    }
    if (processAlive(owner.pid)) {
      throw new Error(
        `${who}: ${dir} is in use by another run (pid ${owner.pid}, since ${owner.started}); wait for it or use another directory`,
      );
    }
    // Stale: its owner died. Move it aside under a unique name first, so that of two processes
    // finding the same stale lock only one removes it.
    const aside = temporaryName(file);
    try {
      await rename(file, aside);
      await unlink(aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new Error(`${who}: could not take the lock ${file} (another run keeps taking it)`);
}
