#!/usr/bin/env node
/** The tdakit command line. */
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import type { TopKResult } from './influence/removal-analysis.ts';
import { choice, delimiterValue, finiteNumber, listOf, positiveInteger, positiveIntegers } from './cli/options.ts';
import { readTrainAndQueries, withDataFiles } from './cli/data-files.ts';
import { selectBackend } from './backend/index.ts';
import { mkdir } from 'node:fs/promises';
import { runBenchRif } from './cli/bench-rif.ts';
import { runDemo } from './cli/demo.ts';
import { registerFit } from './cli/fit.ts';
import { registerAttribute } from './cli/attribute.ts';
import { queueFrom, registerWorkerCommand, withQueueOptions } from './cli/worker.ts';
import { writeNpy } from './data/npy.ts';
import { checkWritable, writeFileAtomic } from './io/atomic.ts';
import { Influence } from './influence/analysis.ts';
import { daunce } from './daunce/daunce.ts';
import type { DaunceTraining } from './daunce/settings.ts';
import { loadDataset } from './datasets/by-name.ts';
import { splitIndices } from './protocols/rif/removal.ts';
import { EVAL_METHODS, evaluateMethods, type EvalMethod } from './evaluation/evaluate.ts';
import { evaluationTable, writeEvaluationReport } from './reports/evaluation.ts';
import { progressBar } from './cli/progress.ts';
import { STRATEGIES } from './protocols/rif/strategies.ts';
import { BENCHMARK_METRICS } from './protocols/rif/removal.ts';
import { LogisticRegression } from './models/logistic.ts';
import { RidgeRegression } from './models/ridge.ts';
import { MultilayerPerceptron } from './models/mlp.ts';
import { SoftmaxRegression } from './models/softmax.ts';

const program = new Command();
program
  .name('tdakit')
  .description('Training data attribution: influence functions, rescaled IF and Newton steps for GLMs')
  .version('0.1.0');

program
  .command('demo')
  .description('IF vs RIF vs NS against exact retraining on the SpamAssassin bag-of-words')
  .option('--vocabulary <words>', 'bag-of-words size', positiveInteger('--vocabulary'), 1000)
  .option('--limit <emails>', 'emails used (evenly spaced over the corpus)', positiveInteger('--limit'), 1500)
  .option('--lambda <value>', 'L2 penalty (sum form)', finiteNumber('--lambda'), 1e-2)
  .option('--sets <count>', 'removal sets', positiveInteger('--sets'), 24)
  .option('--seed <seed>', 'seed of every random choice', positiveInteger('--seed'), 3)
  .action(async (o) => runDemo(o));

const bench = program.command('bench').description('benchmarks that tell whether to trust attribution scores');
withQueueOptions(bench.command('rif'))
  .description(
    'IF vs RIF vs NS against exact retraining (the RIF paper protocol): records, summary, plots, HTML report',
  )
  .option(
    '--dataset <name|file>',
    'spam | spam-embeddings | mnist-A-B | mnist, mnist-poolK (10 classes, --model softmax) | a .csv/.npy/.parquet file (label column last unless --label)',
    'spam',
  )
  .addOption(
    choice(
      '--model <kind>',
      'model: logistic (labels 0/1) or softmax (class ids 0..C-1, or string labels)',
      ['logistic', 'softmax'],
      'logistic',
    ),
  )
  .option('--lambda <value>', 'L2 penalty (sum form)', finiteNumber('--lambda'), 1e-2)
  .option('--out <dir>', 'output directory (records.jsonl makes reruns resume)', 'tdakit-bench-rif')
  .option('--sizes <count>', 'removal sizes, log-spaced from 0.1% to 5% of n', positiveInteger('--sizes'), 40)
  .option('--strategies <list>', `comma-separated subset of ${STRATEGIES.join(',')} (default all)`, (v: string) =>
    listOf('--strategies', STRATEGIES)(v).join(','),
  )
  .option('--metrics <list>', `comma-separated subset of ${BENCHMARK_METRICS.join(',')}`, (v: string) =>
    listOf('--metrics', BENCHMARK_METRICS)(v).join(','),
  )
  .option('--seed <seed>', 'seed of the split, test subset and removal sets', (v: string) => Number(v), 0)
  .option(
    '--concurrency <sets>',
    'removal sets retrained at once (same records at any value; default: the number of cores)',
    positiveInteger('--concurrency'),
    Math.min(256, availableParallelism()),
  )
  .option('--vocabulary <words>', 'bag-of-words size for spam', positiveInteger('--vocabulary'))
  .option('--limit <emails>', 'emails used for the spam datasets', positiveInteger('--limit'))
  .option('--label <column>', 'label column of a CSV/.npy dataset')
  .option('--delimiter <char>', "CSV field separator: one character, 'tab', or 'auto'", delimiterValue, 'auto')
  .option('--positive <class>', 'string labels: the class that is 1')
  .option('--lambda-sweep <list>', 'also sweep lambda over these values (Figure 2)')
  .option('--n-sweep <list>', 'also sweep n over these subsample sizes (Figure 2)')
  .option(
    '--poison <count>',
    'also run the poisoning check on this many flipped test points (Figure 3)',
    positiveInteger('--poison'),
  )
  .action(async (o) => runBenchRif(o));

