/**
 * Columnar input: Parquet files written by parquet-wasm (the Rust `parquet` crate) and Arrow
 * IPC files and streams written by the apache-arrow JS writer are read back equal by the
 * readers under test (hyparquet; apache-arrow's reader), with column selection by name and
 * float32 columns. Also .npy files read in forced small chunks equal NumPy's values.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile, open, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import * as parquetWasm from 'parquet-wasm';
import { Matrix, loadSpamEmbeddings } from '../src/index.ts';
import { readLabelled } from '../src/data/labelled.ts';
import { readNpyFile } from '../src/data/npy-file.ts';
import { encodeNpyHeader, readNpy } from '../src/data/npy.ts';

const dir = await mkdtemp(join(tmpdir(), 'tdakit-columnar-'));
const spam = await loadSpamEmbeddings({ limit: 120 });
const n = spam.X.rows;
const col = (j: number) => Float64Array.from({ length: n }, (_, i) => spam.X.get(i, j));
const source = {
  f64: col(0),
  f32: Float32Array.from(col(1)),
  i32: Int32Array.from({ length: n }, (_, i) => i * 7 - 300),
  i64: BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 1_000_000_007n),
  label: Int32Array.from(spam.y),
};
const table = new arrow.Table({
  f64: arrow.makeVector(source.f64),
  f32: arrow.makeVector(source.f32),
  i32: arrow.makeVector(source.i32),
  i64: arrow.makeVector(source.i64),
  flag: arrow.vectorFromArray(
    Array.from({ length: n }, (_, i) => i % 3 === 0),
    new arrow.Bool(),
  ),
  name: arrow.vectorFromArray(
    Array.from({ length: n }, (_, i) => `email ${i}`),
    new arrow.Utf8(),
  ),
  label: arrow.makeVector(source.label),
});
const expected = (i: number) => [
  source.f64[i]!,
  source.f32[i]!,
  source.i32[i]!,
  Number(source.i64[i]!),
  i % 3 === 0 ? 1 : 0,
];

const arrowFile = join(dir, 'data.arrow');
const arrowStream = join(dir, 'data.arrows');
const parquetFile = join(dir, 'data.parquet');
await writeFile(arrowFile, arrow.tableToIPC(table, 'file'));
await writeFile(arrowStream, arrow.tableToIPC(table, 'stream'));
await writeFile(
  parquetFile,
  parquetWasm.writeParquet(parquetWasm.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'))),
);

for (const [what, file, read] of [
  ['Arrow IPC file', arrowFile, Matrix.fromArrow],
  ['Arrow IPC stream', arrowStream, Matrix.fromArrow],
  ['Parquet', parquetFile, Matrix.fromParquet],
] as const) {
  test(`${what} from another writer reads back equal (float32, ints, bools; columns by name)`, async () => {
    const X = await read(file, { columns: ['f64', 'f32', 'i32', 'i64', 'flag'] });
    assert.equal(X.rows, n);
    assert.equal(X.cols, 5);
    for (let i = 0; i < n; i++) assert.deepEqual(Array.from(X.row(i)), expected(i), `row ${i}`);
    // Float32 values arrive exactly (widened, not re-rounded).
    assert.equal(X.get(3, 1), Math.fround(spam.X.get(3, 1)));
    const picked = await read(file, { columns: ['label', 'f64'] });
    assert.deepEqual(Array.from(picked.row(5)), [source.label[5], source.f64[5]]);
    await assert.rejects(read(file, { columns: ['f64', 'nope'] }), /no column 'nope'/);
    await assert.rejects(read(file, { columns: ['name'] }), /column 'name' is not numeric/);
  });
}

test('readLabelled (the CLI loader) takes .parquet and .arrow like .csv', async () => {
  const onlyNumeric = arrow.tableFromArrays({ f64: source.f64, f32: source.f32, label: source.label });
  const pq = join(dir, 'train.parquet');
  await writeFile(
    pq,
    parquetWasm.writeParquet(parquetWasm.Table.fromIPCStream(arrow.tableToIPC(onlyNumeric, 'stream'))),
  );
  const ar = join(dir, 'train.arrow');
  await writeFile(ar, arrow.tableToIPC(onlyNumeric, 'file'));
  for (const file of [pq, ar]) {
    const t = await readLabelled(file, 'label');
    assert.deepEqual(t.columns, ['f64', 'f32']);
    assert.deepEqual(t.y, Float64Array.from(source.label));
    assert.deepEqual(Array.from(t.X.row(7)), [source.f64[7], source.f32[7]]);
  }
});

test('a null in a selected column is an error naming it', async () => {
  const withNull = new arrow.Table({ a: arrow.vectorFromArray([1.5, null, 3], new arrow.Float64()) });
  const file = join(dir, 'null.arrow');
  await writeFile(file, arrow.tableToIPC(withNull, 'file'));
  await assert.rejects(Matrix.fromArrow(file), /column 'a' row 1 is null/);
  const pq = join(dir, 'null.parquet');
  await writeFile(pq, parquetWasm.writeParquet(parquetWasm.Table.fromIPCStream(arrow.tableToIPC(withNull, 'stream'))));
  await assert.rejects(Matrix.fromParquet(pq), /column 'a' row 1 is null/);
  await assert.rejects(Matrix.fromParquet(file), /not a readable Parquet file/);
});

test('.npy files read in forced small chunks equal NumPy (every dtype path, odd chunk sizes)', async () => {
  const script = `
import numpy as np, sys, json
d = sys.argv[1]
rng = np.random.default_rng(5)
a = rng.standard_normal((37, 11))
np.save(d + '/f8.npy', a)
np.save(d + '/f4f.npy', np.asfortranarray(a.astype(np.float32)))
np.save(d + '/be.npy', a.astype('>f8'))
np.save(d + '/i8.npy', (a * 1000).astype(np.int64))
print(json.dumps({'f8': a.ravel().tolist(), 'f4f': a.astype(np.float32).astype(np.float64).ravel().tolist(),
  'be': a.ravel().tolist(), 'i8': (a * 1000).astype(np.int64).astype(np.float64).ravel().tolist()}))
`;
  const want = JSON.parse(execFileSync('python3', ['-c', script, dir], { encoding: 'utf8' })) as Record<
    string,
    number[]
  >;
  for (const [name, values] of Object.entries(want)) {
    for (const chunkBytes of [1, 7, 13, 4096, 1 << 26]) {
      const r = await readNpyFile(join(dir, `${name}.npy`), { chunkBytes });
      assert.deepEqual(r.shape, [37, 11]);
      assert.deepEqual(Array.from(r.data), values, `${name} in ${chunkBytes}-byte chunks`);
    }
  }
  const truncated = join(dir, 'short.npy');
  const f = await open(truncated, 'w');
  await f.write(encodeNpyHeader([10, 10]));
  await f.write(new Uint8Array(100));
  await f.close();
  await assert.rejects(readNpy(truncated), /truncated: shape \(10, 10\) needs 800 bytes, file has 100/);
});

test('a sparse .npy file over 2 GiB loads (set TDAKIT_BIG_TESTS=1; allocates 2.1 GB)', {
  skip: process.env.TDAKIT_BIG_TESTS !== '1',
}, async () => {
  const rows = 2 ** 28 + 1024; // 2 GiB + 8 KiB of float64
  const file = join(dir, 'big.npy');
  const header = encodeNpyHeader([rows]);
  const f = await open(file, 'w');
  await f.write(header);
  // A sparse file: only the header and the last value are written.
  await f.write(new Uint8Array(new Float64Array([42.5]).buffer), 0, 8, header.length + (rows - 1) * 8);
  await f.close();
  assert.ok((await stat(file)).size > 2 ** 31);
  const r = await readNpy(file);
  assert.equal(r.data.length, rows);
  assert.equal(r.data[rows - 1], 42.5);
  assert.equal(r.data[12345], 0);
});
