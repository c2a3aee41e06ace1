/**
 * Issue 16 regression tests (items 4, 8, 9, 10, 11): every case ends in a clear Error or the
 * correct result with the process alive. Cases that could kill the process (stack or heap
 * overflow, uncaught stream errors) run in a child process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  AbortError,
  daunce,
  drawPerturbation,
  encodeNpy,
  Influence,
  lds,
  LogisticRegression,
  Matrix,
  NumericError,
  parseNpy,
  readCsv,
  subsetRemoval,
  TimeoutError,
  writeNpy,
  type PerturbableModel,
  type Perturbation,
} from '../src/index.ts';
import { CATCH, report, runSnippet, settle } from './child.ts';
import { logisticData, pythonHas } from './helpers.ts';

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), `tdakit-${prefix}-`));
const numpy = pythonHas('numpy');

// ---------------------------------------------------------------- item 4: .npy

test('writeNpy writes number[], Float32Array, integer and BigInt typed arrays as their float64 values (read by NumPy)', {
  skip: !numpy && 'numpy not installed',
}, async () => {
  const dir = tmp('npy');
  const inputs = {
    list: [1.5, -2, 3e-300, 4e300, 0, -0.25],
    f32: new Float32Array([1.5, -2, 0.1, 4, 5, 6]),
    i16: new Int16Array([-32768, 2, 3, 4, 5, 32767]),
    u8: new Uint8Array([0, 1, 2, 253, 254, 255]),
    big: new BigInt64Array([-5n, 2n, 3n, 4n, 5n, 9007199254740991n]),
  };
  for (const [name, values] of Object.entries(inputs)) await writeNpy(join(dir, `${name}.npy`), values, [2, 3]);
  const out = execFileSync('python3', [
    '-c',
    `
import json, numpy as np
print(json.dumps({k: np.load('${dir}/' + k + '.npy').tolist() for k in ${JSON.stringify(Object.keys(inputs))}}))`,
  ]).toString();
  const read = JSON.parse(out) as Record<string, number[][]>;
  for (const [name, values] of Object.entries(inputs)) {
    // Expected: each value converted to float64 independently of the encoder.
    const expected = Array.from(values as ArrayLike<number | bigint>, (v) => Number(v));
    assert.deepEqual(read[name]!.flat(), expected, name);
    assert.equal(read[name]!.length, 2);
  }
  // No temporary files left next to the outputs.
  assert.deepEqual(
    readdirSync(dir).sort(),
    Object.keys(inputs)
      .map((k) => `${k}.npy`)
      .sort(),
  );
});

test('encodeNpy writes the little-endian float64 bytes of every accepted input (checked byte by byte)', () => {
  const bytes = encodeNpy([1.5, -2, 3], [3]);
  const headerLen = bytes[8]! | (bytes[9]! << 8);
  assert.equal((10 + headerLen) % 64, 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset + 10 + headerLen);
  assert.deepEqual(
    [0, 1, 2].map((k) => view.getFloat64(8 * k, true)),
    [1.5, -2, 3],
  );
  assert.match(Buffer.from(bytes.subarray(10, 10 + headerLen)).toString('latin1'), /'shape': \(3,\)/);
});

test('encodeNpy/writeNpy reject shapes NumPy cannot read and values that are not numbers', async () => {
  for (const shape of [[-2, -2], [1.5, 2], [NaN, 4], [Infinity], [2 ** 53, 2]]) {
    assert.throws(
      () => encodeNpy([1, 2, 3, 4], shape),
      { name: 'RangeError', message: /encodeNpy: shape\[0\] must be a non-negative integer|too many/ },
      String(shape),
    );
  }
  assert.throws(() => encodeNpy([1, 2, 3, 4], '2,2' as never), {
    name: 'TypeError',
    message: /shape must be an array/,
  });
  assert.throws(() => encodeNpy([1, 2, 3], [2, 2]), { name: 'RangeError', message: /holds 4 values, data has 3/ });
  assert.throws(() => encodeNpy(['1', 2] as never, [2]), { name: 'TypeError', message: /data element 0 is string/ });
  assert.throws(() => encodeNpy({ length: 2 } as never, [2]), { name: 'TypeError', message: /data must be/ });
  const dir = tmp('npy-bad');
  await assert.rejects(writeNpy(join(dir, 'x.npy'), [1, 2, 3, 4], [-2, -2]), { name: 'RangeError' });
  assert.deepEqual(readdirSync(dir), [], 'nothing written for a rejected shape');
});

/** A .npy file whose header text is replaced (keeping the 64-byte alignment NumPy uses). */
function npyWithHeader(dict: string, body = new Uint8Array(32)): Uint8Array {
  let header = dict;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(body, 10 + header.length);
  return out;
}

