// The penalised GLM Hessian H = sum_i c_i a_i a_i^T + lambda P (P the identity on the d feature
// coordinates; the intercept is unpenalised) and its Cholesky factor, the reference
// factorisation that every influence score, leverage and reduced solve starts from.
#pragma once
#include <cstddef>
#include <vector>

#include "../glm/design.h"

namespace tdakit::influence {

struct Factorization {
  std::vector<double> hessian;  // p x p, column-major, both triangles
  std::vector<double> factor;   // lower Cholesky factor L (H = L L^T), strict upper triangle zero
  double rcond = 0.0;           // LAPACK's reciprocal condition estimate of H (1-norm)
};

// sum_i c_i a_i a_i^T + lambda P.
std::vector<double> penalizedHessian(const glm::Design& a, const double* c, double lambda);

// Factors a Hessian; NumericError when it is not positive definite or numerically singular.
Factorization factorHessian(std::vector<double> hessian, std::size_t p);

}  // namespace tdakit::influence