withDataFiles(
  program
    .command('influence')
    .description('fit a GLM on a CSV/.npy file and write the top-k training examples of every query as JSON lines'),
)
  .addOption(choice('--model <kind>', 'model', ['logistic', 'ridge'], 'logistic'))
  .option('--lambda <value>', 'L2 penalty (sum form)', finiteNumber('--lambda'), 1)
  .option('--no-intercept', 'fit without an intercept')
  .addOption(choice('--regularization <kind>', 'penalty under removal', ['fixed', 'per-example'], 'fixed'))
  .addOption(choice('--method <method>', 'score', ['if', 'rif'], 'rif'))
  .addOption(
    choice(
      '--target <target>',
      'what a score predicts the change of (logit/probability need no query labels)',
      ['loss', 'logit', 'probability'],
      'loss',
    ),
  )
  .option('--top-k <k>', 'examples per query at each end', positiveInteger('--top-k'), 10)
  .option('--full <file.npy>', 'also write the full n x m score matrix')
  .option('--out <file>', 'JSON lines output (default stdout)')
  .action(async (o) => {
    await checkOutputs(o);
    const { train, queries, classes } = await readTrainAndQueries(o, {
      queryLabels: o.target === 'loss' ? 'required' : 'optional',
      binary: true,
    });
    if (classes) process.stderr.write(`classes: ${classes.map((c, k) => `${k} = ${c}`).join(', ')}\n`);
    const Model = o.model === 'logistic' ? LogisticRegression : RidgeRegression;
    const model = await Model.fit(train.X, train.y!, {
      lambda: o.lambda,
      fitIntercept: o.intercept,
      regularization: o.regularization,
    });
    process.stderr.write(
      `fitted ${o.model}: ${model.iterations} Newton iterations, ||grad|| ${model.gradientNorm.toExponential(2)}\n`,
    );
    const inf = await Influence.of(model);
    const opts = { method: o.method, target: o.target };
    await writeTopK(await inf.topK(queries.X, queries.y, { ...opts, k: o.topK }), o.out, queries.labelText);
    if (o.full) await writeNpy(o.full, await inf.scores(queries.X, queries.y, opts), [train.X.rows, queries.X.rows]);
  });

/** The `training` of `daunce` from the copy-training flags, absent when none was given. */
function copyTraining(o: {
  schedule?: 'constant' | 'cosine';
  optimizer?: 'adam' | 'sgd';
  learningRate?: number;
  momentum?: number;
}): { training?: DaunceTraining } {
  const training: DaunceTraining = {
    ...(o.schedule ? { schedule: o.schedule } : {}),
    ...(o.optimizer ? { optimizer: o.optimizer } : {}),
    ...(o.learningRate !== undefined ? { learningRate: o.learningRate } : {}),
    ...(o.momentum !== undefined ? { momentum: o.momentum } : {}),
  };
  return Object.keys(training).length > 0 ? { training } : {};
}

