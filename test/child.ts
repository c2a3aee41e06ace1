/**
 * Runs a snippet of TypeScript in a fresh Node process, for cases where a failure could kill
 * the process (a native abort, a stack or heap overflow, an uncaught stream error). The
 * snippet can import 'tdakit' (mapped to this checkout's src/index.ts) and reports through
 * stdout; the caller asserts on the exit code, the signal and the output.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Imports from 'tdakit' and 'tdakit/src/...' are rewritten to this checkout's sources. The
 * snippet runs in the repository root; process.env.SNIPPET_DIR is a fresh temporary directory.
 * `env` adds to (or overrides) this process's environment for the child only, e.g.
 * `{ OPENBLAS_NUM_THREADS: '1' }`.
 */
export function runSnippet(
  code: string,
  { timeoutMs = 60_000, nodeArgs = [] as string[], env = {} as Record<string, string> } = {},
): ChildResult {
  const dir = mkdtempSync(join(tmpdir(), 'tdakit-child-'));
  const file = join(dir, 'snippet.mts');
  const source = code
    .replace(/from 'tdakit'/g, `from '${SRC}/index.ts'`)
    .replace(/from 'tdakit\/src\/([^']+)'/g, `from '${SRC}/$1'`);
  writeFileSync(file, source);
  return settle(
    spawnSync(process.execPath, [...nodeArgs, '--import', 'tsx', file], {
      encoding: 'utf8',
      timeout: timeoutMs,
      cwd: ROOT,
      env: { ...process.env, ...env, SNIPPET_DIR: dir },
    }),
  );
}

export function settle(r: SpawnSyncReturns<string>): ChildResult {
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  return {
    status: r.status,
    signal: timedOut ? null : r.signal,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    timedOut,
  };
}

/** The last line of stdout parsed as JSON (the snippet's report). */
export function report<T = Record<string, unknown>>(r: ChildResult): T {
  const lines = r.stdout.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]!) as T;
  } catch {
    throw new Error(
      `child printed no report (status ${r.status}, signal ${r.signal}, timed out ${r.timedOut}):\n${r.stdout}\n${r.stderr}`,
    );
  }
}

/** What a snippet prints for a call that must fail cleanly: the error's name and message. */
export const CATCH = `
const outcome = async (f) => {
  try { const v = await f(); return { ok: true, value: v }; }
  catch (e) { return { ok: false, name: e?.name, message: String(e?.message) }; }
};`;
