// Products with the cross-entropy softmax Hessian without forming it (Newton-Krylov steps of
// softmax fits and retrains). Per example the logit-space curvature is
// M_i = w_i (diag(pi_i) - pi_i pi_i^T) over the C - 1 free classes, so
//   (H v)_c = sum_i a_i (M_i U_i)_c + lambda P v_c,   U_i = (a_i^T v_1, ..., a_i^T v_{C-1}),
// one pass over the active rows of X (4 n p (C - 1) flops) instead of a Hessian build
// (n ((C - 1) p)^2 / 2 flops and a ((C - 1) p)^3 / 3 factorisation).
#include <algorithm>

#include "multinomial.h"

namespace tdakit::glm {

namespace {

class MultinomialHessianOperator : public HessianOperator {
 public:
  MultinomialHessianOperator(const MultinomialProblem& pr, const std::vector<double>& logits)
      : a_(pr.design), K_(pr.blocks()), lambda_(pr.lambda) {
    probabilities_.reserve(a_.n * K_);
    for (std::size_t i = 0; i < a_.n; ++i) {
      const double w = pr.weight(i);
      if (w == 0.0) continue;
      // The probabilities exactly as hessian() forms them (logitTerms uses the same function),
      // so that products equal the built Hessian up to the order of the sums.
      rows_.push_back(i);
      weights_.push_back(w);
      probabilities_.resize(probabilities_.size() + K_);
      softmaxProbabilities(logits.data() + i * K_, K_, &probabilities_[probabilities_.size() - K_]);
    }
  }

  std::size_t activeRows() const override { return rows_.size(); }

  double productFlops() const override {
    return 4.0 * static_cast<double>(rows_.size()) * static_cast<double>(a_.p()) * static_cast<double>(K_);
  }

  std::vector<double> diagonal() const override {
    const std::size_t d = a_.d, p = a_.p();
    std::vector<double> out(K_ * p, 0.0), c(K_);
    for (std::size_t j = 0; j < rows_.size(); ++j) {
      const double* pi = &probabilities_[j * K_];
      for (std::size_t k = 0; k < K_; ++k) c[k] = weights_[j] * (pi[k] - pi[k] * pi[k]);
      const double* r = a_.row(rows_[j]);
      for (std::size_t k = 0; k < K_; ++k) {
        double* o = &out[k * p];
        for (std::size_t f = 0; f < d; ++f) o[f] += c[k] * r[f] * r[f];
        if (a_.intercept) o[d] += c[k];
      }
    }
    for (std::size_t k = 0; k < K_; ++k)
      for (std::size_t f = 0; f < d; ++f) out[k * p + f] += lambda_;
    return out;
  }

  // Plain loops in a fixed order (rows ascending, features ascending): no BLAS threads, so the
  // result does not depend on OPENBLAS_NUM_THREADS. v and out are class-major ((C - 1) blocks of
  // p); the loops work on feature-major copies (p x (C - 1)), so that the innermost loop runs
  // over the classes, whose sums are independent (vectorised without reassociation). Rows go in
  // blocks of kRows, so each entry of V and of the accumulator is loaded once per block.
  void apply(const double* v, double* out) const override {
    const std::size_t d = a_.d, p = a_.p(), K = K_, m = rows_.size();
    std::vector<double> vt(p * K), acc(p * K, 0.0), u(kRows * K), s(kRows * K);
    for (std::size_t k = 0; k < K; ++k)
      for (std::size_t f = 0; f < p; ++f) vt[f * K + k] = v[k * p + f];
    const double* x[kRows];
    for (std::size_t j = 0; j < m; j += kRows) {
      const std::size_t b = std::min(kRows, m - j);
      for (std::size_t t = 0; t < kRows; ++t) x[t] = a_.row(rows_[j + std::min(t, b - 1)]);  // pad by repeating
      // U_t = V^T a_t for the block's rows
      for (std::size_t t = 0; t < kRows; ++t)
        for (std::size_t k = 0; k < K; ++k) u[t * K + k] = a_.intercept ? vt[d * K + k] : 0.0;
      for (std::size_t f = 0; f < d; ++f) {
        const double* __restrict vf = &vt[f * K];
        double* __restrict u0 = &u[0];
        double* __restrict u1 = &u[K];
        double* __restrict u2 = &u[2 * K];
        double* __restrict u3 = &u[3 * K];
        const double x0 = x[0][f], x1 = x[1][f], x2 = x[2][f], x3 = x[3][f];
        for (std::size_t k = 0; k < K; ++k) {
          u0[k] += x0 * vf[k];
          u1[k] += x1 * vf[k];
          u2[k] += x2 * vf[k];
          u3[k] += x3 * vf[k];
        }
      }
      // S_t = M_t U_t = w_t (pi_t .* U_t - pi_t (pi_t^T U_t)); padded rows contribute 0
      for (std::size_t t = 0; t < kRows; ++t) {
        double* st = &s[t * K];
        if (t >= b) {
          std::fill(st, st + K, 0.0);
          continue;
        }
        const double* pi = &probabilities_[(j + t) * K];
        const double* ut = &u[t * K];
        double piu = 0.0;
        for (std::size_t k = 0; k < K; ++k) piu += pi[k] * ut[k];
        for (std::size_t k = 0; k < K; ++k) st[k] = weights_[j + t] * (pi[k] * (ut[k] - piu));
      }
      // acc += sum_t a_t S_t^T, rows in order (the block's rows are still in cache)
      for (std::size_t f = 0; f < d; ++f) {
        double* __restrict af = &acc[f * K];
        const double* __restrict s0 = &s[0];
        const double* __restrict s1 = &s[K];
        const double* __restrict s2 = &s[2 * K];
        const double* __restrict s3 = &s[3 * K];
        const double x0 = x[0][f], x1 = x[1][f], x2 = x[2][f], x3 = x[3][f];
        for (std::size_t k = 0; k < K; ++k) af[k] = (((af[k] + x0 * s0[k]) + x1 * s1[k]) + x2 * s2[k]) + x3 * s3[k];
      }
      if (a_.intercept)
        for (std::size_t k = 0; k < K; ++k)
          acc[d * K + k] = (((acc[d * K + k] + s[k]) + s[K + k]) + s[2 * K + k]) + s[3 * K + k];
    }
    for (std::size_t k = 0; k < K; ++k)
      for (std::size_t f = 0; f < p; ++f) out[k * p + f] = acc[f * K + k] + (f < d ? lambda_ * v[k * p + f] : 0.0);
  }

 private:
  static constexpr std::size_t kRows = 4;  // rows per block (the loops above are unrolled for 4)
  Design a_;                               // views X, which outlives the objective and its operators
  std::size_t K_;
  double lambda_;
  std::vector<std::size_t> rows_;
  std::vector<double> weights_, probabilities_;  // per active row; probabilities K each
};

}  // namespace

bool MultinomialObjective::hasHessianOperator() const {
  return problem_.hessianProducts && problem_.objective == LogitObjective::CrossEntropy;
}

std::unique_ptr<HessianOperator> MultinomialObjective::hessianOperator(const double* theta,
                                                                       const Evaluation* at) const {
  if (!hasHessianOperator()) return nullptr;
  const std::size_t rows = problem_.design.n * problem_.blocks();
  if (at && at->margins.size() == rows) return std::make_unique<MultinomialHessianOperator>(problem_, at->margins);
  return std::make_unique<MultinomialHessianOperator>(problem_, logits(theta));
}

}  // namespace tdakit::glm
