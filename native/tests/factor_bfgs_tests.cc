// The L-BFGS correction of a Cholesky factor (glm/factor_bfgs.h) against the dense BFGS update
// of the inverse, H+ = (I - rho s y^T) H (I - rho y s^T) + rho s s^T from H0 = M^{-1}, computed
// here column by column with a naive solve: equal to rounding, for a full history and for a
// capacity that drops the oldest pairs; the secant equation H+ y = s holds; pairs without
// positive curvature are skipped.
#include <lapacke.h>

#include <cmath>
#include <vector>

#include "../glm/copy_newton.h"
#include "../glm/factor_bfgs.h"
#include "support.h"

using namespace tdakit;

namespace {

using Matrix = std::vector<double>;  // p x p, column-major

// rho = 1 / s^T y; H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T.
void denseUpdate(Matrix& h, const std::vector<double>& s, const std::vector<double>& y, std::size_t p) {
  double sy = 0.0;
  for (std::size_t k = 0; k < p; ++k) sy += s[k] * y[k];
  const double rho = 1.0 / sy;
  Matrix left(p * p), out(p * p);
  for (std::size_t i = 0; i < p; ++i)  // left = (I - rho s y^T) H
    for (std::size_t j = 0; j < p; ++j) {
      double v = h[i + j * p];
      for (std::size_t k = 0; k < p; ++k) v -= rho * s[i] * y[k] * h[k + j * p];
      left[i + j * p] = v;
    }
  for (std::size_t i = 0; i < p; ++i)  // out = left (I - rho y s^T) + rho s s^T
    for (std::size_t j = 0; j < p; ++j) {
      double v = left[i + j * p];
      for (std::size_t k = 0; k < p; ++k) v -= rho * left[i + k * p] * y[k] * s[j];
      out[i + j * p] = v + rho * s[i] * s[j];
    }
  h = out;
}

std::vector<double> times(const Matrix& h, const std::vector<double>& b, std::size_t p) {
  std::vector<double> out(p, 0.0);
  for (std::size_t j = 0; j < p; ++j)
    for (std::size_t i = 0; i < p; ++i) out[i] += h[i + j * p] * b[j];
  return out;
}

}  // namespace

int main() {
  const std::size_t p = 7, steps = 5;
  // M = B B^T + I (SPD), its inverse by naive solves of the unit vectors, its Cholesky factor.
  const std::vector<double> bm = test::normals(p * p, 3);
  Matrix m(p * p, 0.0);
  for (std::size_t i = 0; i < p; ++i)
    for (std::size_t j = 0; j < p; ++j) {
      for (std::size_t k = 0; k < p; ++k) m[i + j * p] += bm[i + k * p] * bm[j + k * p];
      if (i == j) m[i + j * p] += 1.0;
    }
  Matrix h0(p * p);
  for (std::size_t j = 0; j < p; ++j) {
    std::vector<double> e(p, 0.0);
    e[j] = 1.0;
    const std::vector<double> col = test::naiveSolve(m, e);
    for (std::size_t i = 0; i < p; ++i) h0[i + j * p] = col[i];
  }
  Matrix l = m;
  LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', static_cast<int>(p), l.data(), static_cast<int>(p));
  // Pairs y = A s for another SPD A (the curvature met along the steps), so s^T y > 0.
  const std::vector<double> am = test::normals(p * p, 4);
  std::vector<std::vector<double>> ss, ys;
  for (std::size_t t = 0; t < steps; ++t) {
    std::vector<double> s = test::normals(p, 10 + static_cast<unsigned>(t)), y(p, 0.0);
    for (std::size_t i = 0; i < p; ++i) {
      for (std::size_t j = 0; j < p; ++j) {
        double a = 0.0;
        for (std::size_t k = 0; k < p; ++k) a += am[i + k * p] * am[j + k * p];
        y[i] += a * s[j];
      }
      y[i] += 0.5 * s[i];
    }
    ss.push_back(s);
    ys.push_back(y);
  }
  const std::vector<double> b = test::normals(p, 20);

  glm::FactorBfgs none(p, 4);
  std::vector<double> v = b;
  none.apply([&l](double* b) { glm::factorSolve(l.data(), static_cast<int>(p), b); }, v.data());
  test::check(test::maxAbsDiff(v, times(h0, b, p)) < 1e-12, "no pairs: the factor's solve",
              test::maxAbsDiff(v, times(h0, b, p)));

  for (const std::size_t capacity : {steps, std::size_t{3}}) {
    glm::FactorBfgs bfgs(p, capacity);
    Matrix h = h0;
    for (std::size_t t = 0; t < steps; ++t) {
      bfgs.record(ss[t].data(), ys[t].data());
      if (t + capacity >= steps) denseUpdate(h, ss[t], ys[t], p);  // the pairs the capacity keeps
    }
    test::check(bfgs.pairs() == capacity, "the capacity bounds the pairs kept", static_cast<double>(bfgs.pairs()));
    v = b;
    bfgs.apply([&l](double* b) { glm::factorSolve(l.data(), static_cast<int>(p), b); }, v.data());
    const double diff = test::maxAbsDiff(v, times(h, b, p));
    test::check(diff < 1e-10,
                capacity == steps ? "two-loop equals the dense BFGS update"
                                  : "two-loop with dropped pairs equals the update of the newest",
                diff);
    v = ys.back();
    bfgs.apply([&l](double* b) { glm::factorSolve(l.data(), static_cast<int>(p), b); }, v.data());
    test::check(test::maxAbsDiff(v, ss.back()) < 1e-10, "secant equation H y = s for the newest pair",
                test::maxAbsDiff(v, ss.back()));
  }

  glm::FactorBfgs skip(p, 4);
  std::vector<double> negative = ys[0];
  for (double& x : negative) x = -x;
  skip.record(ss[0].data(), negative.data());
  test::check(skip.pairs() == 0, "a pair with s^T y <= 0 is skipped", static_cast<double>(skip.pairs()));
  return test::finish();
}
