/**
 * Finds and loads the compiled addon, in the order better-sqlite3 (`bindings`) and
 * node-gyp-build use: a source build in build/Release wins (it was made on this machine, for
 * this machine, often from edited sources); otherwise the prebuilt binary shipped in the
 * package for this platform, architecture and N-API version; otherwise an error that says how
 * to build one.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './package-root.ts';

/** The N-API version the addon is compiled against (package.json `binary.napi_versions`). */
export const ADDON_NAPI_VERSION = 8;

export { PACKAGE_ROOT };

export interface AddonCandidate {
  kind: 'source build' | 'prebuilt';
  file: string;
}

/** Where the addon may be, in the order they are tried. */
export function addonCandidates(
  root = PACKAGE_ROOT,
  platform: string = process.platform,
  arch: string = process.arch,
): AddonCandidate[] {
  return [
    { kind: 'source build', file: join(root, 'build', 'Release', 'tdakit_native.node') },
    { kind: 'prebuilt', file: join(root, 'prebuilds', `${platform}-${arch}`, 'tdakit_native.node') },
  ];
}

/** Loads the first candidate that exists and loads; the error lists every attempt. */
export function loadAddon<T>(candidates = addonCandidates()): { addon: T; candidate: AddonCandidate } {
  const require = createRequire(import.meta.url);
  const attempts: string[] = [];
  const napi = Number(process.versions.napi ?? 0);
  for (const candidate of candidates) {
    if (!existsSync(candidate.file)) {
      attempts.push(`${candidate.kind}: ${candidate.file} does not exist`);
      continue;
    }
    if (candidate.kind === 'prebuilt' && napi < ADDON_NAPI_VERSION) {
      attempts.push(`${candidate.kind}: needs N-API ${ADDON_NAPI_VERSION}, this Node has ${napi}`);
      continue;
    }
    try {
      return { addon: require(candidate.file) as T, candidate };
    } catch (err) {
      attempts.push(`${candidate.kind}: ${candidate.file} does not load: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(
    `tdakit: no usable native addon for ${process.platform}-${process.arch} (N-API ${napi}).\n` +
      attempts.map((a) => `  - ${a}\n`).join('') +
      'Build it from source: install CMake, a C++17 compiler and OpenBLAS/LAPACKE (Debian/Ubuntu: ' +
      '`apt-get install -y --no-install-recommends cmake g++ libopenblas-dev liblapacke-dev`), ' +
      'then run `npm rebuild tdakit` (in a clone of the repository: `npm run build:native`).',
  );
}
