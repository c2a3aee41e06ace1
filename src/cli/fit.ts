/**
 * `tdakit fit`: fit a model on a data file and save it as an artifact directory. GLMs are saved
 * with their factored influence state, so `tdakit attribute` scores without refitting.
 */
import type { Command } from 'commander';
import { Influence } from '../influence/analysis.ts';
import { readLabelled } from '../data/labelled.ts';
import { LogisticRegression } from '../models/logistic.ts';
import { MultilayerPerceptron } from '../models/mlp.ts';
import { RidgeRegression } from '../models/ridge.ts';
import { SoftmaxRegression } from '../models/softmax.ts';
import { finiteNumber, oneOf, positiveInteger } from './options.ts';

const MODELS = ['logistic', 'ridge', 'softmax', 'mlp'] as const;

interface FitOptions {
  train: string;
  label: string;
  model: (typeof MODELS)[number];
  out: string;
  lambda?: number;
  intercept: boolean;
  regularization: 'fixed' | 'per-example';
  hidden: string;
  epochs: number;
  seed: number;
  data: 'embed' | 'reference';
}

export function registerFit(program: Command): void {
  program
    .command('fit')
    .description(
      'fit a model on a data file and save it (with its factored influence state for logistic/ridge) as an artifact directory',
    )
    .requiredOption('--train <file>', 'training data (.csv, .npy, .parquet or .arrow)')
    .option('--label <column>', 'label column (name or index; negative counts from the end)', '-1')
    .option('--model <kind>', MODELS.join(' | '), oneOf('--model', MODELS), 'logistic')
    .requiredOption('--out <dir>', 'artifact directory (replaced atomically if it holds an artifact)')
    .option('--lambda <value>', 'L2 penalty (sum form; default 1, MLP 0.01)', finiteNumber('--lambda'))
    .option('--no-intercept', 'fit without an intercept (logistic, ridge, softmax)')
    .option(
      '--regularization <kind>',
      'fixed | per-example (logistic, ridge)',
      oneOf('--regularization', ['fixed', 'per-example'] as const),
      'fixed',
    )
    .option('--hidden <sizes>', 'MLP hidden layer sizes, comma-separated', '128')
    .option('--epochs <count>', 'MLP epochs', positiveInteger('--epochs'), 10)
    .option('--seed <seed>', 'MLP seed', (v: string) => Number(v), 0)
    .option(
      '--data <mode>',
      'embed the training data in the artifact, or reference the --train file by path and hash',
      oneOf('--data', ['embed', 'reference'] as const),
      'embed',
    )
    .action(async (o: FitOptions) => runFit(o));
}

async function runFit(o: FitOptions): Promise<void> {
  const started = performance.now();
  const train = await readLabelled(o.train, o.label);
  const save = { data: o.data === 'embed' ? ('embed' as const) : { path: o.train, label: o.label } };
  const summary = `${o.model} on ${o.train} (${train.X.rows} x ${train.X.cols})`;
  if (o.model === 'logistic' || o.model === 'ridge') {
    const Model = o.model === 'logistic' ? LogisticRegression : RidgeRegression;
    const model = await Model.fit(train.X, train.y!, {
      ...(o.lambda !== undefined ? { lambda: o.lambda } : {}),
      fitIntercept: o.intercept,
      regularization: o.regularization,
    });
    const influence = await Influence.of(model);
    await influence.save(o.out, save);
    process.stderr.write(
      `fit: ${summary}: ${model.iterations} Newton iterations, ||grad|| ${model.gradientNorm.toExponential(2)}, max leverage ` +
        `${Math.max(...influence.leverage).toFixed(3)}; saved influence artifact ${o.out} in ${seconds(started)}\n`,
    );
    return;
  }
  const model =
    o.model === 'softmax'
      ? await SoftmaxRegression.fit(train.X, train.y!, {
          ...(o.lambda !== undefined ? { lambda: o.lambda } : {}),
          fitIntercept: o.intercept,
        })
      : await MultilayerPerceptron.fit(train.X, train.y!, {
          ...(o.lambda !== undefined ? { lambda: o.lambda } : {}),
          hidden: o.hidden.split(',').map(Number),
          epochs: o.epochs,
          seed: o.seed,
        });
  await model.save(o.out, save);
  process.stderr.write(
    `fit: ${summary}; saved model artifact ${o.out} in ${seconds(started)} (influence scores are for logistic and ridge)\n`,
  );
}

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(2)} s`;
