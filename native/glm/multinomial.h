// Multinomial (softmax) regression with C classes, the last class as reference (its logit is
// 0), so theta holds C - 1 blocks of p parameters (class-major) and the Hessian is positive
// definite whenever lambda > 0. Per-example objectives in logit space z (C - 1 values):
//   CrossEntropy:        l(z) = log(1 + sum_c e^{z_c}) - z_y            (z_{C-1} = 0)
//   CrossEntropySquared: (l(z) - o)^2 / 2                               (Daunce-E)
//   MarginSquared:       (f(z) - o)^2 / 2, f = z_y - logsumexp_{c != y} z_c (Daunce-T)
// The objective is sum_i w_i phi_i + (lambda/2) sum_c ||P theta_c||^2 + linear^T theta.
#pragma once
#include <cstddef>
#include <memory>
#include <vector>

#include "design.h"
#include "objective.h"

namespace tdakit::glm {

enum class LogitObjective { CrossEntropy = 0, CrossEntropySquared = 1, MarginSquared = 2 };

struct MultinomialProblem {
  Design design;
  std::size_t classes = 2;
  const double* y = nullptr;        // class ids in [0, classes)
  const double* weights = nullptr;  // n, null = all 1
  double lambda = 0.0;
  const double* linear = nullptr;  // (C - 1) p, null = none
  const double* offset = nullptr;  // n (squared objectives), null = 0
  LogitObjective objective = LogitObjective::CrossEntropy;
  // Hessian-vector products for Newton-Krylov steps (CrossEntropy only; multinomial_hessian.cc).
  // Off for Daunce's copies, which keep their chord-step path.
  bool hessianProducts = false;

  std::size_t blocks() const { return classes - 1; }
  double weight(std::size_t i) const { return weights ? weights[i] : 1.0; }
};

// Value, gradient (C - 1) and curvature ((C - 1)^2, row-major; exact or a PSD bound) of one
// example's objective in logit space.
struct LogitTerms {
  double value = 0.0;
  std::vector<double> gradient, curvature;
  // Scratch (probabilities and the gradient of l or f), kept with the output so that a loop over
  // the examples allocates nothing per example.
  std::vector<double> probabilities, direction;
};
void logitTerms(const MultinomialProblem& pr, const double* z, std::size_t i, bool exact, LogitTerms& out);
// Softmax probabilities p (free values) of the free logits z (the reference class's is 0);
// returns log(1 + sum_c e^{z_c}). logitTerms forms its cross-entropy terms with it.
double softmaxProbabilities(const double* z, std::size_t free, double* p);

class MultinomialObjective : public NewtonObjective {
 public:
  explicit MultinomialObjective(const MultinomialProblem& problem);
  std::size_t parameters() const override { return problem_.blocks() * problem_.design.p(); }
  double value(const double* theta) const override;
  void evaluate(const double* theta, bool withHessian, Evaluation& out) const override;
  void hessian(const double* theta, std::vector<double>& out, bool exact = false) const override;
  bool boundedCurvature() const override { return problem_.objective != LogitObjective::CrossEntropy; }
  bool hasHessianOperator() const override;  // multinomial_hessian.cc
  // H v in 4 n p (C - 1) flops per product, without forming H; the margins of `at` are its logits.
  std::unique_ptr<HessianOperator> hessianOperator(const double* theta, const Evaluation* at = nullptr) const override;
  // Logits (n x (C - 1), row-major) at theta.
  std::vector<double> logits(const double* theta) const;

 private:
  MultinomialProblem problem_;
  std::vector<double> rowNorms_;
};

// All C logits (n x classes, row-major) of theta ((classes - 1) blocks of p): column c < C - 1
// is A theta_c, the reference column C - 1 is 0.
void referenceLogits(const Design& a, std::size_t classes, const double* theta, double* out);

}  // namespace tdakit::glm
