/**
 * The mutation runner's own logic (test/mutants/run.ts, tap.ts): a mutant is killed only by
 * named failing tests, never by a crash, a missing test file or a time limit; a failing
 * baseline stops the run before anything is mutated; a signal stops the test run and restores
 * the sources. Runs on the tiny fixture of test/fixtures/mutants (never on the library's
 * sources, which other test files load in parallel).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { judgeRun, parseTap } from './mutants/tap.ts';

const FIXTURE_SOURCE = 'test/fixtures/mutants/src/arith.ts';
const FIXTURE_LIST = 'test/fixtures/mutants/list.ts';
const runner = (...extra: string[]) =>
  [process.execPath, ['--import', 'tsx', 'test/mutants/run.ts', '--list', FIXTURE_LIST, ...extra]] as const;

/** Real TAP from node's runner on small files: the parser must read what node actually prints. */
function tapOf(files: Record<string, string>, extra: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'tdakit-tap-'));
  const paths = Object.entries(files).map(([name, body]) => {
    writeFileSync(
      join(dir, name),
      `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\n${body}\n`,
    );
    return join(dir, name);
  });
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const r = spawnSync(
    process.execPath,
    ['--test', '--test-reporter=tap', ...paths, ...extra.map((e) => join(dir, e))],
    { encoding: 'utf8', env },
  );
  return { exitCode: r.status, signal: r.signal, timedOut: false, output: `${r.stdout}\n${r.stderr}` };
}

test('judgeRun: named failures (leaves only), a clean pass, a file that cannot load, a missing file', () => {
  const failing = tapOf({
    'a.test.mjs':
      "test('passes', () => assert.equal(1, 1));\ntest('fails', () => assert.equal(1, 2));\ntest('group', async (t) => { await t.test('inner fails', () => assert.equal(1, 2)); });",
  });
  const v = judgeRun(failing);
  assert.equal(v.status, 'failed-tests');
  assert.deepEqual(v.failedTests.sort(), ['fails', 'inner fails']);

  const passing = judgeRun(tapOf({ 'ok.test.mjs': "test('passes', () => assert.ok(true));" }));
  assert.deepEqual([passing.status, passing.failedTests], ['passed', []]);

  const loadError = judgeRun(tapOf({ 'boom.test.mjs': "throw new Error('boom at load');" }));
  assert.equal(loadError.status, 'crashed');
  assert.deepEqual(loadError.failedTests, []);
  assert.match(loadError.detail!, /boom\.test\.mjs/);

  const signal = judgeRun(tapOf({ 'segv.test.mjs': "test('dies', () => { process.kill(process.pid, 'SIGKILL'); });" }));
  assert.equal(signal.status, 'crashed');
  assert.deepEqual(
    parseTap(
      tapOf({ 'segv.test.mjs': "test('dies', () => { process.kill(process.pid, 'SIGKILL'); });" }).output,
    ).failures.map((f) => f.fileLevel),
    [true],
  );

  const missing = judgeRun(
    tapOf({ 'ok.test.mjs': "test('passes', () => assert.ok(true));" }, ['nonexistent.test.mjs']),
  );
  assert.equal(missing.status, 'crashed');
  assert.equal(judgeRun({ exitCode: null, signal: 'SIGKILL', timedOut: true, output: '' }).status, 'timeout');
  // Exit 0 without any passing test (an empty file list) is not a pass either.
  assert.equal(
    judgeRun({ exitCode: 0, signal: null, timedOut: false, output: '1..0\n# pass 0\n# fail 0\n' }).status,
    'crashed',
  );
});

test('runner on the fixture: killed, survived, crashed and stale mutants; sources restored; report lists the tests run', () => {
  const before = readFileSync(FIXTURE_SOURCE, 'utf8');
  const out = join(mkdtempSync(join(tmpdir(), 'tdakit-mutants-')), 'report.json');
  const [cmd, argv] = runner('--only', 'add-subtracts,untested-triples,module-exits,gone-snippet', '--out', out);
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
  assert.equal(readFileSync(FIXTURE_SOURCE, 'utf8'), before);
  const report = JSON.parse(readFileSync(out, 'utf8')) as {
    baseline: { status: string; tests: string[] };
    mutants: { id: string; status: string; failedTests: string[]; tests: string[] }[];
  };
  assert.deepEqual(report.baseline, {
    ...report.baseline,
    status: 'passed',
    tests: ['test/fixtures/mutants/arith.fixture.ts'],
  });
  const byId = Object.fromEntries(report.mutants.map((m) => [m.id, m]));
  assert.deepEqual([byId['add-subtracts']!.status, byId['add-subtracts']!.failedTests], ['killed', ['add sums']]);
  assert.equal(byId['untested-triples']!.status, 'survived');
  assert.deepEqual([byId['module-exits']!.status, byId['module-exits']!.failedTests], ['crashed', []]);
  assert.equal(byId['gone-snippet']!.status, 'stale');
  for (const m of report.mutants) assert.deepEqual(m.tests, ['test/fixtures/mutants/arith.fixture.ts']);
});

test('a failing baseline (here a test file that does not exist) stops the run before any mutant', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'tdakit-mutants-')), 'report.json');
  for (const list of [FIXTURE_LIST, 'test/mutants/list.ts']) {
    const only = list === FIXTURE_LIST ? 'add-subtracts' : 'spearman-min-rank';
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/mutants/run.ts',
        '--list',
        list,
        '--only',
        only,
        '--tests',
        'test/nonexistent.test.ts',
        '--out',
        out,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 2, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /baseline failed \(crashed\)/);
    assert.equal(existsSync(out), false);
  }
});

test('the time limit gives a timeout, not a kill', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'tdakit-mutants-')), 'report.json');
  const [cmd, argv] = runner('--only', 'add-off-by-one', '--timeout-min', '0.25', '--out', out);
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
  const report = JSON.parse(readFileSync(out, 'utf8')) as { mutants: { status: string }[] };
  assert.equal(report.mutants[0]!.status, 'timeout');
});

/** Whether a process runs (a zombie whose parent is gone and that nobody reaped does not). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/^\d+ \(.*\) Z/.test(stat);
}

test('SIGTERM during a mutant run stops the test process and restores the sources', async () => {
  const before = readFileSync(FIXTURE_SOURCE, 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'tdakit-mutants-'));
  const pidFile = join(dir, 'pid');
  const [cmd, argv] = runner('--only', 'add-off-by-one', '--out', join(dir, 'report.json'));
  const child = spawn(cmd, argv, { env: { ...process.env, MUTANT_FIXTURE_PID_FILE: pidFile }, stdio: 'ignore' });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  // The hanging test writes its pid once the mutant is in place and its test is running.
  const deadline = Date.now() + 30_000;
  while (!existsSync(pidFile) && Date.now() < deadline) await sleep(100);
  assert.ok(existsSync(pidFile), 'the mutated test never started');
  assert.notEqual(readFileSync(FIXTURE_SOURCE, 'utf8'), before);
  child.kill('SIGTERM');
  assert.equal(await exited, 130);
  assert.equal(readFileSync(FIXTURE_SOURCE, 'utf8'), before);
  const testPid = Number(readFileSync(pidFile, 'utf8'));
  await sleep(200);
  assert.ok(!running(testPid), 'the hanging test process is still running');
  assert.equal(existsSync(join(dir, 'report.json')), false);
});
