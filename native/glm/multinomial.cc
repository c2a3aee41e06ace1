#include "multinomial.h"

#include <algorithm>
#include <cmath>

namespace tdakit::glm {

namespace {

// log sum_{c in S} e^{z_c} over the full logits (the reference class has z = 0), skipping `skip`.
double logSumExp(const double* z, std::size_t free, std::size_t skip) {
  double m = skip == free ? -INFINITY : 0.0;  // the reference logit 0 (class `free`)
  for (std::size_t c = 0; c < free; ++c)
    if (c != skip) m = std::max(m, z[c]);
  double s = skip == free ? 0.0 : std::exp(-m);
  for (std::size_t c = 0; c < free; ++c)
    if (c != skip) s += std::exp(z[c] - m);
  return m + std::log(s);
}

}  // namespace

double softmaxProbabilities(const double* z, std::size_t free, double* p) {
  const double lse = logSumExp(z, free, static_cast<std::size_t>(-1));
  for (std::size_t c = 0; c < free; ++c) p[c] = std::exp(z[c] - lse);
  return lse;
}

void logitTerms(const MultinomialProblem& pr, const double* z, std::size_t i, bool exact, LogitTerms& out) {
  const std::size_t K = pr.blocks();
  const std::size_t y = static_cast<std::size_t>(pr.y[i]);
  out.gradient.assign(K, 0.0);
  out.curvature.assign(K * K, 0.0);
  if (pr.objective == LogitObjective::MarginSquared) {
    // f = z_y - lse_{c != y}; grad f = e_y - q, Hessian of f = -(diag(q) - q q^T) over free classes.
    const double zy = y < K ? z[y] : 0.0;
    const double lse = logSumExp(z, K, y);
    const double f = zy - lse;
    std::vector<double>& q = out.probabilities;
    std::vector<double>& gf = out.direction;
    q.resize(K);
    gf.resize(K);
    for (std::size_t c = 0; c < K; ++c) {
      q[c] = c == y ? 0.0 : std::exp(z[c] - lse);
      gf[c] = (c == y ? 1.0 : 0.0) - q[c];
    }
    const double e = f - (pr.offset ? pr.offset[i] : 0.0);
    // f's Hessian is negative semidefinite: the term -e (diag(q) - q q^T) is PSD where e <= 0,
    // so the bound keeps it there and drops it elsewhere.
    const double s = exact ? e : std::min(0.0, e);
    out.value = 0.5 * e * e;
    for (std::size_t a = 0; a < K; ++a) {
      out.gradient[a] = e * gf[a];
      for (std::size_t b = 0; b < K; ++b)
        out.curvature[a * K + b] = gf[a] * gf[b] - s * ((a == b ? q[a] : 0.0) - q[a] * q[b]);
    }
    return;
  }
  // Cross-entropy: p = softmax, grad l = p - e_y, Hessian of l = diag(p) - p p^T.
  std::vector<double>& p = out.probabilities;
  std::vector<double>& gl = out.direction;
  p.resize(K);
  gl.resize(K);
  const double lse = softmaxProbabilities(z, K, p.data());
  for (std::size_t c = 0; c < K; ++c) gl[c] = p[c] - (c == y ? 1.0 : 0.0);
  const double l = lse - (y < K ? z[y] : 0.0);
  if (pr.objective == LogitObjective::CrossEntropy) {
    out.value = l;
    for (std::size_t a = 0; a < K; ++a) {
      out.gradient[a] = gl[a];
      for (std::size_t b = 0; b < K; ++b) out.curvature[a * K + b] = (a == b ? p[a] : 0.0) - p[a] * p[b];
    }
    return;
  }
  const double e = l - (pr.offset ? pr.offset[i] : 0.0);
  const double s = exact ? e : std::max(0.0, e);
  out.value = 0.5 * e * e;
  for (std::size_t a = 0; a < K; ++a) {
    out.gradient[a] = e * gl[a];
    for (std::size_t b = 0; b < K; ++b)
      out.curvature[a * K + b] = gl[a] * gl[b] + s * ((a == b ? p[a] : 0.0) - p[a] * p[b]);
  }
}

MultinomialObjective::MultinomialObjective(const MultinomialProblem& problem)
    : problem_(problem), rowNorms_(problem.design.rowNorms()) {
  checkMagnitudes(problem_.design, rowNorms_, problem_.weights);
}

std::vector<double> MultinomialObjective::logits(const double* theta) const {
  const Design& a = problem_.design;
  const std::size_t K = problem_.blocks(), p = a.p();
  std::vector<double> z(a.n * K), col(a.n);
  for (std::size_t c = 0; c < K; ++c) {
    a.margins(theta + c * p, col.data());
    for (std::size_t i = 0; i < a.n; ++i) z[i * K + c] = col[i];
  }
  return z;
}

double MultinomialObjective::value(const double* theta) const {
  Evaluation e;
  evaluate(theta, false, e);
  return e.value;
}

void MultinomialObjective::evaluate(const double* theta, bool withHessian, Evaluation& out) const {
  const Design& a = problem_.design;
  const std::size_t K = problem_.blocks(), p = a.p(), P = parameters();
  const std::vector<double> z = logits(theta);
  std::vector<double> coef(a.n * K, 0.0);
  LogitTerms t;
  double v = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < a.n; ++i) {
    const double w = problem_.weight(i);
    if (w == 0.0) continue;
    logitTerms(problem_, z.data() + i * K, i, false, t);
    v += w * t.value;
    double gnorm = 0.0;
    for (std::size_t c = 0; c < K; ++c) {
      coef[c * a.n + i] = w * t.gradient[c];
      gnorm += t.gradient[c] * t.gradient[c];
    }
    scale += w * std::sqrt(gnorm) * rowNorms_[i];
  }
  out.gradient.assign(P, 0.0);
  double pen = 0.0, lin = 0.0;
  for (std::size_t c = 0; c < K; ++c) {
    a.transposeTimes(coef.data() + c * a.n, out.gradient.data() + c * p);
    for (std::size_t k = 0; k < a.d; ++k) {
      const double th = theta[c * p + k];
      out.gradient[c * p + k] += problem_.lambda * th;
      pen += th * th;
    }
  }
  if (problem_.linear)
    for (std::size_t k = 0; k < P; ++k) {
      out.gradient[k] += problem_.linear[k];
      lin += problem_.linear[k] * problem_.linear[k];
      v += problem_.linear[k] * theta[k];
    }
  out.value = v + 0.5 * problem_.lambda * pen;
  out.gradientScale = scale + problem_.lambda * std::sqrt(pen) + std::sqrt(lin);
  out.margins = z;
  if (withHessian) hessian(theta, out.hessian);
}

