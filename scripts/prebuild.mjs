#!/usr/bin/env node
/**
 * `npm run prebuild`: builds the self-contained addon (OpenBLAS, LAPACKE, libgfortran and
 * libstdc++ linked statically) into prebuilds/<platform>-<arch>/tdakit_native.node, then
 * checks with ldd that it needs nothing beyond glibc. Plain JavaScript: it runs before
 * anything is compiled.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { prebuildPath, foreignLibraries } from './prebuild-paths.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build-prebuild');
const cmakeJs = join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
execFileSync(process.execPath, [cmakeJs, 'compile', '--out', buildDir, '--CDTDAKIT_STATIC_BLAS=ON'], {
  cwd: root,
  stdio: ['ignore', process.stderr, 'inherit'],
});
const built = join(buildDir, 'Release', 'tdakit_native.node');
const target = prebuildPath(root);
mkdirSync(dirname(target), { recursive: true });
// Strip a copy (the symbol table is most of the file), then rename into place atomically.
const temporary = `${target}.${process.pid}.tmp`;
copyFileSync(built, temporary);
execFileSync('strip', ['--strip-unneeded', temporary]);
renameSync(temporary, target);

const foreign = foreignLibraries(execFileSync('ldd', [target], { encoding: 'utf8' }));
if (foreign.length > 0) throw new Error(`${target} links shared libraries beyond glibc: ${foreign.join(', ')}`);
// Load it once in this Node to prove the file is a working addon.
const addon = createRequire(import.meta.url)(target);
const { config } = addon.blasInfo();
const size = statSync(target).size;
console.error(`${target}: ${(size / 2 ** 20).toFixed(2)} MiB, needs only glibc; ${config.trim()}`);
