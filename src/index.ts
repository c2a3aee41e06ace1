/** tdakit: training data attribution on a native BLAS/LAPACK core. */
export { Matrix } from './data/matrix.ts';
export type { MatrixFileOptions } from './data/matrix.ts';
export { readNpy, writeNpy, parseNpy, encodeNpy } from './data/npy.ts';
export { readCsv } from './data/csv.ts';
export { LogisticRegression } from './models/logistic.ts';
export { RidgeRegression } from './models/ridge.ts';
export { GeneralizedLinearModel } from './models/glm.ts';
export type { FitDiagnostics, HessianFactorization, RefitRequest, TrainingPointwise, GlmKind } from './models/glm.ts';
export type { GlmOptions, Regularization } from './models/options.ts';
export { NumericError, AbortError } from './errors.ts';
export { resolveBackend } from './backend/index.ts';
export type { Backend, BackendName } from './backend/index.ts';
export { loadMnistPair, loadMnist } from './datasets/mnist.ts';
export type { LabelledData } from './datasets/mnist.ts';
export { loadSpamAssassin } from './datasets/spam.ts';
export type { SpamOptions } from './datasets/spam.ts';
