// Tests of the multiclass influence kernels without Node: the exact softmax Hessian equals
// central differences of the objective's gradient, and every leverage block J_i H^{-1} J_i^T
// equals the same product from a separate Cholesky solve of the explicit columns of J_i^T.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "../common/error.h"
#include "../glm/multinomial.h"
#include "../glm/newton.h"
#include "../influence/multiclass.h"
#include "../linalg/dense.h"

using namespace tdakit;

static int failures = 0;
static void check(bool ok, const char* what, double value) {
  std::printf("%s %s (%.3e)\n", ok ? "ok" : "FAIL", what, value);
  if (!ok) ++failures;
}

int main() {
  const std::size_t n = 150, d = 4, C = 4, K = C - 1, p = d + 1, P = K * p;
  std::mt19937 gen(11);
  std::normal_distribution<double> normal;
  std::vector<double> x(n * d), y(n), w(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < d; ++j) x[i * d + j] = normal(gen);
    y[i] = static_cast<double>((i * 7 + (x[i * d] > 0 ? 1 : 0)) % C);
    w[i] = 0.5 + (i % 3);
  }
  glm::MultinomialProblem pr;
  pr.design = {x.data(), n, d, true};
  pr.classes = C;
  pr.y = y.data();
  pr.weights = w.data();
  pr.lambda = 0.7;
  glm::MultinomialObjective obj(pr);
  const glm::FitResult fit = glm::fitNewton(obj, nullptr, glm::FitOptions{});
  const influence::MulticlassHessian h = influence::multinomialHessian(pr, fit.theta.data());

  // Hessian column k = (grad(theta + e_k t) - grad(theta - e_k t)) / 2t.
  double worst = 0.0, scale = 0.0;
  for (std::size_t k = 0; k < P; ++k) {
    std::vector<double> tp(fit.theta), tm(fit.theta);
    tp[k] += 1e-5;
    tm[k] -= 1e-5;
    glm::Evaluation ep, em;
    obj.evaluate(tp.data(), false, ep);
    obj.evaluate(tm.data(), false, em);
    for (std::size_t r = 0; r < P; ++r) {
      worst = std::fmax(worst, std::fabs((ep.gradient[r] - em.gradient[r]) / 2e-5 - h.hessian[r + k * P]));
      scale = std::fmax(scale, std::fabs(h.hessian[r + k * P]));
    }
  }
  check(worst < 1e-6 * scale, "softmax Hessian equals differences of the gradient", worst / scale);

  const std::vector<double> blocks = influence::multinomialLeverageBlocks(pr.design, C, h.factor.data());
  worst = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> cols(P * K, 0.0);
    for (std::size_t c = 0; c < K; ++c) {
      for (std::size_t j = 0; j < d; ++j) cols[c * P + c * p + j] = x[i * d + j];
      cols[c * P + c * p + d] = 1.0;
    }
    linalg::choleskySolve(h.factor.data(), P, cols.data(), K);  // H^{-1} J_i^T
    for (std::size_t r = 0; r < K; ++r)
      for (std::size_t c = 0; c < K; ++c) {
        double m = 0.0;  // (J_i H^{-1} J_i^T)[r][c] = a_i^T (H^{-1} J_i^T e_c)[block r]
        for (std::size_t j = 0; j < d; ++j) m += x[i * d + j] * cols[c * P + r * p + j];
        m += cols[c * P + r * p + d];
        worst = std::fmax(worst, std::fabs(m - blocks[i * K * K + r * K + c]) / (std::fabs(m) + 1e-300));
      }
  }
  check(worst < 1e-10, "leverage blocks equal J_i H^{-1} J_i^T from a separate solve", worst);

  bool threw = false;
  glm::MultinomialProblem flat = pr;
  flat.lambda = 0.0;
  std::vector<double> dup(n * d, 1.0);  // identical rows, no penalty: the Hessian is singular
  flat.design = {dup.data(), n, d, true};
  try {
    influence::multinomialHessian(flat, fit.theta.data());
  } catch (const NumericError&) {
    threw = true;
  }
  check(threw, "a singular softmax Hessian raises NumericError", threw ? 0.0 : 1.0);
  std::printf("%d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
