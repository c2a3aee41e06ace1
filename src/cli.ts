#!/usr/bin/env node
/** The tdakit command line. */
import { Command, InvalidArgumentError } from 'commander';
import { mkdir } from 'node:fs/promises';
import { runBenchRif } from './cli/bench-rif.ts';
import { runDemo } from './cli/demo.ts';
import { registerFit } from './cli/fit.ts';
import { registerAttribute } from './cli/attribute.ts';
import { readLabelled } from './data/labelled.ts';
import { writeNpy } from './data/npy.ts';
import { checkWritable, writeFileAtomic } from './io/atomic.ts';
import { Influence } from './influence/analysis.ts';
import { daunce } from './daunce/daunce.ts';
import { loadDataset } from './datasets/by-name.ts';
import { splitIndices } from './protocols/rif/removal.ts';
import { EVAL_METHODS, evaluateMethods, type EvalMethod } from './evaluation/evaluate.ts';
import { evaluationTable, writeEvaluationReport } from './reports/evaluation.ts';
import { progressBar } from './cli/progress.ts';
import { LogisticRegression } from './models/logistic.ts';
import { RidgeRegression } from './models/ridge.ts';
import { MultilayerPerceptron } from './models/mlp.ts';
import { SoftmaxRegression } from './models/softmax.ts';

const number = (name: string) => (v: string) => {
  const x = Number(v);
  if (!Number.isFinite(x)) throw new InvalidArgumentError(`${name} must be a number`);
  return x;
};
const integer = (name: string) => (v: string) => {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return x;
};

/** The input files every scoring command reads. */
function withDataFiles(cmd: Command): Command {
  return cmd
    .requiredOption('--train <file>', 'training data (.csv, .npy, .parquet or .arrow)')
    .requiredOption('--queries <file>', 'query data (.csv, .npy, .parquet or .arrow), same columns as --train')
    .option('--label <column>', 'label column (name or index; negative counts from the end)', '-1');
}

const program = new Command();
program.name('tdakit').description('Training data attribution: influence functions, rescaled IF and Newton steps for GLMs').version('0.1.0');

program
  .command('demo')
  .description('IF vs RIF vs NS against exact retraining on the SpamAssassin bag-of-words')
  .option('--vocabulary <words>', 'bag-of-words size', integer('--vocabulary'), 1000)
  .option('--limit <emails>', 'emails used (evenly spaced over the corpus)', integer('--limit'), 1500)
  .option('--lambda <value>', 'L2 penalty (sum form)', number('--lambda'), 1e-2)
  .option('--sets <count>', 'removal sets', integer('--sets'), 24)
  .option('--seed <seed>', 'seed of every random choice', integer('--seed'), 3)
  .action(async (o) => runDemo(o));

const bench = program.command('bench').description('benchmarks that tell whether to trust attribution scores');
bench
  .command('rif')
  .description('IF vs RIF vs NS against exact retraining (the RIF paper protocol): records, summary, plots, HTML report')
  .option('--dataset <name|file>', 'spam | spam-embeddings | mnist-A-B | a .csv/.npy file (label column last unless --label)', 'spam')
  .option('--lambda <value>', 'L2 penalty (sum form)', number('--lambda'), 1e-2)
  .option('--out <dir>', 'output directory (records.jsonl makes reruns resume)', 'tdakit-bench-rif')
  .option('--sizes <count>', 'removal sizes, log-spaced from 0.1% to 5% of n', integer('--sizes'), 40)
  .option('--strategies <list>', 'comma-separated subset of the removal strategies (default all)')
  .option('--metrics <list>', 'comma-separated subset of test-prediction,test-loss,self-loss')
  .option('--seed <seed>', 'seed of the split, test subset and removal sets', (v: string) => Number(v), 0)
  .option('--vocabulary <words>', 'bag-of-words size for spam', integer('--vocabulary'))
  .option('--limit <emails>', 'emails used for the spam datasets', integer('--limit'))
  .option('--label <column>', 'label column of a CSV/.npy dataset')
  .option('--lambda-sweep <list>', 'also sweep lambda over these values (Figure 2)')
  .option('--n-sweep <list>', 'also sweep n over these subsample sizes (Figure 2)')
  .option('--poison <count>', 'also run the poisoning check on this many flipped test points (Figure 3)', integer('--poison'))
  .action(async (o) => runBenchRif(o));

