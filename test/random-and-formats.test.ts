/**
 * The shared randomness and hashing helpers, and the format versions that guard resumable
 * records and checkpoints: a directory written with the older seed mixing refuses to resume.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchmarkRemoval, daunce, LogisticRegression } from '../src/index.ts';
import { hashArray } from '../src/hash.ts';
import { sigmoid, logSumExp } from '../src/numerics.ts';
import { mixSeed, sampleIndices, seededRandom, shuffleInPlace } from '../src/random.ts';
import { logisticData, pythonHas } from './helpers.ts';

test('mixSeed: deterministic, distinct for distinct parts, 32-bit', () => {
  assert.equal(mixSeed(3, 'lds-subset', 1), mixSeed(3, 'lds-subset', 1));
  const seen = new Set<number>();
  for (let s = 0; s < 20; s++) for (let j = 0; j < 50; j++) seen.add(mixSeed(s, 'x', j));
  assert.equal(seen.size, 1000);
  for (const v of seen) assert.ok(Number.isInteger(v) && v >= 0 && v < 2 ** 32);
  assert.notEqual(mixSeed(1, 'a', 12), mixSeed(1, 'a1', 2));
});

test('shuffleInPlace gives every permutation of 3 items about equally often; sampleIndices draws distinct sorted indices', () => {
  const counts = new Map<string, number>();
  const draws = 12000;
  for (let s = 0; s < draws; s++) {
    const key = shuffleInPlace([0, 1, 2], seededRandom(mixSeed(s, 'perm'))).join('');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assert.equal(counts.size, 6);
  // Chi-square with 5 degrees of freedom: 20.5 is its 0.999 quantile.
  const expected = draws / 6;
  const chi2 = [...counts.values()].reduce((a, c) => a + (c - expected) ** 2 / expected, 0);
  assert.ok(chi2 < 20.5, `chi2 ${chi2}`);
  const inclusion = new Float64Array(10);
  for (let s = 0; s < 4000; s++) {
    const S = sampleIndices(10, 4, seededRandom(mixSeed(s, 'sample')));
    assert.equal(S.length, 4);
    for (let k = 1; k < S.length; k++) assert.ok(S[k]! > S[k - 1]!);
    for (const i of S) inclusion[i]!++;
  }
  // Each index is included with probability 4/10; binomial s.d. sqrt(4000 * 0.24) = 31.
  for (const c of inclusion) assert.ok(Math.abs(c - 1600) < 5 * 31, `inclusion ${c}`);
});

test('sigmoid and logSumExp agree with direct formulas where those are safe, and do not overflow where they are not', () => {
  for (const z of [-30, -2, 0, 0.5, 7]) assert.ok(Math.abs(sigmoid(z) - 1 / (1 + Math.exp(-z))) < 1e-15);
  assert.equal(sigmoid(-1000), 0);
  assert.equal(sigmoid(1000), 1);
  assert.ok(Math.abs(logSumExp([1, 2, 3]) - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3))) < 1e-14);
  assert.ok(Math.abs(logSumExp([1000, 1000]) - (1000 + Math.log(2))) < 1e-12);
});

test('hashArray is the sha256 of the bytes (checked against Python hashlib)', { skip: !pythonHas('hashlib') }, () => {
  const a = Float64Array.of(1, 2.5, -3);
  const hex = execFileSync('python3', [
    '-c',
    'import hashlib,struct;print(hashlib.sha256(struct.pack("<3d",1,2.5,-3)).hexdigest())',
  ])
    .toString()
    .trim();
  assert.equal(hashArray(a), `3:${hex.slice(0, 32)}`);
});

test('a RIF protocol directory of record format 1 refuses to resume, with a clear message', async () => {
  const { X, y } = logisticData(120, 3, 2);
  const out = mkdtempSync(join(tmpdir(), 'tdakit-format-'));
  const options = {
    data: { name: 'synthetic', X, y },
    sizes: [0.02],
    strategies: ['random' as const],
    metrics: ['self-loss' as const],
    testHighestLoss: 2,
    testRandom: 2,
    out,
  };
  await benchmarkRemoval(options);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(config.format, 2);
  // Resuming the same format works (nothing is rerun).
  assert.equal((await benchmarkRemoval(options)).retrainsRun, 0);
  delete config.format; // what an older tdakit wrote
  writeFileSync(join(out, 'config.json'), JSON.stringify(config, null, 2));
  await assert.rejects(
    benchmarkRemoval(options),
    /holds records of format 1, written by an older tdakit whose random sets differ/,
  );
});

test('a Daunce checkpoint of format 1 refuses to resume, with a clear message', async () => {
  const { X, y } = logisticData(40, 3, 5);
  const model = await LogisticRegression.fit(X, y);
  const dir = mkdtempSync(join(tmpdir(), 'tdakit-ckpt-format-'));
  const opts = { model, queries: { X, y }, K: 3, seed: 1, checkpointDir: dir };
  await daunce(opts);
  assert.equal((await daunce(opts)).resumed, 3);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(config.format, 2);
  delete config.format;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  await assert.rejects(
    daunce(opts),
    /holds a checkpoint of format 1, written by an older tdakit whose random draws differ/,
  );
});
