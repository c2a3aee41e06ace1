/** Dataset names the removal benchmark accepts, or a path to a CSV/.npy file. */
import { readLabelled } from '../data/labelled.ts';
import { loadMnist, loadMnistPair, type LabelledData } from './mnist.ts';
import { loadSpamAssassin, loadSpamEmbeddings } from './spam.ts';
import { assertKnownOptions, optionKeys } from '../options-check.ts';

/** The dataset names `loadDataset` accepts (for help texts). */
export const DATASET_NAMES = [
  'spam',
  'spam-embeddings',
  'mnist (10 classes)',
  'mnist-poolK (10 classes, K x K average-pooled, e.g. mnist-pool4)',
  'mnist-A-B (e.g. mnist-4-9)',
  '<file.csv|file.npy>',
] as const;

/** Options of `loadDataset`. */
export interface DatasetOptions {
  /** Bag-of-words size for 'spam'. Default 2000. */
  vocabulary?: number;
  /** Emails used for the spam datasets (evenly spaced). Default all 6,046. */
  limit?: number;
  /** Label column of a CSV/.npy file. Default the last column. */
  label?: string;
  /** CSV field separator, or 'auto' (default). */
  delimiter?: string;
  /** String labels: the class that is 1 (binary). */
  positive?: string;
}

/**
 * Loads a dataset by name: 'spam', 'spam-embeddings', 'mnist', 'mnist-poolK', 'mnist-A-B', or a CSV/.npy file.
 * @param name - the dataset name or a file path
 * @param o - vocabulary size, row limit, label column
 * @returns the labelled data
 */
export async function loadDataset(name: string, o: DatasetOptions = {}): Promise<LabelledData> {
  assertKnownOptions(
    'loadDataset',
    o,
    optionKeys<DatasetOptions>({ vocabulary: true, limit: true, label: true, delimiter: true, positive: true }),
  );
  if (name === 'spam' || name === 'spam-bow')
    return loadSpamAssassin({ vocabulary: o.vocabulary ?? 2000, ...(o.limit ? { limit: o.limit } : {}) });
  if (name === 'spam-embeddings') return loadSpamEmbeddings(o.limit ? { limit: o.limit } : {});
  if (name === 'mnist') return loadMnist();
  const pooled = /^mnist-pool(\d+)$/.exec(name);
  if (pooled) return loadMnist({ pool: Number(pooled[1]) });
  const mnist = /^mnist-(\d)-(\d)$/.exec(name);
  if (mnist) return loadMnistPair({ negative: Number(mnist[1]), positive: Number(mnist[2]) });
  if (/\.(csv|npy|parquet|pq|arrow|feather|ipc|arrows)$/i.test(name)) {
    const f = await readLabelled(name, {
      label: o.label ?? '-1',
      ...(o.delimiter ? { delimiter: o.delimiter } : {}),
      ...(o.positive !== undefined ? { positive: o.positive } : {}),
    });
    return { name, X: f.X, y: f.y!, featureNames: f.columns, ...(f.classes ? { classes: f.classes } : {}) };
  }
  throw new RangeError(`dataset: unknown dataset '${name}' (expected one of ${DATASET_NAMES.join(', ')})`);
}
