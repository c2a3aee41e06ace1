/**
 * Influence analysis of a fitted GLM (docs/methods.md sections 2 and 3): factor the Hessian once,
 * compute every leverage with one triangular solve, then answer any number of removal and
 * attribution questions with IF, rescaled IF (RIF), the Newton step (NS) or an exact retrain.
 */
import type { Backend } from '../backend/types.ts';
import { assertMatrix, type Matrix } from '../data/matrix.ts';
import { assertInteger } from '../data/validate.ts';
import { callNative, rethrowNative } from '../errors.ts';
import { sigmoid } from '../numerics.ts';
import type { GeneralizedLinearModel, HessianFactorization, TrainingPointwise } from '../models/glm.ts';
import type { SoftmaxRegression } from '../models/softmax.ts';
import { bindMetric, type BoundMetric, type MetricSpec } from './metrics.ts';
import { MulticlassInfluence } from './multiclass.ts';
import { checkMethod, emptyTopK, RemovalAnalysis, type TopKResult } from './removal-analysis.ts';
import { assertKnownOptions, optionKeys } from '../options-check.ts';
import { loadInfluence, saveInfluence } from '../artifacts/influence.ts';
import type { ArtifactLoadOptions, ArtifactSaveOptions } from '../artifacts/models.ts';

export type { Effect, RemovalMethod, TopKResult } from './removal-analysis.ts';
/** The additive estimates that give per-example scores. */
export type ScoreMethod = 'if' | 'rif';
/** What a score predicts the change of: the query's loss, margin, or probability (ridge: value). */
export type ScoreTarget = 'loss' | 'logit' | 'probability';

/** Options of `Influence.scores`. */
export interface ScoreOptions {
  /** Default 'rif'. */
  method?: ScoreMethod;
  /** Default 'loss'. */
  target?: ScoreTarget;
}

/** Options of `Influence.topK`. */
export interface TopKOptions extends ScoreOptions {
  /** Examples kept per query at each end. Default 10. */
  k?: number;
  /** Queries scored per native call (bounds memory at p x queryBlock). Default 1024. */
  queryBlock?: number;
}

const SCORE_OPTION_KEYS = optionKeys<ScoreOptions>({ method: true, target: true });
const TOPK_OPTION_KEYS = optionKeys<TopKOptions>({ method: true, target: true, k: true, queryBlock: true });

/** Leverage at or above this counts as 1: the example alone pins a direction. */
const LEVERAGE_ONE = 1 - 1e-10;
/** Newton steps of recent retrains kept for the NS estimate of the same sets (8 x p doubles at most). */
const RECENT_NEWTON_STEPS = 8;

/**
 * Influence analysis of a fitted GLM: the Hessian factored once, leverages, removal effects and
 * scores (docs/methods.md sections 2 and 3). Create it with `Influence.of(model)`.
 */
export class Influence extends RemovalAnalysis<GeneralizedLinearModel> {
  readonly model: GeneralizedLinearModel;
  /** h_i = w_i s_i a_i^T H^{-1} a_i for every training example. */
  readonly leverage: Float64Array;
  /** 1 / (1 - h_i): the RIF rescaling (Infinity where h_i = 1). */
  readonly rescaling: Float64Array;
  readonly factorization: HessianFactorization;
  /** Human-readable warnings (leverage 1). Also emitted once through process.emitWarning. */
  readonly warnings: readonly string[];
  private readonly pointwise: TrainingPointwise;
  /** u_i = w_i dl_i/dz: G_i = u_i a_i + r_i P theta. */
  private readonly rowCoef: Float64Array;
  /** r_i = lambda w_i / W under the per-example convention, else undefined. */
  private readonly rowShift?: Float64Array;
  private readonly backend: Backend;

