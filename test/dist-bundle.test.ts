/**
 * The published dist/ is an esbuild bundle (scripts/build.mjs). Bundling must not change what
 * a user gets: each entry point exports the same names as its source, importing it loads no
 * package and no native addon, and every module that src/ loads only through `import()` (the
 * queue worker, WebGPU, Parquet/Arrow, CSV, .npy) is still outside the eagerly loaded files.
 * The eager set is checked against an independent reading of the source's import statements.
 * The import time itself is measured by bench/import-time.ts, not asserted here.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
// @ts-expect-error plain JavaScript module without types (it runs before anything is compiled)
import { bundle, entryPoints } from '../scripts/build.mjs';
import { PACKAGE_ROOT, packageRootFrom } from '../src/package-root.ts';

interface Metafile {
  outputs: Record<
    string,
    { imports: { path: string; kind: string; external?: boolean }[]; inputs: Record<string, unknown> }
  >;
}

const root = join(import.meta.dirname, '..');
// Inside the checkout, so that the bundle's bare imports resolve to this node_modules.
const cache = join(root, 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const out = mkdtempSync(join(cache, 'tdakit-dist-test-'));
after(() => rmSync(out, { recursive: true, force: true }));
writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module' }));
const meta = (await bundle(out)) as Metafile;
const entries = entryPoints() as string[];
/** The library's entry points (package.json `exports`); the CLI (`bin`) may load its packages eagerly. */
const libraryEntries = entries.filter((e) => e !== 'src/cli.ts');
const outputOf = (entry: string) => relative(root, join(out, entry.replace(/^src\//, '').replace(/\.ts$/, '.js')));

/** Every node reachable from `start` through `next`. */
function reachable(start: string, next: (node: string) => string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    stack.push(...next(node));
  }
  return seen;
}

/** The bundle's files loaded by `import` statements from an output file, and the packages they name. */
function eagerOutputs(start: string): { files: Set<string>; packages: Set<string> } {
  const statements = (file: string) => meta.outputs[file]!.imports.filter((i) => i.kind === 'import-statement');
  const files = reachable(start, (file) =>
    statements(file)
      .filter((i) => !i.external)
      .map((i) => i.path),
  );
  const packages = new Set(
    [...files].flatMap((file) =>
      statements(file)
        .filter((i) => i.external)
        .map((i) => i.path),
    ),
  );
  return { files, packages };
}

/** Source modules whose code sits in the eagerly loaded files of an entry's bundle. */
function eagerSources(entry: string): Set<string> {
  const { files } = eagerOutputs(outputOf(entry));
  return new Set([...files].flatMap((f) => Object.keys(meta.outputs[f]!.inputs)));
}

const sources = (function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [relative(root, path)] : [];
  });
})(join(root, 'src'));
const text = new Map(sources.map((s) => [s, readFileSync(join(root, s), 'utf8')]));
const target = (from: string, spec: string) => relative(root, resolve(root, dirname(from), spec));
/** `import ... from './x.ts'`, `import './x.ts'` and `export ... from './x.ts'`, not `import type`. */
const staticImport = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'(\.{1,2}\/[^']+\.ts)'/gm;
const dynamicImport = /import\('(\.{1,2}\/[^']+\.ts)'\)/g;

/** The source modules an entry reaches through import statements alone (read from the text). */
function staticClosure(entry: string): Set<string> {
  return reachable(entry, (file) => [...text.get(file)!.matchAll(staticImport)].map((m) => target(file, m[1]!)));
}

test('importing a library entry of the bundle names no package: each one is loaded by import() when used', () => {
  for (const entry of libraryEntries) {
    const { packages } = eagerOutputs(outputOf(entry));
    assert.deepEqual(
      [...packages].filter((p) => !p.startsWith('node:')),
      [],
      `${entry} imports packages eagerly`,
    );
  }
});

test('every module src/ loads only through import() stays out of the eagerly loaded files', () => {
  const lazyTargets = new Set(
    sources.flatMap((file) => [...text.get(file)!.matchAll(dynamicImport)].map((m) => target(file, m[1]!))),
  );
  assert.ok(lazyTargets.has('src/distributed/worker.ts') && lazyTargets.has('src/data/columnar.ts'));
  for (const entry of entries) {
    const eager = eagerSources(entry);
    const fromSource = staticClosure(entry);
    const lazyOnly = [...lazyTargets].filter((t) => !fromSource.has(t));
    assert.ok(lazyOnly.length > 0, entry);
    assert.deepEqual(
      lazyOnly.filter((t) => eager.has(t)),
      [],
      `${entry}: lazily imported modules bundled into its eager files`,
    );
    // Nothing is loaded eagerly that the source does not import statically.
    assert.deepEqual(
      [...eager].filter((s) => !fromSource.has(s)),
      [],
      `${entry}: bundled eagerly beyond its static imports`,
    );
  }
});

test('each bundled entry exports the same names as its source and loads no native addon on import', async () => {
  for (const entry of libraryEntries) {
    const bundled = join(root, outputOf(entry));
    const script = `
      const loaded = [];
      const dlopen = process.dlopen;
      process.dlopen = (module, file, ...rest) => { loaded.push(file); return dlopen(module, file, ...rest); };
      const m = await import(${JSON.stringify(bundled)});
      console.log(JSON.stringify({ names: Object.keys(m).sort(), loaded }));`;
    const result = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: root }),
    ) as { names: string[]; loaded: string[] };
    const source = (await import(join(root, entry))) as Record<string, unknown>;
    assert.deepEqual(result.names, Object.keys(source).sort(), entry);
    assert.deepEqual(result.loaded, [], `${entry} loads a native addon on import`);
  }
});

test('the bundle writes no source maps and the bin keeps its shebang', () => {
  const files = Object.keys(meta.outputs);
  assert.deepEqual(
    files.filter((f) => f.endsWith('.map')),
    [],
  );
  assert.match(readFileSync(join(root, outputOf('src/cli.ts')), 'utf8'), /^#!\/usr\/bin\/env node\n/);
});

test('the package root is found from a module at any depth below it (bundled chunks, entry subfolders, src/)', () => {
  assert.equal(PACKAGE_ROOT, root);
  for (const dir of ['dist', 'dist/chunks', 'dist/protocols/rif', 'src/datasets'])
    assert.equal(packageRootFrom(join(root, dir)), root, dir);
  // The nearest package.json wins (the bundle test's own output folder has one).
  assert.equal(packageRootFrom(join(out, 'chunks')), out);
  // No package.json above: the start itself.
  const bare = mkdtempSync(join(tmpdir(), 'tdakit-no-package-'));
  assert.equal(packageRootFrom(bare), existsSync(join(tmpdir(), 'package.json')) ? tmpdir() : bare);
});
