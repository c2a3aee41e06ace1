/** Reading the --train and --queries files of the scoring commands, with consistent class ids. */
import type { Command } from 'commander';
import { readLabelled, type LabelledFile } from '../data/labelled.ts';
import { delimiterValue } from './options.ts';

export interface DataFileOptions {
  train: string;
  queries: string;
  label: string;
  delimiter: string;
  positive?: string;
  oneHot?: string[];
}

/** The input-file options of every command that reads a training file and a query file. */
export function withDataFiles(cmd: Command): Command {
  return cmd
    .requiredOption('--train <file>', 'training data (.csv, .npy, .parquet or .arrow)')
    .requiredOption(
      '--queries <file>',
      'query data (.csv, .npy, .parquet or .arrow), same columns as --train (the label column may be left out for label-free targets)',
    )
    .option('--label <column>', 'label column (name or index; negative counts from the end)', '-1')
    .option(
      '--delimiter <char>',
      "CSV field separator: one character, 'tab', or 'auto' (detected)",
      delimiterValue,
      'auto',
    )
    .option('--positive <class>', 'string labels, binary models: the class that is 1 (the other is 0)')
    .option('--one-hot <columns>', 'comma-separated text feature columns to one-hot encode', (v: string) =>
      v.split(',').map((s) => s.trim()),
    );
}

export interface TrainAndQueries {
  train: LabelledFile & { y: Float64Array };
  queries: LabelledFile;
  /** Class names by id when the labels are strings. */
  classes?: string[];
}

/**
 * Reads both files. Query labels are optional where `queryLabels` is 'optional' (label-free
 * targets); string labels map through the training file's classes; a binary model with string
 * labels needs --positive.
 */
export async function readTrainAndQueries(
  o: DataFileOptions,
  need: { queryLabels: 'required' | 'optional'; binary: boolean },
): Promise<TrainAndQueries> {
  const common = { label: o.label, delimiter: o.delimiter, ...(o.oneHot ? { oneHot: o.oneHot } : {}) };
  const train = await readLabelled(o.train, {
    ...common,
    ...(o.positive !== undefined ? { positive: o.positive } : {}),
  });
  if (!train.y) throw new RangeError(`${o.train}: no label column`);
  if (need.binary && train.classes && o.positive === undefined) {
    throw new RangeError(
      `${o.train}: the labels are strings (${train.classes.join(', ')}); name the positive class with --positive (e.g. --positive '${train.classes[train.classes.length - 1]}')`,
    );
  }
  const queries = await readLabelled(o.queries, {
    ...common,
    features: train.X.cols,
    ...(train.classes ? { classes: train.classes } : {}),
  });
  if (o.oneHot && queries.columns.join('\u0000') !== train.columns.join('\u0000')) {
    throw new RangeError(
      `${o.queries}: its one-hot columns (${queries.columns.join(', ')}) differ from ${o.train}'s (${train.columns.join(', ')})`,
    );
  }
  if (queries.X.cols !== train.X.cols) {
    throw new RangeError(`${o.queries}: has ${queries.X.cols} feature columns, ${o.train} has ${train.X.cols}`);
  }
  if (!queries.y && need.queryLabels === 'required') {
    throw new RangeError(`${o.queries}: has no label column '${o.label}', and this target needs the queries' labels`);
  }
  return { train: train as TrainAndQueries['train'], queries, ...(train.classes ? { classes: train.classes } : {}) };
}
