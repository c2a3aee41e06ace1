// Hessian-vector products and Hessian factors over float32 rows (glm/float_rows.h). Products
// against a naive loop over the same rounded rows, sum_i c_i a~_i (a~_i^T v) + lambda P v in float64 with the
// curvatures c_i recomputed from the logistic formula; within float32 rounding of the float64 operator's products; the
// objective's other members are the float64 objective's; a value beyond float32's range is refused.
#include <cmath>
#include <vector>

#include "../glm/float_rows.h"
#include "support.h"

using namespace tdakit;

int main() {
  const std::size_t n = 203, d = 13, p = d + 1;  // n and d not multiples of 4: the tails run too
  const std::vector<double> x = test::normals(n * d, 31);
  std::vector<double> y(n), w(n);
  for (std::size_t i = 0; i < n; ++i) {
    y[i] = x[i * d] - 0.3 * x[i * d + 2] > 0.1 ? 1.0 : 0.0;
    w[i] = 0.5 + 0.01 * static_cast<double>(i % 7);
  }
  glm::Problem pr;
  pr.design = glm::Design{x.data(), n, d, true};
  pr.family = glm::Family::Logistic;
  pr.y = y.data();
  pr.weights = w.data();
  pr.lambda = 0.3;
  const glm::Objective exact(pr);
  std::vector<float> rows;
  test::check(glm::roundRows(pr.design, rows), "finite rows round to float32", 0.0);
  const glm::Float32ProductsObjective rounded(exact, rows);
  const std::vector<double> theta = test::normals(p, 32, 0.4), v = test::normals(p, 33);

  std::vector<double> product(p), reference(p, 0.0), full(p);
  rounded.hessianOperator(theta.data())->apply(v.data(), product.data());
  exact.hessianOperator(theta.data())->apply(v.data(), full.data());
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> a = test::designRow(x, d, i, true), r = a;
    for (std::size_t k = 0; k < d; ++k) r[k] = static_cast<double>(static_cast<float>(a[k]));
    double z = 0.0, rv = 0.0;
    for (std::size_t k = 0; k < p; ++k) {
      z += a[k] * theta[k];
      rv += r[k] * v[k];
    }
    const double s = 1.0 / (1.0 + std::exp(-z));
    for (std::size_t k = 0; k < p; ++k) reference[k] += w[i] * s * (1.0 - s) * rv * r[k];
  }
  for (std::size_t k = 0; k < d; ++k) reference[k] += pr.lambda * v[k];
  double scale = 0.0;
  for (double r : reference) scale = std::fmax(scale, std::fabs(r));
  test::check(test::maxAbsDiff(product, reference) < 1e-13 * scale,
              "float32-row products equal a naive loop over the rounded rows", test::maxAbsDiff(product, reference));
  const double gap = test::maxAbsDiff(product, full);
  test::check(gap < 1e-6 * scale && gap > 0.0, "and differ from the float64 products by float32 rounding only", gap);

  glm::Evaluation a, b;
  exact.evaluate(theta.data(), false, a);
  rounded.evaluate(theta.data(), false, b);
  test::check(
      a.value == b.value && a.gradient == b.gradient && rounded.value(theta.data()) == exact.value(theta.data()),
      "values and gradients are the float64 objective's", 0.0);

  // The float32 Hessian factor: L L^T against the float64 Hessian of the same objective (to
  // float32 rounding), solves against a naive solve; a negative weight or an indefinite matrix
  // is refused.
  {
    const std::vector<double> c = exact.curvatureWeights(theta.data());
    std::vector<float> scaled, factor;
    test::check(glm::floatHessianFactor(pr.design, rows, c, pr.lambda, scaled, factor), "the float32 Hessian factors",
                0.0);
    std::vector<double> h;
    exact.hessian(theta.data(), h);
    double worst = 0.0, largest = 0.0;
    for (std::size_t i = 0; i < p; ++i)
      for (std::size_t j = 0; j <= i; ++j) {
        double llt = 0.0;
        for (std::size_t k = 0; k <= j; ++k)
          llt += static_cast<double>(factor[i + k * p]) * static_cast<double>(factor[j + k * p]);
        worst = std::fmax(worst, std::fabs(llt - h[i + j * p]));
        largest = std::fmax(largest, std::fabs(h[i + j * p]));
      }
    test::check(worst < 1e-5 * largest, "L L^T equals the float64 Hessian to float32 rounding", worst / largest);
    std::vector<double> solved = v;
    std::vector<float> scratch;
    glm::floatFactorSolve(factor, p, solved.data(), scratch);
    const std::vector<double> reference = test::naiveSolve(h, v);
    double err = 0.0, size = 0.0;
    for (std::size_t k = 0; k < p; ++k) {
      err = std::fmax(err, std::fabs(solved[k] - reference[k]));
      size = std::fmax(size, std::fabs(reference[k]));
    }
    test::check(err < 1e-4 * size, "its solves equal a float64 naive solve to float32 accuracy", err / size);
    std::vector<double> negative = c;
    negative[3] = -0.1;
    test::check(!glm::floatHessianFactor(pr.design, rows, negative, pr.lambda, scaled, factor),
                "a negative curvature weight is refused", 0.0);
    // A feature 1e-4 times the others' scale with a tiny ridge: cond ~ 1e8, beyond float32.
    std::vector<double> narrow = x;
    for (std::size_t i = 0; i < n; ++i) narrow[i * d + 1] *= 1e-4;
    std::vector<float> narrowRows;
    glm::roundRows(glm::Design{narrow.data(), n, d, true}, narrowRows);
    test::check(!glm::floatHessianFactor(glm::Design{narrow.data(), n, d, true}, narrowRows, c, 1e-9, scaled, factor),
                "an ill-conditioned Hessian (cond ~ 1e8) is left to float64", 0.0);
    const std::vector<double> none(n, 0.0);
    test::check(!glm::floatHessianFactor(pr.design, rows, none, 0.0, scaled, factor),
                "a singular matrix (no curvature, no ridge) is refused", 0.0);
  }

  std::vector<double> huge = x;
  huge[5] = 1e39;
  test::check(!glm::roundRows(glm::Design{huge.data(), n, d, true}, rows), "a value beyond float32's range is refused",
              0.0);
  return test::finish();
}
