// The training objective of docs/methods.md section 1, extended by an optional linear term:
//   F(theta) = sum_i w_i l_i(a_i^T theta) + (lambda/2) ||P theta||^2 + c^T theta
// (the linear term carries the first-order perturbation of Daunce objectives).
#pragma once
#include <cstddef>
#include <memory>
#include <vector>

#include "design.h"
#include "family.h"
#include "sparse_rows.h"

namespace tdakit::glm {

struct Problem {
  Design design;
  Family family = Family::Logistic;
  const double* y = nullptr;        // n labels
  const double* weights = nullptr;  // n example weights, null = all 1
  double lambda = 0.0;              // coefficient of (lambda/2)||P theta||^2
  const double* linear = nullptr;   // p, null = none
  const double* offset = nullptr;   // n per-example offsets of LogisticLossSquared, null = 0

  double weight(std::size_t i) const { return weights ? weights[i] : 1.0; }
  Pointwise at(std::size_t i, double z) const { return pointwise(family, z, y[i], offset ? offset[i] : 0.0); }
  std::size_t p() const { return design.p(); }
};

struct Evaluation {
  double value = 0.0;
  std::vector<double> gradient;  // p
  // Size of the terms the gradient sums (sum_i w_i |dl_i| ||a_i|| + lambda ||P theta|| + ||c||):
  // the scale against which "zero up to rounding" is judged.
  double gradientScale = 0.0;
  // sqrt(sum_i (w_i l''_i ||a_i||^2)^2) ||theta||: how far the rounding of the margins a_i^T theta
  // (relative error eps, independent between examples, so root-sum-square) moves the gradient,
  // per unit eps. 0 when an objective omits it.
  double marginRounding = 0.0;
  std::vector<double> hessian;  // p x p column-major, filled only when asked for
  std::vector<double> margins;  // n
};

// v -> H v for the Hessian H at a fixed theta, without forming H (O(n p) per product).
class HessianOperator {
 public:
  virtual ~HessianOperator() = default;
  virtual void apply(const double* v, double* out) const = 0;
  // Examples with nonzero curvature weight (what one product reads).
  virtual std::size_t activeRows() const = 0;
  // diag(H), one pass over the active rows (the Jacobi preconditioner); empty when not provided.
  virtual std::vector<double> diagonal() const { return {}; }
  // Flops of one product (4 per entry of X it reads: the nonzeros of sparse rows).
  virtual double productFlops() const = 0;
};

// What the Newton and chord solvers need of an objective (binary GLMs, the multinomial).
class NewtonObjective {
 public:
  virtual ~NewtonObjective() = default;
  virtual std::size_t parameters() const = 0;
  // Value only (line searches).
  virtual double value(const double* theta) const = 0;
  // Value, gradient, gradient scale (and margins); Hessian when withHessian.
  virtual void evaluate(const double* theta, bool withHessian, Evaluation& out) const = 0;
  // The Hessian at theta (p x p, column-major, both triangles), penalty included; with
  // exact = false, the positive semidefinite bound of a non-convex family's curvature.
  virtual void hessian(const double* theta, std::vector<double>& out, bool exact = false) const = 0;
  // Whether the exact curvature can differ from the bound (a family that is not convex).
  virtual bool boundedCurvature() const { return false; }
  // Whether the Hessian is the same at every theta (least squares): one Newton step solves it.
  virtual bool constantHessian() const { return false; }
  // Whether hessianOperator() provides products (Newton-Krylov steps).
  virtual bool hasHessianOperator() const { return false; }
  // Products with the Hessian at theta (the one hessian() builds); null when not provided. `at`,
  // when given, is an evaluation at theta whose margins it reuses (no pass over X).
  virtual std::unique_ptr<HessianOperator> hessianOperator(const double*, const Evaluation* = nullptr) const {
    return nullptr;
  }
  // Whether the iterate shows that no minimiser exists (separable data).
  virtual bool separated(const Evaluation&) const { return false; }
  // Throws the NumericError that explains a singular Newton system.
  [[noreturn]] virtual void diagnose(const Evaluation& e, double rcond) const;
};

// Throws NumericError when the data are too large for float64 arithmetic: a row of X whose
// norm overflows (a sentinel such as Number.MAX_VALUE) or weights whose sum overflows.
void checkMagnitudes(const Design& design, const std::vector<double>& rowNorms, const double* weights);

// What an objective derives from X alone: its nonzeros by row when X is sparse, and the row
// norms. A pass over all of X (36-60 ms on spam, 6,046 x 2,000), so the refits of one model build
// it once and share it (binding: the refit cache) instead of once per refit.
struct DesignSummary {
  std::shared_ptr<const SparseRows> sparse;  // null when X is dense
  std::vector<double> rowNorms;              // ||a_i||_2, the intercept's 1 included
  static std::shared_ptr<const DesignSummary> build(const Design& a);
};

class Objective : public NewtonObjective {
 public:
  explicit Objective(const Problem& problem);
  // With the summary of problem.design, built before (DesignSummary::build of the same X).
  Objective(const Problem& problem, std::shared_ptr<const DesignSummary> summary);
  const Problem& problem() const { return problem_; }
  std::size_t parameters() const override { return problem_.p(); }

  double value(const double* theta) const override;
  void evaluate(const double* theta, bool withHessian, Evaluation& out) const override;
  void hessian(const double* theta, std::vector<double>& out, bool exact = false) const override;
  bool boundedCurvature() const override { return problem_.family == Family::LogisticLossSquared; }
  bool constantHessian() const override { return problem_.family == Family::Squared; }
  bool hasHessianOperator() const override { return true; }
  std::unique_ptr<HessianOperator> hessianOperator(const double* theta,
                                                   const Evaluation* at = nullptr) const override;  // krylov.cc
  // Logistic: theta classifies every weighted example correctly.
  bool separated(const Evaluation& e) const override;
  // Per-example Hessian weights w_i * l''_i at theta (the bound, or the exact curvature); from
  // the margins of `at` (an evaluation at theta) when given.
  std::vector<double> curvatureWeights(const double* theta, bool exact = false, const Evaluation* at = nullptr) const;

 private:
  Problem problem_;
  std::shared_ptr<const DesignSummary> summary_;
  const SparseRows* sparse_;             // X's nonzeros when X is sparse, else null
  const std::vector<double>& rowNorms_;  // summary_'s
  double penalty(const double* theta) const;
  void allMargins(const double* theta, double* z) const;
};

}  // namespace tdakit::glm