test('parseNpy rejects negative, fractional, NaN and overflowing shapes instead of returning them', () => {
  for (const shape of ['(-3, -4)', '(NaN, 4)', '(1.5,)', '(2, -0)', '(99999999999, 99999999999)', '(4, 0x2)']) {
    const bytes = npyWithHeader(`{'descr': '<f8', 'fortran_order': False, 'shape': ${shape}, }`);
    assert.throws(() => parseNpy(bytes), { name: 'RangeError', message: /shape/ }, shape);
  }
  // The valid forms still parse (including 0-d and empty arrays).
  assert.deepEqual(
    parseNpy(npyWithHeader(`{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }`)).shape,
    [2, 2],
  );
  assert.deepEqual(parseNpy(npyWithHeader(`{'descr': '<f8', 'fortran_order': False, 'shape': (), }`)).shape, []);
  assert.deepEqual(
    parseNpy(npyWithHeader(`{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }`)).data.length,
    0,
  );
});

test('a corrupt .npy v2/v3 header length is a RangeError, not a stack overflow (child process)', () => {
  const r = runSnippet(`import { parseNpy, encodeNpy } from 'tdakit';${CATCH}
const results = [];
// Header length beyond the file.
const a = encodeNpy([1, 2, 3, 4], [2, 2]); a[6] = 2; new DataView(a.buffer).setUint32(8, 0xffffffff, true);
results.push(await outcome(() => parseNpy(a)));
// A 3 MB "header" inside the file (the old reader spread it into String.fromCharCode).
const b = new Uint8Array(3_000_000); b.set([0x93, 78, 85, 77, 80, 89, 2, 0]); new DataView(b.buffer).setUint32(8, 2_900_000, true);
results.push(await outcome(() => parseNpy(b)));
const c = b.slice(); c[6] = 3;
results.push(await outcome(() => parseNpy(c)));
// Unsupported version.
const d = encodeNpy([1], [1]); d[6] = 9;
results.push(await outcome(() => parseNpy(d)));
// A large but valid v2 header is read correctly.
const dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
const len = 1_000_000 - 12;
const e = new Uint8Array(12 + len + 16); e.set([0x93, 78, 85, 77, 80, 89, 2, 0]); new DataView(e.buffer).setUint32(8, len, true);
e.fill(32, 12, 12 + len); e.set(Buffer.from(dict, 'latin1'), 12); e[12 + len - 1] = 10;
new DataView(e.buffer).setFloat64(12 + len, 1.25, true); new DataView(e.buffer).setFloat64(12 + len + 8, -7, true);
results.push(await outcome(() => Array.from(parseNpy(e).data)));
console.log(JSON.stringify(results));`);
  assert.equal(r.signal, null);
  assert.equal(r.status, 0, r.stderr);
  const [pastEnd, huge, hugeV3, version, valid] =
    report<{ ok: boolean; name?: string; message?: string; value?: number[] }[]>(r);
  assert.match(pastEnd!.message!, /header length 4294967295 runs past the end/);
  for (const x of [huge!, hugeV3!]) assert.equal(x.name, 'RangeError');
  assert.doesNotMatch(huge!.message!, /call stack/);
  assert.match(version!.message!, /format version 9\.0 is not supported/);
  assert.deepEqual(valid!.value, [1.25, -7]);
});

// ---------------------------------------------------------------- item 8: external models

const n = 24,
  m = 3;
