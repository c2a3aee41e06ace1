import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  benchmarkRemoval,
  writeReport,
  loadSpamAssassin,
  LogisticRegression,
  Influence,
  Metric,
  STRATEGIES,
  type RemovalRecord,
} from '../src/index.ts';
import { splitIndices } from '../src/protocols/rif/removal.ts';
import { removalSet } from '../src/protocols/rif/strategies.ts';
import { seededRandom } from '../src/random.ts';

const data = await loadSpamAssassin({ vocabulary: 1000, limit: 1500 });
const base = { data, lambda: 1e-2, sizes: [0.001, 0.01, 0.03, 0.05], seed: 5 };

/** Plain re-implementations of the summary statistics (not the library's). */
function rankOf(v: number[]): number[] {
  const sorted = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(v.length);
  let i = 0;
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1]![0] === sorted[i]![0]) j++;
    for (let k = i; k <= j; k++) r[sorted[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}
function corr(a: number[], b: number[]): number {
  const ma = a.reduce((s, x) => s + x, 0) / a.length,
    mb = b.reduce((s, x) => s + x, 0) / b.length;
  const cov = a.reduce((s, x, i) => s + (x - ma) * (b[i]! - mb), 0);
  return cov / Math.sqrt(a.reduce((s, x) => s + (x - ma) ** 2, 0) * b.reduce((s, x) => s + (x - mb) ** 2, 0));
}

test('removal benchmark on real data: complete records, summary recomputed from them, report with every plot, the paper headline', async () => {
  const out = mkdtempSync(join(tmpdir(), 'tdakit-bench-'));
  const result = await benchmarkRemoval({ ...base, out });
  assert.equal(result.records.length, STRATEGIES.length * 4 * 3);
  const lines = readFileSync(join(out, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RemovalRecord);
  assert.deepEqual(lines, result.records);
  for (const r of lines)
    for (const m of ['actual', 'if', 'rif', 'ns'] as const)
      assert.ok(Number.isFinite(r[m].nonlinear) && Number.isFinite(r[m].linear));
  // Every summary number recomputed from the records with independent code.
  for (const row of result.summary) {
    const rs = lines.filter((r) => r.metric === row.metric);
    const actual = rs.map((r) => r.actual.nonlinear),
      pred = rs.map((r) => r[row.method][row.effect]);
    assert.ok(Math.abs(corr(actual, pred) - row.pearson) < 1e-12);
    assert.ok(Math.abs(corr(rankOf(actual), rankOf(pred)) - row.spearman) < 1e-12);
    const slope = actual.reduce((s, a, i) => s + a * pred[i]!, 0) / actual.reduce((s, a) => s + a * a, 0);
    assert.ok(Math.abs(slope - row.slope) < 1e-12);
    const rel = actual
      .map((a, i) => Math.abs(pred[i]! - a) / Math.abs(a))
      .filter(Number.isFinite)
      .sort((x, y) => x - y);
    const med = rel.length % 2 ? rel[(rel.length - 1) / 2]! : (rel[rel.length / 2 - 1]! + rel[rel.length / 2]!) / 2;
    assert.ok(Math.abs(med - row.medianRelativeError) < 1e-12);
  }
  // The headline: RIF has the right magnitude on self-loss where IF underestimates.
  const selfLoss = (m: string) =>
    result.summary.find((r) => r.metric === 'self-loss' && r.effect === 'nonlinear' && r.method === m)!;
  assert.ok(selfLoss('rif').slope > 0.8 && selfLoss('rif').slope < 1.25, `RIF slope ${selfLoss('rif').slope}`);
  assert.ok(selfLoss('if').slope < 0.5, `IF slope ${selfLoss('if').slope}`);
  const files = await writeReport(out, result);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  // 3 metrics x 2 effects, less the linear self-loss effect (zero by construction, issue 11).
  assert.equal(files.length, 5);
  for (const f of files) {
    assert.ok(html.includes(`data-file="${f}"`), `report references ${f}`);
    assert.ok(readFileSync(join(out, f), 'utf8').startsWith('<svg'));
  }
  assert.equal((html.match(/<svg/g) ?? []).length, files.length);
  assert.deepEqual(readdirSync(join(out, 'plots')).sort(), files.map((f) => f.slice(6)).sort());
});

test('an interrupted run resumes without repeating finished retrains and matches an uninterrupted one', async () => {
  const opts = {
    ...base,
    strategies: ['random', 'highest-loss', 'l2-cluster'] as ('random' | 'highest-loss' | 'l2-cluster')[],
    metrics: ['self-loss', 'test-loss'] as ('self-loss' | 'test-loss')[],
  };
  const full = await benchmarkRemoval(opts);
  const out = mkdtempSync(join(tmpdir(), 'tdakit-resume-'));
  const controller = new AbortController();
  await assert.rejects(
    benchmarkRemoval({
      ...opts,
      out,
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 5) controller.abort();
      },
    }),
    { name: 'AbortError' },
  );
  assert.equal(readFileSync(join(out, 'records.jsonl'), 'utf8').trim().split('\n').length, 5 * 2);
  const resumed = await benchmarkRemoval({ ...opts, out });
  assert.equal(resumed.retrainsRun, 12 - 5);
  const key = (r: RemovalRecord) => `${r.strategy}:${r.sizeIndex}:${r.metric}`;
  const sort = (rs: RemovalRecord[]) => rs.slice().sort((a, b) => key(a).localeCompare(key(b)));
  const strip = (r: RemovalRecord) => ({ ...r, retrainSeconds: 0 });
  assert.deepEqual(sort(resumed.records).map(strip), sort(full.records).map(strip));
  // A directory holding another configuration is refused.
  await assert.rejects(benchmarkRemoval({ ...opts, out, seed: 6 }), /holds a run with different options/);
});

