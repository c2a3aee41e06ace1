/**
 * Every public export (src/index.ts and the package.json subpath exports), every public method
 * of an exported class and every option key the library accepts (its optionKeys lists) is
 * named in at least one test file. A name that no test mentions cannot be checked by any; the
 * value checks themselves live in the other files (references*.test.ts, api-values.test.ts...).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, { import: string }> };

/** The entry modules: each subpath export's dist file mapped back to its source. */
const entries = Object.values(pkg.exports).map((e) => e.import.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));

/** Value exports of a module (`export { a, b } from` and `export { a }`; type-only exports skipped). */
function valueExports(file: string): { name: string; from: string }[] {
  const text = readFileSync(file, 'utf8');
  const out: { name: string; from: string }[] = [];
  for (const m of text.matchAll(/^export\s+\{([^}]*)\}\s*from\s*'([^']+)'/gm)) {
    for (const raw of m[1]!.split(',')) {
      const spec = raw.trim();
      if (!spec || spec.startsWith('type ')) continue;
      const name = spec
        .split(/\s+as\s+/)
        .pop()!
        .trim();
      out.push({ name, from: join(dirname(file), m[2]!) });
    }
  }
  return out;
}

/** Public members of the classes a module exports: methods, getters and static factories. */
function classMembers(file: string, className: string): string[] {
  const text = readFileSync(file, 'utf8');
  const start = text.search(new RegExp(`^export (abstract )?class ${className}\\b`, 'm'));
  if (start < 0) return [];
  // The class body ends at the first line that closes a brace in column 0.
  const end = text.indexOf('\n}', start);
  const body = text.slice(start, end);
  const members = new Set<string>();
  for (const m of body.matchAll(
    /^ {2}(?:static\s+)?(?:async\s+)?(?:get\s+|set\s+)?(?:\*\s*)?([A-Za-z_]\w*)\s*(?:<[^>]*>)?\(/gm,
  )) {
    const name = m[1]!;
    if (
      name === 'constructor' ||
      name === 'if' ||
      name === 'for' ||
      name === 'while' ||
      name === 'switch' ||
      name === 'return'
    )
      continue;
    members.add(name);
  }
  // Members marked private, protected or @internal are not public API.
  for (const m of body.matchAll(
    /^ {2}(?:private|protected)\s+(?:static\s+)?(?:async\s+)?(?:readonly\s+)?([A-Za-z_]\w*)/gm,
  ))
    members.delete(m[1]!);
  for (const m of body.matchAll(/@internal[\s\S]*?\*\/\s*\n\s{2}(?:static\s+)?(?:async\s+)?(?:get\s+)?([A-Za-z_]\w*)/g))
    members.delete(m[1]!);
  return [...members];
}

/** The option keys the library accepts: every `optionKeys<T>({ key: true, ... })` list in src/. */
function optionKeyLists(): { list: string; keys: string[] }[] {
  const out: { list: string; keys: string[] }[] = [];
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );
  for (const file of walk('src')) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/optionKeys<(\w+)>\(\{([^}]*)\}\)/g)) {
      out.push({
        list: `${m[1]} (${file})`,
        keys: [...m[2]!.matchAll(/([A-Za-z_]\w*)\s*:\s*true/g)].map((k) => k[1]!),
      });
    }
  }
  return out;
}

const testText = readdirSync('test')
  .filter((f) => f.endsWith('.test.ts') && f !== 'public-api-coverage.test.ts')
  .map((f) => readFileSync(join('test', f), 'utf8'))
  .join('\n');
const mentioned = (pattern: RegExp) => pattern.test(testText);
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('the entry modules are the package exports and name real modules', () => {
  assert.deepEqual(entries.sort(), ['src/datasets/index.ts', 'src/index.ts', 'src/protocols/rif/index.ts']);
  for (const e of entries) assert.ok(valueExports(e).length > 0, e);
});

test('every value export of every entry module is named in a test file', () => {
  const missing = entries.flatMap((e) =>
    valueExports(e)
      .filter((x) => !mentioned(new RegExp(`\\b${escapeRegExp(x.name)}\\b`)))
      .map((x) => `${x.name} (${e})`),
  );
  assert.deepEqual(missing, []);
});

test('every public method of an exported class is called in a test file', () => {
  const missing: string[] = [];
  let total = 0;
  for (const e of entries) {
    for (const x of valueExports(e)) {
      if (!/^[A-Z][a-z]/.test(x.name)) continue;
      for (const member of classMembers(x.from, x.name)) {
        total++;
        if (!mentioned(new RegExp(`\\.${escapeRegExp(member)}\\b`))) missing.push(`${x.name}.${member}`);
      }
    }
  }
  assert.ok(total > 40, `only ${total} members found: the class parser broke`);
  assert.deepEqual([...new Set(missing)], []);
});

test('every option key the library accepts is set in a test file', () => {
  const lists = optionKeyLists();
  assert.ok(lists.length >= 10, `only ${lists.length} option-key lists found`);
  // Set as `key: value` or as a shorthand property `{ key, ... }`.
  const missing = lists.flatMap((l) =>
    l.keys.filter((k) => !mentioned(new RegExp(`[{,]\\s*${escapeRegExp(k)}\\s*[:,}]`))).map((k) => `${k} of ${l.list}`),
  );
  assert.deepEqual(missing, []);
});
