#include "per_example.h"

namespace tdakit::glm {

ExampleTerms exampleTerms(const Design& a, Family family, const double* theta, const double* y, const double* offset) {
  ExampleTerms t;
  t.margin.resize(a.n);
  a.margins(theta, t.margin.data());
  if (!y) return t;
  t.loss.resize(a.n);
  t.slope.resize(a.n);
  t.curvature.resize(a.n);
  for (std::size_t i = 0; i < a.n; ++i) {
    const Pointwise pw = pointwise(family, t.margin[i], y[i], offset ? offset[i] : 0.0);
    t.loss[i] = pw.loss;
    t.slope[i] = pw.slope;
    t.curvature[i] = pw.curvature;
  }
  return t;
}

void scaledRows(const Design& a, const double* coef, const double* offset, double* out) {
  const std::size_t p = a.p();
  std::vector<std::size_t> all(a.n);
  for (std::size_t i = 0; i < a.n; ++i) all[i] = i;
  // Column j of a p x n column-major matrix is row j of an n x p row-major one.
  a.gatherColumns(all.data(), a.n, coef, out);
  if (offset)
    for (std::size_t i = 0; i < a.n; ++i)
      for (std::size_t k = 0; k < p; ++k) out[i * p + k] += offset[k];
}

}  // namespace tdakit::glm
