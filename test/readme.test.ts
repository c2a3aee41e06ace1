/**
 * Every ```ts block of README.md runs as written: each is written to a temporary .mts file
 * whose `tdakit` / `tdakit/<sub>` imports point at this checkout's sources, then run with tsx
 * in a child process (its own temporary working directory). A block marked ```ts no-run is
 * skipped on purpose (none should need to be).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { quickStartBlock, typescriptBlocks } from './readme-blocks.ts';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** 'tdakit' -> src/index.ts, 'tdakit/x' -> src/x/index.ts or src/x.ts (file URLs). */
function resolveSpecifier(specifier: string): string {
  if (specifier === 'tdakit') return pathToFileURL(join(root, 'src', 'index.ts')).href;
  const sub = specifier.slice('tdakit/'.length);
  for (const candidate of [join(root, 'src', sub, 'index.ts'), join(root, 'src', `${sub}.ts`)]) {
    if (existsSync(candidate)) return pathToFileURL(candidate).href;
  }
  throw new Error(`README imports '${specifier}', which has no source file`);
}

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = typescriptBlocks(readme);

test('README.md has ts blocks to run', () => {
  assert.ok(blocks.length >= 1);
  assert.deepEqual(typescriptBlocks('```ts\na\n```\n```ts no-run\nb\n```\n```sh\nc\n```\n'), [{ line: 1, code: 'a' }]);
});

test('the quick start imports only the package and its shipped data (it runs from a fresh npm install)', () => {
  const code = quickStartBlock(readme);
  const imports = [...code.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
  assert.deepEqual(imports, ['tdakit', 'tdakit/datasets']);
  assert.match(code, /loadSpamDemo/);
  // test/package-install.test.ts runs it there as plain JavaScript: no type annotations or assertions.
  assert.doesNotMatch(code, /[\w\])]!|: (number|string|Matrix)\b| as \w/);
});

for (const block of blocks) {
  test(`README.md line ${block.line}: the ts block runs`, { timeout: 10 * 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tdakit-readme-'));
    const code = block.code.replace(/from '(tdakit(?:\/[\w-]+)?)'/g, (_, s: string) => `from '${resolveSpecifier(s)}'`);
    writeFileSync(join(dir, 'block.mts'), code);
    const tsx = import.meta.resolve('tsx/esm');
    try {
      await run(process.execPath, ['--import', tsx, join(dir, 'block.mts')], { cwd: dir, maxBuffer: 1 << 24 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      assert.fail(`README.md line ${block.line}: ${e.stderr || e.message}`);
    }
  });
}
