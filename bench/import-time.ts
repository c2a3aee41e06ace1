/**
 * Time of `import('tdakit')` in a fresh Node process (the built dist/, as a user gets it),
 * median of several runs, against a bare `node -e 0` start in the same run. Run `npm run build`
 * first. Writes bench/results/import-time.json. The machine is shared: timings are noisy.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, '..', 'dist', 'index.js');
const runs = Number(process.argv[2] ?? 9);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

function importMs(): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(entry)}); console.log(performance.now() - t);`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}
/** What the lazy load saves: vega and vega-lite imported in a fresh process. */
function vegaMs(): number {
  const script = `const t = performance.now(); await Promise.all([import('vega'), import('vega-lite')]); console.log(performance.now() - t);`;
  return Number(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: join(here, '..') }),
  );
}
function bareMs(): number {
  const t = performance.now();
  execFileSync(process.execPath, ['-e', '0']);
  return performance.now() - t;
}
const imports: number[] = [],
  bare: number[] = [],
  vega: number[] = [];
for (let r = 0; r < runs; r++) {
  imports.push(importMs());
  bare.push(bareMs());
  vega.push(vegaMs());
}
const record = {
  task: 'import-time',
  date: new Date().toISOString(),
  runs,
  note: 'shared 2-core machine; timings are noisy',
  importMedianMs: median(imports),
  importMinMs: Math.min(...imports),
  importAllMs: imports,
  bareNodeStartMedianMs: median(bare),
  vegaImportMedianMs: median(vega),
  loadAverage: loadavg()[0],
};
console.log(
  `import('tdakit') from dist/: median ${record.importMedianMs.toFixed(1)} ms over ${runs} runs ` +
    `(all: ${imports.map((t) => t.toFixed(0)).join(', ')}); a bare node start takes ${record.bareNodeStartMedianMs.toFixed(0)} ms; ` +
    `vega + vega-lite alone (no longer loaded by the import) ${record.vegaImportMedianMs.toFixed(0)} ms; load average ${record.loadAverage.toFixed(1)}`,
);
writeFileSync(join(here, 'results', 'import-time.json'), JSON.stringify(record, null, 2) + '\n');