withQueueOptions(
  withDataFiles(
    program
      .command('daunce')
      .description(
        'Daunce attribution: K perturbed copies of a logistic, softmax or MLP model, scores from the covariance of their losses',
      ),
  )
    .addOption(choice('--model <kind>', 'model', ['logistic', 'softmax', 'mlp'], 'logistic'))
    .option('--hidden <sizes>', 'MLP hidden layer sizes, comma-separated', positiveIntegers('--hidden'), [128])
    .option('--epochs <count>', 'MLP epochs (base fit and each perturbed copy)', positiveInteger('--epochs'), 10)
    .option('--lambda <value>', 'L2 penalty of the base fit (sum form)', finiteNumber('--lambda'), 1)
    .option('--K <count>', 'perturbed models', positiveInteger('--K'), 100)
    .option('--ratio <r>', 'fraction of the training set per model', finiteNumber('--ratio'), 0.3)
    .addOption(choice('--variant <v>', 'perturbation', ['hessian', 'fisher', 'trak'], 'hessian'))
    .addOption(choice('--access <a>', 'first-order term', ['white-box', 'black-box'], 'white-box'))
    .addOption(choice('--measure <m>', 'score', ['correlation', 'covariance'], 'correlation'))
    .option('--gamma <g>', 'scale of the loss-difference term of the perturbed objective', finiteNumber('--gamma'), 1)
    .option('--rho <r>', 'spread of the xi weights, factor 1 + rho (2 xi - 1)', finiteNumber('--rho'), 1)
    .addOption(choice('--schedule <s>', 'MLP copies: learning-rate schedule (default cosine)', ['constant', 'cosine']))
    .addOption(choice('--optimizer <o>', "MLP copies: optimiser (default: the base fit's, adam)", ['adam', 'sgd']))
    .option(
      '--learning-rate <rate>',
      "MLP copies: initial learning rate (default: the base fit's)",
      finiteNumber('--learning-rate'),
    )
    .option('--momentum <m>', "MLP copies: SGD momentum (default: the base fit's)", finiteNumber('--momentum'))
    .addOption(
      choice(
        '--backend <b>',
        'scoring backend (webgpu needs the optional webgpu package)',
        ['cpu', 'auto', 'webgpu'],
        'cpu',
      ),
    )
    .option('--seed <seed>', 'seed of every subset and xi', (v: string) => Number(v), 0)
    .option('--checkpoint <dir>', 'write each finished model here; rerunning resumes')
    .option('--top-k <k>', 'examples per query at each end', positiveInteger('--top-k'), 10)
    .option('--full <file.npy>', 'also write the full n x m score matrix')
    .option('--out <file>', 'JSON lines output (default stdout)'),
).action(async (o) => {
  await checkOutputs(o);
  const { train, queries, classes } = await readTrainAndQueries(o, {
    queryLabels: 'required',
    binary: o.model === 'logistic',
  });
  if (classes) process.stderr.write(`classes: ${classes.map((c, k) => `${k} = ${c}`).join(', ')}\n`);
  // Probe WebGPU (when asked for) before the progress bar, so Dawn's messages on stderr come first.
  if (o.backend !== 'cpu')
    process.stderr.write(`scoring backend: ${(await selectBackend(o.backend, '--backend')).name}\n`);
  const model =
    o.model === 'mlp'
      ? await MultilayerPerceptron.fit(train.X, train.y!, {
          lambda: o.lambda,
          hidden: o.hidden,
          epochs: o.epochs,
          seed: o.seed,
        })
      : o.model === 'softmax'
        ? await SoftmaxRegression.fit(train.X, train.y!, { lambda: o.lambda })
        : await LogisticRegression.fit(train.X, train.y!, { lambda: o.lambda });
  const bar = progressBar(o.K, 'models');
  const result = await daunce({
    model,
    queries: { X: queries.X, y: queries.y! },
    K: o.K,
    ratio: o.ratio,
    variant: o.variant,
    access: o.access,
    measure: o.measure,
    seed: o.seed,
    backend: o.backend,
    ...(o.checkpoint ? { checkpointDir: o.checkpoint } : {}),
    gamma: o.gamma,
    rho: o.rho,
    ...copyTraining(o),
    onProgress: (p) => bar.tick(`model ${p.k}`),
    ...queueFrom(o),
  });
  bar.stop();
  if (result.resumed > 0) process.stderr.write(`resumed ${result.resumed} models from ${o.checkpoint}\n`);
  const zero = result.accumulator.zeroVariance();
  if (zero.train.length + zero.queries.length > 0) {
    process.stderr.write(
      `zero loss variance (scores 0): ${zero.train.length} training examples, ${zero.queries.length} queries\n`,
    );
  }
  await writeTopK(await result.topK(o.topK), o.out, queries.labelText);
  if (o.full) await writeNpy(o.full, await result.scores(), [train.X.rows, queries.X.rows]);
});

registerWorkerCommand(program);

