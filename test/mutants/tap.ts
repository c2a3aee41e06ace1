/**
 * Reads the TAP output of `node --test --test-reporter=tap` and decides what a run says about a
 * mutant. A mutant counts as killed only when a named test fails: a test file that cannot load,
 * a child killed by a signal or a run that hits the time limit says nothing about the bug the
 * mutant plants (a typo in the test command would otherwise "kill" every mutant).
 */

export interface TapFailure {
  name: string;
  /** The runner's failure type: testCodeFailure, hookFailed, testTimeoutFailure, ... */
  failureType: string;
  /** True for the runner's per-file entry (named by the file, with the child's exit code or signal). */
  fileLevel: boolean;
}

export interface TapSummary {
  failures: TapFailure[];
  /** The `# pass`, `# fail` and `# cancelled` totals, undefined when the run ended before them. */
  pass?: number;
  fail?: number;
  cancelled?: number;
}

/** The failing entries and totals of TAP text from node's test runner. */
export function parseTap(output: string): TapSummary {
  const lines = output.split('\n');
  const failures: TapFailure[] = [];
  for (let i = 0; i < lines.length; i++) {
    const head = /^\s*not ok \d+ - (.*)$/.exec(lines[i]!);
    if (!head) continue;
    // The YAML block follows between '---' and '...'; its keys tell the failure apart.
    let failureType = '';
    let fileLevel = false;
    if (/^\s*---\s*$/.test(lines[i + 1] ?? '')) {
      for (let j = i + 2; j < lines.length && !/^\s*\.\.\.\s*$/.test(lines[j]!); j++) {
        const type = /^\s*failureType: '([^']*)'/.exec(lines[j]!);
        if (type) failureType = type[1]!;
        // Only the per-file entry carries the child process's exit code and signal.
        if (/^\s*(exitCode|signal):/.test(lines[j]!)) fileLevel = true;
      }
    }
    failures.push({ name: head[1]!.replace(/\s+#\s*(SKIP|TODO).*$/, '').trim(), failureType, fileLevel });
  }
  const total = (key: string) => {
    const m = new RegExp(`^# ${key} (\\d+)\\s*$`, 'm').exec(output);
    return m ? Number(m[1]) : undefined;
  };
  return { failures, pass: total('pass'), fail: total('fail'), cancelled: total('cancelled') };
}

/** Failure types that mean a test's own assertions or setup rejected the code under test. */
const NAMED_FAILURES = new Set(['testCodeFailure', 'hookFailed']);

/** Names of the tests (not files, not parents of failing subtests) whose assertions failed. */
export function failedTestNames(summary: TapSummary): string[] {
  return summary.failures.filter((f) => !f.fileLevel && NAMED_FAILURES.has(f.failureType)).map((f) => f.name);
}

export type RunStatus = 'passed' | 'failed-tests' | 'crashed' | 'timeout';

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  /** True when the runner itself stopped the command at its time limit. */
  timedOut: boolean;
  output: string;
}

export interface RunVerdict {
  status: RunStatus;
  failedTests: string[];
  /** Why the run was not a clean pass or a set of named test failures. */
  detail?: string;
}

/**
 * What one test run says: 'passed' (exit 0 with at least one passing test), 'failed-tests'
 * (named tests failed), 'timeout' (the time limit, or only test timeouts), else 'crashed'.
 */
export function judgeRun(r: RunResult): RunVerdict {
  const summary = parseTap(r.output);
  const failedTests = failedTestNames(summary);
  if (failedTests.length > 0) return { status: 'failed-tests', failedTests };
  if (r.timedOut) return { status: 'timeout', failedTests, detail: 'the test command ran past the time limit' };
  if (summary.failures.some((f) => f.failureType === 'testTimeoutFailure')) {
    return {
      status: 'timeout',
      failedTests,
      detail: `timed out: ${summary.failures
        .filter((f) => f.failureType === 'testTimeoutFailure')
        .map((f) => f.name)
        .join(', ')}`,
    };
  }
  if (r.exitCode === 0 && r.signal === null && (summary.pass ?? 0) > 0 && (summary.fail ?? 0) === 0)
    return { status: 'passed', failedTests };
  const files = summary.failures.filter((f) => f.fileLevel).map((f) => f.name);
  const why = r.signal !== null ? `killed by ${r.signal}` : `exit code ${r.exitCode}`;
  const tail = r.output.trim().split('\n').slice(-5).join(' | ');
  return {
    status: 'crashed',
    failedTests,
    detail: `${why}${files.length ? `; test files that failed without a named failing test: ${files.join(', ')}` : ''}${(summary.pass ?? 0) === 0 ? '; no test passed' : ''}: ${tail.slice(-600)}`,
  };
}
