/**
 * Seeded, time-bounded fuzzing of every public entry point (issue 16): malformed inputs must
 * end in a clear Error or a finite result, never a signal, a hang, or a silent NaN. The
 * driver (test/fuzz-driver.ts) runs in a child process so that a crash is observed rather
 * than taking the test runner down; the last case it started names the culprit.
 * TDAKIT_FUZZ_SEED and TDAKIT_FUZZ_MS choose another seed and budget (default 1 and 35 s).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { settle } from './child.ts';

const seed = Number(process.env.TDAKIT_FUZZ_SEED ?? 1);
const budgetMs = Number(process.env.TDAKIT_FUZZ_MS ?? 35_000);

test(`fuzz: every public entry point survives malformed input (seed ${seed}, ${budgetMs / 1000} s)`, (t) => {
  const root = resolve(import.meta.dirname, '..');
  const r = settle(
    spawnSync(process.execPath, ['--import', 'tsx', 'test/fuzz-driver.ts', String(seed), String(budgetMs)], {
      cwd: root,
      encoding: 'utf8',
      timeout: budgetMs + 90_000,
      maxBuffer: 256 << 20,
    }),
  );
  const lastCase = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('case '))
    .pop();
  assert.equal(r.timedOut, false, `the fuzz run hung (last case started: ${lastCase})`);
  assert.equal(r.signal, null, `the process died of ${r.signal} in ${lastCase}`);
  assert.equal(r.status, 0, `exit ${r.status} in ${lastCase}:\n${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    cases: number;
    counts: Record<string, { ok: number; errors: number }>;
    failures: { case: number; name: string; problem: string }[];
  };
  t.diagnostic(`${out.cases} cases over ${Object.keys(out.counts).length} entry points`);
  assert.ok(out.cases > 500, `only ${out.cases} cases ran`);
  // Every entry point was reached, and both accepted and rejected some inputs.
  for (const [name, c] of Object.entries(out.counts)) assert.ok(c.errors > 0, `${name}: never rejected an input`);
  assert.ok(Object.keys(out.counts).length >= 30, `entry points reached: ${Object.keys(out.counts).join(', ')}`);
  assert.deepEqual(out.failures.slice(0, 20), []);
});
