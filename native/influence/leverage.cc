#include "leverage.h"

#include <algorithm>

#include "../linalg/dense.h"

namespace tdakit::influence {

namespace {
constexpr std::size_t kBlock = 1024;
}

std::vector<double> leverage(const glm::Design& a, const double* l, const double* c) {
  const std::size_t p = a.p();
  std::vector<double> h(a.n, 0.0);
  std::vector<double> cols(std::min(a.n, kBlock) * p);
  for (std::size_t first = 0; first < a.n; first += kBlock) {
    const std::size_t count = std::min(kBlock, a.n - first);
    a.gatherRange(first, count, nullptr, cols.data());
    linalg::triangularSolve(l, p, cols.data(), count, false);
    for (std::size_t j = 0; j < count; ++j) {
      const double* w = cols.data() + j * p;
      double s = 0.0;
      for (std::size_t k = 0; k < p; ++k) s += w[k] * w[k];
      h[first + j] = c[first + j] * s;
    }
  }
  return h;
}

}  // namespace tdakit::influence
