/**
 * Mutation testing: plants each documented bug of ./list.ts in turn, runs the test suite,
 * and reports which mutants the suite kills. Usage (from the repository root):
 *
 *   npm run test:mutants                       # every mutant, the full `npm test` each time
 *   npm run test:mutants -- --only spearman-min-rank,woodbury-sign
 *   npm run test:mutants -- --tests "test/references.test.ts test/influence.test.ts"
 *
 * Source files are always restored (also on Ctrl-C) and the addon rebuilt after a native
 * mutant. The report goes to bench/results/mutants.json (atomically); the exit code is 1 if
 * any mutant survived or no longer applies.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { MUTANTS, type Mutant } from './list.ts';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    tests: { type: 'string' },
    out: { type: 'string', default: 'bench/results/mutants.json' },
    'timeout-min': { type: 'string', default: '20' },
  },
});

interface Outcome {
  id: string;
  bug: string;
  files: string[];
  status: 'killed' | 'survived' | 'stale' | 'timeout';
  failedTests: string[];
  seconds: number;
  detail?: string;
}

const originals = new Map<string, string>();
const restore = () => {
  for (const [file, text] of originals) writeFileSync(file, text);
  originals.clear();
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    restore();
    process.exit(130);
  });
}

/** The one file holding `snippet` exactly once among the tracked sources, or why not. */
function locate(snippet: string): { file?: string; problem?: string } {
  const files = execFileSync('git', ['ls-files', 'src', 'native'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const hits: string[] = [];
  for (const f of files) {
    const text = originals.get(f) ?? readFileSync(f, 'utf8');
    const count = text.split(snippet).length - 1;
    for (let c = 0; c < count; c++) hits.push(f);
  }
  if (hits.length === 1) return { file: hits[0] };
  return { problem: hits.length === 0 ? `snippet not found: ${JSON.stringify(snippet.slice(0, 80))}` : `snippet found ${hits.length} times (${hits.join(', ')})` };
}

function run(cmd: string, cmdArgs: string[], timeoutMs: number) {
  return spawnSync(cmd, cmdArgs, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, FORCE_COLOR: '0' } });
}

function buildAddon(): void {
  const r = run('npm', ['run', '--silent', 'build:native'], 20 * 60_000);
  if (r.status !== 0) throw new Error(`building the addon failed:\n${r.stdout}\n${r.stderr}`);
}

function apply(m: Mutant): { files: string[]; problem?: string } {
  const files: string[] = [];
  for (const e of m.edits) {
    const where = locate(e.find);
    if (!where.file) return { files, problem: where.problem };
    if (!originals.has(where.file)) originals.set(where.file, readFileSync(where.file, 'utf8'));
    const current = readFileSync(where.file, 'utf8');
    writeFileSync(where.file, current.replace(e.find, () => e.replace));
    files.push(where.file);
  }
  return { files };
}

function testCommand(): [string, string[]] {
  if (args.tests) return ['node', ['--import', 'tsx', '--test', ...args.tests.split(/\s+/).filter(Boolean)]];
  return ['npm', ['test', '--silent']];
}

const selected = args.only ? MUTANTS.filter((m) => args.only!.split(',').includes(m.id)) : MUTANTS;
if (args.only && selected.length !== args.only.split(',').length) throw new Error(`--only: unknown mutant id in '${args.only}'`);
const timeoutMs = Number(args['timeout-min']) * 60_000;
const outcomes: Outcome[] = [];
for (const m of selected) {
  const started = Date.now();
  let outcome: Outcome;
  const applied = apply(m);
  const native = applied.files.some((f) => f.startsWith('native/'));
  try {
    if (applied.problem) {
      outcome = { id: m.id, bug: m.bug, files: applied.files, status: 'stale', failedTests: [], seconds: 0, detail: applied.problem };
    } else {
      let buildFailed = '';
      if (native) {
        try {
          buildAddon();
        } catch (err) {
          buildFailed = (err as Error).message.slice(-2000);
        }
      }
      if (buildFailed) {
        outcome = { id: m.id, bug: m.bug, files: applied.files, status: 'stale', failedTests: [], seconds: 0, detail: `mutant does not compile: ${buildFailed}` };
      } else {
        const [cmd, cmdArgs] = testCommand();
        const r = run(cmd, cmdArgs, timeoutMs);
        const out = `${r.stdout}\n${r.stderr}`;
        const failedTests = [...out.matchAll(/^not ok \d+ - (.*)$/gm)].map((x) => x[1]!.trim());
        const ctestFailed = /tests failed out of/.test(out) ? ['ctest: native core tests'] : [];
        const timedOut = r.error !== undefined && /ETIMEDOUT/.test(String(r.error));
        outcome = {
          id: m.id,
          bug: m.bug,
          files: applied.files,
          status: timedOut ? 'timeout' : r.status !== 0 ? 'killed' : 'survived',
          failedTests: [...ctestFailed, ...failedTests],
          seconds: 0,
        };
      }
    }
  } finally {
    restore();
    if (native) buildAddon();
  }
  outcome.seconds = Math.round((Date.now() - started) / 1000);
  outcomes.push(outcome);
  console.log(`${outcome.status.padEnd(8)} ${m.id}: ${m.bug}${outcome.failedTests.length ? ` (${outcome.failedTests.length} failing, e.g. ${outcome.failedTests[0]})` : ''}${outcome.detail ? ` [${outcome.detail}]` : ''}`);
}

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const report = { date: new Date().toISOString(), commit, command: testCommand().flat().join(' '), mutants: outcomes };
mkdirSync(dirname(args.out!), { recursive: true });
const tmp = `${args.out}.${process.pid}.tmp`;
writeFileSync(tmp, `${JSON.stringify(report, null, 2)}\n`);
renameSync(tmp, args.out!);
const bad = outcomes.filter((o) => o.status === 'survived' || o.status === 'stale');
console.log(`\n${outcomes.length - bad.length} of ${outcomes.length} mutants killed${bad.length ? `; not killed: ${bad.map((o) => `${o.id} (${o.status})`).join(', ')}` : ''}`);
process.exitCode = bad.length ? 1 : 0;
