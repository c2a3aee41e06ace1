/** Reports people can trust: stale data refused on resume, escaped user strings, no degenerate rows. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { benchmarkRemoval, writeReport, Matrix } from '../src/index.ts';
import { writeEvaluationReport } from '../src/reports/evaluation.ts';
import { poisonTable } from '../src/protocols/rif/poison-table.ts';
import { escapeHtml } from '../src/html-escape.ts';
import { logisticData } from './helpers.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tdakit-report-'));

test('bench rif refuses to resume when the data file changed (content hash in config.json)', async () => {
  const { X, y } = logisticData(150, 4, 61);
  const csv = join(dir, 'd.csv');
  const write = (data: Matrix) =>
    writeFileSync(
      csv,
      ['a,b,c,d,label', ...Array.from({ length: data.rows }, (_, i) => [...data.row(i), y[i]].join(','))].join('\n') +
        '\n',
    );
  write(X);
  const out = join(dir, 'o');
  const args = [
    '--import',
    'tsx',
    'src/cli.ts',
    'bench',
    'rif',
    '--dataset',
    csv,
    '--out',
    out,
    '--sizes',
    '2',
    '--strategies',
    'random',
    '--metrics',
    'test-loss',
    '--lambda',
    '1',
  ];
  await run(process.execPath, args);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.match(config.dataHash, /^[0-9a-f]{64}$/);
  const again = await run(process.execPath, args); // same data: resumes
  assert.match(again.stdout + again.stderr, /0 retrained now|resumed/);
  const edited = new Matrix(X.data.slice(), X.rows, X.cols);
  edited.data[7] = edited.data[7]! + 1;
  write(edited);
  await assert.rejects(
    run(process.execPath, args),
    /the data differ from those of the run in .*use another out directory/,
  );
});

test('every user string in the reports is HTML-escaped; no linear self-loss rows or plots', async () => {
  const { X, y } = logisticData(120, 3, 62);
  const name = 'a<s>b&"c".csv';
  const result = await benchmarkRemoval({
    data: { name, X, y },
    lambda: 1,
    sizes: [0.02, 0.05],
    strategies: ['random'],
    seed: 1,
  });
  const out = join(dir, 'html');
  const files = await writeReport(out, result, [
    {
      title: '<i>extra</i>',
      html: poisonTable([{ testIndex: 3, actual: 0.5, if: 0.1, rif: 0.45, leverage: 0.7 }], {
        if: { slope: 0.2, pearson: 0.9 },
        rif: { slope: 0.95, pearson: 0.99 },
      }),
    },
  ]);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.ok(!html.includes('<s>') && !html.includes('<i>extra'), 'no injected tags');
  assert.ok(html.includes(escapeHtml(name)));
  assert.ok(html.includes('&lt;i&gt;extra&lt;/i&gt;'));
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  // Zero by construction: left out of the plots and the table.
  assert.ok(!files.includes('plots/self-loss-linear.svg') && !existsSync(join(out, 'plots', 'self-loss-linear.svg')));
  assert.ok(files.includes('plots/self-loss-nonlinear.svg') && files.includes('plots/test-loss-linear.svg'));
  assert.doesNotMatch(html, /<td>self-loss<\/td><td>linear<\/td>/);
  assert.match(html, /<td>self-loss<\/td><td>nonlinear<\/td>/);
  // Captions are sentences, not file names; the poisoning section is a table, not JSON.
  assert.match(html, /<figcaption>test loss: predicted \(IF, RIF, NS\) against actual change/);
  assert.doesNotMatch(html, /<figcaption>plots\//);
  assert.match(html, /<th>actual change of its logit<\/th>/);
  assert.doesNotMatch(html, /"testIndex"/);

  const evalOut = join(dir, 'eval');
  const report = {
    n: 100,
    m: 5,
    subsets: 10,
    retrained: 10,
    methods: ['if', 'rif'].map((method) => ({
      method: method as 'if',
      lds: 0.8,
      standardError: 0.01,
      seconds: 1,
      subsetRemoval: [
        { N: 1, flipped: 0 },
        { N: 5, flipped: 0.2 },
      ],
    })),
  };
  await writeEvaluationReport(evalOut, report, 'eval of <script>x</script>');
  const evalHtml = readFileSync(join(evalOut, 'report.html'), 'utf8');
  assert.ok(!evalHtml.includes('<script>'));
  // IF and RIF coincide here: the first is drawn wider, under the second, so both stay visible.
  const svg = readFileSync(join(evalOut, 'plots', 'subset-removal.svg'), 'utf8');
  const lines = [...svg.matchAll(/<path[^>]*aria-roledescription="line mark"[^>]*>/g)].map((m) => m[0]);
  assert.equal(lines.length, 2);
  const widths = lines.map((l) => Number(/stroke-width="([^"]*)"/.exec(l)?.[1]));
  assert.ok(widths[0]! > widths[1]!, `widths ${widths}`);
  assert.notEqual(/stroke="([^"]*)"/.exec(lines[0]!)?.[1], /stroke="([^"]*)"/.exec(lines[1]!)?.[1]);
});
