// Many perturbed copies of a binary GLM in one call (Daunce, docs/methods.md section 4): each
// copy minimises the weighted objective over its own rows D^k with its own first-order term,
// warm-started from theta_0, on a pool of std::threads. Every copy is computed by the same
// single-threaded code whatever the pool size, so a copy's bits do not depend on how many
// copies share a call or on how many threads run them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "design.h"
#include "family.h"
#include "newton.h"

namespace tdakit::glm {

// One perturbed copy: the rows it trains on, their weights and first-order coefficients.
struct CopySpec {
  const std::uint32_t* rows = nullptr;  // indices into the design, any order
  std::size_t size = 0;
  const double* weights = nullptr;  // size weights of the rows' loss terms
  const double* coef = nullptr;     // size: the linear term is sum_j coef_j a_{rows_j}; null = none
};

struct CopiesProblem {
  Design design;                     // the full training design
  Family family = Family::Logistic;  // of the perturbed objective
  const double* y = nullptr;         // n targets of `family`
  const double* offset = nullptr;    // n offsets (LogisticLossSquared), null = 0
  double lambda = 0.0;               // ridge coefficient of every copy
  const double* theta0 = nullptr;    // p: warm start of every copy
  std::vector<CopySpec> copies;
  const double* labels = nullptr;       // n: labels of the logistic losses reported per copy
  Design queries;                       // the queries' design (same columns)
  const double* queryLabels = nullptr;  // queries' labels
  FitOptions fit;
  // The reference factorisation (the full-data curvature at theta_0, scaled to a copy's weight):
  // preconditioner of Newton-Krylov for copies with at least 10 rows per parameter, first steps of
  // the damped Newton of the others (copy_newton.h). False: damped Newton alone.
  bool precondition = true;
  // Weight of every example in the reference curvature (a copy's total weight spread over all n
  // examples): the same for every copy, so a copy's preconditioner does not depend on its batch.
  double referenceWeight = 0.0;
  // The reference factor that an earlier call on the same problem (copies aside) used: taken as
  // given instead of rebuilt (a full-data Hessian build per call). Null: built here. Empty: none.
  std::shared_ptr<const std::vector<double>> givenReference;
};

struct CopyResult {
  std::vector<double> theta;
  std::vector<double> trainLoss;  // logistic loss of every training example under theta
  std::vector<double> queryLoss;  // and of every query
  int newtonIterations = 0;
  int krylovIterations = 0;
};

// Solves every copy on `threads` workers (at least 1) and returns them in order. OpenBLAS runs
// single-threaded for the duration of the call (process-wide; restored afterwards), so B workers
// do not each fan out to all cores. Throws the first copy's error after all workers stop.
// With `reference` non-null, the reference factor used (given or built; empty when none) is
// written there, for the next call's givenReference.
std::vector<CopyResult> fitCopies(const CopiesProblem& problem, std::size_t threads,
                                  std::vector<double>* reference = nullptr);

}  // namespace tdakit::glm
