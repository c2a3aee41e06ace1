/**
 * Mutation testing: plants each documented bug of ./list.ts in turn, runs the test files named
 * for it, and reports which mutants those tests kill. Usage (from the repository root):
 *
 *   npm run test:mutants                       # every mutant against its own test files
 *   npm run test:mutants -- --only spearman-min-rank,woodbury-sign
 *   npm run test:mutants -- --tests "test/references.test.ts test/influence.test.ts"
 *   npm run test:mutants -- --check            # only check that every snippet still applies (fast)
 *
 * The chosen test files first run once on the unmutated sources (the baseline): if they fail,
 * nothing is mutated. A mutant counts as killed only when named tests fail; a crash (a test
 * file that cannot load, a signal) or the time limit is reported as such and is not a kill.
 * Source files are always restored (also on Ctrl-C or SIGTERM, which stop the test run) and
 * the addon rebuilt after a native mutant. The report goes to bench/results/mutants.json
 * (atomically); the exit code is 1 if any mutant was not killed, 2 if the baseline failed.
 * `--list <module>` runs another mutant list (its MUTANTS, searched for under its ROOTS).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { judgeRun, type RunResult, type RunVerdict } from './tap.ts';
import type { Mutant } from './list.ts';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    tests: { type: 'string' },
    list: { type: 'string', default: 'test/mutants/list.ts' },
    out: { type: 'string', default: 'bench/results/mutants.json' },
    'timeout-min': { type: 'string', default: '20' },
    check: { type: 'boolean', default: false },
  },
});

const listModule = (await import(pathToFileURL(resolve(args.list!)).href)) as { MUTANTS: Mutant[]; ROOTS?: string[] };
const MUTANTS = listModule.MUTANTS;
const ROOTS = listModule.ROOTS ?? ['src', 'native'];

interface Outcome {
  id: string;
  bug: string;
  files: string[];
  tests: string[];
  status: 'killed' | 'survived' | 'stale' | 'crashed' | 'timeout';
  failedTests: string[];
  seconds: number;
  detail?: string;
}

// ---- sources: mutate, restore (also on a signal) ---------------------------------------------
const originals = new Map<string, string>();
const restore = () => {
  for (const [file, text] of originals) writeFileSync(file, text);
  originals.clear();
};

let current: ChildProcess | undefined;
let interrupted: NodeJS.Signals | undefined;
/** Stops the running command and its children (they share its process group). */
const stopCurrent = (signal: NodeJS.Signals) => {
  if (current?.pid !== undefined && current.exitCode === null) {
    try {
      process.kill(-current.pid, signal);
    } catch {
      // already gone
    }
  }
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) {
      // A second signal: leave now; the sources are already restored.
      restore();
      console.error('stopped; if a native mutant was built, run `npm run build:native`');
      process.exit(130);
    }
    interrupted = signal;
    console.error(`\n${signal}: restoring the sources and stopping the test run (again to leave at once)`);
    restore();
    // The results of this run are discarded, so nothing in its process group needs a grace period.
    stopCurrent('SIGKILL');
  });
}

/** The one file holding `snippet` exactly once among the tracked sources, or why not. */
function locate(snippet: string): { file?: string; problem?: string } {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', ...ROOTS], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
  const hits: string[] = [];
  for (const f of files) {
    const text = originals.get(f) ?? readFileSync(f, 'utf8');
    const count = text.split(snippet).length - 1;
    for (let c = 0; c < count; c++) hits.push(f);
  }
  if (hits.length === 1) return { file: hits[0] };
  return {
    problem:
      hits.length === 0
        ? `snippet not found: ${JSON.stringify(snippet.slice(0, 80))}`
        : `snippet found ${hits.length} times (${hits.join(', ')})`,
  };
}

function apply(m: Mutant): { files: string[]; problem?: string } {
  const files: string[] = [];
  for (const e of m.edits) {
    const where = locate(e.find);
    if (!where.file) return { files, problem: where.problem };
    if (!originals.has(where.file)) originals.set(where.file, readFileSync(where.file, 'utf8'));
    const text = readFileSync(where.file, 'utf8');
    writeFileSync(
      where.file,
      text.replace(e.find, () => e.replace),
    );
    files.push(where.file);
  }
  return { files };
}

