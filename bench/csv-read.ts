/**
 * CSV reading speed: the RFC 4180 reader (papaparse, streamed) against the line-splitting
 * reader it replaced (copied below: readline + split, no quoting), on a generated 20 MB numeric
 * file (21 columns), alternating runs, median. Also pandas.read_csv when python3 has it.
 * Writes bench/results/csv-read.json. The machine is shared: timings are noisy.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readCsv } from '../src/data/csv.ts';
import { seededRandom } from '../src/random.ts';

const here = dirname(fileURLToPath(import.meta.url));
const runs = Number(process.argv[2] ?? 5);
const file = join(mkdtempSync(join(tmpdir(), 'tdakit-csv-')), 'numeric.csv');
const random = seededRandom(1);
const lines = [[...Array.from({ length: 20 }, (_, j) => `f${j}`), 'label'].join(',')];
let bytes = 0;
while (bytes < 20e6) {
  const line = [...Array.from({ length: 20 }, () => String((random() - 0.5) * 10)), random() < 0.5 ? '0' : '1'].join(
    ',',
  );
  lines.push(line);
  bytes += line.length + 1;
}
writeFileSync(file, lines.join('\n') + '\n');

/** The reader before the RFC 4180 one (src/data/csv.ts at the start of issue 11), numbers only. */
async function splittingReader(path: string): Promise<number> {
  const input = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let cols = -1,
    used = 0;
  let buf = new Float64Array(1024);
  for await (const raw of input) {
    if (raw.trim() === '') continue;
    const fields = raw.split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1'));
    if (cols < 0) {
      cols = fields.length;
      if (!fields.every((f) => f !== '' && Number.isFinite(Number(f)))) continue;
    }
    if (used + cols > buf.length) {
      const b = new Float64Array(Math.max(buf.length * 2, used + cols));
      b.set(buf.subarray(0, used));
      buf = b;
    }
    for (let j = 0; j < cols; j++) buf[used++] = Number(fields[j]);
  }
  return used / cols;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const before: number[] = [],
  after: number[] = [];
for (let r = 0; r < runs; r++) {
  let t = performance.now();
  const n1 = await splittingReader(file);
  before.push((performance.now() - t) / 1000);
  t = performance.now();
  const n2 = (await readCsv(file)).rows;
  after.push((performance.now() - t) / 1000);
  if (n1 !== n2) throw new Error(`row counts differ: ${n1} vs ${n2}`);
}
let pandas: number | null = null;
try {
  pandas = Number(
    execFileSync(
      'python3',
      [
        '-c',
        `import time, pandas as pd
t=time.perf_counter(); pd.read_csv(${JSON.stringify(file)}); print(time.perf_counter()-t)`,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    ),
  );
} catch {
  /* pandas not installed: no reference timing */
}
const mb = statSync(file).size / 1e6;
const record = {
  task: 'csv-read',
  date: new Date().toISOString(),
  note: 'shared 2-core machine; timings are noisy',
  megabytes: mb,
  rows: lines.length - 1,
  columns: 21,
  runs,
  beforeSeconds: median(before),
  afterSeconds: median(after),
  ratio: median(before) / median(after),
  beforeMinSeconds: Math.min(...before),
  afterMinSeconds: Math.min(...after),
  pandasSeconds: pandas,
  all: { before, after },
};
console.log(
  `${mb.toFixed(1)} MB, ${record.rows} rows x 21: line-splitting reader ${record.beforeSeconds.toFixed(2)} s, ` +
    `papaparse reader ${record.afterSeconds.toFixed(2)} s (${(mb / record.afterSeconds).toFixed(0)} MB/s, ${record.ratio.toFixed(2)}x the old speed); ` +
    `fastest runs ${record.beforeMinSeconds.toFixed(2)} s vs ${record.afterMinSeconds.toFixed(2)} s (medians of runs on a loaded machine are noisy)` +
    (pandas !== null ? `; pandas.read_csv ${pandas.toFixed(2)} s` : ''),
);
writeFileSync(join(here, 'results', 'csv-read.json'), JSON.stringify(record, null, 2) + '\n');