  private constructor(
    model: GeneralizedLinearModel,
    f: HessianFactorization,
    pw: TrainingPointwise,
    leverage: Float64Array,
  ) {
    super();
    this.model = model;
    this.factorization = f;
    this.pointwise = pw;
    this.leverage = leverage;
    this.backend = model.backendKernels();
    const n = model.X.rows;
    this.rowCoef = new Float64Array(n);
    for (let i = 0; i < n; i++) this.rowCoef[i] = model.weights[i]! * pw.slope[i]!;
    if (model.options.regularization === 'per-example') {
      const c = model.options.lambda / model.totalWeight;
      this.rowShift = model.weights.map((w) => c * w);
    }
    this.rescaling = new Float64Array(n);
    const pinned: number[] = [];
    for (let i = 0; i < n; i++) {
      const h = leverage[i]!;
      if (h >= LEVERAGE_ONE) pinned.push(i);
      this.rescaling[i] = h >= LEVERAGE_ONE ? Infinity : 1 / (1 - h);
    }
    const warnings: string[] = [];
    if (pinned.length > 0) {
      const list = pinned.slice(0, 20).join(', ') + (pinned.length > 20 ? `, ... (${pinned.length} in all)` : '');
      warnings.push(
        `leverage 1 for training examples [${list}]: each alone pins a parameter direction, so RIF is unbounded there and reported as +-Infinity`,
      );
      process.emitWarning(warnings[0]!, { code: 'TDAKIT_LEVERAGE_ONE' });
    }
    this.warnings = warnings;
  }

  /**
   * Whether a model offers what the analysis needs (an exact Hessian at its optimum and exact
   * refits): a capability test, not a class test.
   * @param model - any value
   * @returns true for a model `Influence.of` accepts
   */
  static supports(model: unknown): model is GeneralizedLinearModel {
    const m = model as Partial<GeneralizedLinearModel> | null;
    return (
      typeof m === 'object' &&
      m !== null &&
      typeof m.factorization === 'function' &&
      typeof m.trainingPointwise === 'function' &&
      typeof m.refit === 'function' &&
      typeof m.design === 'function'
    );
  }

  /**
   * Multiclass influence: leverage blocks, IF, RIF, NS and retrains for softmax regression.
   * @param model - a fitted SoftmaxRegression
   * @returns the multiclass analysis
   */
  static async of(model: SoftmaxRegression): Promise<MulticlassInfluence>;
  /**
   * Factors the Hessian at the model's optimum and computes all leverages. X and y, when
   * given, must be the data the model was fitted on (the model keeps them).
   * @param model - a fitted LogisticRegression or RidgeRegression
   * @param X - optional check: must be the model's training data
   * @param y - optional check: must be the model's training labels
   * @returns the analysis
   */
  static async of(model: GeneralizedLinearModel, X?: Matrix, y?: Float64Array | readonly number[]): Promise<Influence>;
  static async of(
    model: GeneralizedLinearModel | SoftmaxRegression,
    X?: Matrix,
    y?: Float64Array | readonly number[],
  ): Promise<Influence | MulticlassInfluence> {
    // Softmax regression: the multiclass analysis (leverage blocks), the same API.
    if ((model as { kind?: unknown } | null)?.kind === 'softmax')
      return MulticlassInfluence.of(model as SoftmaxRegression);
    if (!Influence.supports(model))
      throw new TypeError('Influence.of: model must be a fitted LogisticRegression or RidgeRegression');
    if (X !== undefined) {
      assertMatrix('Influence.of: X', X);
      if (
        X !== model.X &&
        (X.rows !== model.X.rows || X.cols !== model.X.cols || X.data.some((v, k) => v !== model.X.data[k]))
      ) {
        throw new RangeError('Influence.of: X is not the data the model was fitted on');
      }
    }
    if (y !== undefined) {
      const labels = model.labels(y, model.X.rows, 'Influence.of: y');
      if (labels.some((v, i) => v !== model.y[i]))
        throw new RangeError('Influence.of: y is not the labels the model was fitted on');
    }
    const [f, pw] = await Promise.all([model.factorization(), model.trainingPointwise()]);
    const coef = new Float64Array(model.X.rows);
    for (let i = 0; i < coef.length; i++) coef[i] = model.weights[i]! * pw.curvature[i]!;
    try {
      const leverage = await model.backendKernels().leverage({ ...model.design(model.X), factor: f.factor, coef });
      return new Influence(model, f, pw, leverage);
    } catch (err) {
      rethrowNative('Influence.of', err);
    }
  }

