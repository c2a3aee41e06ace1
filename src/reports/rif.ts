/**
 * Plots (vega-lite specifications rendered headlessly to SVG by vega) and one self-contained
 * HTML report of a removal benchmark.
 */
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../io/atomic.ts';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { RemovalBenchmarkResult, RemovalRecord } from '../protocols/rif/removal.ts';
import type { SummaryRow } from '../protocols/rif/summary.ts';
import { escapeHtml } from '../html-escape.ts';

const METHOD_LABEL = { if: 'IF', rif: 'RIF', ns: 'NS' } as const;

/** vega and vega-lite load on the first plot only: they take most of tdakit's import time. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Predicted (IF/RIF/NS, by colour) against actual change, strategies as shapes, with y = x. */
export function scatterSpec(
  records: readonly RemovalRecord[],
  metric: string,
  effect: 'nonlinear' | 'linear',
): TopLevelSpec {
  const rows = records.filter((r) => r.metric === metric);
  const values = rows
    .flatMap((r) =>
      (['if', 'rif', 'ns'] as const).map((m) => ({
        actual: r.actual.nonlinear,
        predicted: r[m][effect],
        method: METHOD_LABEL[m],
        strategy: r.strategy,
        size: r.size,
      })),
    )
    .filter((v) => Number.isFinite(v.predicted));
  const all = values.flatMap((v) => [v.actual, v.predicted]);
  const lo = Math.min(...all, 0),
    hi = Math.max(...all, 0);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${metric}: predicted (${effect}) vs actual change`,
    width: 420,
    height: 420,
    layer: [
      {
        data: { values: [{ v: lo }, { v: hi }] },
        mark: { type: 'line', color: '#888', strokeDash: [4, 4] },
        encoding: { x: { field: 'v', type: 'quantitative' }, y: { field: 'v', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'point', filled: true, opacity: 0.7, size: 40 },
        encoding: {
          x: { field: 'actual', type: 'quantitative', title: 'actual change (exact retrain)' },
          y: { field: 'predicted', type: 'quantitative', title: 'predicted change' },
          color: {
            field: 'method',
            type: 'nominal',
            scale: { domain: ['IF', 'RIF', 'NS'], range: ['#d62728', '#1f77b4', '#2ca02c'] },
          },
          shape: { field: 'strategy', type: 'nominal', legend: { labelLimit: 260 } },
          tooltip: [{ field: 'strategy' }, { field: 'size' }, { field: 'method' }],
        },
      },
    ],
  } as TopLevelSpec;
}

/** A line plot of an agreement statistic against a swept parameter (Figure 2 variations). */
export function sweepSpec(rows: { value: number; method: string; slope: number }[], parameter: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `slope of predicted vs actual self-loss change against ${parameter}`,
    width: 420,
    height: 260,
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'value', type: 'quantitative', title: parameter, scale: { type: 'log' } },
      y: { field: 'slope', type: 'quantitative', title: 'slope (1 = right magnitude)' },
      color: {
        field: 'method',
        type: 'nominal',
        scale: { domain: ['IF', 'RIF', 'NS'], range: ['#d62728', '#1f77b4', '#2ca02c'] },
      },
    },
  } as TopLevelSpec;
}

const fmt = (v: number) =>
  Number.isFinite(v)
    ? Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)
      ? v.toExponential(2)
      : v.toFixed(3)
    : String(v);

/**
 * The linear self-loss effect is zero by construction (the training objective's gradient
 * vanishes at the optimum), so its rows and plots carry no information and are left out.
 */
export const isDegenerate = (metric: string, effect: string) => metric === 'self-loss' && effect === 'linear';

/** A caption a person can read, for a plot file name. */
export function plotCaption(file: string): string {
  const scatter = /^plots\/(.+)-(nonlinear|linear)\.svg$/.exec(file);
  if (scatter) {
    const effect = scatter[2] === 'nonlinear' ? 'the change of the metric itself' : 'its first-order (linear) change';
    return `${scatter[1]!.replace(/-/g, ' ')}: predicted (IF, RIF, NS) against actual change after exact retraining, ${effect}; the diagonal is y = x`;
  }
  const sweepPlot = /^plots\/sweep-(.+)\.svg$/.exec(file);
  if (sweepPlot) return `self-loss slope of IF, RIF and NS as ${sweepPlot[1]} varies (1 = right magnitude)`;
  return file;
}

export function summaryTable(rows: readonly SummaryRow[]): string {
  const head =
    '<tr><th>metric</th><th>effect</th><th>method</th><th>n</th><th>Pearson</th><th>Spearman</th><th>slope</th><th>median rel. error</th></tr>';
  const body = rows
    .filter((r) => !isDegenerate(r.metric, r.effect))
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.metric)}</td><td>${escapeHtml(r.effect)}</td><td>${METHOD_LABEL[r.method]}</td><td>${r.count}</td><td>${fmt(r.pearson)}</td><td>${fmt(r.spearman)}</td><td>${fmt(r.slope)}</td><td>${fmt(r.medianRelativeError)}</td></tr>`,
    )
    .join('\n');
  return `<table>\n${head}\n${body}\n</table>`;
}