void MultinomialObjective::hessian(const double* theta, std::vector<double>& out, bool exact) const {
  const Design& a = problem_.design;
  const std::size_t K = problem_.blocks(), p = a.p(), P = parameters();
  const std::vector<double> z = logits(theta);
  // M_i (K x K) per example, weighted.
  std::vector<double> m(a.n * K * K, 0.0);
  LogitTerms t;
  for (std::size_t i = 0; i < a.n; ++i) {
    const double w = problem_.weight(i);
    if (w == 0.0) continue;
    logitTerms(problem_, z.data() + i * K, i, exact, t);
    for (std::size_t k = 0; k < K * K; ++k) m[i * K * K + k] = w * t.curvature[k];
  }
  out.assign(P * P, 0.0);
  std::vector<double> coef(a.n), block(p * p);
  // Block (r, c) = sum_i M_i[r][c] a_i a_i^T (+ lambda P on the diagonal blocks); symmetric, so
  // only r >= c is built and mirrored.
  for (std::size_t r = 0; r < K; ++r) {
    for (std::size_t c = 0; c <= r; ++c) {
      for (std::size_t i = 0; i < a.n; ++i) coef[i] = m[i * K * K + r * K + c];
      a.weightedGram(coef.data(), 0.0, block.data());
      if (r == c)
        for (std::size_t k = 0; k < a.d; ++k) block[k + k * p] += problem_.lambda;
      for (std::size_t col = 0; col < p; ++col)
        for (std::size_t row = 0; row < p; ++row) {
          const double v = block[row + col * p];
          out[(r * p + row) + (c * p + col) * P] = v;
          out[(c * p + col) + (r * p + row) * P] = v;
        }
    }
  }
}

void referenceLogits(const Design& a, std::size_t classes, const double* theta, double* out) {
  std::vector<double> column(a.n);
  for (std::size_t i = 0; i < a.n * classes; ++i) out[i] = 0.0;
  for (std::size_t c = 0; c + 1 < classes; ++c) {
    a.margins(theta + c * a.p(), column.data());
    for (std::size_t i = 0; i < a.n; ++i) out[i * classes + c] = column[i];
  }
}

}  // namespace tdakit::glm
