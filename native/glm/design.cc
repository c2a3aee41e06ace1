#include "design.h"

#include <algorithm>
#include <cmath>

#include "../linalg/blas.h"
#include "../linalg/dense.h"
#include "../linalg/vector_clones.h"

namespace tdakit::glm {

namespace {
// Rows per syrk call: large enough that syrk runs at BLAS-3 speed, small enough that the
// scaled copy stays in the low megabytes.
constexpr std::size_t kGramBlock = 1024;
}  // namespace

void Design::margins(const double* theta, double* z) const {
  if (n == 0) return;
  if (d > 0) {
    cblas_dgemv(CblasColMajor, CblasTrans, static_cast<int>(d), static_cast<int>(n), 1.0, x, static_cast<int>(d), theta,
                1, 0.0, z, 1);
  } else {
    std::fill(z, z + n, 0.0);
  }
  if (intercept) {
    const double b = theta[d];
    for (std::size_t i = 0; i < n; ++i) z[i] += b;
  }
}

// Not dgemv: OpenBLAS splits this sum over the rows between its threads, so its bits would depend
// on OPENBLAS_NUM_THREADS (fits differed by 1.7e-16, issue 17). Four rows per pass load and store
// acc once per four rows instead of once per row (a Daunce copy's gradient, 300 x 181: about half
// the time); the AVX2 + FMA clone vectorises the pass.
TDAKIT_VECTOR_CLONES
void addScaledRows(const double* __restrict rows, const double* __restrict z, std::size_t m, std::size_t d,
                   double* __restrict acc) {
  std::size_t t = 0;
  for (; t + 4 <= m; t += 4) {
    const double *r0 = rows + t * d, *r1 = r0 + d, *r2 = r1 + d, *r3 = r2 + d;
    const double z0 = z[t], z1 = z[t + 1], z2 = z[t + 2], z3 = z[t + 3];
    for (std::size_t k = 0; k < d; ++k) acc[k] = (((acc[k] + z0 * r0[k]) + z1 * r1[k]) + z2 * r2[k]) + z3 * r3[k];
  }
  for (; t < m; ++t) {
    const double* r = rows + t * d;
    const double zt = z[t];
    for (std::size_t k = 0; k < d; ++k) acc[k] += zt * r[k];
  }
}

void Design::transposeTimes(const double* v, double* g) const {
  if (d > 0) {
    std::fill(g, g + d, 0.0);
    addScaledRows(x, v, n, d, g);
  }
  if (intercept) {
    double s = 0.0;
    for (std::size_t i = 0; i < n; ++i) s += v[i];
    g[d] = s;
  }
}

void Design::marginsRange(std::size_t first, std::size_t count, const double* theta, double* z) const {
  if (count == 0) return;
  if (d > 0) {
    cblas_dgemv(CblasColMajor, CblasTrans, static_cast<int>(d), static_cast<int>(count), 1.0, row(first),
                static_cast<int>(d), theta, 1, 0.0, z, 1);
  } else {
    std::fill(z, z + count, 0.0);
  }
  if (intercept)
    for (std::size_t i = 0; i < count; ++i) z[i] += theta[d];
}

void Design::addTransposeTimesRange(std::size_t first, std::size_t count, const double* v, double* g) const {
  if (count == 0) return;
  if (d > 0) addScaledRows(row(first), v + first, count, d, g);
  if (intercept)
    for (std::size_t i = 0; i < count; ++i) g[d] += v[first + i];
}

double Design::rowDot(std::size_t i, const double* v) const {
  const double* r = row(i);
  double s = 0.0;
  for (std::size_t j = 0; j < d; ++j) s += r[j] * v[j];
  if (intercept) s += v[d];
  return s;
}

void Design::gatherColumns(const std::size_t* rows, std::size_t count, const double* scale, double* out) const {
  const std::size_t pp = p();
  for (std::size_t j = 0; j < count; ++j) {
    const double s = scale ? scale[j] : 1.0;
    const double* r = row(rows[j]);
    double* o = out + j * pp;
    for (std::size_t k = 0; k < d; ++k) o[k] = s * r[k];
    if (intercept) o[d] = s;
  }
}

void Design::gatherRange(std::size_t first, std::size_t count, const double* scale, double* out) const {
  const std::size_t pp = p();
  for (std::size_t j = 0; j < count; ++j) {
    const double s = scale ? scale[j] : 1.0;
    const double* r = row(first + j);
    double* o = out + j * pp;
    for (std::size_t k = 0; k < d; ++k) o[k] = s * r[k];
    if (intercept) o[d] = s;
  }
}

void Design::weightedGram(const double* c, double beta, double* out) const {
  const std::size_t pp = p();
  if (beta == 0.0)
    std::fill(out, out + pp * pp, 0.0);
  else if (beta != 1.0)
    for (std::size_t k = 0; k < pp * pp; ++k) out[k] *= beta;
  if (n == 0) return;
  const std::size_t block = std::min(n, kGramBlock);
  std::vector<double> scaled(block * pp);
  // Rows of weight 0 (removed examples, rows outside a Daunce subset) are skipped: only the
  // rows that contribute are gathered, so a 30% subset costs 30% of a full build. Negative
  // weights (an indefinite curvature) go through a second syrk with alpha = -1.
  struct Batch {
    std::vector<std::size_t> rows;
    std::vector<double> root;
  } positive, negative;
  auto flush = [&](Batch& b, double alpha) {
    if (b.rows.empty()) return;
    // The intercept is row d of each gathered a_i, so one syrk covers the whole p x p
    // (the extra row costs 1/p of the work and keeps the code free of special cases).
    gatherColumns(b.rows.data(), b.rows.size(), b.root.data(), scaled.data());
    cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, static_cast<int>(pp), static_cast<int>(b.rows.size()), alpha,
                scaled.data(), static_cast<int>(pp), 1.0, out, static_cast<int>(pp));
    b.rows.clear();
    b.root.clear();
  };
  for (std::size_t i = 0; i < n; ++i) {
    if (c[i] == 0.0) continue;
    Batch& b = c[i] > 0.0 ? positive : negative;
    b.rows.push_back(i);
    b.root.push_back(std::sqrt(std::fabs(c[i])));
    if (b.rows.size() == block) flush(b, c[i] > 0.0 ? 1.0 : -1.0);
  }
  flush(positive, 1.0);
  flush(negative, -1.0);
  linalg::symmetrizeFromLower(out, pp);
}

std::vector<double> Design::rowNorms() const {
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double* r = row(i);
    double s = intercept ? 1.0 : 0.0;
    for (std::size_t k = 0; k < d; ++k) s += r[k] * r[k];
    out[i] = std::sqrt(s);
  }
  return out;
}

}  // namespace tdakit::glm
