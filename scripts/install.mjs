#!/usr/bin/env node
/**
 * The package's install script. A user who installs the package gets the prebuilt addon for
 * their platform when one ships and loads, so no compiler, CMake or BLAS headers are needed.
 * Otherwise (no prebuild for this platform, `npm rebuild tdakit --build-from-source`,
 * TDAKIT_BUILD_FROM_SOURCE=1, or a git checkout of tdakit itself, where the sources are being
 * edited) it builds from source with cmake-js.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prebuildPath } from './prebuild-paths.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const truthy = (v) => v !== undefined && v !== '' && v !== '0' && v !== 'false';
const fromSource =
  truthy(process.env.TDAKIT_BUILD_FROM_SOURCE) ||
  truthy(process.env.npm_config_build_from_source) ||
  existsSync(join(root, '.git'));

function prebuildLoads() {
  const file = prebuildPath(root);
  if (!existsSync(file)) return false;
  try {
    createRequire(import.meta.url)(file);
    return true;
  } catch (err) {
    console.error(
      `tdakit: the prebuilt addon ${file} does not load here (${err.message.split('\n')[0]}); building from source`,
    );
    return false;
  }
}

if (!fromSource && prebuildLoads()) {
  console.error(`tdakit: using the prebuilt addon for ${process.platform}-${process.arch}`);
  process.exit(0);
}
const cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
const result = spawnSync(process.execPath, [cmakeJs, 'compile'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.error(
    'tdakit: building the native addon from source failed. It needs CMake, a C++17 compiler and ' +
      'OpenBLAS/LAPACKE (Debian/Ubuntu: apt-get install -y --no-install-recommends cmake g++ ' +
      'libopenblas-dev liblapacke-dev); then run `npm rebuild tdakit`.',
  );
  process.exit(result.status ?? 1);
}
