/**
 * Issue 16 regression tests (items 6 and 7): records, checkpoints and caches that survive
 * kills, torn and corrupted files, and two runs sharing a directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  benchmarkRemoval,
  daunce,
  groundTruth,
  IntegrityError,
  LogisticRegression,
  type RemovalRecord,
} from '../src/index.ts';
import { seal, unseal, writeFileAtomic } from '../src/io/atomic.ts';
import { LOCK_FILE } from '../src/io/lock.ts';
import { logisticData } from './helpers.ts';

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), `tdakit-${prefix}-`));

/** Collects process warnings with the given code while `run` runs. */
async function warningsDuring<T>(code: string, run: () => Promise<T>): Promise<{ value: T; warnings: string[] }> {
  const warnings: string[] = [];
  const listener = (w: Error & { code?: string }) => {
    if (w.code === code) warnings.push(w.message);
  };
  process.on('warning', listener);
  try {
    const value = await run();
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    return { value, warnings };
  } finally {
    process.off('warning', listener);
  }
}

// ---------------------------------------------------------------- item 6: RIF records

const { X, y } = logisticData(160, 4, 21);
const data = { name: 'synthetic', X, y };
const opts = {
  data,
  lambda: 0.5,
  seed: 3,
  sizes: [0.02, 0.05, 0.1],
  strategies: ['random', 'highest-loss'] as ('random' | 'highest-loss')[],
  metrics: ['self-loss', 'test-loss'] as ('self-loss' | 'test-loss')[],
};
const reference = await benchmarkRemoval(opts);
const key = (r: RemovalRecord) => `${r.strategy}:${r.sizeIndex}:${r.metric}`;
const comparable = (rs: RemovalRecord[]) =>
  rs.map((r) => ({ ...r, retrainSeconds: 0 })).sort((a, b) => key(a).localeCompare(key(b)));

test('records: a torn last line, a half-written set, garbage and null lines are skipped once, never duplicated; the file is only appended to', async () => {
  const out = tmp('records');
  const controller = new AbortController();
  await assert.rejects(
    benchmarkRemoval({
      ...opts,
      out,
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 3) controller.abort();
      },
    }),
    { name: 'AbortError' },
  );
  const file = join(out, 'records.jsonl');
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  assert.equal(lines.length, 3 * 2);
  // The 4th set was cut between its two metric lines, then garbage, then a torn line.
  const fourth = reference.records.filter((r) => r.strategy === 'highest-loss' && r.sizeIndex === 0);
  appendFileSync(
    file,
    JSON.stringify(fourth[0]) +
      '\n' +
      'null\n42\n[]\n{"strategy":"random"}\n{"strategy":"random","sizeIndex":0,"metric":"self-loss","size":1,"actual":null}\n',
  );
  appendFileSync(file, JSON.stringify(reference.records[0]) + '\n'); // a duplicate of a finished set
  appendFileSync(file, JSON.stringify(reference.records[9]).slice(0, 40)); // torn: no newline
  const before = readFileSync(file);
  const { value: resumed, warnings } = await warningsDuring('TDAKIT_RECORDS_SKIPPED', () =>
    benchmarkRemoval({ ...opts, out }),
  );
  assert.equal(resumed.retrainsRun, 6 - 3);
  assert.equal(resumed.records.length, 6 * 2, 'every (set, metric) exactly once');
  assert.deepEqual(comparable(resumed.records), comparable(reference.records));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /skipped 6 invalid line\(s\)/);
  const after = readFileSync(file);
  assert.ok(after.subarray(0, before.length).equals(before), 'records.jsonl was appended to, not rewritten');
  assert.equal(after[before.length], 0x0a, 'the torn line is closed before new records');
  // A third run finds everything done and adds nothing.
  const again = await benchmarkRemoval({ ...opts, out });
  assert.equal(again.retrainsRun, 0);
  assert.deepEqual(comparable(again.records), comparable(reference.records));
  assert.ok(readFileSync(file).equals(after));
  assert.ok(!existsSync(join(out, LOCK_FILE)), 'the lock is released');
});