withDataFiles(program
  .command('influence')
  .description('fit a GLM on a CSV/.npy file and write the top-k training examples of every query as JSON lines'))
  .option('--model <kind>', 'logistic | ridge', 'logistic')
  .option('--lambda <value>', 'L2 penalty (sum form)', number('--lambda'), 1)
  .option('--no-intercept', 'fit without an intercept')
  .option('--regularization <kind>', 'fixed | per-example', 'fixed')
  .option('--method <method>', 'if | rif', 'rif')
  .option('--target <target>', 'loss | logit | probability', 'loss')
  .option('--top-k <k>', 'examples per query at each end', integer('--top-k'), 10)
  .option('--full <file.npy>', 'also write the full n x m score matrix')
  .option('--out <file>', 'JSON lines output (default stdout)')
  .action(async (o) => {
    await checkOutputs(o);
    const train = await readLabelled(o.train, o.label);
    const queries = await readLabelled(o.queries, o.label);
    if (o.model !== 'logistic' && o.model !== 'ridge') throw new InvalidArgumentError(`--model must be logistic or ridge, got ${o.model}`);
    const Model = o.model === 'logistic' ? LogisticRegression : RidgeRegression;
    const model = await Model.fit(train.X, train.y!, { lambda: o.lambda, fitIntercept: o.intercept, regularization: o.regularization });
    process.stderr.write(`fitted ${o.model}: ${model.iterations} Newton iterations, ||grad|| ${model.gradientNorm.toExponential(2)}\n`);
    const inf = await Influence.of(model);
    const opts = { method: o.method, target: o.target };
    await writeTopK(await inf.topK(queries.X, queries.y, { ...opts, k: o.topK }), o.out);
    if (o.full) await writeNpy(o.full, await inf.scores(queries.X, queries.y, opts), [train.X.rows, queries.X.rows]);
  });

withDataFiles(program
  .command('daunce')
  .description('Daunce attribution: K perturbed copies of a logistic regression, scores from the covariance of their losses'))
  .option('--model <kind>', 'logistic | softmax | mlp', 'logistic')
  .option('--hidden <sizes>', 'MLP hidden layer sizes, comma-separated', '128')
  .option('--epochs <count>', 'MLP epochs (base fit and each perturbed copy)', integer('--epochs'), 10)
  .option('--lambda <value>', 'L2 penalty of the base fit (sum form)', number('--lambda'), 1)
  .option('--K <count>', 'perturbed models', integer('--K'), 100)
  .option('--ratio <r>', 'fraction of the training set per model', number('--ratio'), 0.3)
  .option('--variant <v>', 'hessian | fisher | trak', 'hessian')
  .option('--access <a>', 'white-box | black-box', 'white-box')
  .option('--measure <m>', 'correlation | covariance', 'correlation')
  .option('--seed <seed>', 'seed of every subset and xi', (v: string) => Number(v), 0)
  .option('--checkpoint <dir>', 'write each finished model here; rerunning resumes')
  .option('--top-k <k>', 'examples per query at each end', integer('--top-k'), 10)
  .option('--full <file.npy>', 'also write the full n x m score matrix')
  .option('--out <file>', 'JSON lines output (default stdout)')
  .action(async (o) => {
    if (!['logistic', 'softmax', 'mlp'].includes(o.model)) throw new InvalidArgumentError(`--model ${o.model} is not available; use logistic, softmax or mlp`);
    await checkOutputs(o);
    const train = await readLabelled(o.train, o.label);
    const queries = await readLabelled(o.queries, o.label);
    const model = o.model === 'mlp'
      ? await MultilayerPerceptron.fit(train.X, train.y!, { lambda: o.lambda, hidden: String(o.hidden).split(',').map(Number), epochs: o.epochs, seed: o.seed })
      : o.model === 'softmax'
        ? await SoftmaxRegression.fit(train.X, train.y!, { lambda: o.lambda })
        : await LogisticRegression.fit(train.X, train.y!, { lambda: o.lambda });
    const bar = progressBar(o.K, 'models');
    const result = await daunce({
      model, queries: { X: queries.X, y: queries.y! }, K: o.K, ratio: o.ratio, variant: o.variant, access: o.access,
      measure: o.measure, seed: o.seed, ...(o.checkpoint ? { checkpointDir: o.checkpoint } : {}),
      onProgress: (p) => bar.tick(`model ${p.k}`),
    });
    bar.stop();
    if (result.resumed > 0) process.stderr.write(`resumed ${result.resumed} models from ${o.checkpoint}\n`);
    const zero = result.accumulator.zeroVariance();
    if (zero.train.length + zero.queries.length > 0) {
      process.stderr.write(`zero loss variance (scores 0): ${zero.train.length} training examples, ${zero.queries.length} queries\n`);
    }
    await writeTopK(await result.topK(o.topK), o.out);
    if (o.full) await writeNpy(o.full, await result.scores(), [train.X.rows, queries.X.rows]);
  });