/** Deterministic losses of model p (an independent function of the draw). */
const lossesOf = (p: Perturbation, len: number, salt: number) =>
  Float64Array.from({ length: len }, (_, i) => Math.cos(i * 0.7 + salt + p.subset[0]! + 3 * p.xi[0]!));
const goodModel = (): PerturbableModel<Perturbation> => ({
  train: async (p) => p,
  losses: async (p, which) => lossesOf(p, which === 'train' ? n : m, which === 'train' ? 0 : 1),
});

test('a NaN loss fails at that model before it is checkpointed; a rerun with a fixed model resumes', async () => {
  const dir = tmp('nan-ckpt');
  const bad: PerturbableModel<Perturbation> = {
    train: async (p) => p,
    losses: async (p, which) => {
      const l = lossesOf(p, which === 'train' ? n : m, which === 'train' ? 0 : 1);
      if (p.k === 2 && which === 'queries') l[1] = NaN;
      return l;
    },
  };
  await assert.rejects(
    daunce({ model: bad, train: { n }, queries: { m }, K: 5, checkpointDir: dir, retryDelayMs: 1 }),
    (err: unknown) => {
      assert.ok(err instanceof NumericError);
      assert.match(err.message, /model 2: losses\(handle, 'queries'\): value 1 is NaN/);
      return true;
    },
  );
  const files = readdirSync(dir);
  assert.ok(!files.includes('model-2.f64'), 'the NaN model is not checkpointed');
  assert.ok(files.includes('model-0.f64') && files.includes('model-1.f64'));
  const resumed = await daunce({ model: goodModel(), train: { n }, queries: { m }, K: 5, checkpointDir: dir });
  assert.equal(resumed.resumed, 2);
  const fresh = await daunce({ model: goodModel(), train: { n }, queries: { m }, K: 5 });
  assert.deepEqual(await resumed.scores(), await fresh.scores());
});

test('losses() arrays are copied: a model that reuses one buffer gives the same scores as one that does not', async () => {
  const trainBuf = new Float64Array(n),
    queryBuf = new Float64Array(m);
  const reusing: PerturbableModel<Perturbation> = {
    train: async (p) => p,
    losses: async (p, which) => {
      const buf = which === 'train' ? trainBuf : queryBuf;
      buf.set(lossesOf(p, buf.length, which === 'train' ? 0 : 1));
      return buf;
    },
  };
  const a = await daunce({ model: reusing, train: { n }, queries: { m }, K: 6, measure: 'covariance' });
  const b = await daunce({ model: goodModel(), train: { n }, queries: { m }, K: 6, measure: 'covariance' });
  const sa = await a.scores(),
    sb = await b.scores();
  assert.deepEqual(sa, sb);
  assert.ok(sa.some((v) => v !== 0));
});

test('wrong-length or non-numeric losses are a clear error, not retried', async () => {
  let calls = 0;
  const short: PerturbableModel<Perturbation> = {
    train: async (p) => {
      calls++;
      return p;
    },
    losses: async () => new Float64Array(2),
  };
  await assert.rejects(daunce({ model: short, train: { n }, queries: { m }, K: 2, retryDelayMs: 1 }), {
    name: 'RangeError',
    message: /must return 24 values, got 2/,
  });
  assert.equal(calls, 1);
  const strings: PerturbableModel<Perturbation> = { train: async (p) => p, losses: async () => 'x' as never };
  await assert.rejects(daunce({ model: strings, train: { n }, queries: { m }, K: 2 }), {
    name: 'TypeError',
    message: /must return a Float64Array/,
  });
});

