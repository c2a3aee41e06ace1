#include "krylov.h"

#include <algorithm>
#include <cmath>

#include "../linalg/parallel.h"

namespace tdakit::glm {

// Row ranges of a large Hessian-vector product: enough for the cores of a workstation, fixed so
// that results do not depend on OPENBLAS_NUM_THREADS.
constexpr std::size_t kProductParts = 8;

// How much faster BLAS-3 flops (Hessian builds, factorisations) run than the memory-bound flops
// of a product, on the machines measured (krylovBudget).
constexpr double kBlas3Advantage = 10.0;

namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k) s += a[k] * b[k];
  return s;
}

// Rows per block of a dense product: the block (32 rows of X) is read from memory once by the
// first pass (the row dots) and again from cache by the second (the row sums).
constexpr std::size_t kProductBlock = 32;

// H v = sum_i c_i a_i (a_i^T v) + lambda P v over the rows with c_i != 0, so a product costs one
// pass over the active rows of X: O(n p), memory-bound.
class GlmHessianOperator : public HessianOperator {
 public:
  GlmHessianOperator(const Design& a, const SparseRows* sparse, const std::vector<double>& curvature, double lambda)
      : a_(a), sparse_(sparse), lambda_(lambda) {
    for (std::size_t i = 0; i < a.n; ++i)
      if (curvature[i] != 0.0) {
        rows_.push_back(i);
        c_.push_back(curvature[i]);
      }
    // Entries of X one product reads: large products are split in kProductParts row ranges.
    const std::size_t rows = rows_.size();
    std::size_t entries = rows * a.p();
    if (sparse_) {
      entries = 0;
      for (std::size_t i : rows_) entries += sparse_->rowEntries(i) + 1;
    }
    parts_ = entries >= (std::size_t{1} << 18) ? std::min<std::size_t>(kProductParts, rows / 64) : 1;
  }
  std::size_t activeRows() const override { return rows_.size(); }
  double productFlops() const override {
    if (!sparse_) return 4.0 * static_cast<double>(rows_.size()) * static_cast<double>(a_.p());
    double entries = 0.0;
    for (std::size_t i : rows_) entries += static_cast<double>(sparse_->rowEntries(i) + 1);
    return 4.0 * entries;
  }

  std::vector<double> diagonal() const override {
    const std::size_t d = a_.d, p = a_.p();
    std::vector<double> out(p, 0.0);
    for (std::size_t j = 0; j < rows_.size(); ++j) {
      if (sparse_) {
        sparse_->addRowSquares(rows_[j], c_[j], out.data());
        continue;
      }
      const double* r = a_.row(rows_[j]);
      for (std::size_t k = 0; k < d; ++k) out[k] += c_[j] * r[k] * r[k];
      if (a_.intercept) out[d] += c_[j];
    }
    for (std::size_t k = 0; k < d; ++k) out[k] += lambda_;
    return out;
  }

  void apply(const double* v, double* out) const override {
    const std::size_t d = a_.d, p = a_.p();
    std::fill(out, out + p, 0.0);
    // Large products are split in a fixed number of contiguous row ranges (memory-bound: each
    // core streams its share of X) and summed in range order. The product is plain loops with a
    // fixed summation order, no BLAS: its bits depend on neither the thread count nor the
    // OpenBLAS kernel, and it never switches OpenBLAS's process-wide thread count, so a
    // factorisation running beside it (another removal set) keeps its own split (README:
    // determinism). Sparse X the same way, over its nonzeros.
    const std::size_t rows = rows_.size();
    auto range = [&](std::size_t first, std::size_t last, double* acc) {
      if (sparse_)
        accumulateSparse(first, last, v, acc);
      else
        accumulate(first, last, v, acc);
    };
    if (parts_ <= 1) {
      range(0, rows, out);
    } else {
      std::vector<std::vector<double>> partial(parts_);
      const std::size_t workers = linalg::kernelWorkers(parts_);
      linalg::runWorkers(workers, [&](std::size_t w) {
        for (std::size_t q = w; q < parts_; q += workers) {
          partial[q].assign(p, 0.0);
          range(rows * q / parts_, rows * (q + 1) / parts_, partial[q].data());
        }
      });
      for (const auto& part : partial)
        for (std::size_t k = 0; k < p; ++k) out[k] += part[k];
    }
    for (std::size_t k = 0; k < d; ++k) out[k] += lambda_ * v[k];
  }

