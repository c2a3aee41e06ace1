// Many perturbed copies of a softmax regression in one call (Daunce, docs/methods.md section 4),
// the multi-class counterpart of copies.h: each copy minimises the weighted logit-space objective
// over its own rows D^k with its own first-order term, warm-started from theta_0, on the shared
// pool (copy_pool.h). A copy's bits do not depend on the batch or on the number of workers.
#pragma once
#include <cstddef>
#include <memory>
#include <vector>

#include "copies.h"
#include "multinomial.h"

namespace tdakit::glm {

struct MultinomialCopiesProblem {
  Design design;  // the full training design
  std::size_t classes = 2;
  const double* y = nullptr;       // n class ids
  const double* offset = nullptr;  // n offsets of the squared objectives, null = 0
  LogitObjective objective = LogitObjective::CrossEntropy;
  double lambda = 0.0;             // ridge coefficient of every copy
  const double* theta0 = nullptr;  // (classes - 1) p: warm start of every copy
  // CopySpec::coef holds size x (classes - 1) values, row-major: the linear term of a copy is
  // sum_j sum_c coef_{j,c} (e_c kron a_{rows_j}), c over the free logits; null = none.
  std::vector<CopySpec> copies;
  Design queries;                       // the queries' design (same columns)
  const double* queryLabels = nullptr;  // queries' class ids
  FitOptions fit;
  // The reference factorisation (the full-data curvature at theta_0, every example weighted
  // referenceWeight): chord steps' preconditioner for copies with at least 10 rows per
  // parameter, the first quasi-Newton steps' of the damped Newton of the others (copy_newton.h;
  // measured on 1,000 x 60, 4 classes, ratio 0.3: 1.04 instead of 2.43 ms per batched copy).
  // False: damped Newton from a first Hessian build.
  bool precondition = true;
  double referenceWeight = 0.0;
  // The reference factor that an earlier call on the same problem (copies aside) used: taken as
  // given instead of rebuilt (a full-data Hessian build per call). Null: built here. Empty: none.
  std::shared_ptr<const std::vector<double>> givenReference;
};

// Solves every copy on `threads` workers (at least 1) and returns them in order, with the
// cross-entropy of every training example and query under each copy (CopyResult::krylovIterations
// counts chord steps here). OpenBLAS runs single-threaded for the duration of the call.
// With `reference` non-null, the reference factor used (given or built; empty when none) is
// written there, for the next call's givenReference.
std::vector<CopyResult> fitMultinomialCopies(const MultinomialCopiesProblem& problem, std::size_t threads,
                                             std::vector<double>* reference = nullptr);

// Cross-entropy log sum_c e^{z_c} - z_y of every row under theta (reference class last, logit 0).
std::vector<double> crossEntropies(const Design& a, std::size_t classes, const double* theta, const double* y);

}  // namespace tdakit::glm
