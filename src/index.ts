/**
 * tdakit: training data attribution on a native BLAS/LAPACK core.
 *
 * Real datasets are on the subpath `tdakit/datasets`; the RIF protocol's pieces are also on
 * `tdakit/protocols/rif`.
 */

// Data: matrices and files.
export { Matrix } from './data/matrix.ts';
export type { MatrixFileOptions, ColumnarFileOptions } from './data/matrix.ts';
export { readNpy, writeNpy, parseNpy, encodeNpy } from './data/npy.ts';
export { readCsv } from './data/csv.ts';

// Errors and backends.
export { NumericError, AbortError, IntegrityError, TimeoutError } from './errors.ts';
export { resolveBackend, selectBackend } from './backend/index.ts';
export type { Backend, BackendName } from './backend/index.ts';

// Models: one contract (AttributableModel) that every algorithm below consumes.
export { isAttributableModel } from './models/model.ts';
export type { AttributableModel, RetrainRequest, ModelOutput } from './models/model.ts';
export { GeneralizedLinearModel } from './models/glm.ts';
export type { FitDiagnostics, HessianFactorization, RefitRequest, TrainingPointwise, GlmKind } from './models/glm.ts';
export type { GlmOptions, Regularization } from './models/options.ts';
export { LogisticRegression } from './models/logistic.ts';
export { RidgeRegression } from './models/ridge.ts';
export { SoftmaxRegression } from './models/softmax.ts';
export type { SoftmaxOptions } from './models/softmax.ts';
export { MultilayerPerceptron } from './models/mlp.ts';
export type { MlpOptions } from './models/mlp.ts';

// Influence functions (IF, RIF, NS, retrain).
export { Influence } from './influence/analysis.ts';
export { MulticlassInfluence } from './influence/multiclass.ts';
export type {
  RemovalMethod,
  ScoreMethod,
  ScoreTarget,
  ScoreOptions,
  TopKOptions,
  TopKResult,
  Effect,
} from './influence/analysis.ts';
export { Metric } from './influence/metrics.ts';
export type { MetricSpec, CustomMetric } from './influence/metrics.ts';

// Daunce.
export { daunce } from './daunce/daunce.ts';
export type { DaunceOptions, DaunceResult } from './daunce/daunce.ts';
export { LossCovariance } from './daunce/accumulator.ts';
export type { Measure, TopKScores } from './daunce/accumulator.ts';
export type { PerturbableModel, DaunceProgress, PerturbationObjective } from './daunce/runner.ts';
export type { DaunceTraining, DaunceObjectiveSettings } from './daunce/settings.ts';
export { drawPerturbation } from './daunce/perturbation.ts';
export { registerPerturbable } from './daunce/registry.ts';
export type { PerturbableFactory, PerturbableRequest } from './daunce/registry.ts';
export type { Perturbation, DaunceVariant, DaunceAccess } from './daunce/perturbation.ts';

// Evaluation: LDS, subset removal, TRAK, statistics.
export { lds, groundTruth, ldsFromScores } from './evaluation/lds.ts';
export type { GroundTruth, GroundTruthOptions, LdsResult } from './evaluation/lds.ts';
export { subsetRemoval } from './evaluation/subset-removal.ts';
export { trakScores } from './evaluation/trak.ts';
export { fitScalingLaw } from './evaluation/scaling.ts';
export { evaluateMethods, EVAL_METHODS } from './evaluation/evaluate.ts';
export type { EvaluateOptions, EvaluationReport, EvalMethod } from './evaluation/evaluate.ts';
export { pearson, spearman, slopeThroughOrigin, medianRelativeError } from './evaluation/stats.ts';

// The IF-vs-RIF protocol (the RIF paper's experiments).
export { benchmarkRemoval, defaultSizes, BENCHMARK_METRICS, BENCHMARK_MODELS } from './protocols/rif/removal.ts';
export type {
  RemovalBenchmarkOptions,
  RemovalBenchmarkResult,
  RemovalRecord,
  BenchmarkMetric,
  BenchmarkModel,
} from './protocols/rif/removal.ts';
export { STRATEGIES } from './protocols/rif/strategies.ts';
export type { Strategy } from './protocols/rif/strategies.ts';
export { summarize } from './protocols/rif/summary.ts';
export type { SummaryRow } from './protocols/rif/summary.ts';
export { sweep, poisoningCheck } from './protocols/rif/variations.ts';
export { writeReport } from './reports/rif.ts';

// Dataset loaders, kept here for compatibility; new code imports them from 'tdakit/datasets'.
export { loadMnist, loadMnistPair, loadSpamAssassin, loadSpamEmbeddings, loadDataset } from './datasets/index.ts';
export type { LabelledData, SpamOptions } from './datasets/index.ts';

// Saved artifacts and streaming attribution (pipelines).
export { ArtifactError, ARTIFACT_VERSION } from './artifacts/format.ts';
export type { Manifest as ArtifactManifest } from './artifacts/format.ts';
export type { ArtifactLoadOptions, ArtifactSaveOptions } from './artifacts/models.ts';
export { attributeQueries, attributionStream, RecordError, UnparsableRecord } from './streaming/attribution.ts';
export type {
  QueryRecord,
  AttributionRecord,
  AttributionErrorRecord,
  AttributionOutput,
  AttributionStreamOptions,
  ScoredEntry,
} from './streaming/attribution.ts';
export { daunceRecords } from './streaming/daunce.ts';
export type { DaunceStreamOptions } from './streaming/daunce.ts';

// Distributed runs: workers over Redis (BullMQ) and the coordinators' `queue` option.
export {
  startWorker,
  RedisUnavailableError,
  ResultRefusedError,
  DataRefusedError,
  SchemaError,
} from './distributed/lazy.ts';
export type { WorkerOptions, RunningWorker, QueueOptions, RedisConnection } from './distributed/lazy.ts';
