#include "sparse_rows.h"

namespace tdakit::glm {

std::shared_ptr<const SparseRows> SparseRows::build(const Design& a, double maxDensity) {
  if (a.n == 0 || a.d == 0 || a.d > UINT32_MAX) return nullptr;
  std::size_t nnz = 0;
  const std::size_t total = a.n * a.d;
  for (std::size_t k = 0; k < total; ++k) nnz += a.x[k] != 0.0;
  if (static_cast<double>(nnz) > maxDensity * static_cast<double>(total)) return nullptr;
  auto s = std::make_shared<SparseRows>();
  s->d_ = a.d;
  s->intercept_ = a.intercept;
  s->start_.resize(a.n + 1);
  s->column_.reserve(nnz);
  s->value_.reserve(nnz);
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

}  // namespace tdakit::glm