  /**
   * Saves the model and the factored state (H, its Cholesky factor, leverages, residuals) as an artifact directory.
   * @param dir - the artifact directory (written atomically)
   * @param options - whether to embed the training data or reference it, and overwrite rules
   * @returns a promise that settles when the artifact is in place
   */
  save(dir: string, options?: ArtifactSaveOptions): Promise<void> {
    return saveInfluence(this, this.pointwise, dir, options);
  }

  /**
   * Loads an artifact written by `influence.save(dir)`: scores without refitting or refactoring.
   * @param dir - the artifact directory
   * @param options - the training data when the artifact references it, and checks to apply
   * @returns the influence analysis, bit-identical to the saved one
   */
  static load(dir: string, options: ArtifactLoadOptions = {}): Promise<Influence> {
    return loadInfluence(dir, options, (model, f, pw, leverage) => new Influence(model, f, pw, leverage));
  }

  /**
   * The exact refit without T (warm-started; the first step is the Newton-step estimate).
   * The refitted model builds its Hessian only when first asked (keepHessian: false). Under the
   * fixed convention the refit's reduced Hessian is the Newton step's, so the NS estimate of the
   * same T is solved with it and kept for the next `newtonStep` (a removal benchmark asks for
   * both): the same arithmetic on the same inputs as a separate solve, so the same bits.
   * @param T - indices of the removed training examples
   * @returns the refitted model
   */
  async retrain(T: ArrayLike<number>): Promise<GeneralizedLinearModel> {
    const rows = this.removalSet('retrain: T', T);
    if (this.rowShift) return this.model.refit({ exclude: rows }, { keepHessian: false });
    const r = await this.model.refitAndSolve(rows, this.removedGradient(rows), { keepHessian: false });
    this.recentNewtonSteps.push({ rows, step: r.solution });
    if (this.recentNewtonSteps.length > RECENT_NEWTON_STEPS) this.recentNewtonSteps.shift();
    return r.model;
  }

  /**
   * The Newton steps solved by the last few retrains (fixed convention), with their removal sets:
   * a few, not one, so that retrains run side by side (the RIF protocol's `concurrency`) each
   * find their own step. A set not found is solved again, to the same bits (only slower).
   */
  private readonly recentNewtonSteps: { rows: Uint32Array; step: Float64Array }[] = [];

