/**
 * Streaming attribution: results equal a dense score matrix sorted in plain JS, come back in
 * input order, memory (records in flight) stays bounded under a slow consumer, an abort stops
 * the stream, and malformed records either fail the stream after every earlier record was
 * delivered or become error records in place.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Influence, LogisticRegression, loadSpamEmbeddings } from '../src/index.ts';
import {
  attributeQueries,
  attributionStream,
  RecordError,
  type AttributionOutput,
  type AttributionRecord,
} from '../src/streaming/attribution.ts';

const spam = await loadSpamEmbeddings({ limit: 900 });
// Even emails train, odd emails are the queries (the corpus is ordered by class).
const trainRows = Array.from({ length: Math.ceil(spam.X.rows / 2) }, (_, i) => 2 * i);
const nTrain = trainRows.length;
const model = await LogisticRegression.fit(
  spam.X.selectRows(trainRows),
  trainRows.map((i) => spam.y[i]!),
  { lambda: 1 },
);
const influence = await Influence.of(model);
const queryRows = Array.from({ length: Math.floor(spam.X.rows / 2) }, (_, j) => 2 * j + 1);
const records = queryRows.map((i, j) => ({ id: `q-${j}`, x: Array.from(spam.X.row(i)), y: spam.y[i]! }));
const K = 5;

/** Top/bottom k of one query from the dense n x m matrix, sorted in plain JS (ties: lower index). */
function denseTopK(scores: Float64Array, m: number, j: number) {
  const col = Array.from({ length: nTrain }, (_, i) => ({ index: i, score: scores[i * m + j]! }));
  const top = [...col].sort((a, b) => b.score - a.score || a.index - b.index).slice(0, K);
  const bottom = [...col].sort((a, b) => a.score - b.score || a.index - b.index).slice(0, K);
  return { top, bottom };
}

const close = (a: number, b: number, scale: number) => Math.abs(a - b) <= 1e-12 * Math.abs(scale) + 1e-300;

/**
 * Same ranking; scores equal up to rounding (the GEMM's blocking depends on the batch size), so
 * indices may differ only between scores tied to rounding (the spam corpus has duplicate emails).
 */
function assertSameRecords(actual: AttributionOutput[], expected: AttributionOutput[]) {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, j) => {
    const e = expected[j]!;
    assert.equal(a.id, e.id);
    for (const side of ['top', 'bottom'] as const) {
      const [x, y] = [(a as AttributionRecord)[side], (e as AttributionRecord)[side]];
      const scale = y[0]!.score;
      x.forEach((t, r) => {
        assert.ok(close(t.score, y[r]!.score, scale), `record ${j} ${side} rank ${r}: ${t.score} vs ${y[r]!.score}`);
        if (t.index !== y[r]!.index) {
          const tied = y.some((u, s) => s !== r && close(u.score, t.score, scale)) || r === y.length - 1;
          assert.ok(tied, `record ${j} ${side} rank ${r}: index ${t.index} vs ${y[r]!.index} without a tie`);
        }
      });
    }
  });
}

async function* source(items: unknown[], counter: { pulled: number }) {
  for (const r of items) {
    counter.pulled++;
    yield r;
  }
}

test('the iterator gives the dense matrix top-k of every query, in input order', async () => {
  const first = records.slice(0, 150);
  const Xq = spam.X.selectRows(queryRows.slice(0, 150));
  const dense = await influence.scores(
    Xq,
    Float64Array.from(first, (r) => r.y),
  );
  const out: AttributionOutput[] = [];
  for await (const r of attributeQueries(influence, first, { k: K, batchSize: 32 })) out.push(r);
  assertSameRecords(
    out,
    first.map((r, j) => ({ id: r.id, ...denseTopK(dense, first.length, j) })),
  );
  // Every index carries its dense score (ties may order differently, never a wrong score).
  out.forEach((r, j) => {
    for (const t of [...(r as AttributionRecord).top, ...(r as AttributionRecord).bottom]) {
      assert.ok(close(t.score, dense[t.index * first.length + j]!, t.score), `record ${j} index ${t.index}`);
    }
  });
});

test('the Transform gives the same records as the iterator', async () => {
  const viaIterator: AttributionOutput[] = [];
  for await (const r of attributeQueries(influence, records, { k: K, batchSize: 50, target: 'logit' }))
    viaIterator.push(r);
  const viaStream: AttributionOutput[] = [];
  await pipeline(
    Readable.from(records),
    attributionStream(influence, { k: K, batchSize: 37, target: 'logit' }),
    new Writable({
      objectMode: true,
      write(r: AttributionOutput, _e, done) {
        viaStream.push(r);
        done();
      },
    }),
  );
  assertSameRecords(viaStream, viaIterator);
});

