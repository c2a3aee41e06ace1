// M = H + sum_j c_j a_{r_j} a_{r_j}^T - shift * P, the Hessian after changing the weights of
// a few examples (c_j < 0 removes) and shrinking the penalty (the per-example convention),
// applied as M^{-1} b. Woodbury on the stored factor of H (k x k system) when only
// removals change and k < p; otherwise M is formed and refactored.
#pragma once
#include <cstddef>
#include <memory>
#include <vector>

#include "../glm/design.h"
#include "packed_factor.h"

namespace tdakit::influence {

class ReducedHessian {
 public:
  // h: H (p x p, column-major, both triangles); l: its Cholesky factor; rows/coef: k changes;
  // shift: subtracted from the penalised (non-intercept) diagonal.
  // packedReference: PackedFactor(l, p) built before (shared by the refits of one model), or null
  // to build it here when the Woodbury path first preconditions.
  ReducedHessian(const glm::Design& a, const double* h, const double* l, const std::size_t* rows, const double* coef,
                 std::size_t k, double shift, std::shared_ptr<const PackedFactor> packedReference = nullptr);

  // b <- M^{-1} b in float64 (the Newton step estimate).
  void apply(double* b) const;
  // b <- an approximation of M^{-1} b for preconditioning: the same formula with the factor of H
  // (or M) in float32 (PackedFactor), about 4x cheaper; apply() where float32 cannot hold it.
  void precondition(double* b) const;
  bool usesWoodbury() const { return woodbury_; }
  // Whether the constructor takes the Woodbury path for these changes (only removals, k < p).
  static bool woodburyApplies(const double* coef, std::size_t k, std::size_t p, double shift);
  // The changes j < k that a preconditioner must correct for: those whose leverage in H,
  // -coef_j a_j^T H^{-1} a_j, may exceed `cut`, judged by the Jacobi estimate
  // -coef_j sum_i a_ji^2 / H_ii (O(p) per row, where the exact value costs a p x p solve). A
  // removal of leverage h moves one eigenvalue of H^{-1} M to 1 - h (the others stay at 1), so
  // the ones left out form a cluster near 1 that conjugate gradients resolve in an iteration or
  // two, while the Woodbury setup's triangular solve costs p^2 per row kept. On spam (5%
  // removed, 302 rows) the leverages span 1e-37 to 0.85 with median 6e-6, and the estimate
  // follows them within a factor of 3.
  static std::vector<std::size_t> leveragedChanges(const glm::Design& a, const double* h, const std::size_t* rows,
                                                   const double* coef, std::size_t k, double cut);
  // A preconditioner for refits that need no exact solve with M: M's Woodbury path over the
  // leveragedChanges(cut) only (the constructor's arguments otherwise; all of them where Woodbury
  // does not apply).
  static ReducedHessian preconditioner(const glm::Design& a, const double* h, const double* l, const std::size_t* rows,
                                       const double* coef, std::size_t k, double shift, double cut,
                                       std::shared_ptr<const PackedFactor> packedReference = nullptr);
  // Changes the Woodbury correction covers (0 on the direct path).
  std::size_t woodburyChanges() const { return k_; }
  // Flops the constructor spends forming and factoring M (k p^2 + p^3 / 3), 0 on the Woodbury path
  // (its setup is of the order of a few Hessian-vector products).
  static double formingFlops(const double* coef, std::size_t k, std::size_t p, double shift);

 private:
  // M^{-1} b = L^{-T} (I + W S^{-1} W^T) L^{-1} b: the middle factor, given z = L^{-1} b.
  // w: W in float64 (apply) or float32 (precondition: half the memory traffic).
  template <typename T>
  void woodburyMiddle(const T* w, double* z) const;
  std::size_t p_;
  const double* l_;
  bool woodbury_ = false;
  std::size_t k_ = 0;
  std::vector<double> w_;       // p x k: W = L^{-1} u, u_j = sqrt(-c_j) a_j (Woodbury)
  std::vector<double> inner_;   // k x k: Cholesky of S = I - W^T W (Woodbury)
  std::vector<double> factor_;  // p x p: Cholesky of M (direct)
  // float32 copy of L (Woodbury) or of M's factor (direct): given, or built on first use
  mutable std::shared_ptr<const PackedFactor> packed_;
  mutable std::vector<float> w32_;  // W in float32, built with packed_
  mutable bool packedBuilt_ = false;
};

}  // namespace tdakit::influence
