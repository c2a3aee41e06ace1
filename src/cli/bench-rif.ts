/** `tdakit bench rif`: the IF-vs-RIF benchmark on a dataset, with records, summary, plots and report. */
import { join } from 'node:path';
import { loadDataset } from '../datasets/by-name.ts';
import {
  benchmarkRemoval,
  BENCHMARK_METRICS,
  defaultSizes,
  type BenchmarkMetric,
  type BenchmarkModel,
} from '../protocols/rif/removal.ts';
import { renderSvg, summaryText, sweepSpec, writeReport, type ExtraSection } from '../reports/rif.ts';
import { STRATEGIES, type Strategy } from '../protocols/rif/strategies.ts';
import { poisoningCheck, poisonSummary, sweep } from '../protocols/rif/variations.ts';
import { progressBar } from './progress.ts';
import { queueFrom } from './worker.ts';
import { poisonTable } from '../protocols/rif/poison-table.ts';

export interface BenchRifOptions {
  dataset: string;
  model?: BenchmarkModel;
  lambda: number;
  out: string;
  sizes: number;
  strategies?: string;
  metrics?: string;
  seed: number;
  concurrency?: number;
  vocabulary?: number;
  limit?: number;
  label?: string;
  delimiter?: string;
  positive?: string;
  lambdaSweep?: string;
  nSweep?: string;
  poison?: number;
  queue?: string;
  queueDataDir?: string;
  tlsCa?: string;
}

const list = (v: string | undefined) =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

export async function runBenchRif(o: BenchRifOptions, log: (s: string) => void = console.log): Promise<void> {
  const data = await loadDataset(o.dataset, {
    ...(o.vocabulary ? { vocabulary: o.vocabulary } : {}),
    ...(o.limit ? { limit: o.limit } : {}),
    ...(o.label ? { label: o.label } : {}),
    ...(o.delimiter ? { delimiter: o.delimiter } : {}),
    ...(o.positive !== undefined ? { positive: o.positive } : {}),
  });
  const model = o.model ?? 'logistic';
  if (data.classes && o.positive === undefined && model === 'logistic') {
    throw new RangeError(
      `${o.dataset}: the labels are strings (${data.classes.join(', ')}); name the positive class with --positive, or use --model softmax`,
    );
  }
  // The poisoning check flips binary labels (1 - y): it has no multiclass form.
  if (o.poison && model !== 'logistic')
    throw new RangeError('--poison: the poisoning check flips binary labels; it needs --model logistic');
  log(`dataset ${data.name}: ${data.X.rows} x ${data.X.cols}; ${model} model, lambda ${o.lambda}; out ${o.out}`);
  const strategies = (list(o.strategies) ?? [...STRATEGIES]) as Strategy[];
  const metrics = (list(o.metrics) ?? [...BENCHMARK_METRICS]) as BenchmarkMetric[];
  const total = strategies.length * o.sizes;
  const bar = progressBar(total, 'retrains');
  const result = await benchmarkRemoval({
    data,
    model,
    lambda: o.lambda,
    seed: o.seed,
    sizes: defaultSizes(o.sizes),
    strategies,
    metrics,
    out: o.out,
    ...(o.concurrency ? { concurrency: o.concurrency } : {}),
    onProgress: (_done, _total, latest) => bar.tick(`${latest[0]!.strategy} |T| = ${latest[0]!.size}`),
    ...queueFrom(o),
  });
  bar.stop();
  log(
    `${result.records.length / metrics.length} removal sets (${result.retrainsRun} retrained now, the rest resumed) in ${result.seconds.toFixed(1)} s`,
  );
  log('\nnonlinear effects, all strategies:\n' + summaryText(result.summary));
  const extra: ExtraSection[] = [];
  for (const [parameter, values] of [
    ['lambda', list(o.lambdaSweep)],
    ['n', list(o.nSweep)],
  ] as const) {
    if (!values) continue;
    const rows = await sweep(parameter, values.map(Number), {
      data,
      model,
      lambda: o.lambda,
      seed: o.seed,
      out: o.out,
    });
    const table = rows
      .map((r) => `${parameter} = ${r.value}: ${r.method} slope ${r.slope.toFixed(3)}, Pearson ${r.pearson.toFixed(3)}`)
      .join('\n');
    log(`\n${parameter} sweep (self-loss, random + highest-loss removals):\n${table}`);
    extra.push({
      title: `${parameter} sweep`,
      html: `<pre>${table}</pre>`,
      svg: { file: `plots/sweep-${parameter}.svg`, content: await renderSvg(sweepSpec(rows, parameter)) },
    });
  }
  if (o.poison) {
    const rows = await poisoningCheck({ data, lambda: o.lambda, count: o.poison, seed: o.seed });
    const s = poisonSummary(rows);
    const text =
      `${rows.length} flipped-label test points: effect of removing each on its own logit\n` +
      `IF  slope ${s.if.slope.toFixed(3)}, Pearson ${s.if.pearson.toFixed(3)}\nRIF slope ${s.rif.slope.toFixed(3)}, Pearson ${s.rif.pearson.toFixed(3)}`;
    log(`\npoisoning check:\n${text}`);
    extra.push({ title: 'Poisoning check', html: poisonTable(rows, s) });
  }
  const files = await writeReport(o.out, result, extra);
  log(
    `\nwrote ${join(o.out, 'records.jsonl')}, ${join(o.out, 'summary.json')}, ${join(o.out, 'report.html')} and ${files.length} plots`,
  );
}
