/**
 * Structural rules of the source tree (docs/methods.md and the README's architecture section):
 * algorithms do not ask which model class they hold, shared helpers are defined once, and no
 * file points outside the repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const src = sourceFiles(join(root, 'src')).map((path) => ({
  path: relative(root, path),
  text: readFileSync(path, 'utf8'),
}));

test('no instanceof on a concrete model class outside src/models', () => {
  const models =
    /instanceof\s+(GeneralizedLinearModel|LogisticRegression|RidgeRegression|SoftmaxRegression|MultilayerPerceptron)\b/;
  const offenders = src.filter((f) => !f.path.startsWith('src/models/') && models.test(f.text)).map((f) => f.path);
  assert.deepEqual(offenders, []);
});

test('shared helpers are defined once: sigmoid, seed mixing, FNV hashing, Fisher-Yates', () => {
  const rules: { what: string; pattern: RegExp; home: string }[] = [
    { what: 'a stable sigmoid', pattern: /1 \/ \(1 \+ Math\.exp\(-/, home: 'src/numerics.ts' },
    { what: 'FNV hashing', pattern: /0x01000193|0x811c9dc5/, home: '(nowhere: sha256 in src/hash.ts)' },
    { what: 'seed mixing with golden-ratio constants', pattern: /0x9e3779b[19]|0x85ebca6b/, home: 'src/random.ts' },
    {
      what: 'a Fisher-Yates swap',
      pattern: /\[(\w+)\[(\w+)\], \1\[(\w+)\]\] = \[\1\[\3\]!, \1\[\2\]!\]/,
      home: 'src/random.ts',
    },
  ];
  for (const rule of rules) {
    const offenders = src.filter((f) => f.path !== rule.home && rule.pattern.test(f.text)).map((f) => f.path);
    assert.deepEqual(offenders, [], `${rule.what} belongs in ${rule.home}`);
  }
});

test('no tracked file refers to a path outside the repository', (t) => {
  let files: string[];
  try {
    files = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    t.skip('not a git checkout');
    return;
  }
  const outside = /\.\.\/shared|shared\/docs/;
  const offenders = files
    .filter((f) => /\.(ts|mjs|js|md|json|cc|h|txt|cmake)$|^\.ci\//.test(f) && f !== 'test/architecture.test.ts')
    .filter((f) => {
      try {
        return outside.test(readFileSync(join(root, f), 'utf8'));
      } catch {
        return false; // listed but absent (a deletion not yet committed)
      }
    });
  assert.deepEqual(offenders, []);
});
