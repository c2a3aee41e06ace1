// Daunce's batched softmax-regression copies against an independent reference: for each copy the
// gradient of its objective, recomputed by naive loops over its rows in logit space, vanishes, and
// its cross-entropies equal the naive ones; a batch on several threads equals one-copy calls bit
// for bit, with and without the reference preconditioner.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../glm/multinomial_copies.h"
#include "support.h"

using namespace tdakit;

namespace {

// All C logits of row a (reference class last, logit 0) under theta ((C - 1) blocks of p).
std::vector<double> naiveLogits(const std::vector<double>& a, const std::vector<double>& theta, std::size_t C) {
  const std::size_t p = a.size();
  std::vector<double> z(C, 0.0);
  for (std::size_t c = 0; c + 1 < C; ++c)
    for (std::size_t k = 0; k < p; ++k) z[c] += a[k] * theta[c * p + k];
  return z;
}

double naiveLse(const std::vector<double>& z) {
  double s = 0.0;
  for (double v : z) s += std::exp(v);
  return std::log(s);
}

}  // namespace

int main() {
  const std::size_t n = 240, d = 3, p = d + 1, C = 3, K = C - 1, P = K * p, m = 4;
  const std::vector<double> x = test::normals(n * d, 21);
  std::vector<double> y(n), theta0(P, 0.05), offset(n, 0.3);
  for (std::size_t i = 0; i < n; ++i) {
    const double s = x[i * d] - 0.5 * x[i * d + 1];
    y[i] = s > 0.4 ? 2.0 : s > -0.4 ? 1.0 : 0.0;
  }
  glm::MultinomialCopiesProblem pr;
  pr.design = glm::Design{x.data(), n, d, true};
  pr.classes = C;
  pr.y = y.data();
  pr.lambda = 0.02;
  pr.theta0 = theta0.data();
  pr.queries = glm::Design{x.data(), m, d, true};
  pr.queryLabels = y.data();
  pr.fit.tol = 1e-14;
  pr.fit.maxIter = 100;
  pr.referenceWeight = 1.0 / n;
  // 90 rows for 8 parameters: the preconditioned chord path when precondition is on.
  const std::size_t B = 5, size = 90;
  std::vector<std::uint32_t> rows(B * size);
  std::vector<double> weights(B * size, 1.0 / size), coef = test::normals(B * size * K, 22, 0.01);
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t j = 0; j < size; ++j) rows[b * size + j] = static_cast<std::uint32_t>((b * 41 + j * 7) % n);
  for (std::size_t b = 0; b < B; ++b)
    pr.copies.push_back({rows.data() + b * size, size, weights.data() + b * size, coef.data() + b * size * K});
  for (auto objective : {glm::LogitObjective::CrossEntropy, glm::LogitObjective::MarginSquared}) {
    pr.objective = objective;
    pr.offset = objective == glm::LogitObjective::MarginSquared ? offset.data() : nullptr;
    for (bool precondition : {true, false}) {
      pr.precondition = precondition;
      const auto batch = glm::fitMultinomialCopies(pr, 3);
      double gradWorst = 0.0, lossWorst = 0.0;
      bool same = true;
      for (std::size_t b = 0; b < B; ++b) {
        const std::vector<double>& th = batch[b].theta;
        std::vector<double> g(P, 0.0);
        for (std::size_t j = 0; j < size; ++j) {
          const std::size_t i = rows[b * size + j], yi = static_cast<std::size_t>(y[i]);
          const auto a = test::designRow(x, d, i, true);
          const std::vector<double> z = naiveLogits(a, th, C);
          std::vector<double> dz(K);
          if (objective == glm::LogitObjective::CrossEntropy) {
            // d/dz_c [lse(z) - z_y] = softmax_c - [c = y]
            const double lse = naiveLse(z);
            for (std::size_t c = 0; c < K; ++c) dz[c] = std::exp(z[c] - lse) - (c == yi ? 1.0 : 0.0);
          } else {
            // (f - o)^2 / 2 with f = z_y - log sum_{c != y} e^{z_c}
            std::vector<double> others;
            for (std::size_t c = 0; c < C; ++c)
              if (c != yi) others.push_back(z[c]);
            const double lo = naiveLse(others), e = z[yi] - lo - offset[i];
            for (std::size_t c = 0; c < K; ++c) dz[c] = e * (c == yi ? 1.0 : -std::exp(z[c] - lo));
          }
          for (std::size_t c = 0; c < K; ++c) {
            const double r = weights[b * size + j] * dz[c] + coef[(b * size + j) * K + c];
            for (std::size_t k = 0; k < p; ++k) g[c * p + k] += r * a[k];
          }
        }
        for (std::size_t c = 0; c < K; ++c)
          for (std::size_t k = 0; k < d; ++k) g[c * p + k] += pr.lambda * th[c * p + k];
        for (double v : g) gradWorst = std::fmax(gradWorst, std::fabs(v));
        for (std::size_t i = 0; i < n; ++i) {
          const std::vector<double> z = naiveLogits(test::designRow(x, d, i, true), th, C);
          lossWorst =
              std::fmax(lossWorst, std::fabs(naiveLse(z) - z[static_cast<std::size_t>(y[i])] - batch[b].trainLoss[i]));
        }
        glm::MultinomialCopiesProblem alone = pr;
        alone.copies = {pr.copies[b]};
        const auto one = glm::fitMultinomialCopies(alone, 1);
        same = same && std::memcmp(one[0].theta.data(), th.data(), P * sizeof(double)) == 0 &&
               std::memcmp(one[0].trainLoss.data(), batch[b].trainLoss.data(), n * sizeof(double)) == 0 &&
               std::memcmp(one[0].queryLoss.data(), batch[b].queryLoss.data(), m * sizeof(double)) == 0;
      }
      test::check(gradWorst < 1e-12, "softmax copies: the naive gradient of each copy's objective vanishes", gradWorst);
      test::check(lossWorst < 1e-12, "softmax copies' cross-entropies equal the naive ones", lossWorst);
      test::check(same, "a softmax batch on 3 threads equals one-copy calls bit for bit", 0.0);
    }
  }
  return test::finish();
}
