#include "float_rows.h"

#include <algorithm>
#include <cmath>

#include "../linalg/blas.h"
#include "../linalg/vector_clones.h"

namespace tdakit::glm {

namespace {

// Largest (cond estimate) x (float32 unit roundoff) accepted for a float32 Hessian factor: its
// directions then err by at most a few percent, which the quasi-Newton steps absorb.
constexpr double kFloatConditionLimit = 1e-2;

// x . v for one float32 row in four lanes (k mod 4), summed as (s0 + s1) + (s2 + s3), then the
// tail. Inlined into each clone of the product below.
inline __attribute__((always_inline)) double floatRowDot(const float* r, const double* v, std::size_t d) {
  double s[4] = {0.0, 0.0, 0.0, 0.0};
  std::size_t k = 0;
  for (; k + 4 <= d; k += 4)
    for (std::size_t u = 0; u < 4; ++u) s[u] += static_cast<double>(r[k + u]) * v[k + u];
  double sum = (s[0] + s[1]) + (s[2] + s[3]);
  for (; k < d; ++k) sum += static_cast<double>(r[k]) * v[k];
  return sum;
}

// acc += sum_i c_i (x_i . v + vb) x_i over n float32 rows (stride d), four rows per pass: their
// dots each in four lanes (k mod 4) summed as (s0 + s1) + (s2 + s3) then the tail, and the rows
// added to acc in row order. Float64 arithmetic throughout; only the stored rows are float32.
// Returns sum_i c_i (x_i . v + vb), the intercept's entry.
TDAKIT_VECTOR_CLONES
double addFloatRowsProduct(const float* x, std::size_t n, std::size_t d, const double* c, const double* v, double vb,
                           double* acc) {
  auto dot = [d, v](const float* r) { return floatRowDot(r, v, d); };
  double interceptSum = 0.0;
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float *r0 = x + i * d, *r1 = r0 + d, *r2 = r1 + d, *r3 = r2 + d;
    const double z0 = c[i] * (dot(r0) + vb), z1 = c[i + 1] * (dot(r1) + vb), z2 = c[i + 2] * (dot(r2) + vb),
                 z3 = c[i + 3] * (dot(r3) + vb);
    interceptSum += ((z0 + z1) + z2) + z3;
    for (std::size_t k = 0; k < d; ++k)
      acc[k] +=
          ((z0 * static_cast<double>(r0[k]) + z1 * static_cast<double>(r1[k])) + z2 * static_cast<double>(r2[k])) +
          z3 * static_cast<double>(r3[k]);
  }
  for (; i < n; ++i) {
    const float* r = x + i * d;
    const double z = c[i] * (dot(r) + vb);
    interceptSum += z;
    for (std::size_t k = 0; k < d; ++k) acc[k] += z * static_cast<double>(r[k]);
  }
  return interceptSum;
}

// H v = sum_i c_i a_i (a_i^T v) + lambda P v with the a_i's X part read from float32 rows.
class Float32RowsOperator : public HessianOperator {
 public:
  Float32RowsOperator(const float* x, const Design& a, std::vector<double> c, double lambda)
      : x_(x), n_(a.n), d_(a.d), intercept_(a.intercept), c_(std::move(c)), lambda_(lambda) {
    for (double ci : c_) active_ += ci != 0.0 ? 1 : 0;
  }
  void apply(const double* v, double* out) const override {
    const std::size_t p = d_ + (intercept_ ? 1 : 0);
    std::fill(out, out + p, 0.0);
    const double sum = addFloatRowsProduct(x_, n_, d_, c_.data(), v, intercept_ ? v[d_] : 0.0, out);
    if (intercept_) out[d_] = sum;
    for (std::size_t k = 0; k < d_; ++k) out[k] += lambda_ * v[k];
  }
  std::size_t activeRows() const override { return active_; }
  double productFlops() const override {
    return 4.0 * static_cast<double>(n_) * static_cast<double>(d_ + (intercept_ ? 1 : 0));
  }

 private:
  const float* x_;
  std::size_t n_, d_;
  bool intercept_;
  std::vector<double> c_;
  double lambda_;
  std::size_t active_ = 0;
};

}  // namespace

bool roundRows(const Design& a, std::vector<float>& out) {
  const std::size_t entries = a.n * a.d;
  out.resize(entries);
  bool finite = true;
  for (std::size_t k = 0; k < entries; ++k) {
    out[k] = static_cast<float>(a.x[k]);
    finite = finite && std::isfinite(out[k]);
  }
  return finite;
}

bool floatHessianFactor(const Design& a, const std::vector<float>& rows, const std::vector<double>& c, double lambda,
                        std::vector<float>& scaled, std::vector<float>& factor) {
  const std::size_t n = a.n, d = a.d, p = a.p();
  scaled.resize(p * n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!(c[i] >= 0.0) || !std::isfinite(c[i])) return false;
    const float root = static_cast<float>(std::sqrt(c[i]));
    const float* r = rows.data() + i * d;
    float* o = scaled.data() + i * p;
    for (std::size_t k = 0; k < d; ++k) o[k] = root * r[k];
    if (a.intercept) o[d] = root;
  }
  factor.assign(p * p, 0.0f);
  const int P = static_cast<int>(p);
  cblas_ssyrk(CblasColMajor, CblasLower, CblasNoTrans, P, static_cast<int>(n), 1.0f, scaled.data(), P, 0.0f,
              factor.data(), P);
  for (std::size_t k = 0; k < d; ++k) factor[k + k * p] += static_cast<float>(lambda);
  for (std::size_t k = 0; k < p; ++k)
    if (!std::isfinite(factor[k + k * p])) return false;
  if (LAPACKE_spotrf_work(LAPACK_COL_MAJOR, 'L', P, factor.data(), P) != 0) return false;
  // cond(L L^T) >= (max L_kk / min L_kk)^2: where that bound times float32's unit roundoff
  // exceeds kFloatConditionLimit, float32 directions would be poor; float64 instead.
  float lo = factor[0], hi = factor[0];
  for (std::size_t k = 0; k < p; ++k) {
    lo = std::fmin(lo, factor[k + k * p]);
    hi = std::fmax(hi, factor[k + k * p]);
  }
  const double ratio = static_cast<double>(hi) / static_cast<double>(lo);
  return ratio * ratio * 0x1p-24 <= kFloatConditionLimit;
}

void floatFactorSolve(const std::vector<float>& l, std::size_t p, double* b, std::vector<float>& scratch) {
  scratch.resize(p);
  for (std::size_t k = 0; k < p; ++k) scratch[k] = static_cast<float>(b[k]);
  const int P = static_cast<int>(p);
  cblas_strsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, P, l.data(), P, scratch.data(), 1);
  cblas_strsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, P, l.data(), P, scratch.data(), 1);
  for (std::size_t k = 0; k < p; ++k) b[k] = static_cast<double>(scratch[k]);
}

std::unique_ptr<HessianOperator> Float32ProductsObjective::hessianOperator(const double* theta,
                                                                           const Evaluation* at) const {
  return std::make_unique<Float32RowsOperator>(rows_.data(), inner_.problem().design,
                                               inner_.curvatureWeights(theta, false, at), inner_.problem().lambda);
}

}  // namespace tdakit::glm
