/**
 * The pipeline commands on real data (averaged word vectors of the SpamAssassin emails):
 * `tdakit fit` then `tdakit attribute` over NDJSON on stdin, a Parquet query file and an
 * output file, checked against a dense score matrix sorted in plain JS; exit codes and stderr
 * for malformed records.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import * as parquetWasm from 'parquet-wasm';
import { Influence, LogisticRegression, loadSpamEmbeddings } from '../src/index.ts';

const dir = await mkdtemp(join(tmpdir(), 'tdakit-cli-'));
const data = await loadSpamEmbeddings({ limit: 500 });
const d = data.X.cols;
const trainRows = Array.from({ length: 250 }, (_, i) => 2 * i);
const queryRows = Array.from({ length: 250 }, (_, i) => 2 * i + 1);
const header = [...Array.from({ length: d }, (_, j) => `e${j}`), 'spam'].join(',');
await writeFile(
  join(dir, 'train.csv'),
  [header, ...trainRows.map((i) => [...data.X.row(i), data.y[i]].join(','))].join('\n') + '\n',
);
const records = queryRows.map((i) => ({ id: `email-${i}`, x: Array.from(data.X.row(i)), y: data.y[i]! }));
const ndjson = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
const K = 4;

const cli = (args: string[], input?: string) => {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, '..', 'src', 'cli.ts'), ...args],
    { input, encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map(
      (l) =>
        JSON.parse(l) as {
          id: unknown;
          top: { index: number; score: number }[];
          bottom: { index: number; score: number }[];
          error?: string;
        },
    );

// The reference: the library's dense n x m matrix on the same data, sorted in plain JS.
const model = await LogisticRegression.fit(
  data.X.selectRows(trainRows),
  trainRows.map((i) => data.y[i]!),
  { lambda: 1 },
);
const dense = await (await Influence.of(model)).scores(
  data.X.selectRows(queryRows),
  queryRows.map((i) => data.y[i]!),
);
const m = queryRows.length;
function expectTop(j: number) {
  const col = Array.from({ length: trainRows.length }, (_, i) => ({ index: i, score: dense[i * m + j]! }));
  return {
    top: [...col].sort((a, b) => b.score - a.score || a.index - b.index).slice(0, K),
    bottom: [...col].sort((a, b) => a.score - b.score || a.index - b.index).slice(0, K),
  };
}
function assertMatchesDense(out: ReturnType<typeof lines>, ids: unknown[]) {
  assert.equal(out.length, ids.length);
  out.forEach((r, j) => {
    assert.equal(r.id, ids[j]);
    const want = expectTop(j);
    for (const side of ['top', 'bottom'] as const) {
      r[side].forEach((t, rank) => {
        assert.ok(
          Math.abs(t.score - want[side][rank]!.score) <= 1e-12 * Math.abs(want[side][0]!.score),
          `query ${j} ${side} ${rank}`,
        );
        // Equal scores may order differently; otherwise the index is the same.
        if (t.index !== want[side][rank]!.index)
          assert.ok(Math.abs(dense[t.index * m + j]! - t.score) <= 1e-12 * Math.abs(t.score));
      });
    }
  });
}

const artifact = join(dir, 'model');
test('tdakit fit writes an influence artifact, with a summary on stderr only', () => {
  const r = cli([
    'fit',
    '--train',
    join(dir, 'train.csv'),
    '--label',
    'spam',
    '--model',
    'logistic',
    '--out',
    artifact,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^fit: logistic on .*train\.csv \(250 x 100\): .*saved influence artifact/);
});

test('tdakit attribute --queries - streams NDJSON to stdout, equal to the dense matrix top-k', () => {
  const r = cli(['attribute', '--model', artifact, '--queries', '-', '--top-k', String(K), '--batch', '64'], ndjson);
  assert.equal(r.code, 0, r.stderr);
  assertMatchesDense(
    lines(r.stdout),
    records.map((q) => q.id),
  );
  assert.match(r.stderr, /^attribute: 250 queries scored, 0 failed/);
});

test('a Parquet query file and --out give the same records (ids are row numbers)', async () => {
  const table = new arrow.Table({
    ...Object.fromEntries(
      Array.from({ length: d }, (_, j) => [
        `e${j}`,
        arrow.makeVector(Float64Array.from(queryRows, (i) => data.X.get(i, j))),
      ]),
    ),
    spam: arrow.makeVector(Float64Array.from(queryRows, (i) => data.y[i]!)),
  });
  const file = join(dir, 'queries.parquet');
  await writeFile(file, parquetWasm.writeParquet(parquetWasm.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'))));
  const out = join(dir, 'top.ndjson');
  const r = cli([
    'attribute',
    '--model',
    artifact,
    '--queries',
    file,
    '--label',
    'spam',
    '--top-k',
    String(K),
    '--out',
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assertMatchesDense(
    lines(await readFile(out, 'utf8')),
    queryRows.map((_, j) => j),
  );
});

test('malformed records: fail exits 1 after writing every record before, emit exits 2, skip exits 0', () => {
  const bad = [
    ...records.slice(0, 70).map((q) => JSON.stringify(q)),
    '{"id": "broken", "x": [1, 2]}',
    ...records.slice(70, 90).map((q) => JSON.stringify(q)),
  ].join('\n');
  const fail = cli(['attribute', '--model', artifact, '--queries', '-', '--top-k', String(K), '--batch', '32'], bad);
  assert.equal(fail.code, 1);
  assert.deepEqual(
    lines(fail.stdout).map((r) => r.id),
    records.slice(0, 70).map((q) => q.id),
  );
  assert.match(fail.stderr, /query record 70 \(id "broken"\): x has 2 values, the model has 100 features/);

  const emit = cli(
    ['attribute', '--model', artifact, '--queries', '-', '--top-k', String(K), '--on-error', 'emit'],
    bad + '\nnot json\n',
  );
  assert.equal(emit.code, 2);
  const out = lines(emit.stdout);
  assert.equal(out.length, 92);
  assert.deepEqual(out[70], { id: 'broken', record: 70, error: 'x has 2 values, the model has 100 features' });
  assert.match(out[91]!.error!, /line 92 is not valid JSON/);

  const skip = cli(
    ['attribute', '--model', artifact, '--queries', '-', '--top-k', String(K), '--on-error', 'skip'],
    bad,
  );
  assert.equal(skip.code, 0);
  assert.deepEqual(
    lines(skip.stdout).map((r) => r.id),
    records.slice(0, 90).map((q) => q.id),
  );
  assert.match(skip.stderr, /skipped query record 70/);
});

test('a damaged or missing artifact exits 1 naming the file', async () => {
  const r = cli(['attribute', '--model', join(dir, 'nope'), '--queries', '-'], ndjson);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /nope: no such artifact directory/);
  assert.equal(r.stdout, '');
});

test('fit --data reference: the artifact points at the CSV and refuses it once it changed', async () => {
  const csv = join(dir, 'train-ref.csv');
  const text = [header, ...trainRows.map((i) => [...data.X.row(i), data.y[i]].join(','))].join('\n') + '\n';
  await writeFile(csv, text);
  const ref = join(dir, 'model-ref');
  const fit = cli(['fit', '--train', csv, '--label', 'spam', '--out', ref, '--data', 'reference']);
  assert.equal(fit.code, 0, fit.stderr);
  const ok = cli(['attribute', '--model', ref, '--queries', '-', '--top-k', String(K)], ndjson);
  assert.equal(ok.code, 0, ok.stderr);
  assertMatchesDense(
    lines(ok.stdout),
    records.map((q) => q.id),
  );
  await writeFile(
    csv,
    text.replace(/,([01])\n/, (_, v: string) => `,${1 - Number(v)}\n`),
  );
  const changed = cli(['attribute', '--model', ref, '--queries', '-'], ndjson);
  assert.equal(changed.code, 1);
  assert.match(changed.stderr, /train-ref\.csv: does not hold the training data the model in .* was fitted on/);
  assert.equal(changed.stdout, '');
});
