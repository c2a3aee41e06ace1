/** The poisoning check as an HTML table: the summary, then one row per flipped-label point. */
import { escapeHtml } from '../../html-escape.ts';
import type { PoisonRow } from './variations.ts';

const num = (v: number) =>
  Number.isFinite(v) ? (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(4)) : String(v);

export function poisonTable(
  rows: readonly PoisonRow[],
  summary: { if: { slope: number; pearson: number }; rif: { slope: number; pearson: number } },
): string {
  const head = '<tr><th>estimate</th><th>slope against actual</th><th>Pearson</th></tr>';
  const sums = (['if', 'rif'] as const).map(
    (m) => `<tr><td>${m.toUpperCase()}</td><td>${num(summary[m].slope)}</td><td>${num(summary[m].pearson)}</td></tr>`,
  );
  const detailHead =
    '<tr><th>test point</th><th>leverage</th><th>actual change of its logit</th><th>IF</th><th>RIF</th></tr>';
  const detail = rows.map(
    (r) =>
      `<tr><td>${escapeHtml(r.testIndex)}</td><td>${num(r.leverage)}</td><td>${num(r.actual)}</td><td>${num(r.if)}</td><td>${num(r.rif)}</td></tr>`,
  );
  return `<p>${rows.length} test points added to the training set with flipped labels; the effect of removing each again on its own logit.</p>
<table>\n${head}\n${sums.join('\n')}\n</table>
<table>\n${detailHead}\n${detail.join('\n')}\n</table>`;
}
