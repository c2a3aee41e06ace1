/**
 * The mutation list (test/mutants/list.ts) stays applicable: every planted bug's snippet still
 * occurs exactly once in src/ or native/. The mutants themselves run in `npm run test:mutants`
 * (a manual job: it rebuilds the addon and runs the suite once per mutant).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('every documented mutant still applies to the current sources', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/mutants/run.ts', '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /(\d+) of \1 mutants apply/);
});