withQueueOptions(program.command('eval'))
  .description(
    'LDS and most-influential-subset removal of IF, RIF, Daunce variants, TRAK and random scores on a logistic regression, softmax regression or an MLP',
  )
  .option(
    '--dataset <name|file>',
    'spam | spam-embeddings | mnist (10 classes, --model mlp) | mnist-A-B | a .csv/.npy file',
    'mnist-4-9',
  )
  .option(
    '--methods <list>',
    `comma-separated subset of ${EVAL_METHODS.join(',')}`,
    (v: string) => listOf('--methods', EVAL_METHODS)(v).join(','),
    EVAL_METHODS.join(','),
  )
  .option('--lambda <value>', 'L2 penalty (sum form)', finiteNumber('--lambda'), 1)
  .addOption(
    choice(
      '--model <kind>',
      'model (MLP: every method but if/rif; retrains averaged over --seeds)',
      ['logistic', 'softmax', 'mlp'],
      'logistic',
    ),
  )
  .option('--hidden <sizes>', 'MLP hidden layer sizes, comma-separated', positiveIntegers('--hidden'), [128])
  .option('--label <column>', 'label column of a CSV/.npy dataset (default the last)')
  .option('--delimiter <char>', "CSV field separator: one character, 'tab', or 'auto'", delimiterValue, 'auto')
  .option('--positive <class>', 'string labels, logistic model: the class that is 1')
  .option('--epochs <count>', 'MLP epochs', positiveInteger('--epochs'), 10)
  .option('--seeds <count>', 'MLP ground-truth retrains per subset', positiveInteger('--seeds'), 3)
  .option(
    '--train <count>',
    'training examples (a seeded subsample; default all of the split)',
    positiveInteger('--train'),
  )
  .option('--queries <count>', 'test queries', positiveInteger('--queries'), 100)
  .option('--subsets <M>', 'LDS subsets', positiveInteger('--subsets'), 100)
  .option('--K <count>', 'Daunce models', positiveInteger('--K'), 100)
  .option('--trak-models <count>', 'TRAK ensemble size', positiveInteger('--trak-models'), 1)
  .option('--seed <seed>', 'seed of the split, subsets and methods', (v: string) => Number(v), 0)
  .option('--vocabulary <words>', 'bag-of-words size for spam', positiveInteger('--vocabulary'))
  .option('--out <dir>', 'output directory (JSON, plots, report; the retrain cache lives here)', 'tdakit-eval')
  .action(async (o, cmd: Command) => {
    if (o.model === 'mlp' && (o.methods as string).split(',').some((m: string) => m === 'if' || m === 'rif')) {
      // IF and RIF are defined for the convex models only: dropped from the default list, an error when asked for.
      if (cmd.getOptionValueSource('methods') !== 'default')
        throw new InvalidArgumentError('--methods if and rif need --model logistic or softmax');
      o.methods = (o.methods as string)
        .split(',')
        .filter((m: string) => m !== 'if' && m !== 'rif')
        .join(',');
    }
    await mkdir(o.out, { recursive: true }); // fails now, not after the work, if --out cannot be a directory
    const data = await loadDataset(o.dataset, {
      ...(o.vocabulary ? { vocabulary: o.vocabulary } : {}),
      ...(o.label ? { label: o.label } : {}),
      delimiter: o.delimiter,
      ...(o.positive !== undefined ? { positive: o.positive } : {}),
    });
    if (o.model === 'logistic' && data.classes && o.positive === undefined) {
      throw new InvalidArgumentError(
        `the labels are strings (${data.classes.join(', ')}); name the positive class with --positive`,
      );
    }
    const { trainIdx, testIdx } = splitIndices(data.X.rows, 0.2, o.seed);
    const tr = o.train ? trainIdx.slice(0, o.train) : trainIdx;
    const te = testIdx.slice(0, o.queries);
    const Xtr = data.X.selectRows(tr),
      ytr = tr.map((i) => data.y[i]!);
    const model =
      o.model === 'mlp'
        ? await MultilayerPerceptron.fit(Xtr, ytr, {
            lambda: o.lambda,
            hidden: o.hidden,
            epochs: o.epochs,
            seed: o.seed,
          })
        : o.model === 'softmax'
          ? await SoftmaxRegression.fit(Xtr, ytr, {
              lambda: o.lambda,
              classes: data.y.reduce((a, b) => Math.max(a, b), 0) + 1,
            })
          : await LogisticRegression.fit(Xtr, ytr, { lambda: o.lambda });
    const queries = { X: data.X.selectRows(te), y: Float64Array.from(te, (i) => data.y[i]!) };
    process.stderr.write(
      `${data.name}: ${tr.length} training examples x ${data.X.cols} features, ${te.length} queries\n`,
    );
    const report = await evaluateMethods({
      model,
      queries,
      methods: o.methods.split(',') as EvalMethod[],
      subsets: o.subsets,
      K: o.K,
      trakModels: o.trakModels,
      seed: o.seed,
      seeds: o.seeds,
      cacheDir: `${o.out}/cache`,
      onProgress: (stage) => process.stderr.write(`  ${stage}...\n`),
      ...queueFrom(o),
    });
    console.log(evaluationTable(report));
    await writeEvaluationReport(o.out, report, `tdakit evaluation: ${data.name}`);
    console.log(`\nwrote ${o.out}/evaluation.json and ${o.out}/report.html`);
  });

/**
 * Top-k per query as JSON lines (with the query's label as written in the file, when it has
 * one): to a file atomically (a failed write leaves no partial file), or stdout.
 */
async function writeTopK(top: TopKResult, path?: string, labels?: string[]) {
  function* lines() {
    for (let j = 0; j < top.queries; j++) {
      const s = j * top.k,
        e = s + top.k;
      yield JSON.stringify({
        query: j,
        ...(labels ? { label: labels[j] } : {}),
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
