/**
 * The static prebuild against the dynamically linked source build: file size and dgemm rate
 * (the addon's own dgemmRate, n = 2048), each addon in its own child process, alternating
 * runs, with OPENBLAS_CORETYPE as preset on the machine and unset (AVX-512 kernels). Both
 * link the same Debian OpenBLAS 0.3.21. Run `npm run build:native` and `npm run build:prebuild`
 * first. Writes bench/results/prebuild.json. The machine is shared: rates vary run to run.
 */
import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonCandidates } from '../src/native-load.ts';

const here = dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.argv[2] ?? 5);
const [source, prebuilt] = addonCandidates();

function rate(file: string, coretype: string | undefined): { rate: number; config: string } {
  const env = { ...process.env };
  if (coretype === undefined) delete env.OPENBLAS_CORETYPE;
  else env.OPENBLAS_CORETYPE = coretype;
  const script = `const a = require(${JSON.stringify(file)}); a.dgemmRate({ size: 2048, reps: 3 })
    .then((r) => console.log(JSON.stringify({ rate: r, config: a.blasInfo().config })));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }));
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const settings: Array<[string, string | undefined]> = [
  [`OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? '(unset)'}`, process.env.OPENBLAS_CORETYPE],
  ['OPENBLAS_CORETYPE unset', undefined],
];
const rows = [];
for (const [label, coretype] of settings) {
  const dynamic: number[] = [],
    static_: number[] = [];
  let configs = { dynamic: '', static: '' };
  for (let r = 0; r < rounds; r++) {
    const d = rate(source!.file, coretype),
      s = rate(prebuilt!.file, coretype);
    dynamic.push(d.rate);
    static_.push(s.rate);
    configs = { dynamic: d.config.trim(), static: s.config.trim() };
  }
  const row = {
    setting: label,
    rounds,
    dynamicGflops: median(dynamic),
    staticGflops: median(static_),
    ratio: median(static_) / median(dynamic),
    all: { dynamic, static: static_ },
    configs,
  };
  rows.push(row);
  console.log(
    `${label}: dgemm n=2048, median of ${rounds}: dynamic ${row.dynamicGflops.toFixed(1)} GFLOP/s, ` +
      `static prebuild ${row.staticGflops.toFixed(1)} GFLOP/s (ratio ${row.ratio.toFixed(3)})`,
  );
}
const sizes = { prebuildBytes: statSync(prebuilt!.file).size, sourceBuildBytes: statSync(source!.file).size };
console.log(
  `prebuild ${(sizes.prebuildBytes / 2 ** 20).toFixed(2)} MiB (stripped), source build ${(sizes.sourceBuildBytes / 2 ** 20).toFixed(2)} MiB`,
);
const record = {
  task: 'prebuild',
  date: new Date().toISOString(),
  note: 'shared 2-core machine; rates are noisy',
  sizes,
  rows,
};
writeFileSync(join(here, 'results', 'prebuild.json'), JSON.stringify(record, null, 2) + '\n');