test('records: two runs in one directory do not interleave; a lock left by a dead process is taken over', async () => {
  const out = tmp('lock');
  const both = await Promise.allSettled([benchmarkRemoval({ ...opts, out }), benchmarkRemoval({ ...opts, out })]);
  const failed = both.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
  assert.equal(failed.length, 1);
  assert.match(String(failed[0]!.reason.message), new RegExp(`in use by another run \\(pid ${process.pid}`));
  assert.equal(readFileSync(join(out, 'records.jsonl'), 'utf8').trim().split('\n').length, 12);

  // A live owner (this test's parent process) holds the lock.
  const held = tmp('lock-held');
  writeFileSync(join(held, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: hostname(), started: 'x' }));
  await assert.rejects(benchmarkRemoval({ ...opts, out: held }), /in use by another run/);
  // A lock of another host cannot be checked: clear error naming it.
  writeFileSync(join(held, LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere', started: 'x' }));
  await assert.rejects(benchmarkRemoval({ ...opts, out: held }), /locked by pid 1 on host elsewhere/);
  writeFileSync(join(held, LOCK_FILE), 'garbage');
  await assert.rejects(benchmarkRemoval({ ...opts, out: held }), /does not name its owner/);
  // A dead owner: the lock is stale and taken over.
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  writeFileSync(
    join(held, LOCK_FILE),
    JSON.stringify({ pid: Number(dead.stdout.trim()), host: hostname(), started: 'x' }),
  );
  const run = await benchmarkRemoval({ ...opts, out: held });
  assert.deepEqual(comparable(run.records), comparable(reference.records));
  assert.ok(!existsSync(join(held, LOCK_FILE)));
});

test('records: a records.jsonl without its config.json is refused, not appended to', async () => {
  const out = tmp('orphan');
  writeFileSync(join(out, 'records.jsonl'), JSON.stringify(reference.records[0]) + '\n');
  await assert.rejects(benchmarkRemoval({ ...opts, out }), /holds records.jsonl without its config.json/);
  assert.equal(readFileSync(join(out, 'records.jsonl'), 'utf8').split('\n').length, 2);
  assert.ok(!existsSync(join(out, LOCK_FILE)));
});

test('records: a run killed with SIGKILL mid-way resumes to the uninterrupted result (child process)', async () => {
  const out = tmp('kill');
  const script = join(out, 'run.mts');
  writeFileSync(
    script,
    `
import { benchmarkRemoval } from '${resolve(import.meta.dirname, '../src/index.ts')}';
import { logisticData } from '${resolve(import.meta.dirname, 'helpers.ts')}';
const { X, y } = logisticData(160, 4, 21);
await benchmarkRemoval({ data: { name: 'synthetic', X, y }, lambda: 0.5, seed: 3, sizes: [0.02, 0.05, 0.1],
  strategies: ['random', 'highest-loss'], metrics: ['self-loss', 'test-loss'], out: '${out}/run',
  onProgress: (done) => {
    console.log(done);
    // Stall after the second set's records are on disk, so the kill lands mid-run.
    if (done === 2) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
  } });
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: resolve(import.meta.dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let printed = '';
  await new Promise<void>((res) =>
    child.stdout.on('data', (d: Buffer) => {
      printed += d;
      if (printed.split('\n').includes('2')) res();
    }),
  );
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  assert.ok(existsSync(join(out, 'run', LOCK_FILE)), 'the killed run left its lock');
  const resumed = await benchmarkRemoval({ ...opts, out: join(out, 'run') });
  assert.equal(resumed.retrainsRun, 6 - 2);
  assert.deepEqual(comparable(resumed.records), comparable(reference.records));
});

// ---------------------------------------------------------------- item 7: checkpoints and caches

test('sealed files: every single-bit flip and same-size garbage is detected', () => {
  const payload = new Uint8Array(Float64Array.from({ length: 16 }, (_, i) => Math.sin(i)).buffer);
  const sealed = seal(payload);
  assert.deepEqual(unseal(sealed, 'f'), payload);
  for (let bit = 0; bit < sealed.length * 8; bit += 7) {
    const flipped = sealed.slice();
    flipped[bit >> 3]! ^= 1 << (bit & 7);
    assert.throws(() => unseal(flipped, 'f'), IntegrityError);
  }
  const garbage = Uint8Array.from(sealed, (_, i) => (i * 97 + 13) & 255);
  assert.throws(() => unseal(garbage, 'f.bin'), { name: 'IntegrityError', message: /f.bin: has no checksum trailer/ });
  assert.throws(() => unseal(sealed.subarray(0, 50), 'f'), IntegrityError);
});

test('atomic writes use unique temporary names: concurrent writers of one file never collide', async () => {
  const dir = tmp('atomic');
  const file = join(dir, 'x.bin');
  await Promise.all(Array.from({ length: 20 }, (_, i) => writeFileAtomic(file, `writer ${i}\n`)));
  assert.match(readFileSync(file, 'utf8'), /^writer \d+\n$/);
  assert.deepEqual(readdirSync(dir), ['x.bin']);
  await writeFileAtomic(join(dir, 'once'), 'a', { exclusive: true });
  await assert.rejects(writeFileAtomic(join(dir, 'once'), 'b', { exclusive: true }), { code: 'EEXIST' });
  assert.equal(readFileSync(join(dir, 'once'), 'utf8'), 'a');
});

const small = logisticData(80, 4, 31);
const q = logisticData(5, 4, 32);
const model = await LogisticRegression.fit(small.X, small.y, { lambda: 1 });
const daunceOpts = { model, queries: { X: q.X, y: q.y }, K: 8, seed: 5, measure: 'covariance' as const };

test('Daunce checkpoints: a bit flip, same-size garbage and a truncated file are retrained with a warning, giving the uninterrupted scores', async () => {
  const expected = await (await daunce(daunceOpts)).scores();
  const dir = tmp('ckpt');
  await daunce({ ...daunceOpts, checkpointDir: dir });
  const path = (k: number) => join(dir, `model-${k}.f64`);
  const flip = readFileSync(path(2));
  flip[13]! ^= 0x10;
  writeFileSync(path(2), flip);
  const size = readFileSync(path(3)).length;
  writeFileSync(path(3), Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + 7) & 255)));
  truncateSync(path(4), 40);
  // An old-format file (no checksum) of the right payload size.
  writeFileSync(path(6), readFileSync(path(6)).subarray(0, size - 40));
  const { value: resumed, warnings } = await warningsDuring('TDAKIT_CHECKPOINT_CORRUPT', () =>
    daunce({ ...daunceOpts, checkpointDir: dir }),
  );
  assert.equal(resumed.resumed, 4);
  assert.deepEqual(await resumed.scores(), expected);
  assert.equal(warnings.length, 4);
  assert.ok(warnings.some((w) => w.includes('model-2.f64: checksum mismatch')));
  assert.ok(warnings.every((w) => /model-\d\.f64.*trained again/.test(w)));
  // Repaired: the next run resumes everything without warnings.
  const { value: clean, warnings: none } = await warningsDuring('TDAKIT_CHECKPOINT_CORRUPT', () =>
    daunce({ ...daunceOpts, checkpointDir: dir }),
  );
  assert.equal(clean.resumed, 8);
  assert.equal(none.length, 0);
});

test('Daunce checkpoints: two runs sharing a directory at once both finish with the same scores', async () => {
  const dir = tmp('ckpt-shared');
  const [a, b] = await Promise.all([
    daunce({ ...daunceOpts, checkpointDir: dir }),
    daunce({ ...daunceOpts, checkpointDir: dir }),
  ]);
  assert.deepEqual(await a.scores(), await b.scores());
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
  );
  // config.json is created once, whole, and compared thereafter.
  assert.equal(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).seed, 5);
  await assert.rejects(
    daunce({ ...daunceOpts, seed: 6, checkpointDir: dir }),
    /holds a run with other data or options .*config.json/,
  );
});

test('LDS cache: a bit flip, same-size garbage or a truncated entry is recomputed with a warning', async () => {
  const queries = { X: q.X, y: q.y };
  const cacheDir = tmp('lds-cache');
  const first = await groundTruth({ model, queries, subsets: 8, cacheDir, seed: 2 });
  assert.equal(first.retrained, 8);
  const [entry] = readdirSync(cacheDir);
  const file = join(cacheDir, entry!);
  const corruptions: [string, () => void][] = [
    [
      'bit flip',
      () => {
        const b = readFileSync(file);
        b[b.length - 60]! ^= 1;
        writeFileSync(file, b);
      },
    ],
    [
      'garbage',
      () => {
        const n = readFileSync(file).length;
        writeFileSync(file, Buffer.alloc(n, 0x41));
      },
    ],
    ['truncated', () => truncateSync(file, 100)],
  ];
  for (const [what, corrupt] of corruptions) {
    corrupt();
    const { value, warnings } = await warningsDuring('TDAKIT_CACHE_CORRUPT', () =>
      groundTruth({ model, queries, subsets: 8, cacheDir, seed: 2 }),
    );
    assert.equal(value.retrained, 8, what);
    assert.deepEqual(value.outputs, first.outputs, what);
    assert.equal(warnings.length, 1, what);
    assert.ok(warnings[0]!.includes(file), what);
    const cached = await groundTruth({ model, queries, subsets: 8, cacheDir, seed: 2 });
    assert.equal(cached.retrained, 0, `${what}: repaired entry is used`);
    assert.deepEqual(cached.outputs, first.outputs);
  }
});