test('a pending call times out (callTimeoutMs, retried) and abort() settles the run while a call is pending', async () => {
  let attempts = 0;
  const hanging: PerturbableModel<Perturbation> = {
    train: () => {
      attempts++;
      return new Promise(() => {});
    },
    losses: async () => new Float64Array(0),
  };
  const t0 = performance.now();
  await assert.rejects(
    daunce({ model: hanging, train: { n }, queries: { m }, K: 2, callTimeoutMs: 30, retries: 2, retryDelayMs: 1 }),
    (err: unknown) => {
      assert.ok(err instanceof TimeoutError);
      assert.match(err.message, /train \(model 0\) did not finish within 30 ms/);
      return true;
    },
  );
  assert.equal(attempts, 3);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const run = daunce({ model: hanging, train: { n }, queries: { m }, K: 2, signal: controller.signal });
  await assert.rejects(
    run,
    (err: unknown) => err instanceof AbortError && /while train \(model 0\) was pending/.test(err.message),
  );
  assert.ok(performance.now() - t0 < 20_000);
});

test('a trained copy that arrives after its timeout is released, not leaked', async () => {
  const released: number[] = [];
  const late: PerturbableModel<number> = {
    train: (p) => new Promise((res) => setTimeout(() => res(p.k + 100), 80)),
    losses: async () => new Float64Array(0),
    release: async (h) => {
      released.push(h);
    },
  };
  await assert.rejects(
    daunce({ model: late, train: { n }, queries: { m }, K: 2, callTimeoutMs: 20, retries: 0 }),
    TimeoutError,
  );
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(released, [100]);
});

test('retries and retryDelayMs are validated; user errors (RangeError included) are retried unless retryable is false', async () => {
  for (const retries of [NaN, Infinity, -1, 1.5]) {
    await assert.rejects(
      daunce({ model: goodModel(), train: { n }, queries: { m }, K: 2, retries }),
      /daunce: retries/,
    );
  }
  for (const retryDelayMs of [NaN, Infinity, -5]) {
    await assert.rejects(
      daunce({ model: goodModel(), train: { n }, queries: { m }, K: 2, retryDelayMs }),
      /daunce: retryDelayMs/,
    );
  }
  await assert.rejects(
    daunce({ model: goodModel(), train: { n }, queries: { m }, K: 2, callTimeoutMs: 0 }),
    /daunce: callTimeoutMs/,
  );
  let failures = 0;
  const flaky: PerturbableModel<Perturbation> = {
    train: async (p) => {
      if (failures++ < 2) throw new RangeError('transient out of range');
      return p;
    },
    losses: goodModel().losses,
  };
  const ok = await daunce({ model: flaky, train: { n }, queries: { m }, K: 2, retries: 2, retryDelayMs: 1 });
  assert.equal(ok.K, 2);
  let attempts = 0;
  const fatal: PerturbableModel<Perturbation> = {
    train: async () => {
      attempts++;
      throw Object.assign(new Error('bad credentials'), { retryable: false });
    },
    losses: goodModel().losses,
  };
  await assert.rejects(
    daunce({ model: fatal, train: { n }, queries: { m }, K: 2, retries: 5, retryDelayMs: 1 }),
    /bad credentials/,
  );
  assert.equal(attempts, 1);
});

test('n: 1e9 is refused with the memory it would need, before allocating (child process)', () => {
  const r = runSnippet(
    `import { daunce } from 'tdakit';${CATCH}
const model = { train: async (p) => p, losses: async () => new Float64Array(0) };
console.log(JSON.stringify(await outcome(() => daunce({ model, train: { n: 1e9 }, queries: { m: 10 }, K: 100 }))));`,
    { nodeArgs: ['--max-old-space-size=256'] },
  );
  assert.equal(r.signal, null);
  assert.equal(r.status, 0, r.stderr);
  const out = report<{ name: string; message: string }>(r);
  assert.equal(out.name, 'RangeError');
  assert.match(out.message, /need about .* GiB for the loss rows/);
});

test('lds with an impossible number of subsets is refused before allocating (child process)', () => {
  const r = runSnippet(
    `import { lds, LogisticRegression, Matrix } from 'tdakit';${CATCH}
const X = Matrix.fromArrays([[0, 1], [1, 0], [1, 1], [0, 0], [2, 1], [1, 2]]);
const model = await LogisticRegression.fit(X, [0, 1, 1, 0, 1, 0], { lambda: 1 });
const queries = { X: X.selectRows([0]), y: [0] };
console.log(JSON.stringify(await outcome(() => lds({ model, queries, subsets: 2 ** 40, scores: new Float64Array(6) }))));`,
    { nodeArgs: ['--max-old-space-size=256'] },
  );
  assert.equal(r.signal, null);
  assert.equal(r.status, 0, r.stderr);
  const out = report<{ name: string; message: string }>(r);
  assert.equal(out.name, 'RangeError');
  assert.match(out.message, /lds: subsets = 1099511627776 would need about .* GiB/);
});

