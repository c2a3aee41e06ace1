/**
 * The package's root directory, found from this module's own file. The published dist/ is an
 * esbuild bundle whose chunks may sit at any depth below the root (and src/ under tsx sits one
 * level below it), so the root is the nearest directory upwards that holds a package.json,
 * never a fixed number of `..` steps.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The nearest directory at or above `start` that holds a package.json.
 * @param start An absolute directory path to search upwards from.
 * @returns That directory, or `start` itself when no directory above it holds a package.json.
 */
export function packageRootFrom(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return start;
  }
}

/** The tdakit package root: where package.json, data/, prebuilds/ and build/ are. */
export const PACKAGE_ROOT = packageRootFrom(dirname(fileURLToPath(import.meta.url)));