  /**
   * The linearised effect of removing each single training example on a metric:
   * grad f(theta)^T H^{-1} G_i (IF), divided by 1 - h_i for RIF. One solve for all n.
   * @param metric - a built-in `Metric` or a custom one
   * @param options - `method`: 'if' or 'rif' (default)
   * @returns one score per training example
   */
  async metricScores(metric: MetricSpec, options: { method?: ScoreMethod } = {}): Promise<Float64Array> {
    assertKnownOptions('metricScores', options, ['method']);
    const method = checkMethod(options?.method ?? 'rif', ['if', 'rif'], 'metricScores: method');
    const model = this.model;
    const v = await this.solve(await bindMetric(metric, model).gradient(model.theta));
    const d = model.nFeatures;
    let shift = 0;
    for (let k = 0; k < d; k++) shift += model.theta[k]! * v[k]!;
    const out = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) {
      const x = model.X.row(i);
      let dot = model.nParameters > d ? v[d]! : 0;
      for (let k = 0; k < d; k++) dot += x[k]! * v[k]!;
      const raw = this.rowCoef[i]! * dot + (this.rowShift ? this.rowShift[i]! * shift : 0);
      const f = method === 'rif' ? this.rescaling[i]! : 1;
      out[i] = Number.isFinite(f) ? raw * f : raw === 0 ? 0 : Math.sign(raw) * Infinity;
    }
    return out;
  }

  /**
   * Full n x m score matrix (row-major, one row per training example).
   * @param Xq - query inputs
   * @param yq - query labels (needed for the loss target)
   * @param options - method and target
   * @returns tau(i, q), n x m row-major
   */
  async scores(Xq: Matrix, yq?: Float64Array | readonly number[], options: ScoreOptions = {}): Promise<Float64Array> {
    assertKnownOptions('scores', options, SCORE_OPTION_KEYS);
    const q = await this.queryOperands('scores', Xq, yq, options);
    return this.run('scores', () => this.backend.scoreMatrix(q));
  }

  /**
   * For each query, the k most positive and k most negative scores, without the n x m matrix.
   * @param Xq - query inputs
   * @param yq - query labels (needed for the loss target)
   * @param options - k, method, target and query block size
   * @returns the top and bottom k indices and scores per query
   */
  async topK(Xq: Matrix, yq?: Float64Array | readonly number[], options: TopKOptions = {}): Promise<TopKResult> {
    assertKnownOptions('topK', options, TOPK_OPTION_KEYS);
    const k = assertInteger('topK: k', options?.k ?? 10, 1);
    const block = assertInteger('topK: queryBlock', options?.queryBlock ?? 1024, 1);
    assertMatrix('topK: Xq', Xq);
    const kk = Math.min(k, this.n);
    const out = emptyTopK(Xq.rows, kk);
    const labels = yq === undefined ? undefined : this.model.labels(yq, Xq.rows, 'topK: yq');
    for (let first = 0; first < Xq.rows; first += block) {
      const idx = Array.from({ length: Math.min(block, Xq.rows - first) }, (_, j) => first + j);
      const Xb = Xq.selectRows(idx);
      const yb = labels?.subarray(first, first + idx.length);
      const q = await this.queryOperands('topK', Xb, yb, options);
      const r = await this.run('topK', () => this.backend.scoreTopK({ ...q, k: kk }));
      out.topIndex.set(r.topIndex, first * kk);
      out.topValue.set(r.topValue, first * kk);
      out.bottomIndex.set(r.bottomIndex, first * kk);
      out.bottomValue.set(r.bottomValue, first * kk);
    }
    return out;
  }

  // ---- internals -------------------------------------------------------------------------

  /**
   * A metric bound to this model.
   * @param metric - the metric
   * @returns its value and gradient in theta
   */
  protected bind(metric: MetricSpec): BoundMetric {
    return bindMetric(metric, this.model);
  }

  /** sum_{i in T} factor_i G_i with G_i = u_i a_i + r_i P theta. */
  private removedGradient(rows: Uint32Array, factor?: (i: number) => number): Float64Array {
    const { X, theta, nFeatures: d, nParameters: p } = this.model;
    const g = new Float64Array(p);
    let share = 0;
    for (const i of rows) {
      const f = factor ? factor(i) : 1;
      const u = f * this.rowCoef[i]!;
      const x = X.row(i);
      for (let k = 0; k < d; k++) g[k]! += u * x[k]!;
      if (p > d) g[d]! += u;
      if (this.rowShift) share += f * this.rowShift[i]!;
    }
    if (share !== 0) for (let k = 0; k < d; k++) g[k]! += share * theta[k]!;
    return g;
  }

  private async solve(rhs: Float64Array, nrhs = 1): Promise<Float64Array> {
    return this.run('solve', () =>
      this.backend.choleskySolve({ factor: this.factorization.factor, p: this.model.nParameters, rhs, nrhs }),
    );
  }

  protected async influenceStep(rows: Uint32Array, rescaled: boolean): Promise<Float64Array> {
    if (!rescaled) return this.solve(this.removedGradient(rows));
    const infinite = Array.from(rows).filter((i) => !Number.isFinite(this.rescaling[i]!));
    const finite = await this.solve(
      this.removedGradient(rows, (i) => (Number.isFinite(this.rescaling[i]!) ? this.rescaling[i]! : 0)),
    );
    if (infinite.length === 0) return finite;
    // Unbounded RIF: the direction of the pinned examples' IF, with infinite size.
    const direction = await this.solve(this.removedGradient(Uint32Array.from(infinite)));
    return finite.map((v, k) => (direction[k] === 0 ? v : Math.sign(direction[k]!) * Infinity));
  }

  protected async newtonStep(rows: Uint32Array): Promise<Float64Array> {
    const kept = this.recentNewtonSteps.findLast(
      (s) => s.rows.length === rows.length && s.rows.every((v, j) => v === rows[j]),
    );
    if (kept) return kept.step.slice();
    const coef = new Float64Array(rows.length);
    let shift = 0;
    rows.forEach((i, j) => {
      coef[j] = -this.model.weights[i]! * this.pointwise.curvature[i]!;
      if (this.rowShift) shift += this.rowShift[i]!;
    });
    const r = await this.run('newtonStep', () =>
      this.backend.reducedSolve({
        ...this.model.design(this.model.X),
        hessian: this.factorization.hessian,
        factor: this.factorization.factor,
        rows,
        coef,
        shift,
        rhs: this.removedGradient(rows),
      }),
    );
    return r.solution;
  }

  /** V = H^{-1} [grad target_q] and the coefficients the native scorer combines it with. */
  private async queryOperands(
    where: string,
    Xq: Matrix,
    yq: Float64Array | readonly number[] | undefined,
    options: ScoreOptions,
  ) {
    const method = checkMethod(options?.method ?? 'rif', ['if', 'rif'], `${where}: method`);
    const target = checkMethod(options?.target ?? 'loss', ['loss', 'logit', 'probability'], `${where}: target`);
    const model = this.model;
    const design = model.design(assertMatrix(`${where}: Xq`, Xq), `${where}: Xq`);
    if (target === 'loss' && yq === undefined)
      throw new TypeError(`${where}: yq (query labels) is required for target 'loss'`);
    const labels = yq === undefined ? undefined : model.labels(yq, Xq.rows, `${where}: yq`);
    const family = model.kind === 'logistic' ? 'logistic' : 'squared';
    const pw = await this.run(where, () =>
      this.backend.pointwise({ ...design, family, theta: model.theta, ...(labels ? { y: labels } : {}) }),
    );
    const coef = new Float64Array(Xq.rows);
    for (let j = 0; j < Xq.rows; j++) {
      if (target === 'loss') coef[j] = pw.slope![j]!;
      else if (target === 'logit' || model.kind === 'ridge') coef[j] = 1;
      else {
        const z = pw.margin[j]!;
        const p = sigmoid(z);
        coef[j] = p * (1 - p);
      }
    }
    const grads = await this.run(where, () => this.backend.scaledRows({ ...design, coef }));
    const v = await this.solve(grads, Xq.rows);
    let colOffset: Float64Array | undefined;
    if (this.rowShift) {
      const p = model.nParameters;
      colOffset = new Float64Array(Xq.rows);
      for (let j = 0; j < Xq.rows; j++) {
        let s = 0;
        for (let k = 0; k < model.nFeatures; k++) s += model.theta[k]! * v[j * p + k]!;
        colOffset[j] = s;
      }
    }
    return {
      ...model.design(model.X),
      v,
      m: Xq.rows,
      rowCoef: this.rowCoef,
      ...(method === 'rif' ? { rowFactor: this.rescaling } : {}),
      ...(colOffset ? { colOffset, rowShift: this.rowShift! } : {}),
    };
  }

  private async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return callNative(`Influence.${operation}`, fn);
  }
}
