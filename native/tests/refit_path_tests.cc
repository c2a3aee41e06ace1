// The pieces of the refit path added for issue 14's 5% removal target, each against an
// independent computation (plain loops, Gaussian elimination in support.h):
//   - the float32 Woodbury products (columnDots, addColumns) against plain float64 loops;
//   - the packed float32 triangular solves against a float64 substitution with the same factor;
//   - the leverage estimate of leveragedChanges against its formula, and against the exact
//     leverage where H is diagonal; the reduced preconditioner converging to a fresh fit;
//   - the design summary shared by refits: an objective built with it equals one built alone;
//   - sparse Hessian-vector products split over row ranges: equal to the built Hessian, and
//     bit for bit the same with 1 and 2 BLAS threads.
#include <cblas.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "../glm/krylov.h"
#include "../glm/newton.h"
#include "../glm/objective.h"
#include "../influence/float_columns.h"
#include "../influence/packed_solve.h"
#include "../influence/reduced_hessian.h"
#include "../linalg/dense.h"
#include "support.h"

using namespace tdakit;
using test::check;

namespace {

double relDiff(const std::vector<double>& a, const std::vector<double>& b) {
  double num = 0.0, den = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    num = std::fmax(num, std::fabs(a[k] - b[k]));
    den = std::fmax(den, std::fabs(b[k]));
  }
  return num / den;
}

void floatColumns() {
  std::printf("[float32 Woodbury products]\n");
  for (std::size_t p : {1, 7, 8, 37, 301}) {
    for (std::size_t k : {1, 3, 4, 9}) {
      const std::vector<double> wd = test::normals(p * k, static_cast<unsigned>(p * 31 + k));
      std::vector<float> w(wd.begin(), wd.end());
      const std::vector<double> z = test::normals(p, 7), t0 = test::normals(k, 8);
      std::vector<double> t(k), ref(k, 0.0), out(z), refOut(z);
      influence::columnDots(w.data(), p, k, z.data(), t.data());
      for (std::size_t j = 0; j < k; ++j)
        for (std::size_t i = 0; i < p; ++i) ref[j] += static_cast<double>(w[j * p + i]) * z[i];
      influence::addColumns(w.data(), p, k, t0.data(), out.data());
      for (std::size_t i = 0; i < p; ++i)
        for (std::size_t j = 0; j < k; ++j) refOut[i] += static_cast<double>(w[j * p + i]) * t0[j];
      char what[96];
      std::snprintf(what, sizeof what, "p = %zu, k = %zu: W^T z and z + W t equal plain float64 loops", p, k);
      const double err = std::fmax(test::maxAbsDiff(t, ref), test::maxAbsDiff(out, refOut));
      check(err <= 1e-12 * std::sqrt(static_cast<double>(p)) * 10.0, what, err);
    }
  }
}

void packedSolves() {
  std::printf("[packed float32 triangular solves]\n");
  for (std::size_t p : {1, 3, 4, 5, 8, 13, 64, 203}) {
    // A well-conditioned lower factor: unit-ish diagonal, small off-diagonal entries.
    const std::vector<double> noise = test::normals(p * p, static_cast<unsigned>(p + 100), 0.3 / std::sqrt(p + 1.0));
    std::vector<float> packed;
    std::vector<double> l(p * p, 0.0);  // the same float entries, column-major
    for (std::size_t j = 0; j < p; ++j)
      for (std::size_t i = j; i < p; ++i) {
        const float v = static_cast<float>(i == j ? 1.0 + std::fabs(noise[i + j * p]) : noise[i + j * p]);
        packed.push_back(v);
        l[i + j * p] = v;
      }
    const std::vector<double> b = test::normals(p, 3);
    for (bool transpose : {false, true}) {
      // Reference: float64 substitution with the same factor.
      std::vector<double> ref(b);
      if (!transpose) {
        for (std::size_t j = 0; j < p; ++j) {
          ref[j] /= l[j + j * p];
          for (std::size_t i = j + 1; i < p; ++i) ref[i] -= l[i + j * p] * ref[j];
        }
      } else {
        for (std::size_t j = p; j-- > 0;) {
          for (std::size_t i = j + 1; i < p; ++i) ref[j] -= l[i + j * p] * ref[i];
          ref[j] /= l[j + j * p];
        }
      }
      std::vector<float> x(b.begin(), b.end());
      if (transpose)
        influence::packedBackward(packed.data(), p, x.data());
      else
        influence::packedForward(packed.data(), p, x.data());
      const std::vector<double> got(x.begin(), x.end());
      char what[96];
      std::snprintf(what, sizeof what, "p = %zu: L^%s b in float32 equals a float64 substitution", p,
                    transpose ? "-T" : "-1");
      check(relDiff(got, ref) < 1e-5, what, relDiff(got, ref));
    }
  }
}

