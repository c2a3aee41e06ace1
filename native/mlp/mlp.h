// A multilayer perceptron (ReLU hidden layers, softmax output) for Daunce on networks
// (docs/methods.md section 4): seeded initialisation, minibatch Adam or SGD with momentum,
// per-example objectives in logit space with a first-order term, per-example losses and
// parameter gradients. Parameters are one flat vector: for each layer, W (out x in,
// column-major) then b (out).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tdakit::mlp {

struct Architecture {
  std::size_t inputs = 0;
  std::vector<std::size_t> hidden;
  std::size_t classes = 0;

  std::vector<std::size_t> sizes() const;  // inputs, hidden..., classes
  std::size_t parameters() const;
};

// What each example contributes, as a function of its logits g (y its class):
//   CrossEntropy:        l(g) = logsumexp(g) - g_y
//   CrossEntropySquared: (l(g) - o)^2 / 2
//   MarginSquared:       (f(g) - o)^2 / 2, f = g_y - logsumexp_{c != y} g_c
// times lossScale (Daunce's gamma), plus e^T g when a logit-space linear term e (n x C) is given.
enum class Objective { CrossEntropy = 0, CrossEntropySquared = 1, MarginSquared = 2 };

enum class Schedule { Constant = 0, Cosine = 1 };

struct Data {
  const double* x = nullptr;  // n x inputs, row-major
  std::size_t n = 0;
  const double* y = nullptr;  // class ids
};

struct TrainOptions {
  Objective objective = Objective::CrossEntropy;
  const double* offset = nullptr;         // n (squared objectives), null = 0
  const double* linear = nullptr;         // n x classes, row-major, null = none
  const std::uint32_t* subset = nullptr;  // examples trained on, null = all
  std::size_t subsetSize = 0;
  double penalty = 0.0;  // (penalty/2)||W||^2 added to the mean objective (biases unpenalised)
  int epochs = 10;
  std::size_t batchSize = 64;
  double learningRate = 1e-3;
  bool adam = true;
  double momentum = 0.9;  // SGD only
  // Learning rate of step t (0-based) out of T = epochs * ceil(examples / batchSize): constant, or
  // cosine decay to 0, learningRate * (1 + cos(pi t / T)) / 2 (Daunce's fine-tuning schedule).
  Schedule schedule = Schedule::Constant;
  double lossScale = 1.0;  // multiplies the objective's loss term, not the linear term or the penalty
  std::uint64_t seed = 0;
};

// The learning rate of step `step` (0-based) of `steps` under `o`'s schedule.
double learningRateAt(const TrainOptions& o, std::size_t step, std::size_t steps);

void initialize(const Architecture& a, std::uint64_t seed, double* theta);
void train(const Architecture& a, const Data& data, const TrainOptions& o, double* theta);
// Logits, n x classes row-major.
void logits(const Architecture& a, const double* theta, const double* x, std::size_t n, double* out);
// Cross-entropy loss of every example.
void losses(const Architecture& a, const double* theta, const Data& data, double* out);
// Gradient of every example's cross-entropy loss (margin = false) or of its true-class
// margin f = g_y - logsumexp_{c != y} g_c (margin = true, TRAK's output function) with
// respect to all parameters (n x P).
void exampleGradients(const Architecture& a, const double* theta, const Data& data, double* out, bool margin = false);

}  // namespace tdakit::mlp
