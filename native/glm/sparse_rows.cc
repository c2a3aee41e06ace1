#include "sparse_rows.h"

#include <cmath>

namespace tdakit::glm {

std::shared_ptr<const SparseRows> SparseRows::build(const Design& a, double maxDensity) {
  if (a.n == 0 || a.d == 0 || a.d > UINT32_MAX) return nullptr;
  const auto limit = static_cast<std::size_t>(maxDensity * static_cast<double>(a.n) * static_cast<double>(a.d));
  // Count first: a dense X is recognised once its nonzeros pass the limit, without storing them
  // (growing the arrays on the way cost more than a Newton step on a 30,000 x 100 design).
  std::size_t nonzeros = 0;
  for (std::size_t i = 0; i < a.n; ++i) {
    const double* r = a.row(i);
    for (std::size_t j = 0; j < a.d; ++j) nonzeros += r[j] != 0.0;
    if (nonzeros > limit) return nullptr;
  }
  auto s = std::make_shared<SparseRows>();
  s->column_.reserve(nonzeros);
  s->value_.reserve(nonzeros);
  s->d_ = a.d;
  s->intercept_ = a.intercept;
  s->start_.resize(a.n + 1);
  for (std::size_t i = 0; i < a.n; ++i) {
    s->start_[i] = s->value_.size();
    const double* r = a.row(i);
    for (std::size_t j = 0; j < a.d; ++j)
      if (r[j] != 0.0) {
        s->column_.push_back(static_cast<std::uint32_t>(j));
        s->value_.push_back(r[j]);
      }
  }
  s->start_[a.n] = s->value_.size();
  return s;
}

std::vector<double> SparseRows::rowNorms() const {
  const std::size_t n = start_.size() - 1;
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    double s = intercept_ ? 1.0 : 0.0;
    for (std::size_t k = start_[i]; k < start_[i + 1]; ++k) s += value_[k] * value_[k];
    out[i] = std::sqrt(s);
  }
  return out;
}

}  // namespace tdakit::glm
