// Issue 14 item 4: the benchmark harness (`npm run bench`) in quick mode prints every target with
// its ratio and writes a results file whose ratios follow from its own raw timings.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { runStats } from '../bench/harness/measure.ts';
import { pythonInterpreter } from '../bench/harness/python.ts';

// The harness times numpy and scikit-learn: without them (CI installs neither) the run is skipped.
const referencesInstalled = (() => {
  try {
    execFileSync(pythonInterpreter, ['-c', 'import numpy, scipy, sklearn'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('run statistics: min and median (mean of the middle two for an even count)', () => {
  assert.deepEqual(runStats([3, 1, 2]), { min: 1, median: 2, runs: [3, 1, 2] });
  assert.equal(runStats([4, 1, 3, 2]).median, 2.5);
});

test('npm run bench -- --quick reports every issue-14 target with ratios computed from its timings', {
  timeout: 180_000,
  skip: referencesInstalled ? false : `${pythonInterpreter} lacks numpy, scipy or scikit-learn`,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tdakit-harness-'));
  try {
    const file = join(dir, 'harness.json');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', file],
      { maxBuffer: 1 << 24 },
    );
    for (const target of [
      'Daunce scoring',
      'Influence top-k',
      'vs numpy Newton',
      'vs scikit-learn newton-cholesky',
      'remove 1%',
      'remove 5%',
      'LDS 2 half-subsets',
      'RIF protocol',
    ])
      assert.match(
        stdout,
        new RegExp(`(MET |MISS) [^\\n]*${target.replace(/[%()]/g, '.')}`),
        `stdout names the target '${target}'`,
      );
    const r = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(r.targets.length, 8);
    assert.ok(r.dgemmAtStart.median > 0 && r.dgemmAtStart.min <= r.dgemmAtStart.median);
    for (const k of r.kernels) {
      const gflops = (2 * k.n * k.m * k.d) / k.stats.meanSeconds / 1e9;
      assert.ok(Math.abs(k.gflops - gflops) <= 1e-9 * gflops, 'kernel GFLOP/s = 2 n m d / mean time');
      const dgemm = (k.dgemmBefore.median + k.dgemmAfter.median) / 2;
      assert.ok(
        Math.abs(k.fractionOfDgemm - gflops / dgemm) <= 1e-9 * k.fractionOfDgemm,
        'fraction of the dgemm measured around it',
      );
      assert.ok(k.stats.samples >= 3 && Number.isFinite(k.stats.rmePercent) && k.stats.rmePercent >= 0);
    }
    const fit = r.fit;
    assert.equal(fit.speedupVsNumpy, fit.numpyNewton.stats.median / fit.tdakit.stats.median);
    assert.equal(fit.speedupVsSklearn, fit.sklearnNewtonCholesky.stats.median / fit.tdakit.stats.median);
    // Both gradients are measured on the same objective; numpy runs to the same tolerance as tdakit.
    assert.ok(fit.tdakit.gradientNorm < 1e-8 && fit.numpyNewton.gradientNorm < 1e-8);
    assert.ok(fit.sklearnNewtonCholesky.gradientNorm > 0 && fit.sklearnNewtonCholesky.iterations >= 1);
    assert.equal(r.retrain.cases.length, 3);
    for (const c of r.retrain.cases) {
      assert.equal(c.speedup, c.warmNewton.median / c.krylov.median);
      assert.ok(c.krylov.maxGradientNorm < 1e-8 && c.warmNewton.maxGradientNorm < 1e-8, 'both retrains converge');
    }
    assert.equal(r.rif.retrains, 16, '8 removal strategies x 2 sizes');
    // Sets run side by side (one per core by default), so their retrain times add up to at most
    // `concurrency` times the wall time.
    assert.ok(Number.isInteger(r.rif.concurrency) && r.rif.concurrency >= 1);
    assert.ok(r.rif.retrainSeconds <= r.rif.wallSeconds * r.rif.concurrency);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
