/** The CLI on users' own files: quoted headers, string labels, label-free queries, early option checks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Influence, LogisticRegression, type Matrix } from '../src/index.ts';
import { logisticData } from './helpers.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tdakit-cli-data-'));
const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args]);

/** A semicolon CSV with a quoted header holding the delimiter and string labels churn/stay. */
function writeChurn(path: string, X: Matrix, y: Float64Array | undefined) {
  const header = ['"tenure; months"', '"income, USD"', 'spend', ...(y ? ['outcome'] : [])].join(';');
  const lines = Array.from({ length: X.rows }, (_, i) =>
    [X.get(i, 0), `"${X.get(i, 1)}"`, X.get(i, 2), ...(y ? [y[i] ? 'churn' : 'stay'] : [])].join(';'),
  );
  writeFileSync(path, '\uFEFF' + [header, ...lines].join('\r\n') + '\r\n');
}

test('influence on a quoted-header CSV with string labels equals the library on the numbers', async () => {
  const train = logisticData(90, 3, 51);
  const queries = logisticData(3, 3, 52);
  writeChurn(join(dir, 'train.csv'), train.X, train.y);
  writeChurn(join(dir, 'q.csv'), queries.X, queries.y);
  const args = [
    'influence',
    '--train',
    join(dir, 'train.csv'),
    '--queries',
    join(dir, 'q.csv'),
    '--label',
    'outcome',
    '--top-k',
    '3',
  ];
  await assert.rejects(cli(...args), /the labels are strings \(churn, stay\); name the positive class with --positive/);
  const { stdout, stderr } = await cli(...args, '--positive', 'churn', '--lambda', '0.5');
  assert.match(stderr, /classes: 0 = stay, 1 = churn/);
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.label),
    Array.from(queries.y, (v) => (v ? 'churn' : 'stay')),
  );
  const model = await LogisticRegression.fit(train.X, train.y, { lambda: 0.5 });
  const top = await (await Influence.of(model)).topK(queries.X, queries.y, { k: 3 });
  for (let j = 0; j < 3; j++)
    assert.deepEqual(
      lines[j].top.map((e: { index: number }) => e.index),
      Array.from(top.topIndex.subarray(j * 3, j * 3 + 3)),
    );
});

test('label-free query files for --target logit; --target loss needs labels', async () => {
  const train = logisticData(70, 3, 53);
  const queries = logisticData(2, 3, 54);
  writeChurn(join(dir, 'train2.csv'), train.X, train.y);
  writeChurn(join(dir, 'q-nolabel.csv'), queries.X, undefined);
  const base = [
    'influence',
    '--train',
    join(dir, 'train2.csv'),
    '--queries',
    join(dir, 'q-nolabel.csv'),
    '--label',
    'outcome',
    '--positive',
    'churn',
    '--delimiter',
    ';',
  ];
  await assert.rejects(cli(...base), /has no label column 'outcome', and this target needs the queries' labels/);
  await cli(...base, '--target', 'logit', '--top-k', '2', '--out', join(dir, 'logit.jsonl'));
  const lines = readFileSync(join(dir, 'logit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const model = await LogisticRegression.fit(train.X, train.y, { lambda: 1 });
  const top = await (await Influence.of(model)).topK(queries.X, undefined, { k: 2, target: 'logit' });
  for (let j = 0; j < 2; j++)
    assert.deepEqual(
      lines[j].top.map((e: { index: number }) => e.index),
      Array.from(top.topIndex.subarray(j * 2, j * 2 + 2)),
    );
});

test('options with a fixed set of values are rejected before any file is read', async () => {
  const missing = join(dir, 'does-not-exist.csv');
  for (const [flag, value] of [
    ['--method', 'ns'],
    ['--target', 'margin'],
    ['--model', 'svm'],
    ['--regularization', 'none'],
  ] as const) {
    await assert.rejects(
      cli('influence', '--train', missing, '--queries', missing, flag, value),
      (e: { stderr: string }) => {
        assert.match(e.stderr, new RegExp(`${flag} ${value} is not available`));
        assert.doesNotMatch(e.stderr, /does-not-exist/);
        return true;
      },
    );
  }
  await assert.rejects(
    cli('daunce', '--train', missing, '--queries', missing, '--backend', 'cuda'),
    /--backend cuda is not available; use cpu, auto or webgpu/,
  );
  await assert.rejects(cli('eval', '--dataset', missing, '--methods', 'if,lds'), /'lds' is not one of if,/);
  await assert.rejects(
    cli('bench', 'rif', '--dataset', missing, '--metrics', 'test-loss,accuracy'),
    /'accuracy' is not one of/,
  );
  await assert.rejects(cli('eval', '--dataset', missing, '--delimiter', ';;'), /--delimiter must be one character/);
});

test('eval --help lists mnist, and daunce/eval descriptions name every model', async () => {
  const { stdout: evalHelp } = await cli('eval', '--help');
  assert.match(evalHelp, /mnist \(10 classes/);
  assert.match(evalHelp, /--label/);
  assert.match(evalHelp, /logistic regression, softmax regression or an MLP/);
  const { stdout: daunceHelp } = await cli('daunce', '--help');
  assert.match(daunceHelp, /logistic, softmax or MLP/);
  assert.match(daunceHelp, /--delimiter/);
});
