/**
 * Which attribution method to trust on this data: LDS (mean and standard error) and
 * most-influential-subset removal for IF, RIF, the Daunce variants, TRAK and a random
 * control, all against one cached ground truth, plus Daunce's LDS as a function of K with
 * the fitted scaling law.
 */
import type { Matrix } from '../data/matrix.ts';
import { daunce } from '../daunce/daunce.ts';
import { Influence } from '../influence/analysis.ts';
import type { MulticlassInfluence } from '../influence/multiclass.ts';
import type { GeneralizedLinearModel } from '../models/glm.ts';
import type { SoftmaxRegression } from '../models/softmax.ts';
import type { AttributableModel } from '../models/model.ts';
import { mixSeed, seededRandom } from '../random.ts';
import { groundTruth, ldsFromScores } from './lds.ts';
import type { QueueOptions } from '../distributed/executor.ts';
import { fitScalingLaw, type ScalingFit } from './scaling.ts';
import { subsetRemoval, type SubsetRemovalPoint } from './subset-removal.ts';
import { trakScores } from './trak.ts';
import { assertKnownOptions, optionKeys } from '../options-check.ts';
import { AbortError } from '../errors.ts';

/** The attribution methods `evaluateMethods` compares. */
export const EVAL_METHODS = ['if', 'rif', 'daunce', 'daunce-fisher', 'daunce-trak', 'trak', 'random'] as const;
/** One of `EVAL_METHODS`. */
export type EvalMethod = (typeof EVAL_METHODS)[number];

/** Options of `evaluateMethods`. */
export interface EvaluateOptions {
  /** A fitted model: IF and RIF need one that `Influence` analyses (the GLMs), TRAK one with `outputGradients`. */
  model: AttributableModel;
  /** Stochastic models' ground truth: retrains averaged per subset. Default 3. */
  seeds?: number;
  queries: { X: Matrix; y: Float64Array };
  methods?: EvalMethod[];
  /** LDS subsets M. Default 100. */
  subsets?: number;
  alpha?: number;
  /** Daunce models. Default 100. */
  K?: number;
  /** K values of the scaling law (prefixes of the Daunce run). Default 5, 10, 20, 30, 50, 75, 100, 150, ... up to K. */
  scalingK?: number[];
  /** TRAK ensemble size. Default 1. */
  trakModels?: number;
  /** N values of subset removal. Default 1%, 2%, 5%, 10%, 20% of n. */
  removalSizes?: number[];
  seed?: number;
  cacheDir?: string;
  /** Called with the name of each stage as it starts. */
  onProgress?: (stage: string) => void;
  /** Run the ground-truth retrains and Daunce models on tdakit workers over Redis (same results). */
  queue?: QueueOptions;
  /** Aborts between retrains and between methods (the promise rejects with an AbortError). */
  signal?: AbortSignal;
}

const EVALUATE_OPTION_KEYS = optionKeys<EvaluateOptions>({
  model: true,
  seeds: true,
  queries: true,
  methods: true,
  subsets: true,
  alpha: true,
  K: true,
  scalingK: true,
  trakModels: true,
  removalSizes: true,
  seed: true,
  cacheDir: true,
  onProgress: true,
  signal: true,
  queue: true,
});

/** One method's LDS and subset-removal curve. */
export interface MethodEvaluation {
  method: EvalMethod;
  lds: number;
  standardError: number;
  subsetRemoval: SubsetRemovalPoint[];
  seconds: number;
}

/** The result of `evaluateMethods`. */
export interface EvaluationReport {
  n: number;
  m: number;
  subsets: number;
  retrained: number;
  methods: MethodEvaluation[];
  scaling?: { K: number[]; lds: number[]; fit: ScalingFit | null };
}

/**
 * Which attribution to trust: LDS and subset removal of every method against one cached ground
 * truth, and Daunce's LDS by K with the fitted scaling law.
 * @param o - the model, queries, methods and their settings
 * @returns one evaluation per method, and the scaling law
 */