 private:
  // Active rows [first, last) of sparse X into acc: c_i a_i (a_i^T v), row after row.
  void accumulateSparse(std::size_t first, std::size_t last, const double* v, double* acc) const {
    for (std::size_t j = first; j < last; ++j) sparse_->addRow(rows_[j], c_[j] * sparse_->rowDot(rows_[j], v), acc);
  }

  // Active rows [first, last) into acc (p entries, the intercept's sum in acc[d]), a block of
  // rows at a time: z = c .* (X_b v), then acc += X_b^T z while the block is still in cache.
  // Contiguous active rows (all of them in a fit) are read in place, others gathered.
  void accumulate(std::size_t first, std::size_t last, const double* v, double* acc) const {
    const std::size_t d = a_.d;
    const double vb = a_.intercept ? v[d] : 0.0;
    double z[kProductBlock];
    std::vector<double> gathered;
    double interceptSum = 0.0;
    for (std::size_t j = first; j < last; j += kProductBlock) {
      const std::size_t m = std::min(kProductBlock, last - j);
      const double* block = a_.row(rows_[j]);
      if (rows_[j + m - 1] - rows_[j] != m - 1) {
        gathered.resize(m * d);
        for (std::size_t t = 0; t < m; ++t) std::copy(a_.row(rows_[j + t]), a_.row(rows_[j + t]) + d, &gathered[t * d]);
        block = gathered.data();
      }
      std::size_t t = 0;
      for (; t + 4 <= m; t += 4) rowDots4(block + t * d, v, d, z + t);
      for (; t < m; ++t) z[t] = rowDot(block + t * d, v, d);
      for (t = 0; t < m; ++t) {
        z[t] = c_[j + t] * (z[t] + vb);
        interceptSum += z[t];
      }
      addScaledRows(block, z, m, d, acc);
    }
    if (a_.intercept) acc[d] += interceptSum;
  }

  // a . v as 4 partial sums (k mod 4) combined as (s0 + s1) + (s2 + s3), then the tail: a fixed
  // order, and independent accumulators, which the compiler vectorises without -ffast-math.
  static double rowDot(const double* a, const double* v, std::size_t d) {
    double s[4] = {0.0, 0.0, 0.0, 0.0};
    std::size_t k = 0;
    for (; k + 4 <= d; k += 4)
      for (std::size_t u = 0; u < 4; ++u) s[u] += a[k + u] * v[k + u];
    double sum = (s[0] + s[1]) + (s[2] + s[3]);
    for (; k < d; ++k) sum += a[k] * v[k];
    return sum;
  }

  // rowDot of the four consecutive rows at a (stride d), each summed in rowDot's order (same
  // bits), in one pass: four rows streamed at once read X about 1.3x faster than one at a time.
  static void rowDots4(const double* a, const double* v, std::size_t d, double* out) {
    const double *a0 = a, *a1 = a + d, *a2 = a1 + d, *a3 = a2 + d;
    double s0[4] = {0.0, 0.0, 0.0, 0.0}, s1[4] = {0.0, 0.0, 0.0, 0.0}, s2[4] = {0.0, 0.0, 0.0, 0.0},
           s3[4] = {0.0, 0.0, 0.0, 0.0};
    std::size_t k = 0;
    for (; k + 4 <= d; k += 4)
      for (std::size_t u = 0; u < 4; ++u) {
        const double w = v[k + u];
        s0[u] += a0[k + u] * w;
        s1[u] += a1[k + u] * w;
        s2[u] += a2[k + u] * w;
        s3[u] += a3[k + u] * w;
      }
    double x0 = (s0[0] + s0[1]) + (s0[2] + s0[3]), x1 = (s1[0] + s1[1]) + (s1[2] + s1[3]);
    double x2 = (s2[0] + s2[1]) + (s2[2] + s2[3]), x3 = (s3[0] + s3[1]) + (s3[2] + s3[3]);
    for (; k < d; ++k) {
      x0 += a0[k] * v[k];
      x1 += a1[k] * v[k];
      x2 += a2[k] * v[k];
      x3 += a3[k] * v[k];
    }
    out[0] = x0;
    out[1] = x1;
    out[2] = x2;
    out[3] = x3;
  }

