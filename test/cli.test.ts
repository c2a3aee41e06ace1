import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Influence, LogisticRegression } from '../src/index.ts';
import { logisticData } from './helpers.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tdakit-cli-'));

function writeCsv(path: string, X: { rows: number; cols: number; get(i: number, j: number): number }, y: Float64Array) {
  const header = [...Array.from({ length: X.cols }, (_, j) => `f${j}`), 'label'].join(',');
  const lines = Array.from({ length: X.rows }, (_, i) =>
    [...Array.from({ length: X.cols }, (_, j) => X.get(i, j)), y[i]].join(','),
  );
  writeFileSync(path, [header, ...lines].join('\n') + '\n');
}

test('tdakit influence writes the same top-k as the library', async () => {
  const train = logisticData(120, 4, 31);
  const queries = logisticData(3, 4, 32);
  writeCsv(join(dir, 'train.csv'), train.X, train.y);
  writeCsv(join(dir, 'q.csv'), queries.X, queries.y);
  await run(process.execPath, [
    '--import',
    'tsx',
    'src/cli.ts',
    'influence',
    '--train',
    join(dir, 'train.csv'),
    '--queries',
    join(dir, 'q.csv'),
    '--label',
    'label',
    '--lambda',
    '0.5',
    '--top-k',
    '3',
    '--out',
    join(dir, 'top.jsonl'),
  ]);
  const lines = readFileSync(join(dir, 'top.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  // CSV stores numbers as JavaScript prints them (round-trip exact), so the fits are identical.
  const model = await LogisticRegression.fit(train.X, train.y, { lambda: 0.5 });
  const top = await (await Influence.of(model)).topK(queries.X, queries.y, { k: 3 });
  for (let j = 0; j < 3; j++) {
    assert.deepEqual(
      lines[j].top.map((e: { index: number }) => e.index),
      Array.from(top.topIndex.subarray(j * 3, j * 3 + 3)),
    );
    assert.deepEqual(
      lines[j].bottom.map((e: { index: number }) => e.index),
      Array.from(top.bottomIndex.subarray(j * 3, j * 3 + 3)),
    );
  }
});

test('tdakit reports bad arguments and exits non-zero', async () => {
  await assert.rejects(
    run(process.execPath, [
      '--import',
      'tsx',
      'src/cli.ts',
      'influence',
      '--train',
      join(dir, 'missing.csv'),
      '--queries',
      'x',
    ]),
    (e: { code?: number; stderr?: string }) => {
      assert.equal(e.code, 1);
      assert.match(e.stderr ?? '', /tdakit: .*missing.csv/);
      return true;
    },
  );
  await assert.rejects(
    run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'demo', '--sets', 'many']),
    /--sets must be a positive integer/,
  );
});

test('tdakit daunce writes top-k per query equal to the library, and resumes from its checkpoint', async () => {
  const { daunce } = await import('../src/index.ts');
  const train = logisticData(80, 3, 41);
  const queries = logisticData(2, 3, 42);
  writeCsv(join(dir, 'dtrain.csv'), train.X, train.y);
  writeCsv(join(dir, 'dq.csv'), queries.X, queries.y);
  const args = [
    '--import',
    'tsx',
    'src/cli.ts',
    'daunce',
    '--train',
    join(dir, 'dtrain.csv'),
    '--queries',
    join(dir, 'dq.csv'),
    '--label',
    'label',
    '--K',
    '6',
    '--top-k',
    '4',
    '--seed',
    '2',
    '--checkpoint',
    join(dir, 'ckpt'),
    '--out',
    join(dir, 'daunce.jsonl'),
  ];
  await run(process.execPath, args);
  const second = await run(process.execPath, args);
  assert.match(second.stderr, /resumed 6 models/);
  const lines = readFileSync(join(dir, 'daunce.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const model = await LogisticRegression.fit(train.X, train.y, { lambda: 1 });
  const top = await (await daunce({ model, queries, K: 6, seed: 2 })).topK(4);
  for (let j = 0; j < 2; j++)
    assert.deepEqual(
      lines[j].top.map((e: { index: number }) => e.index),
      Array.from(top.topIndex.subarray(j * 4, j * 4 + 4)),
    );
  await assert.rejects(
    run(process.execPath, [...args.slice(0, 10), '--model', 'svm']),
    /--model svm is not available; use logistic, softmax or mlp/,
  );
  // --gamma and --rho reach daunce; copy-training flags are refused for Newton-solved copies.
  const tuned = [
    ...args.slice(0, 16),
    '--gamma',
    '0.5',
    '--rho',
    '0.3',
    '--full',
    join(dir, 'daunce-tuned.npy'),
    '--out',
    join(dir, 'daunce-tuned.jsonl'),
  ];
  await run(process.execPath, tuned);
  const { readNpy } = await import('../src/index.ts');
  const full = await readNpy(join(dir, 'daunce-tuned.npy'));
  assert.deepEqual(
    Array.from(full.data),
    Array.from(await (await daunce({ model, queries, K: 6, seed: 2, gamma: 0.5, rho: 0.3 })).scores()),
  );
  assert.notDeepEqual(
    Array.from(full.data),
    Array.from(await (await daunce({ model, queries, K: 6, seed: 2 })).scores()),
  );
  await assert.rejects(
    run(process.execPath, [...args.slice(0, 16), '--schedule', 'cosine']),
    /training applies to copies trained by minibatches/,
  );
});
