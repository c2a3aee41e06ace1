// Tests of the numeric core without Node: a logistic fit is stationary (finite differences
// of the objective's value vanish), leverages equal c a^T H^{-1} a from an independent
// Gaussian elimination, and the Woodbury Newton step of the reduced Hessian equals a direct
// solve with the explicitly reduced matrix H - c_i a_i a_i^T (RIF by brute force).
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "../glm/newton.h"
#include "../glm/objective.h"
#include "../influence/leverage.h"
#include "../influence/reduced_hessian.h"
#include "../linalg/dense.h"
#include "support.h"

using namespace tdakit;

using test::check;

int main() {
  const std::size_t n = 200, d = 5;
  std::mt19937 gen(7);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unif;
  std::vector<double> x(n * d), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    double z = 0.2;
    for (std::size_t j = 0; j < d; ++j) z += (x[i * d + j] = normal(gen)) * (j < 2 ? 1.0 : 0.0);
    y[i] = unif(gen) < 1.0 / (1.0 + std::exp(-z)) ? 1.0 : 0.0;
  }
  glm::Problem pr;
  pr.design = {x.data(), n, d, true};
  pr.family = glm::Family::Logistic;
  pr.y = y.data();
  pr.lambda = 0.5;
  glm::Objective obj(pr);
  const glm::FitResult fit = glm::fitNewton(obj, nullptr, glm::FitOptions{});
  const std::size_t p = d + 1;

  // Stationarity by central differences of the value only (independent of the gradient code).
  double worst = 0.0;
  for (std::size_t k = 0; k < p; ++k) {
    std::vector<double> tp(fit.theta), tm(fit.theta);
    tp[k] += 1e-5;
    tm[k] -= 1e-5;
    worst = std::fmax(worst, std::fabs((obj.value(tp.data()) - obj.value(tm.data())) / 2e-5));
  }
  check(worst < 1e-6, "finite-difference gradient at the fit vanishes", worst);
  check(fit.gradientNorm <= 1e-12 * fit.gradientScale, "reported gradient norm at rounding level", fit.gradientNorm);

  // H at the fit, its factor, leverages; compare with a^T (H^{-1} a) by Gaussian elimination.
  const std::vector<double> c = obj.curvatureWeights(fit.theta.data());
  std::vector<double> h(p * p);
  pr.design.weightedGram(c.data(), 0.0, h.data());
  for (std::size_t k = 0; k < d; ++k) h[k + k * p] += pr.lambda;
  std::vector<double> l(h);
  double rcond = 0.0;
  check(linalg::cholesky(l.data(), p, &rcond), "Hessian is positive definite", rcond);
  const std::vector<double> lev = influence::leverage(pr.design, l.data(), c.data());
  double levErr = 0.0;
  for (std::size_t i = 0; i < n; i += 17) {
    std::vector<double> a(x.begin() + i * d, x.begin() + (i + 1) * d);
    a.push_back(1.0);
    const std::vector<double> s = test::naiveSolve(h, a);
    double q = 0.0;
    for (std::size_t k = 0; k < p; ++k) q += a[k] * s[k];
    levErr = std::fmax(levErr, std::fabs(c[i] * q - lev[i]));
  }
  check(levErr < 1e-12, "leverage equals c a^T H^{-1} a", levErr);

  // RIF_i = H^{-1} g_i / (1 - h_i) and the Woodbury Newton step both equal (H - c_i a a^T)^{-1} g_i,
  // solved here directly from the explicitly reduced matrix.
  const std::size_t i = 3;
  std::vector<double> g(x.begin() + i * d, x.begin() + (i + 1) * d);
  g.push_back(1.0);
  std::vector<double> reduced(h);
  for (std::size_t r = 0; r < p; ++r)
    for (std::size_t k = 0; k < p; ++k) reduced[r + k * p] -= c[i] * g[r] * g[k];
  double z = 0.0;
  for (std::size_t k = 0; k < p; ++k) z += g[k] * fit.theta[k];
  const double r = 1.0 / (1.0 + std::exp(-z)) - y[i];
  for (double& v : g) v *= r;
  const std::vector<double> brute = test::naiveSolve(reduced, g);
  std::vector<double> rif(g), ns(g);
  linalg::choleskySolve(l.data(), p, rif.data(), 1);
  for (double& v : rif) v /= 1.0 - lev[i];
  check(test::maxAbsDiff(rif, brute) < 1e-10, "RIF equals the direct solve with H - c_i a a^T",
        test::maxAbsDiff(rif, brute));
  const double coef = -c[i];
  influence::ReducedHessian m(pr.design, h.data(), l.data(), &i, &coef, 1, 0.0);
  m.apply(ns.data());
  const double diff = test::maxAbsDiff(ns, brute);
  check(m.usesWoodbury() && diff < 1e-10, "Woodbury single-removal Newton step equals the direct solve", diff);

  return test::finish();
}
