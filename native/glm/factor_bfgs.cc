#include "factor_bfgs.h"

#include <algorithm>

namespace tdakit::glm {

namespace {

double dot(const double* a, const double* b, std::size_t p) {
  double s = 0.0;
  for (std::size_t k = 0; k < p; ++k) s += a[k] * b[k];
  return s;
}

}  // namespace

FactorBfgs::FactorBfgs(std::size_t p, std::size_t capacity)
    : p_(p), capacity_(capacity), s_(capacity * p), y_(capacity * p), rho_(capacity), alpha_(capacity) {}

std::size_t FactorBfgs::slot(std::size_t age) const { return (next_ + capacity_ - count_ + age) % capacity_; }

void FactorBfgs::record(const double* s, const double* y) {
  if (capacity_ == 0) return;
  const double sy = dot(s, y, p_);
  if (!(sy > 0.0)) return;
  std::copy(s, s + p_, s_.begin() + next_ * p_);
  std::copy(y, y + p_, y_.begin() + next_ * p_);
  rho_[next_] = 1.0 / sy;
  next_ = (next_ + 1) % capacity_;
  if (count_ < capacity_) ++count_;
}

void FactorBfgs::apply(const std::function<void(double*)>& baseSolve, double* b) {
  for (std::size_t age = count_; age-- > 0;) {  // newest to oldest
    const std::size_t j = slot(age);
    const double a = rho_[j] * dot(&s_[j * p_], b, p_);
    alpha_[j] = a;
    const double* y = &y_[j * p_];
    for (std::size_t k = 0; k < p_; ++k) b[k] -= a * y[k];
  }
  baseSolve(b);
  for (std::size_t age = 0; age < count_; ++age) {  // oldest to newest
    const std::size_t j = slot(age);
    const double beta = rho_[j] * dot(&y_[j * p_], b, p_);
    const double* s = &s_[j * p_];
    for (std::size_t k = 0; k < p_; ++k) b[k] += (alpha_[j] - beta) * s[k];
  }
}

}  // namespace tdakit::glm
