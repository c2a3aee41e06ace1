/**
 * Influence analysis of a fitted softmax regression (docs/multiclass-influence.md): the
 * multiclass generalisation of IF, RIF, NS and exact retraining. Example i enters through its
 * K = C - 1 free logits z_i = J_i theta, so its leverage is a K x K block and
 *
 *   IF_i  = H^{-1} G_i,                       G_i = J_i^T w_i g_i (+ rho_i P theta)
 *   RIF_i = H^{-1} J_i^T (I - A_i M_i)^{-1} w_i g_i      (fixed convention)
 *
 * with A_i = w_i W_i (W_i the softmax curvature) and M_i = J_i H^{-1} J_i^T. RIF_i is the
 * exact Newton step for removing i alone; the block Woodbury identity gives NS for any set.
 */
import type { Backend } from '../backend/types.ts';
import { assertMatrix, type Matrix } from '../data/matrix.ts';
import { assertInteger } from '../data/validate.ts';
import { rethrowNative } from '../errors.ts';
import type { SoftmaxRegression } from '../models/softmax.ts';
import type { ScoreMethod, ScoreOptions, TopKOptions, TopKResult } from './analysis.ts';
import { checkMethod, emptyTopK, RemovalAnalysis } from './removal-analysis.ts';
import type { BoundMetric, MetricSpec } from './metrics.ts';
import { bindSoftmaxMetric, pointTarget, type PointTarget } from './multiclass-metrics.ts';
import { luSolve, symmetricEigen, symmetricSqrt } from './small-dense.ts';

/** Largest leverage eigenvalue at or above this counts as 1: the example alone pins a direction. */
const LEVERAGE_ONE = 1 - 1e-10;

export interface MulticlassHessianFactorization {
  /** H (P x P, column-major), P = (C - 1) p. */
  hessian: Float64Array;
  /** Lower Cholesky factor of H (column-major). */
  factor: Float64Array;
  rcond: number;
}

/**
 * Influence analysis of a fitted softmax regression (docs/methods.md): (C - 1) x (C - 1) leverage
 * blocks in place of the binary h_i, with IF, RIF (the exact single-removal Newton step), NS and
 * exact retrains, and the same scoring API as `Influence`.
 */
export class MulticlassInfluence extends RemovalAnalysis<SoftmaxRegression> {
  readonly model: SoftmaxRegression;
  /** C - 1: the free classes (the last class is the reference). */
  readonly blocks: number;
  /**
   * The symmetric leverage blocks L_i = A_i^{1/2} J_i H^{-1} J_i^T A_i^{1/2} (n blocks of
   * K x K, row-major). Eigenvalues lie in [0, 1]; they are those of A_i M_i.
   */
  readonly leverageBlocks: Float64Array;
  /** trace(L_i): the example's share of the effective degrees of freedom. */
  readonly leverageTrace: Float64Array;
  /** Largest eigenvalue of L_i (equals the binary h_i when C = 2). */
  readonly leverage: Float64Array;
  /** 1 / (1 - leverage_i): the largest amplification of RIF over IF (Infinity where leverage_i = 1). */
  readonly rescaling: Float64Array;
  readonly factorization: MulticlassHessianFactorization;
  /** Human-readable warnings (leverage 1). Also emitted once through process.emitWarning. */
  readonly warnings: readonly string[];
  private readonly backend: Backend;
  private readonly K: number;
  private readonly p: number;
  /** A_i = w_i W_i. */
  private readonly A: Float64Array;
  /** w_i g_i: the IF coefficients in logit space. */
  private readonly ifCoef: Float64Array;
  /** (I - A_i M_i)^{-1} (w_i g_i + rho_i A_i J_i u): the RIF coefficients (0 where pinned). */
  private readonly rifCoef: Float64Array;
  /** rho_i = lambda w_i / W under the per-example convention, else undefined. */
  private readonly rowShift?: Float64Array;
  /** u = H^{-1} P theta (per-example convention only). */
  private readonly penaltyDirection?: Float64Array;
  private readonly pinned: Uint8Array;

