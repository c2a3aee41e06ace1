/** Table, JSON and HTML report (vega-lite SVG plots) of an evaluation. */
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../io/atomic.ts';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from './rif.ts';
import type { EvaluationReport } from '../evaluation/evaluate.ts';
import { escapeHtml } from '../html-escape.ts';

export function evaluationTable(r: EvaluationReport): string {
  const sizes = r.methods[0]?.subsetRemoval.map((p) => p.N) ?? [];
  const lines = [`method          LDS (mean +- s.e.)   flipped after removing N = ${sizes.join(', ')}`];
  for (const m of r.methods) {
    lines.push(
      `${m.method.padEnd(15)} ${m.lds.toFixed(3).padStart(6)} +- ${m.standardError.toFixed(3)}      ${m.subsetRemoval.map((p) => p.flipped.toFixed(2)).join('  ')}`,
    );
  }
  if (r.scaling) {
    lines.push(
      `\nDaunce LDS by K: ${r.scaling.K.map((k, i) => `K=${k}: ${r.scaling!.lds[i]!.toFixed(3)}`).join(', ')}`,
    );
    if (r.scaling.fit)
      lines.push(
        `fit LDS(K) = ${r.scaling.fit.a.toFixed(3)} exp(-${r.scaling.fit.b.toExponential(2)} K) + ${r.scaling.fit.c.toFixed(3)} (rmse ${r.scaling.fit.rmse.toExponential(1)})`,
      );
  }
  return lines.join('\n');
}

const CAPTIONS: Record<string, string> = {
  'plots/subset-removal.svg':
    'fraction of correctly classified queries that flip when the N training examples each method ranks most supportive are removed and the model is retrained (higher is better)',
  'plots/lds-vs-K.svg': 'Daunce LDS against the number of perturbed models K, with the fitted scaling law',
};

export async function writeEvaluationReport(out: string, r: EvaluationReport, title: string): Promise<string[]> {
  await mkdir(join(out, 'plots'), { recursive: true });
  // Identical curves (IF and RIF often are) stay visible as a wide line under a narrower one.
  const flips = r.methods.flatMap((m, rank) =>
    m.subsetRemoval.map((p) => ({
      method: m.method,
      rank,
      width: Math.max(1.5, 6 - 2 * rank),
      N: p.N,
      flipped: p.flipped,
    })),
  );
  const plots: { file: string; svg: string }[] = [];
  plots.push({
    file: 'plots/subset-removal.svg',
    svg: await renderSvg({
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: 'queries flipped after removing the N most influential examples',
      width: 420,
      height: 280,
      data: { values: flips },
      mark: { type: 'line', point: true },
      // IF and RIF often coincide: a point shape and a line width per method keep both visible.
      encoding: {
        x: { field: 'N', type: 'quantitative', title: 'N removed' },
        y: { field: 'flipped', type: 'quantitative', title: 'fraction flipped' },
        color: { field: 'method', type: 'nominal' },
        shape: { field: 'method', type: 'nominal' },
        strokeWidth: { field: 'width', type: 'quantitative', scale: null, legend: null },
        order: { field: 'rank', type: 'quantitative' },
      },
    } as TopLevelSpec),
  });
  if (r.scaling) {
    const pts = r.scaling.K.map((K, i) => ({ K, lds: r.scaling!.lds[i] }));
    const fit = r.scaling.fit;
    const kMax = Math.max(...r.scaling.K);
    const curve = fit
      ? Array.from({ length: 50 }, (_, i) => {
          const K = 2 + (i * (kMax - 2)) / 49;
          return { K, lds: fit.a * Math.exp(-fit.b * K) + fit.c };
        })
      : [];
    plots.push({
      file: 'plots/lds-vs-K.svg',
      svg: await renderSvg({
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        title: 'Daunce LDS against the number of perturbed models K',
        width: 420,
        height: 280,
        layer: [
          {
            data: { values: pts },
            mark: { type: 'point', filled: true, size: 60 },
            encoding: {
              x: { field: 'K', type: 'quantitative' },
              y: { field: 'lds', type: 'quantitative', title: 'LDS' },
            },
          },
          {
            data: { values: curve },
            mark: { type: 'line', color: '#888' },
            encoding: { x: { field: 'K', type: 'quantitative' }, y: { field: 'lds', type: 'quantitative' } },
          },
        ],
      } as TopLevelSpec),
    });
  }
  for (const p of plots) await writeFileAtomic(join(out, p.file), p.svg);
  await writeFileAtomic(join(out, 'evaluation.json'), JSON.stringify(r, null, 2));
  const rows = r.methods
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.method)}</td><td>${m.lds.toFixed(3)}</td><td>${m.standardError.toFixed(3)}</td>${m.subsetRemoval.map((p) => `<td>${p.flipped.toFixed(2)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const head = `<tr><th>method</th><th>LDS</th><th>s.e.</th>${(r.methods[0]?.subsetRemoval ?? []).map((p) => `<th>flipped, N=${p.N}</th>`).join('')}</tr>`;
  await writeFileAtomic(
    join(out, 'report.html'),
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}figure{display:inline-block}</style></head><body>
<h1>${escapeHtml(title)}</h1><p>n = ${r.n} training examples, m = ${r.m} queries, ${r.subsets} LDS subsets.</p>
<table>${head}\n${rows}</table>
${plots.map((p) => `<figure data-file="${escapeHtml(p.file)}">${p.svg}<figcaption>${escapeHtml(CAPTIONS[p.file] ?? p.file)}</figcaption></figure>`).join('\n')}
</body></html>\n`,
  );
  return plots.map((p) => p.file);
}