export function summaryText(rows: readonly SummaryRow[], effect: 'nonlinear' | 'linear' = 'nonlinear'): string {
  const lines = ['metric           method  Pearson  Spearman   slope   median rel. err'];
  for (const r of rows.filter((x) => x.effect === effect && !isDegenerate(x.metric, x.effect))) {
    lines.push(
      `${r.metric.padEnd(16)} ${METHOD_LABEL[r.method].padEnd(6)} ${fmt(r.pearson).padStart(8)} ${fmt(r.spearman).padStart(9)} ${fmt(r.slope).padStart(8)} ${fmt(r.medianRelativeError).padStart(10)}`,
    );
  }
  return lines.join('\n');
}

/** An extra section of the report (sweeps, poisoning), with an optional plot. */
export interface ExtraSection {
  title: string;
  html: string;
  svg?: { file: string; content: string };
}

/** An inlined SVG plot with its caption (the SVG is vega's output; the file name is ours). */
function figure(file: string, svg: string): string {
  return `<figure data-file="${escapeHtml(file)}">${svg}<figcaption>${escapeHtml(plotCaption(file))}</figcaption></figure>`;
}

/**
 * Writes plots/*.svg, summary.json and report.html (SVGs inlined: the page stands alone).
 * @param out - the output directory
 * @param result - the protocol's result
 * @param extra - extra sections
 * @returns the plot files written
 */
export async function writeReport(
  out: string,
  result: RemovalBenchmarkResult,
  extra: ExtraSection[] = [],
): Promise<string[]> {
  await mkdir(join(out, 'plots'), { recursive: true });
  const metrics = [...new Set(result.records.map((r) => r.metric))];
  const plots: { file: string; svg: string }[] = [];
  for (const metric of metrics) {
    for (const effect of ['nonlinear', 'linear'] as const) {
      if (isDegenerate(metric, effect)) continue;
      const file = `plots/${metric}-${effect}.svg`;
      plots.push({ file, svg: await renderSvg(scatterSpec(result.records, metric, effect)) });
    }
  }
  for (const e of extra) if (e.svg) plots.push({ file: e.svg.file, svg: e.svg.content });
  for (const p of plots) await writeFileAtomic(join(out, p.file), p.svg);
  await writeFileAtomic(
    join(out, 'summary.json'),
    JSON.stringify({ config: result.config, summary: result.summary }, null, 2),
  );
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>tdakit removal benchmark: ${escapeHtml(result.config.dataset)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:0.8em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}figure{display:inline-block;margin:0.5em}</style>
</head><body>
<h1>IF vs RIF vs NS against exact retraining</h1>
<p>Dataset <b>${escapeHtml(result.config.dataset)}</b> (${escapeHtml(result.config.rows)} x ${escapeHtml(result.config.cols)}), lambda = ${escapeHtml(result.config.lambda)},
${result.records.length} records (${(result.config.strategies as string[]).length} strategies x ${(result.config.sizes as number[]).length} sizes x metrics), seed ${escapeHtml(result.config.seed)}.
The linear self-loss effect is left out: it is zero by construction, as the gradient of the training objective vanishes at the optimum.</p>
<h2>Agreement with the actual change</h2>
${summaryTable(result.summary)}
<h2>Predicted vs actual</h2>
${plots
  .filter((p) => !extra.some((e) => e.svg?.file === p.file))
  .map((p) => figure(p.file, p.svg))
  .join('\n')}
${extra.map((e) => `<h2>${escapeHtml(e.title)}</h2>\n${e.html}\n${e.svg ? figure(e.svg.file, e.svg.content) : ''}`).join('\n')}
</body></html>
`;
  await writeFileAtomic(join(out, 'report.html'), html);
  return plots.map((p) => p.file);
}