  private constructor(
    model: SoftmaxRegression,
    f: MulticlassHessianFactorization,
    M: Float64Array,
    probabilities: Matrix,
    u?: Float64Array,
  ) {
    super();
    this.model = model;
    this.factorization = f;
    this.backend = model.backendKernels();
    const n = model.X.rows,
      K = model.options.classes - 1,
      p = model.blockSize;
    this.blocks = K;
    this.K = K;
    this.p = p;
    if (model.options.regularization === 'per-example') {
      const c = model.options.lambda / model.totalWeight;
      this.rowShift = model.weights.map((w) => c * w);
      this.penaltyDirection = u;
    }
    this.A = new Float64Array(n * K * K);
    this.ifCoef = new Float64Array(n * K);
    this.rifCoef = new Float64Array(n * K);
    this.leverageBlocks = new Float64Array(n * K * K);
    this.leverageTrace = new Float64Array(n);
    this.leverage = new Float64Array(n);
    this.rescaling = new Float64Array(n);
    this.pinned = new Uint8Array(n);
    const KK = K * K;
    const pinnedList: number[] = [];
    const ju = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      const w = model.weights[i]!,
        y = model.y[i]!;
      const prob = probabilities.row(i);
      const A = this.A.subarray(i * KK, (i + 1) * KK);
      const Mi = M.subarray(i * KK, (i + 1) * KK);
      for (let r = 0; r < K; r++) {
        this.ifCoef[i * K + r] = w * (prob[r]! - (r === y ? 1 : 0));
        for (let c = 0; c < K; c++) A[r * K + c] = w * ((r === c ? prob[r]! : 0) - prob[r]! * prob[c]!);
      }
      // L_i = S M_i S with S = A_i^{1/2}: symmetric, the same eigenvalues as A_i M_i.
      const S = symmetricSqrt(A, K);
      const SM = matmul(S, Mi, K);
      const L = matmul(SM, S, K);
      for (let r = 0; r < K; r++)
        for (let c = 0; c < r; c++) L[r * K + c] = L[c * K + r] = 0.5 * (L[r * K + c]! + L[c * K + r]!);
      this.leverageBlocks.set(L, i * KK);
      let trace = 0;
      for (let r = 0; r < K; r++) trace += L[r * K + r]!;
      this.leverageTrace[i] = trace;
      const top = K === 1 ? L[0]! : Math.max(...symmetricEigen(L, K).values);
      this.leverage[i] = top;
      const pinned = top >= LEVERAGE_ONE;
      this.rescaling[i] = pinned ? Infinity : 1 / (1 - top);
      // RIF coefficients: solve (I - A_i M_i) c = w_i g_i (+ rho_i A_i J_i u).
      const rhs = this.ifCoef.slice(i * K, (i + 1) * K);
      if (this.rowShift && u) {
        for (let c = 0; c < K; c++)
          ju[c] = model.X.row(i).reduce((s, x, k) => s + x * u[c * p + k]!, p > model.X.cols ? u[c * p + p - 1]! : 0);
        for (let r = 0; r < K; r++) for (let c = 0; c < K; c++) rhs[r]! += this.rowShift[i]! * A[r * K + c]! * ju[c]!;
      }
      const system = new Float64Array(KK);
      for (let r = 0; r < K; r++) {
        for (let c = 0; c < K; c++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += A[r * K + k]! * Mi[k * K + c]!;
          system[r * K + c] = (r === c ? 1 : 0) - s;
        }
      }
      const solved = pinned ? null : luSolve(system, K, rhs);
      if (solved === null) {
        this.pinned[i] = 1;
        this.rescaling[i] = Infinity;
        pinnedList.push(i);
      } else {
        this.rifCoef.set(solved, i * K);
      }
    }
    const warnings: string[] = [];
    if (pinnedList.length > 0) {
      const list =
        pinnedList.slice(0, 20).join(', ') + (pinnedList.length > 20 ? `, ... (${pinnedList.length} in all)` : '');
      warnings.push(
        `leverage 1 for training examples [${list}]: each alone pins a parameter direction, so RIF is unbounded there and reported as +-Infinity (the sign of IF)`,
      );
      process.emitWarning(warnings[0]!, { code: 'TDAKIT_LEVERAGE_ONE' });
    }
    this.warnings = warnings;
  }

  /**
   * Builds and factors the exact Hessian at the model's optimum and computes every leverage block.
   * @param model - a fitted SoftmaxRegression
   * @returns the analysis
   */
  static async of(model: SoftmaxRegression): Promise<MulticlassInfluence> {
    if (model === null || typeof model !== 'object' || model.kind !== 'softmax')
      throw new TypeError('MulticlassInfluence.of: model must be a fitted SoftmaxRegression');
    const backend = model.backendKernels();
    const design = model.design(model.X);
    const classes = model.options.classes;
    try {
      const f = await backend.multinomialHessian({
        ...design,
        classes,
        y: model.y,
        weights: model.weights,
        lambda: model.penaltyFor(model.weights),
        theta: model.theta,
      });
      const [M, probabilities] = await Promise.all([
        backend.multinomialLeverageBlocks({ ...design, classes, factor: f.factor }),
        model.predictProba(model.X),
      ]);
      let u: Float64Array | undefined;
      if (model.options.regularization === 'per-example') {
        u = await backend.choleskySolve({
          factor: f.factor,
          p: model.nParameters,
          rhs: penalised(model, model.theta),
          nrhs: 1,
        });
      }
      return new MulticlassInfluence(model, f, M, probabilities, u);
    } catch (err) {
      rethrowNative('Influence.of', err);
    }
  }

  /**
   * The exact refit without T (warm-started at the optimum; per-example: with the reduced penalty).
   * @param T - indices of the removed training examples
   * @returns the refitted model
   */
  async retrain(T: ArrayLike<number>): Promise<SoftmaxRegression> {
    const rows = this.removalSet('retrain: T', T);
    const weights = this.model.weights.slice();
    for (const i of rows) weights[i] = 0;
    return this.model.refit({ weights });
  }

  /**
   * The linearised effect of removing each single example on a metric: grad f^T IF_i or grad f^T RIF_i. One solve for all n.
   * @param metric - a `Metric.*` value or a custom `{ value, gradient }`
   * @param options - `method`: 'if' | 'rif' (default 'rif')
   * @returns one score per training example
   */
  async metricScores(metric: MetricSpec, options: { method?: ScoreMethod } = {}): Promise<Float64Array> {
    const method = checkMethod(options.method ?? 'rif', ['if', 'rif'], 'metricScores: method');
    const g = await bindSoftmaxMetric(metric, this.model).gradient(this.model.theta);
    const v = await this.solve(g);
    return this.scoreColumns(v, 1, method === 'rif');
  }

  /**
   * Full n x m score matrix (row-major): tau(i, q), the predicted change of query q's target when i is removed.
   * @param Xq - query inputs (one per row)
   * @param yq - query labels (needed for the 'loss' target)
   * @param options - `method` ('if' | 'rif') and `target`
   * @returns the n x m scores
   */
  async scores(Xq: Matrix, yq?: Float64Array | readonly number[], options: ScoreOptions = {}): Promise<Float64Array> {
    const method = checkMethod(options.method ?? 'rif', ['if', 'rif'], 'scores: method');
    const v = await this.queryDirections('scores', Xq, yq, options);
    return this.scoreColumns(v, Xq.rows, method === 'rif');
  }

  /**
   * For each query, the k most positive and k most negative scores; one block of queries in memory at a time.
   * @param Xq - query inputs (one per row)
   * @param yq - query labels (needed for the 'loss' target)
   * @param options - `k`, `method`, `target` and `queryBlock`
   * @returns top and bottom indices and scores per query
   */
  async topK(Xq: Matrix, yq?: Float64Array | readonly number[], options: TopKOptions = {}): Promise<TopKResult> {
    const k = assertInteger('topK: k', options.k ?? 10, 1);
    const block = assertInteger('topK: queryBlock', options.queryBlock ?? 256, 1);
    const method = checkMethod(options.method ?? 'rif', ['if', 'rif'], 'topK: method');
    assertMatrix('topK: Xq', Xq);
    const labels = yq === undefined ? undefined : this.model.labels(yq, Xq.rows, 'topK: yq');
    const n = this.n,
      kk = Math.min(k, n),
      m = Xq.rows;
    const out = emptyTopK(m, kk);
    const order = new Int32Array(n);
    for (let first = 0; first < m; first += block) {
      const idx = Array.from({ length: Math.min(block, m - first) }, (_, j) => first + j);
      const s = await this.scores(Xq.selectRows(idx), labels?.subarray(first, first + idx.length), {
        ...options,
        method,
      });
      const mb = idx.length;
      for (let j = 0; j < mb; j++) {
        for (let i = 0; i < n; i++) order[i] = i;
        // Descending by score; ties by index so the result is deterministic.
        const sorted = Array.from(order).sort((a, b) => s[b * mb + j]! - s[a * mb + j]! || a - b);
        const q = first + j;
        for (let r = 0; r < kk; r++) {
          const top = sorted[r]!,
            bottom = sorted[n - 1 - r]!;
          out.topIndex[q * kk + r] = top;
          out.topValue[q * kk + r] = s[top * mb + j]!;
          out.bottomIndex[q * kk + r] = bottom;
          out.bottomValue[q * kk + r] = s[bottom * mb + j]!;
        }
      }
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
    return bindSoftmaxMetric(metric, this.model);
  }

  /** sum_{i in T} J_i^T coef_i (+ sum_{i in T} rho_i P theta when withShare). */
  private assemble(rows: ArrayLike<number>, coef: Float64Array, withShare: boolean): Float64Array {
    const { X, theta } = this.model;
    const K = this.K,
      p = this.p,
      d = X.cols;
    const g = new Float64Array(K * p);
    let share = 0;
    for (let j = 0; j < rows.length; j++) {
      const i = rows[j]!;
      const x = X.row(i);
      for (let c = 0; c < K; c++) {
        const u = coef[i * K + c]!;
        if (u === 0) continue;
        const base = c * p;
        for (let k = 0; k < d; k++) g[base + k]! += u * x[k]!;
        if (p > d) g[base + d]! += u;
      }
      if (withShare && this.rowShift) share += this.rowShift[i]!;
    }
    if (share !== 0) for (let c = 0; c < K; c++) for (let k = 0; k < d; k++) g[c * p + k]! += share * theta[c * p + k]!;
    return g;
  }

  private async solve(rhs: Float64Array, nrhs = 1, factor = this.factorization.factor): Promise<Float64Array> {
    return this.run('solve', () => this.backend.choleskySolve({ factor, p: this.model.nParameters, rhs, nrhs }));
  }

  protected async influenceStep(rows: Uint32Array, rescaled: boolean): Promise<Float64Array> {
    if (!rescaled) return this.solve(this.assemble(rows, this.ifCoef, true));
    const finiteRows = Array.from(rows).filter((i) => !this.pinned[i]);
    const infinite = Array.from(rows).filter((i) => this.pinned[i]);
    const step = await this.solve(this.assemble(finiteRows, this.rifCoef, false));
    if (this.rowShift && this.penaltyDirection) {
      let share = 0;
      for (const i of finiteRows) share += this.rowShift[i]!;
      for (let k = 0; k < step.length; k++) step[k]! += share * this.penaltyDirection[k]!;
    }
    if (infinite.length === 0) return step;
    // Unbounded RIF: infinite along the pinned examples' IF direction.
    const direction = await this.solve(this.assemble(infinite, this.ifCoef, true));
    return step.map((v, k) => (direction[k] === 0 ? v : Math.sign(direction[k]!) * Infinity));
  }

  /**
   * (H - sum_{i in T} H_i)^{-1} sum_{i in T} G_i. Fixed convention with |T| (C - 1) below the
   * parameter count: block Woodbury on the factor of H; otherwise (or per-example, whose
   * removed penalty share is full rank) the reduced Hessian is rebuilt and factored.
   */
  protected async newtonStep(rows: Uint32Array): Promise<Float64Array> {
    const model = this.model,
      K = this.K,
      p = this.p,
      P = model.nParameters,
      d = model.X.cols;
    const G = this.assemble(rows, this.ifCoef, true);
    const t = rows.length,
      q = t * K;
    if (this.rowShift || 2 * q > P) {
      const weights = model.weights.slice();
      for (const i of rows) weights[i] = 0;
      const reduced = await this.run('newtonStep', () =>
        this.backend.multinomialHessian({
          ...model.design(model.X),
          classes: model.options.classes,
          y: model.y,
          weights,
          lambda: model.penaltyFor(weights),
          theta: model.theta,
        }),
      );
      return this.solve(G, 1, reduced.factor);
    }
    // Y = H^{-1} J_T^T (P x q), Q = J_T Y, s = (I - A_T Q)^{-1} A_T J_T H^{-1} G, Delta = H^{-1} G + Y s.
    const JT = new Float64Array(P * q);
    rows.forEach((i, j) => {
      const x = model.X.row(i);
      for (let c = 0; c < K; c++) {
        const col = (j * K + c) * P + c * p;
        for (let k = 0; k < d; k++) JT[col + k] = x[k]!;
        if (p > d) JT[col + d] = 1;
      }
    });
    const [Y, y0] = await Promise.all([this.solve(JT, q), this.solve(G)]);
    const jdot = (i: number, c: number, v: Float64Array, offset: number) => {
      const x = model.X.row(i);
      let s = p > d ? v[offset + c * p + d]! : 0;
      for (let k = 0; k < d; k++) s += x[k]! * v[offset + c * p + k]!;
      return s;
    };
    // Q[(a, r), (b, c)] = a_{T_a}^T Y[block r, column (b, c)].
    const Q = new Float64Array(q * q);
    for (let a = 0; a < t; a++)
      for (let r = 0; r < K; r++)
        for (let col = 0; col < q; col++) Q[(a * K + r) * q + col] = jdot(rows[a]!, r, Y, col * P);
    const Jy = new Float64Array(q);
    for (let a = 0; a < t; a++) for (let r = 0; r < K; r++) Jy[a * K + r] = jdot(rows[a]!, r, y0, 0);
    const system = new Float64Array(q * q),
      rhs = new Float64Array(q);
    const KK = K * K;
    for (let a = 0; a < t; a++) {
      const A = this.A.subarray(rows[a]! * KK, (rows[a]! + 1) * KK);
      for (let r = 0; r < K; r++) {
        let s = 0;
        for (let c = 0; c < K; c++) s += A[r * K + c]! * Jy[a * K + c]!;
        rhs[a * K + r] = s;
        for (let col = 0; col < q; col++) {
          let v = 0;
          for (let c = 0; c < K; c++) v += A[r * K + c]! * Q[(a * K + c) * q + col]!;
          system[(a * K + r) * q + col] = (a * K + r === col ? 1 : 0) - v;
        }
      }
    }
    const s = luSolve(system, q, rhs);
    if (s === null)
      throw new RangeError(
        'newtonStep: removing this set leaves a singular Hessian (the examples alone pin a direction)',
      );
    const out = y0.slice();
    for (let col = 0; col < q; col++) {
      const sc = s[col]!;
      if (sc === 0) continue;
      for (let k = 0; k < P; k++) out[k]! += sc * Y[col * P + k]!;
    }
    return out;
  }

  /** H^{-1} [grad target_q] (P x m, column-major) for every query. */
  private async queryDirections(
    where: string,
    Xq: Matrix,
    yq: Float64Array | readonly number[] | undefined,
    options: ScoreOptions,
  ): Promise<Float64Array> {
    const target = checkMethod(
      options.target ?? 'loss',
      ['loss', 'logit', 'probability'],
      `${where}: target`,
    ) as PointTarget;
    const model = this.model;
    model.design(assertMatrix(`${where}: Xq`, Xq), `${where}: Xq`);
    if (target === 'loss' && yq === undefined)
      throw new TypeError(`${where}: yq (query labels) is required for target 'loss'`);
    const labels = yq === undefined ? undefined : model.labels(yq, Xq.rows, `${where}: yq`);
    const z = await this.run(where, () => model.logits(Xq));
    const K = this.K,
      p = this.p,
      P = model.nParameters,
      d = Xq.cols,
      m = Xq.rows;
    const rhs = new Float64Array(P * m),
      gamma = new Float64Array(K);
    for (let j = 0; j < m; j++) {
      const row = z.row(j);
      // Without labels, logit and probability follow the class the model predicts.
      const k = labels ? labels[j]! : row.indexOf(Math.max(...row));
      pointTarget(row, k, target, gamma);
      const x = Xq.row(j);
      for (let c = 0; c < K; c++) {
        const base = j * P + c * p;
        for (let t = 0; t < d; t++) rhs[base + t] = gamma[c]! * x[t]!;
        if (p > d) rhs[base + d] = gamma[c]!;
      }
    }
    return this.solve(rhs, m);
  }

  /** tau(i, j) = coef_i^T J_i V_j (+ rho_i (P theta)^T V_j) for V (P x m, column-major), via the native scorer per class block. */
  private async scoreColumns(V: Float64Array, m: number, rescaled: boolean): Promise<Float64Array> {
    const model = this.model,
      K = this.K,
      p = this.p,
      P = model.nParameters,
      n = this.n,
      d = model.X.cols;
    const design = model.design(model.X);
    const coef = rescaled ? this.rifCoef : this.ifCoef;
    const out = new Float64Array(n * m);
    const block = new Float64Array(p * m),
      rowCoef = new Float64Array(n);
    for (let c = 0; c < K; c++) {
      for (let j = 0; j < m; j++) block.set(V.subarray(j * P + c * p, j * P + (c + 1) * p), j * p);
      for (let i = 0; i < n; i++) rowCoef[i] = coef[i * K + c]!;
      const part = await this.run('scores', () => this.backend.scoreMatrix({ ...design, v: block, m, rowCoef }));
      for (let k = 0; k < out.length; k++) out[k]! += part[k]!;
    }
    if (this.rowShift) {
      // Penalty share: rho_i (P theta)^T V_j, unscaled by the block (its Newton step is u itself, see the docs).
      const offset = new Float64Array(m);
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let c = 0; c < K; c++) for (let k = 0; k < d; k++) s += model.theta[c * p + k]! * V[j * P + c * p + k]!;
        offset[j] = s;
      }
      for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[i * m + j]! += this.rowShift[i]! * offset[j]!;
    }
    if (rescaled) {
      const ifScores = this.pinned.some((v) => v === 1) ? await this.scoreColumns(V, m, false) : undefined;
      for (let i = 0; i < n; i++) {
        if (!this.pinned[i]) continue;
        for (let j = 0; j < m; j++) {
          const raw = ifScores![i * m + j]!;
          out[i * m + j] = raw === 0 ? 0 : Math.sign(raw) * Infinity;
        }
      }
    }
    return out;
  }

  private async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      rethrowNative(`Influence.${operation}`, err);
    }
  }
}

/** P theta: theta with every intercept entry zeroed. */
function penalised(model: SoftmaxRegression, theta: Float64Array): Float64Array {
  const out = theta.slice(),
    p = model.blockSize;
  if (model.options.fitIntercept) for (let c = 0; c < model.options.classes - 1; c++) out[c * p + p - 1] = 0;
  return out;
}

function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let r = 0; r < n; r++)
    for (let k = 0; k < n; k++) {
      const v = a[r * n + k]!;
      if (v !== 0) for (let c = 0; c < n; c++) out[r * n + c]! += v * b[k * n + c]!;
    }
  return out;
}