test('zero query rows and out-of-range seeds are clear errors', async () => {
  const { X, y } = logisticData(30, 3, 1);
  const model = await LogisticRegression.fit(X, y);
  await assert.rejects(
    daunce({ model, queries: { X: new Matrix(new Float64Array(0), 0, 3), y: [] }, K: 2 }),
    /queries.X has no rows/,
  );
  await assert.rejects(daunce({ model: goodModel(), train: { n }, queries: { m: 0 }, K: 2 }), /queries.m is 0/);
  // The whole seed counts: 2^32 and 2^32 + 1 do not alias 0 and 1 (the generator has 32 bits).
  for (const s of [0, 1]) {
    assert.notDeepEqual(drawPerturbation(n, 0.5, s + 2 ** 32, 0).subset, drawPerturbation(n, 0.5, s, 0).subset);
    const a = await daunce({ model: goodModel(), train: { n }, queries: { m }, K: 3, seed: s, measure: 'covariance' });
    const b = await daunce({
      model: goodModel(),
      train: { n },
      queries: { m },
      K: 3,
      seed: s + 2 ** 32,
      measure: 'covariance',
    });
    assert.notDeepEqual(await a.scores(), await b.scores());
  }
  await assert.rejects(daunce({ model: goodModel(), train: { n }, queries: { m }, K: 2, seed: 2 ** 53 }), {
    message: /daunce: seed/,
  });
});

// ---------------------------------------------------------------- item 9: evaluation

test('lds and subsetRemoval reject non-finite scores; a custom metric with a NaN gradient is an error', async () => {
  const { X, y } = logisticData(40, 3, 2);
  const model = await LogisticRegression.fit(X, y, { lambda: 1 });
  const queries = { X: X.selectRows([0, 1, 2]), y: y.subarray(0, 3) };
  const nan = new Float64Array(40 * 3).fill(NaN);
  let retrained = false;
  await assert.rejects(
    lds({
      model,
      queries,
      subsets: 10,
      scores: nan,
      onProgress: () => {
        retrained = true;
      },
    }),
    { name: 'RangeError', message: /lds: scores: contains NaN at row 0, column 0/ },
  );
  assert.equal(retrained, false, 'rejected before any retrain');
  const oneInf = new Float64Array(40 * 3);
  oneInf[7] = Infinity;
  await assert.rejects(lds({ model, queries, subsets: 10, scores: oneInf }), /contains Infinity at row 2, column 1/);
  await assert.rejects(subsetRemoval({ model, queries, scores: nan, sizes: [2] }), {
    name: 'RangeError',
    message: /subsetRemoval: scores: contains NaN/,
  });
  const influence = await Influence.of(model);
  const metric = { name: 'mine', value: () => 1, gradient: () => new Float64Array(model.nParameters).fill(NaN) };
  await assert.rejects(influence.effect([0], metric), {
    name: 'RangeError',
    message: /metric mine: gradient\(theta\) returned NaN at index 0/,
  });
  await assert.rejects(influence.metricScores(metric), /gradient\(theta\) returned NaN/);
});

// ---------------------------------------------------------------- item 10: CLI streams

const CLI = resolve(import.meta.dirname, '../src/cli.ts');
const ROOT = resolve(import.meta.dirname, '..');

function cliData(rows: number): { train: string; queries: string } {
  const dir = tmp('cli');
  const { X, y } = logisticData(rows, 3, 5);
  const csv = (from: number, to: number) =>
    [
      'a,b,c,label',
      ...Array.from({ length: to - from }, (_, r) => `${Array.from(X.row(from + r)).join(',')},${y[from + r]}`),
    ].join('\n') + '\n';
  writeFileSync(join(dir, 'train.csv'), csv(0, 60));
  writeFileSync(join(dir, 'queries.csv'), csv(0, rows));
  return { train: join(dir, 'train.csv'), queries: join(dir, 'queries.csv') };
}