// Logistic data with about `density` nonzeros per entry (sparse below 0.2).
struct Data {
  std::size_t n, d;
  std::vector<double> x, y;
};
Data logisticData(std::size_t n, std::size_t d, double density, unsigned seed) {
  Data s{n, d, std::vector<double>(n * d, 0.0), std::vector<double>(n)};
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> unif;
  for (std::size_t i = 0; i < n; ++i) {
    double z = -0.2;
    for (std::size_t j = 0; j < d; ++j)
      if (unif(gen) < density) z += (j % 3 == 0 ? 1.1 : -0.8) * (s.x[i * d + j] = 1.0 + unif(gen));
    s.y[i] = unif(gen) < 1.0 / (1.0 + std::exp(-z)) ? 1.0 : 0.0;
  }
  return s;
}

void leverageSelection() {
  std::printf("[refit preconditioner over the leveraged removals]\n");
  Data s = logisticData(600, 40, 0.1, 21);
  glm::Problem pr;
  pr.design = {s.x.data(), s.n, s.d, true};
  pr.family = glm::Family::Logistic;
  pr.y = s.y.data();
  pr.lambda = 0.05;
  const std::size_t p = s.d + 1;
  glm::FitOptions opt;
  const glm::FitResult fit = glm::fitNewton(glm::Objective(pr), nullptr, opt);
  const std::vector<double> curvature = glm::Objective(pr).curvatureWeights(fit.theta.data());
  std::vector<double> w(s.n, 1.0), coef;
  std::vector<std::size_t> rows;
  for (std::size_t i = 3; i < s.n; i += 17) {  // 6% removed
    w[i] = 0.0;
    rows.push_back(i);
    coef.push_back(-curvature[i]);
  }
  const double cut = 1e-2;
  const std::vector<std::size_t> kept = influence::ReducedHessian::leveragedChanges(
      pr.design, fit.hessian.data(), rows.data(), coef.data(), rows.size(), cut);
  // The estimate's formula, by plain loops: -c_j sum_i a_ji^2 / H_ii.
  std::vector<std::size_t> expected;
  for (std::size_t j = 0; j < rows.size(); ++j) {
    const std::vector<double> a = test::designRow(s.x, s.d, rows[j], true);
    double e = 0.0;
    for (std::size_t i = 0; i < p; ++i) e += a[i] * a[i] / fit.hessian[i + i * p];
    if (-coef[j] * e > cut) expected.push_back(j);
  }
  check(kept == expected, "kept removals are those whose estimate -c_j sum a_ji^2 / H_ii exceeds the cut",
        static_cast<double>(kept.size()));
  check(!kept.empty() && kept.size() < rows.size(), "some removals kept, some left out",
        static_cast<double>(kept.size()));

  // Where H is diagonal the estimate is the exact leverage -c_j a_j^T H^{-1} a_j (naive solve).
  {
    const std::size_t dd = 5, nn = 5;
    std::vector<double> x(nn * dd, 0.0), hd(dd * dd, 0.0);
    for (std::size_t i = 0; i < nn; ++i) x[i * dd + i] = 1.0 + static_cast<double>(i);
    for (std::size_t i = 0; i < dd; ++i) hd[i + i * dd] = 0.5 + static_cast<double>(i * i);
    const glm::Design a{x.data(), nn, dd, false};
    const std::vector<std::size_t> r{0, 1, 2, 3, 4};
    const std::vector<double> c{-0.001, -0.01, -0.02, -0.03, -0.002};
    std::vector<std::size_t> exact;
    for (std::size_t j = 0; j < nn; ++j) {
      const std::vector<double> row = test::designRow(x, dd, j, false);
      const std::vector<double> z = test::naiveSolve(hd, row);
      double h = 0.0;
      for (std::size_t i = 0; i < dd; ++i) h += row[i] * z[i];
      if (-c[j] * h > 0.05) exact.push_back(j);
    }
    const std::vector<std::size_t> got =
        influence::ReducedHessian::leveragedChanges(a, hd.data(), r.data(), c.data(), nn, 0.05);
    check(got == exact && !got.empty() && got.size() < nn, "diagonal H: the estimate selects by the exact leverage",
          static_cast<double>(got.size()));
  }

  // The refit preconditioned by M over the kept removals only equals a fresh weighted fit.
  std::vector<double> factor(fit.hessian);
  double rcond = 0.0;
  linalg::cholesky(factor.data(), p, &rcond);
  const influence::ReducedHessian m = influence::ReducedHessian::preconditioner(
      pr.design, fit.hessian.data(), factor.data(), rows.data(), coef.data(), rows.size(), 0.0, cut);
  check(m.woodburyChanges() == kept.size(), "the preconditioner's Woodbury term covers the kept removals only",
        static_cast<double>(m.woodburyChanges()));
  glm::Problem reduced = pr;
  reduced.weights = w.data();
  const glm::FitResult refit = glm::refitChord(
      glm::Objective(reduced), fit.theta.data(), [&m](double* b) { m.precondition(b); }, opt);
  const glm::FitResult fresh = glm::fitNewton(glm::Objective(reduced), nullptr, opt);
  check(refit.newtonIterations == 0 && refit.gradientNorm <= opt.tol * refit.gradientScale,
        "refit with the reduced preconditioner: Newton-Krylov only, at the tolerance", refit.gradientNorm);
  check(relDiff(refit.theta, fresh.theta) < 1e-10, "refit with the reduced preconditioner equals a fresh fit",
        relDiff(refit.theta, fresh.theta));
}

