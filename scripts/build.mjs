#!/usr/bin/env node
/**
 * `npm run build`: writes the published dist/. The typings come from tsc (declarations only);
 * the JavaScript is an esbuild bundle of the package's entry points (the `exports` subpaths
 * and the `bin`), with code splitting, so that `import('tdakit')` reads 17 files instead of
 * ~80 modules, while every dynamic `import()` in src/ stays lazy: a module (the queue worker,
 * WebGPU, Parquet/Arrow, CSV, .npy) becomes a chunk of its own, loaded only when used, and
 * packages (vega, BullMQ...) stay external, installed as dependencies. test/dist-bundle.test.ts
 * checks both. No source maps are written (src/ is not shipped). Plain JavaScript, like the
 * other scripts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Each dist file package.json names (export subpaths, bin) mapped back to its source file. */
export function entryPoints(pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))) {
  const files = [...Object.values(pkg.exports).map((e) => e.import), ...Object.values(pkg.bin)];
  return [...new Set(files)].map((file) => file.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
}

/**
 * Bundles the entry points into `outdir`, keeping the src/ layout for the entry files (so
 * dist/datasets/index.js sits beside dist/datasets/index.d.ts); shared code and lazy imports
 * go to chunks in `outdir` itself. Returns esbuild's metafile (the import graph of the output).
 */
export async function bundle(outdir) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: entryPoints(),
    outdir,
    outbase: 'src',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.17',
    packages: 'external',
    // Class and function names stay as written (error names, stack traces, `constructor.name`).
    keepNames: true,
    sourcemap: false,
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = join(root, 'dist');
  // A clean directory: no stale module from an earlier layout may ship in the tarball.
  rmSync(dist, { recursive: true, force: true });
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  await bundle(dist);
}
