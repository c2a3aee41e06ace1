#include "dense.h"

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <vector>

#include "blas.h"

namespace tdakit::linalg {

void symmetrizeFromLower(double* a, std::size_t p) {
  for (std::size_t j = 0; j < p; ++j)
    for (std::size_t i = j + 1; i < p; ++i) a[j + i * p] = a[i + j * p];
}

namespace {

// Unblocked Cholesky of the jb x jb diagonal block at a (leading dimension lda), right-looking
// so that every inner loop runs down a column (contiguous), in a fixed order. False on a pivot
// that is not above floor[k]: the rounding left of a diagonal that cancelled to nothing.
bool choleskyBlock(double* a, std::size_t jb, std::size_t lda, const double* floor) {
  for (std::size_t k = 0; k < jb; ++k) {
    double* ck = a + k * lda;
    const double d = ck[k];
    if (!(d > floor[k]) || !std::isfinite(d)) return false;
    const double root = std::sqrt(d);
    ck[k] = root;
    for (std::size_t i = k + 1; i < jb; ++i) ck[i] /= root;
    for (std::size_t j = k + 1; j < jb; ++j) {
      double* cj = a + j * lda;
      const double ljk = ck[j];
      for (std::size_t i = j; i < jb; ++i) cj[i] -= ck[i] * ljk;
    }
  }
  return true;
}

// Blocked left-looking Cholesky (lower), the structure of LAPACK's reference dpotrf with a
// fixed block size. Not OpenBLAS's dpotrf: that one chooses its blocking by thread count, so
// its bits (and a Newton fit's) depend on OPENBLAS_NUM_THREADS (issue 17). The level-3 calls
// below split their outputs between threads, never a sum, so their bits do not.
bool blockedCholesky(double* a, std::size_t p) {
  constexpr std::size_t kBlock = 128;
  const int n = static_cast<int>(p);
  // A pivot at or below p eps times its original diagonal is rounding, not curvature: the
  // matrix is singular to working precision (a positive rounding residue would otherwise pass
  // where another summation order gives a negative one; such a matrix has rcond < p eps).
  std::vector<double> floor(p);
  for (std::size_t k = 0; k < p; ++k) floor[k] = static_cast<double>(p) * DBL_EPSILON * std::fabs(a[k + k * p]);
  for (std::size_t j = 0; j < p; j += kBlock) {
    const std::size_t jb = std::min(kBlock, p - j);
    const int J = static_cast<int>(j), JB = static_cast<int>(jb);
    double* diag = a + j + j * p;
    if (j > 0) cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, JB, J, -1.0, a + j, n, 1.0, diag, n);
    if (!choleskyBlock(diag, jb, p, floor.data() + j)) return false;
    const std::size_t below = p - j - jb;
    if (below == 0) continue;
    double* panel = a + j + jb + j * p;
    const int B = static_cast<int>(below);
    if (j > 0)
      cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, B, JB, J, -1.0, a + j + jb, n, a + j, n, 1.0, panel, n);
    cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, B, JB, 1.0, diag, n, panel, n);
  }
  return true;
}

}  // namespace

bool cholesky(double* a, std::size_t p, double* rcond) {
  const lapack_int n = static_cast<lapack_int>(p);
  const double anorm = LAPACKE_dlansy(LAPACK_COL_MAJOR, '1', 'L', n, a, n);
  if (!blockedCholesky(a, p)) {
    if (rcond) *rcond = 0.0;
    return false;
  }
  if (rcond) {
    double r = 0.0;
    if (LAPACKE_dpocon(LAPACK_COL_MAJOR, 'L', n, a, n, anorm, &r) != 0) r = 0.0;
    *rcond = r;
  }
  return true;
}

void choleskySolveVector(const double* l, std::size_t p, double* b) {
  const int n = static_cast<int>(p);
  cblas_dtrsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, n, l, n, b, 1);
  cblas_dtrsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, n, l, n, b, 1);
}

void choleskySolve(const double* l, std::size_t p, double* b, std::size_t nrhs) {
  if (nrhs == 0) return;
  const lapack_int n = static_cast<lapack_int>(p);
  LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', n, static_cast<lapack_int>(nrhs), l, n, b, n);
}

void triangularSolve(const double* l, std::size_t p, double* b, std::size_t nrhs, bool trans) {
  if (nrhs == 0) return;
  cblas_dtrsm(CblasColMajor, CblasLeft, CblasLower, trans ? CblasTrans : CblasNoTrans, CblasNonUnit,
              static_cast<int>(p), static_cast<int>(nrhs), 1.0, l, static_cast<int>(p), b, static_cast<int>(p));
}

double singularRcond(std::size_t p) { return 10.0 * DBL_EPSILON * static_cast<double>(std::max<std::size_t>(p, 1)); }

double measureDgemmRate(std::size_t size, std::size_t reps) {
  const int n = static_cast<int>(size);
  std::vector<double> a(size * size), b(size * size), c(size * size);
  for (std::size_t k = 0; k < a.size(); ++k) {
    a[k] = std::sin(0.37 * static_cast<double>(k));
    b[k] = std::cos(0.11 * static_cast<double>(k));
  }
  double best = 0.0;
  for (std::size_t r = 0; r <= reps; ++r) {  // the first run warms up the threads and caches
    const auto t0 = std::chrono::steady_clock::now();
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a.data(), n, b.data(), n, 0.0, c.data(), n);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r > 0) best = std::max(best, 2.0 * n * static_cast<double>(n) * n / s / 1e9);
  }
  return best;
}

}  // namespace tdakit::linalg