test('a slow consumer bounds the records in flight (Transform and iterator)', async () => {
  const batchSize = 16;
  const highWaterMark = 8;
  const counter = { pulled: 0 };
  let consumed = 0;
  let maxInFlight = 0;
  await pipeline(
    Readable.from(source(records, counter), { highWaterMark: 4 }),
    attributionStream(influence, { k: K, batchSize, highWaterMark }),
    new Writable({
      objectMode: true,
      highWaterMark: 1,
      write(_r, _e, done) {
        consumed++;
        maxInFlight = Math.max(maxInFlight, counter.pulled - consumed);
        setTimeout(done, 1); // the slow consumer
      },
    }),
  );
  assert.equal(consumed, records.length);
  // Source buffer + writable buffer + one batch + readable buffer (+ the batch it overflows by).
  const bound = 4 + highWaterMark + batchSize + highWaterMark + batchSize + 2;
  assert.ok(maxInFlight <= bound, `in flight ${maxInFlight} > ${bound}`);
  assert.ok(maxInFlight < records.length / 4, 'the source did not run ahead');

  const counter2 = { pulled: 0 };
  let consumed2 = 0;
  let max2 = 0;
  for await (const _ of attributeQueries(influence, source(records.slice(0, 200), counter2), { k: K, batchSize })) {
    consumed2++;
    max2 = Math.max(max2, counter2.pulled - consumed2);
    await sleep(1);
  }
  assert.equal(consumed2, 200);
  assert.ok(max2 <= batchSize, `iterator in flight ${max2} > ${batchSize}`);
});

test('an abort stops the stream mid-way and the source is not drained', async () => {
  const controller = new AbortController();
  const counter = { pulled: 0 };
  let seen = 0;
  await assert.rejects(
    pipeline(
      Readable.from(source(records, counter)),
      attributionStream(influence, { k: K, batchSize: 10, signal: controller.signal }),
      new Writable({
        objectMode: true,
        write(_r, _e, done) {
          if (++seen === 25) controller.abort();
          setImmediate(done);
        },
      }),
    ),
    (e: Error) => e.name === 'AbortError',
  );
  assert.ok(seen >= 25 && counter.pulled < records.length, `pulled ${counter.pulled}`);

  const c2 = new AbortController();
  let n2 = 0;
  await assert.rejects(
    async () => {
      for await (const _ of attributeQueries(influence, records, { k: K, batchSize: 10, signal: c2.signal }))
        if (++n2 === 15) c2.abort();
    },
    (e: Error) => e.name === 'AbortError',
  );
  assert.equal(n2, 20, 'the batch in hand is delivered, then the abort stops the next');
});

const bad = (at: number, what: Record<string, unknown>) =>
  records.slice(0, 120).map((r, j) => (j === at ? { ...r, ...what } : r));

test("a malformed record fails the stream after every record before it ('fail')", async () => {
  for (const [what, pattern] of [
    [{ x: [1, 2, 3] }, /x has 3 values, the model has 100 features/],
    [{ x: records[0]!.x.map((v, j) => (j === 7 ? 'abc' : v)) }, /x\[7\] is "abc", not a finite number/],
    [{ y: 3 }, /y is 3: logistic regression needs labels 0 or 1/],
    [{ y: undefined }, /y is required/],
  ] as const) {
    const input = bad(77, what);
    const got: AttributionOutput[] = [];
    const stream = attributionStream(influence, { k: K, batchSize: 32 });
    Readable.from(input).pipe(stream);
    await assert.rejects(
      (async () => {
        for await (const r of stream) {
          got.push(r as AttributionOutput);
          await sleep(0);
        }
      })(),
      (e: Error) => e instanceof RecordError && e.record === 77 && /q-77/.test(e.message) && pattern.test(e.message),
    );
    assert.deepEqual(
      got.map((r) => r.id),
      input.slice(0, 77).map((r) => r.id),
      'every record before the bad one arrived',
    );
  }
  const got: unknown[] = [];
  await assert.rejects(
    async () => {
      for await (const r of attributeQueries(influence, bad(40, { x: null }), { k: K, batchSize: 32 })) got.push(r.id);
    },
    (e: Error) => e instanceof RecordError && e.record === 40,
  );
  assert.equal(got.length, 40);
});

test("a malformed record becomes an error record in place ('emit')", async () => {
  const input = [...bad(50, { x: [] }), 'not an object'];
  const out: AttributionOutput[] = [];
  for await (const r of attributeQueries(influence, input, { k: K, batchSize: 32, onError: 'emit' })) out.push(r);
  assert.equal(out.length, input.length);
  assert.deepEqual(out[50], { id: 'q-50', record: 50, error: 'x has 0 values, the model has 100 features' });
  assert.match((out[120] as { error: string }).error, /must be an object/);
  const good = out.filter((r) => !('error' in r)) as AttributionRecord[];
  assert.equal(good.length, 119);
  // The good records are the same as without the bad ones.
  const clean: AttributionOutput[] = [];
  for await (const r of attributeQueries(
    influence,
    input.filter((_, j) => j !== 50 && j !== 120),
    { k: K, batchSize: 32 },
  ))
    clean.push(r);
  assertSameRecords(good, clean);
});

test("a Daunce run's queries stream block by block with the run's own scores", async () => {
  const { daunce } = await import('../src/index.ts');
  const { daunceRecords } = await import('../src/streaming/daunce.ts');
  const m = 23;
  const Xq = spam.X.selectRows(queryRows.slice(0, m));
  const yq = Float64Array.from(records.slice(0, m), (r) => r.y);
  const run = await daunce({ model, queries: { X: Xq, y: yq }, K: 6, seed: 3, backend: 'cpu' });
  const dense = await run.scores();
  const out: AttributionOutput[] = [];
  for await (const r of daunceRecords(run, { k: K, queryBlock: 5, ids: records.slice(0, m).map((r) => r.id) }))
    out.push(r);
  assertSameRecords(
    out,
    records.slice(0, m).map((r, j) => ({ id: r.id, ...denseTopK(dense, m, j) })),
  );
});