export async function evaluateMethods(o: EvaluateOptions): Promise<EvaluationReport> {
  assertKnownOptions('evaluateMethods', o, EVALUATE_OPTION_KEYS);
  const { model, queries, signal } = o;
  const methods = o.methods ?? [...EVAL_METHODS];
  for (const m of methods)
    if (!EVAL_METHODS.includes(m))
      throw new RangeError(`evaluate: unknown method '${m}' (expected ${EVAL_METHODS.join(', ')})`);
  // Influence analyses the GLMs and softmax regression (leverage blocks).
  const glm = Influence.supports(model) || model.kind === 'softmax' ? model : undefined;
  for (const m of methods) {
    if (!glm && (m === 'if' || m === 'rif'))
      throw new RangeError(
        `evaluate: method '${m}' needs a model that Influence analyses (logistic, ridge or softmax regression), not ${model.kind}`,
      );
  }
  const seed = o.seed ?? 0;
  const n = model.X.rows,
    m = queries.X.rows;
  const K = o.K ?? 100;
  o.onProgress?.('ground truth retrains');
  const truth = await groundTruth({
    model,
    queries,
    subsets: o.subsets ?? 100,
    alpha: o.alpha ?? 0.5,
    seed,
    ...(o.seeds ? { seeds: o.seeds } : {}),
    ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}),
    ...(o.queue ? { queue: o.queue } : {}),
    ...(signal ? { signal } : {}),
  });
  const sizes = o.removalSizes ?? [...new Set([0.01, 0.02, 0.05, 0.1, 0.2].map((f) => Math.max(1, Math.round(f * n))))];
  const influence = glm && methods.some((x) => x === 'if' || x === 'rif') ? await influenceOf(glm) : undefined;
  const out: MethodEvaluation[] = [];
  let scaling: EvaluationReport['scaling'];
  for (const method of methods) {
    if (signal?.aborted) throw new AbortError('evaluateMethods: aborted');
    o.onProgress?.(method);
    const t0 = performance.now();
    let scores: Float64Array;
    if (method === 'if' || method === 'rif') scores = await influence!.scores(queries.X, queries.y, { method });
    else if (method === 'trak') scores = await trakScores({ model, queries, ensemble: o.trakModels ?? 1, seed });
    else if (method === 'random') {
      const r = seededRandom(mixSeed(seed, 'random-scores'));
      scores = Float64Array.from({ length: n * m }, () => r() - 0.5);
    } else {
      const variant = method === 'daunce' ? 'hessian' : method === 'daunce-fisher' ? 'fisher' : 'trak';
      const run = await daunce({
        model,
        queries,
        K,
        variant,
        seed,
        ...(o.queue ? { queue: o.queue } : {}),
        ...(signal ? { signal } : {}),
      });
      scores = await run.scores('correlation');
      if (method === 'daunce') {
        const grid = [5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 400, 600, 800, 1200, 1600];
        const Ks = [...new Set([...(o.scalingK ?? grid), ...(o.scalingK ? [] : [K])])]
          .filter((k) => k >= 2 && k <= K)
          .sort((a, b) => a - b);
        const values: number[] = [];
        for (const k of Ks)
          values.push(ldsFromScores(truth, await run.accumulator.prefix(k).scores('correlation'), n).mean);
        scaling = { K: Ks, lds: values, fit: Ks.length >= 3 ? fitScalingLaw(Ks, values) : null };
      }
    }
    const l = ldsFromScores(truth, scores, n);
    const removal = (
      await subsetRemoval({ model, queries, scores, sizes, seed, ...(o.seeds ? { seeds: o.seeds } : {}) })
    ).curve;
    out.push({
      method,
      lds: l.mean,
      standardError: l.standardError,
      subsetRemoval: removal,
      seconds: (performance.now() - t0) / 1000,
    });
  }
  return {
    n,
    m,
    subsets: truth.subsets.length,
    retrained: truth.retrained,
    methods: out,
    ...(scaling ? { scaling } : {}),
  };
}

/** The analysis of a GLM or, through the same entry point, of a softmax regression. */
function influenceOf(model: AttributableModel): Promise<Influence | MulticlassInfluence> {
  return model.kind === 'softmax'
    ? Influence.of(model as SoftmaxRegression)
    : Influence.of(model as GeneralizedLinearModel);
}
