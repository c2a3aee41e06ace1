// Hessian-vector products over float32 copies of a dense design's rows, for Daunce's large
// logistic copies (copies.cc): their conjugate-gradient solves read the copy's rows once per
// product, and with 30,000 x 101 rows per copy those passes over memory were 40% of a copy's
// time. Rounded to float32 they are half the bytes. The products are of the Hessian of slightly
// perturbed rows (relative rounding 6e-8 per entry; still a Gram matrix, so positive
// semidefinite, plus the ridge); the gradients, line searches and stopping tests stay on the
// float64 objective, so the optimum reached is the same to the same tolerance.
#pragma once
#include <memory>
#include <vector>

#include "objective.h"

namespace tdakit::glm {

// The lower Cholesky factor (p x p, column-major, float32) of sum_i c_i a~_i a~_i^T + lambda P,
// with a~_i row i of `rows` (roundRows of `a`) and the intercept's 1: float32 syrk and potrf, on
// half the bytes at twice the vector width of float64. `scaled` is scratch (p x n floats). False
// when a weight is negative or non-finite, a scaled entry overflows, the matrix is not positive
// definite in float32, or its condition number (bounded below by the squared ratio of the
// factor's largest to smallest diagonal entry) exceeds 1.7e5: then the caller builds the float64
// Hessian.
bool floatHessianFactor(const Design& a, const std::vector<float>& rows, const std::vector<double>& c, double lambda,
                        std::vector<float>& scaled, std::vector<float>& factor);

// b <- (L L^T)^{-1} b for a float32 lower factor L (p x p): b rounded to float32 in `scratch`, two
// strsv, and back.
void floatFactorSolve(const std::vector<float>& l, std::size_t p, double* b, std::vector<float>& scratch);

// Rounds the rows of `a` (dense, row-major) to float32 into `out`. False, with `out` unusable,
// when a value overflows float32 (the products then stay float64).
bool roundRows(const Design& a, std::vector<float>& out);

// `inner` with its Hessian-vector products over `rows` (roundRows of inner's design; both must
// outlive this object). Everything else is inner's.
class Float32ProductsObjective : public NewtonObjective {
 public:
  Float32ProductsObjective(const Objective& inner, const std::vector<float>& rows) : inner_(inner), rows_(rows) {}
  std::size_t parameters() const override { return inner_.parameters(); }
  double value(const double* theta) const override { return inner_.value(theta); }
  void evaluate(const double* theta, bool withHessian, Evaluation& out) const override {
    inner_.evaluate(theta, withHessian, out);
  }
  void hessian(const double* theta, std::vector<double>& out, bool exact = false) const override {
    inner_.hessian(theta, out, exact);
  }
  bool boundedCurvature() const override { return inner_.boundedCurvature(); }
  bool constantHessian() const override { return inner_.constantHessian(); }
  bool hasHessianOperator() const override { return true; }
  std::unique_ptr<HessianOperator> hessianOperator(const double* theta, const Evaluation* at = nullptr) const override;
  bool separated(const Evaluation& e) const override { return inner_.separated(e); }

 private:
  const Objective& inner_;
  const std::vector<float>& rows_;
};

}  // namespace tdakit::glm