test('actual effects equal fresh fits on the reduced data; strategies pick what they promise', async () => {
  const small = await loadSpamAssassin({ vocabulary: 200, limit: 400 });
  const result = await benchmarkRemoval({
    data: small,
    lambda: 0.1,
    sizes: [0.02],
    seed: 2,
    strategies: ['highest-loss', 'feature-cluster'],
    metrics: ['test-loss', 'self-loss'],
  });
  const { trainIdx } = splitIndices(small.X.rows, 0.2, 2);
  const X = small.X.selectRows(trainIdx),
    y = Float64Array.from(trainIdx, (i) => small.y[i]!);
  const model = await LogisticRegression.fit(X, y, { lambda: 0.1 });
  const losses = await model.losses(X, y);
  const k = Math.round(0.02 * X.rows);
  // highest-loss: exactly the k largest training losses; the actual self-loss change from a fresh fit.
  const T = Array.from(losses.keys())
    .sort((a, b) => losses[b]! - losses[a]!)
    .slice(0, k);
  const keep = [...Array(X.rows).keys()].filter((i) => !T.includes(i));
  const fresh = await LogisticRegression.fit(
    X.selectRows(keep),
    keep.map((i) => y[i]!),
    { lambda: 0.1 },
  );
  const inf = await Influence.of(model);
  const freshSelfLoss = await inf.effectOfChange(
    fresh.theta.map((t, j) => t - model.theta[j]!),
    Metric.selfLoss(),
  );
  const rec = result.records.find((r) => r.strategy === 'highest-loss' && r.metric === 'self-loss')!;
  assert.ok(Math.abs(rec.actual.nonlinear - freshSelfLoss.nonlinear) < 1e-8 * Math.abs(freshSelfLoss.nonlinear));
  // feature-cluster: the chosen examples are the k closest in one feature to one example's value.
  const ctx = { influence: inf, losses, ifScores: async () => new Float64Array(X.rows) };
  const set = await removalSet('feature-cluster', k, ctx, seededRandom(9));
  assert.equal(new Set(set).size, k);
  const ifTop = await removalSet(
    'if-test-loss-positive',
    5,
    { ...ctx, ifScores: async () => Float64Array.from({ length: X.rows }, (_, i) => i) },
    seededRandom(1),
  );
  for (const i of ifTop) assert.ok(i >= X.rows - 10, `IF strategy keeps a half of the top 2k (got ${i})`);
});

test('benchmark options are validated', async () => {
  await assert.rejects(benchmarkRemoval({ data: { name: 'x' } as never }), /data must be/);
  await assert.rejects(benchmarkRemoval({ ...base, strategies: ['nearest' as never] }), /unknown strategy 'nearest'/);
  await assert.rejects(benchmarkRemoval({ ...base, metrics: ['accuracy' as never] }), /unknown metric 'accuracy'/);
  await assert.rejects(benchmarkRemoval({ ...base, sizes: [0.7] }), /sizes\[0\]: must be in \[0, 0.5\]/);
  await assert.rejects(benchmarkRemoval({ ...base, lambda: -1 }), /lambda: must be in/);
});
