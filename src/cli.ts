#!/usr/bin/env node
/** The tdakit command line. */
import { Command, InvalidArgumentError } from 'commander';
import { createWriteStream } from 'node:fs';
import { runDemo } from './cli/demo.ts';
import { readLabelled } from './data/labelled.ts';
import { writeNpy } from './data/npy.ts';
import { Influence } from './influence/analysis.ts';
import { LogisticRegression } from './models/logistic.ts';
import { RidgeRegression } from './models/ridge.ts';

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

program
  .command('influence')
  .description('fit a GLM on a CSV/.npy file and write the top-k training examples of every query as JSON lines')
  .requiredOption('--train <file>', 'training data (.csv or .npy)')
  .requiredOption('--queries <file>', 'query data (.csv or .npy), same columns as --train')
  .option('--label <column>', 'label column (name or index; negative counts from the end)', '-1')
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
    const train = await readLabelled(o.train, o.label);
    const queries = await readLabelled(o.queries, o.label);
    if (o.model !== 'logistic' && o.model !== 'ridge') throw new InvalidArgumentError(`--model must be logistic or ridge, got ${o.model}`);
    const Model = o.model === 'logistic' ? LogisticRegression : RidgeRegression;
    const model = await Model.fit(train.X, train.y!, { lambda: o.lambda, fitIntercept: o.intercept, regularization: o.regularization });
    process.stderr.write(`fitted ${o.model}: ${model.iterations} Newton iterations, ||grad|| ${model.gradientNorm.toExponential(2)}\n`);
    const inf = await Influence.of(model);
    const opts = { method: o.method, target: o.target };
    const top = await inf.topK(queries.X, queries.y, { ...opts, k: o.topK });
    const out = o.out ? createWriteStream(o.out) : process.stdout;
    for (let j = 0; j < top.queries; j++) {
      const s = j * top.k, e = s + top.k;
      out.write(JSON.stringify({
        query: j,
        top: Array.from(top.topIndex.subarray(s, e), (i, r) => ({ index: i, score: top.topValue[s + r] })),
        bottom: Array.from(top.bottomIndex.subarray(s, e), (i, r) => ({ index: i, score: top.bottomValue[s + r] })),
      }) + '\n');
    }
    if (o.out) await new Promise((resolve) => (out as ReturnType<typeof createWriteStream>).end(resolve));
    if (o.full) await writeNpy(o.full, await inf.scores(queries.X, queries.y, opts), [train.X.rows, queries.X.rows]);
  });

program.parseAsync().catch((err: Error) => {
  process.stderr.write(`tdakit: ${err.message}\n`);
  process.exitCode = 1;
});