void sharedSummaryAndSparseProducts() {
  std::printf("[design summary, sparse products over row ranges]\n");
  Data s = logisticData(3000, 700, 0.15, 5);  // sparse, about 315,000 nonzeros: split products
  glm::Problem pr;
  pr.design = {s.x.data(), s.n, s.d, true};
  pr.family = glm::Family::Logistic;
  pr.y = s.y.data();
  pr.lambda = 1.0;
  const std::size_t p = s.d + 1;
  const auto summary = glm::DesignSummary::build(pr.design);
  check(summary->sparse != nullptr, "the design is stored sparse", 0.0);
  std::vector<double> theta = test::normals(p, 9, 0.05), v = test::normals(p, 10);
  glm::Evaluation alone, shared;
  glm::Objective(pr).evaluate(theta.data(), false, alone);
  glm::Objective(pr, summary).evaluate(theta.data(), false, shared);
  check(std::memcmp(alone.gradient.data(), shared.gradient.data(), p * sizeof(double)) == 0 &&
            alone.value == shared.value && alone.gradientScale == shared.gradientScale,
        "an objective with the shared summary evaluates bit for bit as one built alone", 0.0);

  glm::Objective objective(pr, summary);
  std::vector<double> built, hv(p), hv1(p), hv2(p);
  objective.hessian(theta.data(), built);
  objective.hessianOperator(theta.data())->apply(v.data(), hv.data());
  std::vector<double> ref(p, 0.0);
  for (std::size_t r = 0; r < p; ++r)
    for (std::size_t c = 0; c < p; ++c) ref[r] += built[r + c * p] * v[c];
  check(relDiff(hv, ref) < 1e-12, "sparse product over row ranges equals the built Hessian", relDiff(hv, ref));
  const int threads = openblas_get_num_threads();
  openblas_set_num_threads(1);
  objective.hessianOperator(theta.data())->apply(v.data(), hv1.data());
  openblas_set_num_threads(2);
  objective.hessianOperator(theta.data())->apply(v.data(), hv2.data());
  openblas_set_num_threads(threads);
  check(std::memcmp(hv1.data(), hv2.data(), p * sizeof(double)) == 0 &&
            std::memcmp(hv.data(), hv1.data(), p * sizeof(double)) == 0,
        "sparse product: the same bits with 1 and 2 threads", 0.0);
}

}  // namespace

int main() {
  floatColumns();
  packedSolves();
  leverageSelection();
  sharedSummaryAndSparseProducts();
  return test::finish();
}