  const Design& a_;
  const SparseRows* sparse_;
  double lambda_;
  std::vector<std::size_t> rows_;
  std::vector<double> c_;
  std::size_t parts_ = 1;  // row ranges of a product (kProductParts when large, else 1)
};

}  // namespace

std::unique_ptr<HessianOperator> Objective::hessianOperator(const double* theta, const Evaluation* at) const {
  return std::make_unique<GlmHessianOperator>(problem_.design, sparse_, curvatureWeights(theta, false, at),
                                              problem_.lambda);
}

KrylovStep conjugateGradients(const HessianOperator& h, const std::function<void(double*)>& applyInverse,
                              const std::vector<double>& gradient, double target, int budget) {
  const std::size_t p = gradient.size();
  KrylovStep out;
  out.direction.assign(p, 0.0);
  std::vector<double> r(gradient), z, dir, hd(p);
  for (double& v : r) v = -v;
  out.residual = std::sqrt(dot(r, r));
  if (out.residual <= target) {
    out.solved = true;
    return out;
  }
  z = r;
  applyInverse(z.data());
  dir = z;
  double rz = dot(r, z);
  while (out.iterations < budget) {
    h.apply(dir.data(), hd.data());
    ++out.iterations;
    const double curvature = dot(dir, hd);
    if (!(curvature > 0.0) || !(rz > 0.0)) break;  // not positive definite in float64: give up
    const double alpha = rz / curvature;
    for (std::size_t k = 0; k < p; ++k) {
      out.direction[k] += alpha * dir[k];
      r[k] -= alpha * hd[k];
    }
    out.residual = std::sqrt(dot(r, r));
    if (out.residual <= target) {
      out.solved = true;
      break;
    }
    z = r;
    applyInverse(z.data());
    const double rzNext = dot(r, z);
    const double beta = rzNext / rz;
    rz = rzNext;
    for (std::size_t k = 0; k < p; ++k) dir[k] = z[k] + beta * dir[k];
  }
  return out;
}

double newtonStepFlops(std::size_t activeRows, std::size_t p) {
  const double m = static_cast<double>(activeRows), q = static_cast<double>(p);
  return m * q * q + q * q * q / 3.0;
}

int jacobiAllowance(double savedFlops, const HessianOperator& h, std::size_t p) {
  const double product = kBlas3Advantage * (h.productFlops() + 2.0 * static_cast<double>(p));
  return static_cast<int>(std::clamp(savedFlops / product, 0.0, 1e6));
}

int krylovBudget(std::size_t activeRows, std::size_t p) {
  // A Newton step: syrk over the active rows (m p^2 flops) and dpotrf (p^3 / 3) at BLAS-3 speed.
  // A product: 2 m p + p^2 (the preconditioner's triangular solves) flops, memory-bound at about
  // a tenth of the BLAS-3 rate on the machines measured (bench/results). Measured on the
  // project's 2-core machine at n = 10,000, p = 2,049 (blocked products, dtrsv solves): a
  // Hessian build and its factorisation cost 45-90 products depending on the load (the build is
  // compute-bound, products memory-bound); this model says 50. Fixed rather than timed, so that
  // the steps taken, and the result's bits, do not depend on the machine's load.
  const double m = static_cast<double>(activeRows), q = static_cast<double>(p);
  const double product = kBlas3Advantage * (4.0 * m * q + 2.0 * q * q);
  return static_cast<int>(std::clamp(newtonStepFlops(activeRows, p) / product, 4.0, 1000.0));
}

}  // namespace tdakit::glm