program
  .command('eval')
  .description('LDS and most-influential-subset removal of IF, RIF, Daunce variants, TRAK and random scores on a logistic regression')
  .option('--dataset <name|file>', 'spam | spam-embeddings | mnist-A-B | a .csv/.npy file', 'mnist-4-9')
  .option('--methods <list>', `comma-separated subset of ${EVAL_METHODS.join(',')}`, EVAL_METHODS.join(','))
  .option('--lambda <value>', 'L2 penalty (sum form)', number('--lambda'), 1)
  .option('--model <kind>', 'logistic | mlp (MLP: every method but if/rif; retrains averaged over --seeds)', 'logistic')
  .option('--hidden <sizes>', 'MLP hidden layer sizes, comma-separated', '128')
  .option('--epochs <count>', 'MLP epochs', integer('--epochs'), 10)
  .option('--seeds <count>', 'MLP ground-truth retrains per subset', integer('--seeds'), 3)
  .option('--train <count>', 'training examples (a seeded subsample; default all of the split)', integer('--train'))
  .option('--queries <count>', 'test queries', integer('--queries'), 100)
  .option('--subsets <M>', 'LDS subsets', integer('--subsets'), 100)
  .option('--K <count>', 'Daunce models', integer('--K'), 100)
  .option('--trak-models <count>', 'TRAK ensemble size', integer('--trak-models'), 1)
  .option('--seed <seed>', 'seed of the split, subsets and methods', (v: string) => Number(v), 0)
  .option('--vocabulary <words>', 'bag-of-words size for spam', integer('--vocabulary'))
  .option('--out <dir>', 'output directory (JSON, plots, report; the retrain cache lives here)', 'tdakit-eval')
  .action(async (o) => {
    await mkdir(o.out, { recursive: true }); // fails now, not after the work, if --out cannot be a directory
    const data = await loadDataset(o.dataset, o.vocabulary ? { vocabulary: o.vocabulary } : {});
    const { trainIdx, testIdx } = splitIndices(data.X.rows, 0.2, o.seed);
    const tr = o.train ? trainIdx.slice(0, o.train) : trainIdx;
    const te = testIdx.slice(0, o.queries);
    const Xtr = data.X.selectRows(tr), ytr = tr.map((i) => data.y[i]!);
    if (o.model !== 'logistic' && o.model !== 'mlp') throw new InvalidArgumentError(`--model must be logistic or mlp, got ${o.model}`);
    const model = o.model === 'mlp'
      ? await MultilayerPerceptron.fit(Xtr, ytr, { lambda: o.lambda, hidden: String(o.hidden).split(',').map(Number), epochs: o.epochs, seed: o.seed })
      : await LogisticRegression.fit(Xtr, ytr, { lambda: o.lambda });
    const queries = { X: data.X.selectRows(te), y: Float64Array.from(te, (i) => data.y[i]!) };
    process.stderr.write(`${data.name}: ${tr.length} training examples x ${data.X.cols} features, ${te.length} queries\n`);
    const report = await evaluateMethods({
      model, queries, methods: o.methods.split(',') as EvalMethod[], subsets: o.subsets, K: o.K, trakModels: o.trakModels, seed: o.seed, seeds: o.seeds,
      cacheDir: `${o.out}/cache`, onProgress: (stage) => process.stderr.write(`  ${stage}...\n`),
    });
    console.log(evaluationTable(report));
    await writeEvaluationReport(o.out, report, `tdakit evaluation: ${data.name}`);
    console.log(`\nwrote ${o.out}/evaluation.json and ${o.out}/report.html`);
  });

type TopK = { k: number; queries: number; topIndex: Int32Array; topValue: Float64Array; bottomIndex: Int32Array; bottomValue: Float64Array };

/** Top-k per query as JSON lines: to a file atomically (a failed write leaves no partial file), or stdout. */
async function writeTopK(top: TopK, path?: string) {
  function* lines() {
    for (let j = 0; j < top.queries; j++) {
      const s = j * top.k, e = s + top.k;
      yield JSON.stringify({
        query: j,
        top: Array.from(top.topIndex.subarray(s, e), (i, r) => ({ index: i, score: top.topValue[s + r] })),
        bottom: Array.from(top.bottomIndex.subarray(s, e), (i, r) => ({ index: i, score: top.bottomValue[s + r] })),
      }) + '\n';
    }
  }
  if (path) return writeFileAtomic(path, lines());
  for (const line of lines()) process.stdout.write(line);
}

/** Fails before any work when an output file cannot be written. */
async function checkOutputs(o: { out?: string; full?: string }) {
  if (o.out) await checkWritable(o.out, '--out');
  if (o.full) await checkWritable(o.full, '--full');
}

// A closed reader (`tdakit ... | head`) ends the output, not in a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  process.stderr.write(`tdakit: stdout: ${err.message}\n`);
  process.exit(1);
});

registerFit(program);
registerAttribute(program);

program.parseAsync().catch((err: Error) => {
  process.stderr.write(`tdakit: ${err.message}\n`);
  process.exitCode = 1;
});
