/**
 * The documented mutants: bugs the test suite must catch. Each edit names a code snippet that
 * must occur exactly once in src/ or native/ (so the list survives files being moved) and
 * what it becomes. When a refactoring changes a snippet, the runner reports the mutant as
 * stale and fails: update the snippet here, keeping the bug it plants the same.
 */
export interface MutantEdit {
  find: string;
  replace: string;
}

export interface Mutant {
  id: string;
  /** The bug, in words. */
  bug: string;
  edits: MutantEdit[];
  /** The test files run against this mutant (and, unmutated, in the baseline). */
  tests: string[];
}

/** Where the snippets are searched for. */
export const ROOTS = ['src', 'native'];

export const MUTANTS: Mutant[] = [
  {
    id: 'rif-rescaling-sign',
    bug: 'RIF rescaling 1/(1 - h) becomes 1/(1 + h)',
    tests: ['test/references.test.ts'],
    edits: [
      {
        find: 'this.rescaling[i] = h >= LEVERAGE_ONE ? Infinity : 1 / (1 - h);',
        replace: 'this.rescaling[i] = h >= LEVERAGE_ONE ? Infinity : 1 / (1 + h);',
      },
    ],
  },
  {
    id: 'intercept-penalised',
    bug: 'the intercept is penalised in the value, gradient and Hessian',
    tests: ['test/references.test.ts'],
    edits: [
      {
        find: 'for (std::size_t k = 0; k < d; ++k) s += theta[k] * theta[k];',
        replace: 'for (std::size_t k = 0; k < problem_.p(); ++k) s += theta[k] * theta[k];',
      },
      {
        find: 'for (std::size_t k = 0; k < a.d; ++k) {\n    out.gradient[k] += problem_.lambda * theta[k];',
        replace: 'for (std::size_t k = 0; k < p; ++k) {\n    out.gradient[k] += problem_.lambda * theta[k];',
      },
      {
        find: 'for (std::size_t k = 0; k < a.d; ++k) out.hessian[k + k * p] += problem_.lambda;',
        replace: 'for (std::size_t k = 0; k < p; ++k) out.hessian[k + k * p] += problem_.lambda;',
      },
      {
        find: 'for (std::size_t k = 0; k < problem_.design.d; ++k) out[k + k * p] += problem_.lambda;',
        replace: 'for (std::size_t k = 0; k < p; ++k) out[k + k * p] += problem_.lambda;',
      },
    ],
  },
  {
    id: 'correlation-divisor',
    bug: 'the Daunce correlation scales by the standard deviation with divisor K instead of K - 1',
    tests: ['test/references.test.ts'],
    edits: [
      {
        find: 'const s = mom.m2.map((v) => 1 / Math.sqrt(v / (this.count - 1)));',
        replace: 'const s = mom.m2.map((v) => 1 / Math.sqrt(v / this.count));',
      },
    ],
  },
  {
    id: 'penalty-share-gradient',
    bug: 'per-example gradients lose their penalty share (penaltyShareGradient returns nothing)',
    tests: ['test/references.test.ts'],
    edits: [
      {
        find: 'penaltyShareGradient(w: number): Float64Array | undefined {',
        replace: 'penaltyShareGradient(w: number): Float64Array | undefined {\n    if (w === w) return undefined;',
      },
    ],
  },
  {
    id: 'topk-skips-block-end',
    bug: 'the streaming top-k never ranks the last row of a block',
    tests: ['test/references.test.ts'],
    edits: [
      {
        find: 'for (std::size_t r = 0; r < count; ++r) {\n      const double* row = block + r * m_;',
        replace: 'for (std::size_t r = 0; r + 1 < count; ++r) {\n      const double* row = block + r * m_;',
      },
    ],
  },
  {
    id: 'spearman-min-rank',
    bug: 'Spearman gives tied values their minimum rank instead of the average',
    tests: ['test/references.test.ts'],
    edits: [{ find: 'const avg = (s + e) / 2 + 1;', replace: 'const avg = s + 1;' }],
  },
  {
    id: 'leverage-without-curvature',
    bug: 'leverage drops the weight w_i s_i: h_i = ||L^{-1} a_i||^2',
    tests: ['test/references.test.ts'],
    edits: [{ find: 'h[first + j] = c[first + j] * s;', replace: 'h[first + j] = s;' }],
  },
  {
    id: 'woodbury-sign',
    bug: 'the Woodbury Newton step adds the correction with the wrong sign',
    tests: ['test/references-ns.test.ts'],
    edits: [
      {
        find: 'cblas_dgemv(CblasColMajor, CblasNoTrans, p, k, 1.0, w, p, t.data(), 1, 1.0, z, 1);',
        replace: 'cblas_dgemv(CblasColMajor, CblasNoTrans, p, k, -1.0, w, p, t.data(), 1, 1.0, z, 1);',
      },
    ],
  },
  {
    id: 'ns-drops-penalty-share',
    bug: 'the refactorised Newton step keeps the removed penalty shares (as the RIF paper code does)',
    tests: ['test/references-ns.test.ts'],
    edits: [{ find: 'for (std::size_t j = 0; j < a.d; ++j) factor_[j + j * p_] -= shift;', replace: '' }],
  },
  {
    // (Not centring only one side would be an equivalent mutant: the centred side sums to 0 over K.)
    id: 'covariance-divisor',
    bug: 'the native Daunce covariance divides the co-moment by K instead of K - 1',
    tests: ['test/references.test.ts'],
    edits: [
      {
        find: 'static_cast<int>(K), 1.0 / static_cast<double>(K - 1), q.data()',
        replace: 'static_cast<int>(K), 1.0 / static_cast<double>(K), q.data()',
      },
    ],
  },
  {
    id: 'lds-prediction-sign',
    bug: 'LDS predicts +sum tau over the kept subset instead of -sum (removal-effect sign)',
    tests: ['test/references.test.ts'],
    edits: [{ find: 'predicted[j] = -s;', replace: 'predicted[j] = s;' }],
  },
  {
    id: 'npy-ignores-fortran-order',
    bug: 'readNpy ignores fortran_order and returns column-major data as row-major',
    tests: ['test/data.test.ts'],
    edits: [
      {
        find: 'if (!h.fortranOrder || h.shape.length !== 2) return data;',
        replace: 'if (h.shape.length >= 0) return data;',
      },
    ],
  },
  {
    id: 'npy-ignores-byte-order',
    bug: "readNpy reads big-endian ('>') arrays as little-endian",
    tests: ['test/data.test.ts'],
    edits: [{ find: "littleEndian: descr[1] !== '>',", replace: 'littleEndian: true,' }],
  },
  {
    id: 'csv-header-as-data',
    bug: 'the CSV reader takes a numeric-looking first row as a header (loses a data row)',
    tests: ['test/csv.test.ts'],
    edits: [
      {
        find: "const isHeader = headerOption === true || (headerOption === 'auto' && looksLikeHeader(named));",
        replace: "const isHeader = headerOption === true || headerOption === 'auto';",
      },
    ],
  },
  {
    id: 'trak-ignores-weights',
    bug: "TRAK drops the example's weight w_i from (1 - p_i) w_i",
    tests: ['test/references-trak.test.ts'],
    edits: [
      {
        find: 'return l.map((v, i) => -Math.expm1(-v) * (w ? w[i]! : 1));',
        replace: 'return l.map((v) => -Math.expm1(-v));',
      },
    ],
  },
  {
    id: 'trak-ensemble-sums',
    bug: 'the TRAK ensemble sums its members instead of averaging them',
    tests: ['test/references-trak.test.ts'],
    edits: [
      {
        find: 'for (let t = 0; t < out.length; t++) out[t]! += scores[t]! / ensemble;',
        replace: 'for (let t = 0; t < out.length; t++) out[t]! += scores[t]!;',
      },
    ],
  },
  {
    id: 'daunce-linear-term-sign',
    bug: 'the Daunce-E/T first-order term (shared by the MLP and GLM copies) gets the wrong sign: +rho (2 xi - 1) instead of -rho (2 xi - 1)',
    tests: ['test/references-mlp.test.ts'],
    edits: [{ find: ': -(s.rho * (2 * xi - 1));', replace: ': s.rho * (2 * xi - 1);' }],
  },
  {
    id: 'mlp-momentum-ignored',
    bug: 'SGD ignores its momentum (v = grad instead of v = mu v + grad)',
    tests: ['test/references-mlp.test.ts'],
    edits: [{ find: 'm1[k] = o.momentum * m1[k] + gk;', replace: 'm1[k] = gk;' }],
  },
  {
    id: 'evaluate-ignores-trak-models',
    bug: 'evaluateMethods runs TRAK with one model whatever trakModels says',
    tests: ['test/evaluate-options.test.ts'],
    edits: [{ find: 'ensemble: o.trakModels ?? 1,', replace: 'ensemble: 1,' }],
  },
  {
    id: 'lds-ignores-seeds',
    bug: 'the ground truth of a stochastic model retrains once per subset whatever seeds says',
    tests: ['test/evaluate-options.test.ts'],
    edits: [
      {
        find: "const seeds = model.stochastic ? assertInteger('lds: seeds', o.seeds ?? 3, 1) : 1;",
        replace: 'const seeds = 1;',
      },
    ],
  },
  {
    id: 'reference-factor-drops-ridge',
    bug: "the Daunce copies' reference factorisation leaves out the ridge (lambda / n) P",
    tests: ['test/daunce-reference-cache.test.ts'],
    edits: [{ find: 'for (std::size_t k = 0; k < a.d; ++k) m[k + k * p] += pr.lambda;', replace: '' }],
  },
  {
    id: 'logistic-sigmoid-swapped',
    bug: 'the one-exponential logistic terms take sigmoid(-z) for sigmoid(z)',
    tests: ['test/references.test.ts'],
    edits: [{ find: 'const double p = z >= 0 ? big : small;', replace: 'const double p = z >= 0 ? small : big;' }],
  },
];
