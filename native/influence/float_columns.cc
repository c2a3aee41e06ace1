#include "float_columns.h"

#include "../linalg/vector_clones.h"

namespace tdakit::influence {

namespace {
constexpr std::size_t kLanes = 8;

double combine(const double* s) { return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])); }
}  // namespace

TDAKIT_VECTOR_CLONES void columnDots(const float* w, std::size_t p, std::size_t k, const double* z, double* t) {
  std::size_t j = 0;
  // Four columns per pass: four independent chains of partial sums (the single running sum of
  // a plain loop is bound by the add latency, not by memory).
  for (; j + 4 <= k; j += 4) {
    const float *c0 = w + j * p, *c1 = c0 + p, *c2 = c1 + p, *c3 = c2 + p;
    double s0[kLanes] = {}, s1[kLanes] = {}, s2[kLanes] = {}, s3[kLanes] = {};
    std::size_t i = 0;
    for (; i + kLanes <= p; i += kLanes)
      for (std::size_t u = 0; u < kLanes; ++u) {
        const double zi = z[i + u];
        s0[u] += static_cast<double>(c0[i + u]) * zi;
        s1[u] += static_cast<double>(c1[i + u]) * zi;
        s2[u] += static_cast<double>(c2[i + u]) * zi;
        s3[u] += static_cast<double>(c3[i + u]) * zi;
      }
    double x0 = combine(s0), x1 = combine(s1), x2 = combine(s2), x3 = combine(s3);
    for (; i < p; ++i) {
      x0 += static_cast<double>(c0[i]) * z[i];
      x1 += static_cast<double>(c1[i]) * z[i];
      x2 += static_cast<double>(c2[i]) * z[i];
      x3 += static_cast<double>(c3[i]) * z[i];
    }
    t[j] = x0;
    t[j + 1] = x1;
    t[j + 2] = x2;
    t[j + 3] = x3;
  }
  for (; j < k; ++j) {
    const float* c = w + j * p;
    double s[kLanes] = {};
    std::size_t i = 0;
    for (; i + kLanes <= p; i += kLanes)
      for (std::size_t u = 0; u < kLanes; ++u) s[u] += static_cast<double>(c[i + u]) * z[i + u];
    double x = combine(s);
    for (; i < p; ++i) x += static_cast<double>(c[i]) * z[i];
    t[j] = x;
  }
}

TDAKIT_VECTOR_CLONES void addColumns(const float* __restrict w, std::size_t p, std::size_t k,
                                     const double* __restrict t, double* __restrict z) {
  std::size_t j = 0;
  for (; j + 4 <= k; j += 4) {
    const float *c0 = w + j * p, *c1 = c0 + p, *c2 = c1 + p, *c3 = c2 + p;
    const double t0 = t[j], t1 = t[j + 1], t2 = t[j + 2], t3 = t[j + 3];
    for (std::size_t i = 0; i < p; ++i)
      z[i] = (((z[i] + static_cast<double>(c0[i]) * t0) + static_cast<double>(c1[i]) * t1) +
              static_cast<double>(c2[i]) * t2) +
             static_cast<double>(c3[i]) * t3;
  }
  for (; j < k; ++j) {
    const float* c = w + j * p;
    const double tj = t[j];
    for (std::size_t i = 0; i < p; ++i) z[i] += static_cast<double>(c[i]) * tj;
  }
}

}  // namespace tdakit::influence
