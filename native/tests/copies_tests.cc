// Daunce's batched GLM copies and the MLP's cosine schedule, against independent references:
// the closed-form schedule, and for each copy the gradient of its objective recomputed by naive
// loops; a batch on several threads equals one-copy calls bit for bit.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../glm/copies.h"
#include "../mlp/mlp.h"
#include "support.h"

using namespace tdakit;

int main() {
  // Cosine: rate(t) = lr (1 + cos(pi t / T)) / 2 for t = 0..T-1; constant otherwise.
  mlp::TrainOptions o;
  o.learningRate = 0.3;
  o.schedule = mlp::Schedule::Cosine;
  double worst = 0.0;
  for (std::size_t t = 0; t < 17; ++t)
    worst = std::fmax(worst, std::fabs(mlp::learningRateAt(o, t, 17) - 0.3 * 0.5 * (1.0 + std::cos(M_PI * t / 17.0))));
  test::check(worst < 1e-16, "cosine learning rates equal the closed form", worst);
  test::check(mlp::learningRateAt(o, 0, 17) == 0.3, "the cosine schedule starts at the learning rate", 0.0);
  o.schedule = mlp::Schedule::Constant;
  test::check(mlp::learningRateAt(o, 9, 17) == 0.3, "the constant schedule keeps the learning rate", 0.0);

  // Copies of a logistic regression: minimise sum_j w_j l(a_j^T theta) + sum_j c_j a_j^T theta
  // + (lambda/2) ||w||^2 over each copy's rows.
  // d = 4: 18 rows per parameter (Newton-Krylov with the reference factor); d = 12: 7 (damped
  // Newton, its first steps with the reference factor when precondition is on).
  for (const std::size_t d : {std::size_t{4}, std::size_t{12}}) {
    const std::size_t n = 300, p = d + 1, m = 5;
    const std::vector<double> x = test::normals(n * d, 11);
    std::vector<double> y(n), theta0(p, 0.1);
    for (std::size_t i = 0; i < n; ++i) y[i] = x[i * d] + 0.5 * x[i * d + 1] > 0.2 ? 1.0 : 0.0;
    glm::CopiesProblem pr;
    pr.design = glm::Design{x.data(), n, d, true};
    pr.family = glm::Family::Logistic;
    pr.y = y.data();
    pr.lambda = 0.01;
    pr.theta0 = theta0.data();
    pr.labels = y.data();
    pr.queries = glm::Design{x.data(), m, d, true};
    pr.queryLabels = y.data();
    pr.fit.tol = 1e-14;
    pr.fit.maxIter = 100;
    pr.referenceWeight = 1.0 / n;
    const std::size_t B = 6, size = 90;
    std::vector<std::uint32_t> rows(B * size);
    std::vector<double> weights(B * size, 1.0 / size), coef = test::normals(B * size, 12, 0.01);
    for (std::size_t b = 0; b < B; ++b)
      for (std::size_t j = 0; j < size; ++j) rows[b * size + j] = static_cast<std::uint32_t>((b * 37 + j * 3) % n);
    for (std::size_t b = 0; b < B; ++b)
      pr.copies.push_back({rows.data() + b * size, size, weights.data() + b * size, coef.data() + b * size});
    for (bool precondition : {true, false}) {
      pr.precondition = precondition;
      const auto batch = glm::fitCopies(pr, 3);
      double gradWorst = 0.0, lossWorst = 0.0;
      bool same = true;
      for (std::size_t b = 0; b < B; ++b) {
        std::vector<double> g(p, 0.0);
        for (std::size_t j = 0; j < size; ++j) {
          const auto a = test::designRow(x, d, rows[b * size + j], true);
          double z = 0.0;
          for (std::size_t k = 0; k < p; ++k) z += a[k] * batch[b].theta[k];
          const double r =
              weights[b * size + j] * (1.0 / (1.0 + std::exp(-z)) - y[rows[b * size + j]]) + coef[b * size + j];
          for (std::size_t k = 0; k < p; ++k) g[k] += r * a[k];
        }
        for (std::size_t k = 0; k < d; ++k) g[k] += pr.lambda * batch[b].theta[k];
        for (double v : g) gradWorst = std::fmax(gradWorst, std::fabs(v));
        for (std::size_t i = 0; i < n; ++i) {
          const auto a = test::designRow(x, d, i, true);
          double z = 0.0;
          for (std::size_t k = 0; k < p; ++k) z += a[k] * batch[b].theta[k];
          const double loss = std::log1p(std::exp(-std::fabs(z))) + std::fmax(z, 0.0) - y[i] * z;
          lossWorst = std::fmax(lossWorst, std::fabs(loss - batch[b].trainLoss[i]));
        }
        glm::CopiesProblem alone = pr;
        alone.copies = {pr.copies[b]};
        const auto one = glm::fitCopies(alone, 1);
        same = same && std::memcmp(one[0].theta.data(), batch[b].theta.data(), p * sizeof(double)) == 0 &&
               std::memcmp(one[0].trainLoss.data(), batch[b].trainLoss.data(), n * sizeof(double)) == 0;
      }
      test::check(gradWorst < 1e-12,
                  precondition ? "preconditioned copies: the naive gradient vanishes"
                               : "Newton copies: the naive gradient vanishes",
                  gradWorst);
      test::check(lossWorst < 1e-12, "copies' training losses equal the naive logistic loss", lossWorst);
      test::check(same, "a batch on 3 threads equals one-copy calls bit for bit", 0.0);
    }
  }
  return test::finish();
}