// ---- commands --------------------------------------------------------------------------------
/** Runs a command in its own process group (so a signal or the time limit stops all of it). */
function run(cmd: string, cmdArgs: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((done) => {
    // Without NODE_TEST_CONTEXT: run from inside a test file, node would skip the test files.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const child = spawn(cmd, cmdArgs, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...env, FORCE_COLOR: '0', NO_COLOR: '1' },
    });
    current = child;
    const chunks: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => chunks.push(b));
    child.stderr!.on('data', (b: Buffer) => chunks.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stopCurrent('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => chunks.push(Buffer.from(`\n${String(err)}\n`)));
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      // Test files still running in the group (their runner was killed) go with it.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is empty
      }
      current = undefined;
      done({ exitCode, signal, timedOut, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

async function buildAddon(): Promise<void> {
  const r = await run('npm', ['run', '--silent', 'build:native'], 20 * 60_000);
  if (r.exitCode !== 0) throw new Error(`building the addon failed:\n${r.output.slice(-4000)}`);
}

function testsOf(m: Mutant): string[] {
  return args.tests ? args.tests.split(/\s+/).filter(Boolean) : m.tests;
}

function runTests(files: string[], timeoutMs: number): Promise<RunVerdict> {
  return run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', ...files], timeoutMs).then(
    judgeRun,
  );
}

// ---- main ------------------------------------------------------------------------------------
const onlyIds = args.only?.split(',');
const selected = onlyIds ? MUTANTS.filter((m) => onlyIds.includes(m.id)) : MUTANTS;
if (onlyIds && selected.length !== onlyIds.length) throw new Error(`--only: unknown mutant id in '${args.only}'`);
const timeoutMs = Number(args['timeout-min']) * 60_000;
if (args.check) {
  // Every edit must still find its snippet exactly once: a refactoring that moved or changed it
  // makes the mutant stale (this mode runs in the test suite, so a stale list fails fast).
  const stale = selected.flatMap((m) => m.edits.map((e) => ({ id: m.id, ...locate(e.find) })).filter((r) => !r.file));
  for (const s of stale) console.log(`stale    ${s.id}: ${s.problem}`);
  const noTests = selected.filter((m) => testsOf(m).length === 0);
  for (const m of noTests) console.log(`no tests ${m.id}`);
  console.log(`${selected.length - new Set(stale.map((s) => s.id)).size} of ${selected.length} mutants apply`);
  process.exit(stale.length || noTests.length ? 1 : 0);
}

// The baseline: the chosen tests must pass on the unmutated sources, or no kill means anything.
const baselineFiles = [...new Set(selected.flatMap(testsOf))].sort();
const baselineStarted = Date.now();
const baseline = await runTests(baselineFiles, timeoutMs);
const baselineSeconds = Math.round((Date.now() - baselineStarted) / 1000);
if (interrupted) process.exit(130);
if (baseline.status !== 'passed') {
  console.error(`baseline failed (${baseline.status}) on the unmutated sources; no mutant was run.`);
  if (baseline.failedTests.length) console.error(`failing tests: ${baseline.failedTests.join('; ')}`);
  if (baseline.detail) console.error(baseline.detail);
  process.exit(2);
}
console.log(`baseline passed: ${baselineFiles.join(' ')} (${baselineSeconds} s)`);

const outcomes: Outcome[] = [];
for (const m of selected) {
  const started = Date.now();
  const tests = testsOf(m);
  const base = { id: m.id, bug: m.bug, tests };
  let outcome: Outcome;
  const applied = apply(m);
  const native = applied.files.some((f) => f.startsWith('native/'));
  try {
    if (applied.problem) {
      outcome = {
        ...base,
        files: applied.files,
        status: 'stale',
        failedTests: [],
        seconds: 0,
        detail: applied.problem,
      };
    } else {
      let buildFailed = '';
      if (native) await buildAddon().catch((err: Error) => (buildFailed = err.message.slice(-2000)));
      if (buildFailed) {
        outcome = {
          ...base,
          files: applied.files,
          status: 'stale',
          failedTests: [],
          seconds: 0,
          detail: `mutant does not compile: ${buildFailed}`,
        };
      } else {
        const verdict = await runTests(tests, timeoutMs);
        const status =
          verdict.status === 'failed-tests' ? 'killed' : verdict.status === 'passed' ? 'survived' : verdict.status;
        outcome = {
          ...base,
          files: applied.files,
          status,
          failedTests: verdict.failedTests,
          seconds: 0,
          ...(verdict.detail ? { detail: verdict.detail } : {}),
        };
      }
    }
  } finally {
    restore();
    if (native) {
      if (interrupted) console.error('rebuilding the addon from the restored sources');
      await buildAddon();
    }
  }
  if (interrupted) process.exit(130);
  outcome.seconds = Math.round((Date.now() - started) / 1000);
  outcomes.push(outcome);
  console.log(
    `${outcome.status.padEnd(8)} ${m.id}: ${m.bug}${outcome.failedTests.length ? ` (${outcome.failedTests.length} failing, e.g. ${outcome.failedTests[0]})` : ''}${outcome.detail ? ` [${outcome.detail}]` : ''}`,
  );
}

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const report = {
  date: new Date().toISOString(),
  commit,
  command: `node --import tsx --test --test-reporter=tap <each mutant's tests>`,
  baseline: { tests: baselineFiles, status: baseline.status, seconds: baselineSeconds },
  mutants: outcomes,
};
mkdirSync(dirname(args.out!), { recursive: true });
const tmp = `${args.out}.${process.pid}.tmp`;
writeFileSync(tmp, `${JSON.stringify(report, null, 2)}\n`);
renameSync(tmp, args.out!);
const bad = outcomes.filter((o) => o.status !== 'killed');
console.log(
  `\n${outcomes.length - bad.length} of ${outcomes.length} mutants killed${bad.length ? `; not killed: ${bad.map((o) => `${o.id} (${o.status})`).join(', ')}` : ''}`,
);
process.exitCode = bad.length ? 1 : 0;
