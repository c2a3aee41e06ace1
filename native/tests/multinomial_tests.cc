// Multinomial (softmax) regression against independent computations: the objective's value by a
// naive log-sum-exp loop, its gradient and Hessian by central finite differences, the logits by
// naive dot products, and a Newton fit's stationarity by finite differences of the value.
#include "../glm/multinomial.h"
#include "../glm/newton.h"
#include "support.h"

using namespace tdakit;
using test::check;

int main() {
  const std::size_t n = 50, d = 3, C = 4, p = d + 1, P = (C - 1) * p;
  const std::vector<double> x = test::normals(n * d, 31);
  std::vector<double> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<double>((i * 7) % C);
  const std::vector<double> theta = test::normals(P, 32, 0.5);
  const std::vector<double> offset = test::normals(n, 33, 0.2);

  // Logits of every class; reference class C - 1 is 0.
  std::vector<double> logits(n * C);
  glm::referenceLogits({x.data(), n, d, true}, C, theta.data(), logits.data());
  double logitErr = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::vector<double> ai = test::designRow(x, d, i, true);
    for (std::size_t c = 0; c < C; ++c) {
      double z = 0.0;
      if (c + 1 < C)
        for (std::size_t k = 0; k < p; ++k) z += ai[k] * theta[c * p + k];
      logitErr = std::fmax(logitErr, std::fabs(z - logits[i * C + c]));
    }
  }
  check(logitErr < 1e-13, "referenceLogits equal naive dot products (reference column 0)", logitErr);

  const char* names[] = {"crossEntropy", "crossEntropySquared", "marginSquared"};
  for (int o = 0; o < 3; ++o) {
    glm::MultinomialProblem pr;
    pr.design = {x.data(), n, d, true};
    pr.classes = C;
    pr.y = y.data();
    pr.lambda = 0.3;
    pr.offset = offset.data();
    pr.objective = static_cast<glm::LogitObjective>(o);
    const glm::MultinomialObjective obj(pr);
    std::printf("# objective %s\n", names[o]);

    // Value by a naive loop over the C logits.
    double naive = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double* g = logits.data() + i * C;
      const std::size_t yi = static_cast<std::size_t>(y[i]);
      double mx = -INFINITY, mo = -INFINITY;
      for (std::size_t c = 0; c < C; ++c) {
        mx = std::fmax(mx, g[c]);
        if (c != yi) mo = std::fmax(mo, g[c]);
      }
      double s = 0.0, so = 0.0;
      for (std::size_t c = 0; c < C; ++c) {
        s += std::exp(g[c] - mx);
        if (c != yi) so += std::exp(g[c] - mo);
      }
      const double ce = mx + std::log(s) - g[yi];
      const double margin = g[yi] - (mo + std::log(so));
      naive += o == 0   ? ce
               : o == 1 ? 0.5 * (ce - offset[i]) * (ce - offset[i])
                        : 0.5 * (margin - offset[i]) * (margin - offset[i]);
    }
    for (std::size_t c = 0; c + 1 < C; ++c)
      for (std::size_t k = 0; k < d; ++k) naive += 0.5 * pr.lambda * theta[c * p + k] * theta[c * p + k];
    const double value = obj.value(theta.data());
    check(std::fabs(value - naive) < 1e-10 * std::fmax(1.0, std::fabs(naive)), "value equals the naive objective",
          std::fabs(value - naive));

    glm::Evaluation e;
    obj.evaluate(theta.data(), true, e);
    std::vector<double> exact;
    obj.hessian(theta.data(), exact, true);
    double gradErr = 0.0, hessErr = 0.0;
    const double step = 1e-5;
    for (std::size_t k = 0; k < P; ++k) {
      std::vector<double> tp(theta), tm(theta);
      tp[k] += step;
      tm[k] -= step;
      gradErr =
          std::fmax(gradErr, std::fabs((obj.value(tp.data()) - obj.value(tm.data())) / (2 * step) - e.gradient[k]));
      glm::Evaluation ep, em;
      obj.evaluate(tp.data(), false, ep);
      obj.evaluate(tm.data(), false, em);
      for (std::size_t r = 0; r < P; ++r)
        hessErr = std::fmax(hessErr, std::fabs((ep.gradient[r] - em.gradient[r]) / (2 * step) - exact[r + k * P]));
    }
    check(gradErr < 1e-6, "gradient equals the finite difference of the value", gradErr);
    check(hessErr < 1e-6, "exact Hessian equals the finite difference of the gradient", hessErr);
  }

  // A fit is stationary by finite differences of the value alone.
  glm::MultinomialProblem pr;
  pr.design = {x.data(), n, d, true};
  pr.classes = C;
  pr.y = y.data();
  pr.lambda = 0.3;
  const glm::MultinomialObjective obj(pr);
  const glm::FitResult fit = glm::fitNewton(obj, nullptr, glm::FitOptions{});
  double worst = 0.0;
  for (std::size_t k = 0; k < P; ++k) {
    std::vector<double> tp(fit.theta), tm(fit.theta);
    tp[k] += 1e-5;
    tm[k] -= 1e-5;
    worst = std::fmax(worst, std::fabs((obj.value(tp.data()) - obj.value(tm.data())) / 2e-5));
  }
  check(worst < 1e-6, "Newton fit is stationary (finite differences)", worst);
  return test::finish();
}
