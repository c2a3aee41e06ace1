// Hessian-vector products over float32 rows (glm/float_rows.h) against a naive loop over the
// same rounded rows, sum_i c_i a~_i (a~_i^T v) + lambda P v in float64 with the curvatures c_i
// recomputed from the logistic formula; within float32 rounding of the float64 operator's
// products; the objective's other members are the float64 objective's; a value beyond float32's
// range is refused.
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

  std::vector<double> huge = x;
  huge[5] = 1e39;
  test::check(!glm::roundRows(glm::Design{huge.data(), n, d, true}, rows), "a value beyond float32's range is refused",
              0.0);
  return test::finish();
}