test('CLI: --out to a missing directory or a directory fails before the work, without a stack trace', () => {
  const { train, queries } = cliData(60);
  for (const [out, message] of [
    ['/nonexistent-dir/x/top.jsonl', /directory \/nonexistent-dir\/x does not exist/],
    [tmpdir(), /is a directory/],
  ] as const) {
    const r = settle(
      spawnSync(
        process.execPath,
        ['--import', 'tsx', CLI, 'influence', '--train', train, '--queries', queries, '--out', out],
        { encoding: 'utf8', cwd: ROOT, timeout: 60_000 },
      ),
    );
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /fitted|\n\s+at /, 'fails before fitting and prints no stack');
  }
  const full = settle(
    spawnSync(
      process.execPath,
      ['--import', 'tsx', CLI, 'influence', '--train', train, '--queries', queries, '--full', '/nonexistent-dir/s.npy'],
      { encoding: 'utf8', cwd: ROOT, timeout: 60_000 },
    ),
  );
  assert.equal(full.status, 1);
  assert.match(full.stderr, /--full \/nonexistent-dir\/s.npy: directory \/nonexistent-dir does not exist/);
});

test('CLI: a full device on stdout is a one-line error; a closed pipe (| head) exits quietly', async () => {
  const { train, queries } = cliData(3000);
  const args = ['--import', 'tsx', CLI, 'influence', '--train', train, '--queries', queries, '--top-k', '5'];
  const devFull = openSync('/dev/full', 'w');
  try {
    const r = settle(
      spawnSync(process.execPath, args, {
        encoding: 'utf8',
        cwd: ROOT,
        timeout: 120_000,
        stdio: ['ignore', devFull, 'pipe'],
      }),
    );
    assert.equal(r.status, 1);
    assert.match(r.stderr, /tdakit: stdout: .*ENOSPC|no space/i);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  } finally {
    closeSync(devFull);
  }
  // Like `tdakit influence ... | head -1`: the reader goes away after the first chunk.
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdout.once('data', () => child.stdout.destroy());
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res) =>
    child.on('close', (c, s) => res([c, s])),
  );
  assert.equal(signal, null);
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|\n\s+at /);
});

// ---------------------------------------------------------------- item 11: CSV numbers

test('CSV: NA in the first row is an error naming it, not a header; hex/binary/octal are not numbers', async () => {
  const dir = tmp('csv');
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  await assert.rejects(Matrix.fromCSV(file('na.csv', 'NA,1,0\n2,3,1\n')), {
    name: 'RangeError',
    message: /na.csv:1: column 'x0' holds "NA"/,
  });
  await assert.rejects(Matrix.fromCSV(file('nan.csv', '1,NaN,0\n2,3,1\n')), /holds "NaN"/);
  await assert.rejects(Matrix.fromCSV(file('hex.csv', '1,2\n0x10,3\n')), /holds "0x10"/);
  await assert.rejects(Matrix.fromCSV(file('bin.csv', '0b101,2\n')), /holds "0b101"/);
  await assert.rejects(Matrix.fromCSV(file('oct.csv', '1,0o7\n')), /holds "0o7"/);
  await assert.rejects(Matrix.fromCSV(file('inf.csv', '1,Infinity\n')), /holds "Infinity"/);
  // Decimal forms are numbers; a header of names is still a header.
  const m = await Matrix.fromCSV(file('ok.csv', 'a,b,label\n1e3,-2.5,.5\n+4,0.,7E-2\n'));
  assert.deepEqual(Array.from(m.data), [1000, -2.5, 0.5, 4, 0, 0.07]);
  const t = await readCsv(file('hdr.csv', 'x,NA,y\n1,2,3\n'));
  assert.deepEqual(t.columns, ['x', 'NA', 'y']);
  assert.equal(t.rows, 1);
});
