/**
 * Time of `import('tdakit')` in a fresh Node process: the built dist/ as a user gets it (the
 * esbuild bundle of scripts/build.mjs) against the same sources compiled module by module with
 * tsc (the layout dist/ had before it was bundled), interleaved run by run, with a bare
 * `node -e 0` start and vega + vega-lite alone (which the import no longer loads) measured in
 * the same loop. Run `npm run build` first (`npm run bench:import` does). Writes
 * bench/results/import-time.json with the load average. The machine is shared: read the ratio.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundled = join(root, 'dist', 'index.js');
const runs = Number(process.argv[2] ?? 9);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

/** The module-by-module build, under node_modules/.cache so that its bare imports resolve here. */
function buildModules(): string {
  const dir = join(root, 'node_modules', '.cache', 'tdakit-import-time');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  const outDir = join(dir, 'dist');
  const flags = ['--emitDeclarationOnly', 'false', '--declaration', 'false', '--outDir', outDir];
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), ...flags], { stdio: 'inherit' });
  return join(outDir, 'index.js');
}

/**
 * `import(entry)` in a fresh process: wall-clock milliseconds, and the CPU milliseconds
 * (user + system) the process spent on it, which other processes' load inflates far less.
 */
function importOnce(entry: string): { ms: number; cpuMs: number } {
  const script =
    `const t = performance.now(), c = process.cpuUsage(); await import(${JSON.stringify(entry)});` +
    `const u = process.cpuUsage(c); console.log(JSON.stringify({ ms: performance.now() - t, cpuMs: (u.user + u.system) / 1000 }));`;
  return JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: root }),
  ) as { ms: number; cpuMs: number };
}
/** What the lazy load saves: vega and vega-lite imported in a fresh process. */
function vegaMs(): number {
  const script = `const t = performance.now(); await Promise.all([import('vega'), import('vega-lite')]); console.log(performance.now() - t);`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: root }));
}
function bareMs(): number {
  const t = performance.now();
  execFileSync(process.execPath, ['-e', '0']);
  return performance.now() - t;
}

const modules = buildModules();
const bundle: number[] = [],
  unbundled: number[] = [],
  bundleCpu: number[] = [],
  unbundledCpu: number[] = [],
  bare: number[] = [],
  vega: number[] = [];
const loadBefore = loadavg()[0]!;
for (let r = 0; r < runs; r++) {
  const b = importOnce(bundled),
    u = importOnce(modules);
  bundle.push(b.ms);
  unbundled.push(u.ms);
  bundleCpu.push(b.cpuMs);
  unbundledCpu.push(u.cpuMs);
  bare.push(bareMs());
  vega.push(vegaMs());
}
const record = {
  task: 'import-time',
  date: new Date().toISOString(),
  runs,
  note: 'shared 2-core machine: absolute timings are noisy, the ratio is taken run by run (interleaved)',
  importMedianMs: median(bundle),
  importMinMs: Math.min(...bundle),
  importAllMs: bundle,
  unbundledImportMedianMs: median(unbundled),
  unbundledImportAllMs: unbundled,
  speedup: median(unbundled) / median(bundle),
  /** Median over runs of (module by module) / (bundle), each pair measured back to back. */
  pairedSpeedupMedian: median(unbundled.map((t, r) => t / bundle[r]!)),
  importCpuMedianMs: median(bundleCpu),
  unbundledImportCpuMedianMs: median(unbundledCpu),
  bareNodeStartMedianMs: median(bare),
  vegaImportMedianMs: median(vega),
  loadAverage: { before: loadBefore, after: loadavg()[0] },
};
rmSync(dirname(dirname(modules)), { recursive: true, force: true });
const ms = (v: number[]) => v.map((t) => t.toFixed(0)).join(', ');
console.log(
  `import('tdakit') from dist/ (bundle): median ${record.importMedianMs.toFixed(1)} ms over ${runs} runs (${ms(bundle)}); ` +
    `module by module (tsc): median ${record.unbundledImportMedianMs.toFixed(1)} ms (${ms(unbundled)}); ` +
    `${record.speedup.toFixed(2)}x (median of the paired ratios ${record.pairedSpeedupMedian.toFixed(2)}x); ` +
    `CPU time ${record.importCpuMedianMs.toFixed(1)} vs ${record.unbundledImportCpuMedianMs.toFixed(1)} ms; a bare node start takes ${record.bareNodeStartMedianMs.toFixed(0)} ms; ` +
    `vega + vega-lite alone (not loaded by the import) ${record.vegaImportMedianMs.toFixed(0)} ms; ` +
    `load average ${loadBefore.toFixed(1)} -> ${record.loadAverage.after!.toFixed(1)}`,
);
writeFileSync(join(root, 'bench', 'results', 'import-time.json'), JSON.stringify(record, null, 2) + '\n');
