// The MLP against independent computations: logits by a naive forward pass written here,
// losses by a naive log-sum-exp, per-example gradients (loss and true-class margin) by central
// finite differences, training that lowers the loss, a divergence (SGD with a huge learning
// rate) reported as NumericError, and an overflowing architecture rejected before allocating.
#include "../common/error.h"
#include "../mlp/mlp.h"
#include "support.h"

using namespace tdakit;
using test::check;

namespace {

// Forward pass with plain loops (layout: per layer W out x in column-major, then b).
std::vector<double> naiveLogits(const mlp::Architecture& a, const double* theta, const double* x) {
  std::vector<std::size_t> s{a.inputs};
  s.insert(s.end(), a.hidden.begin(), a.hidden.end());
  s.push_back(a.classes);
  std::vector<double> h(x, x + a.inputs);
  std::size_t off = 0;
  for (std::size_t l = 1; l < s.size(); ++l) {
    std::vector<double> z(s[l]);
    for (std::size_t o = 0; o < s[l]; ++o) {
      double v = theta[off + s[l] * s[l - 1] + o];
      for (std::size_t k = 0; k < s[l - 1]; ++k) v += theta[off + o + k * s[l]] * h[k];
      z[o] = l + 1 < s.size() ? std::fmax(v, 0.0) : v;
    }
    off += s[l] * s[l - 1] + s[l];
    h = z;
  }
  return h;
}

double crossEntropy(const std::vector<double>& g, std::size_t y) {
  double m = -INFINITY, s = 0.0;
  for (double v : g) m = std::fmax(m, v);
  for (double v : g) s += std::exp(v - m);
  return m + std::log(s) - g[y];
}

double margin(const std::vector<double>& g, std::size_t y) {
  double m = -INFINITY, s = 0.0;
  for (std::size_t c = 0; c < g.size(); ++c)
    if (c != y) m = std::fmax(m, g[c]);
  for (std::size_t c = 0; c < g.size(); ++c)
    if (c != y) s += std::exp(g[c] - m);
  return g[y] - (m + std::log(s));
}

}  // namespace

int main() {
  mlp::Architecture a;
  a.inputs = 3;
  a.hidden = {5, 4};
  a.classes = 3;
  const std::size_t n = 30, P = a.parameters();
  check(P == (5 * 3 + 5) + (4 * 5 + 4) + (3 * 4 + 3), "parameter count", static_cast<double>(P));
  const std::vector<double> x = test::normals(n * a.inputs, 41);
  std::vector<double> y(n);
  for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<double>(x[i * 3] > 0 ? (x[i * 3 + 1] > 0 ? 2 : 1) : 0);
  std::vector<double> theta(P);
  mlp::initialize(a, 7, theta.data());
  for (double& v : theta) v += 0.05;  // biases off zero so that no ReLU sits exactly at its kink

  std::vector<double> g(n * a.classes), losses(n);
  mlp::logits(a, theta.data(), x.data(), n, g.data());
  const mlp::Data data{x.data(), n, y.data()};
  mlp::losses(a, theta.data(), data, losses.data());
  double logitErr = 0.0, lossErr = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::vector<double> ref = naiveLogits(a, theta.data(), x.data() + i * 3);
    for (std::size_t c = 0; c < a.classes; ++c) logitErr = std::fmax(logitErr, std::fabs(ref[c] - g[i * 3 + c]));
    lossErr = std::fmax(lossErr, std::fabs(crossEntropy(ref, static_cast<std::size_t>(y[i])) - losses[i]));
  }
  check(logitErr < 1e-13, "logits equal a naive forward pass", logitErr);
  check(lossErr < 1e-13, "losses equal the naive cross-entropy", lossErr);

  for (int useMargin = 0; useMargin < 2; ++useMargin) {
    std::vector<double> grads(n * P);
    mlp::exampleGradients(a, theta.data(), data, grads.data(), useMargin == 1);
    double worst = 0.0;
    const double step = 1e-6;
    for (std::size_t i = 0; i < n; i += 7) {
      const std::size_t yi = static_cast<std::size_t>(y[i]);
      for (std::size_t k = 0; k < P; ++k) {
        std::vector<double> tp(theta), tm(theta);
        tp[k] += step;
        tm[k] -= step;
        const auto gp = naiveLogits(a, tp.data(), x.data() + i * 3), gm = naiveLogits(a, tm.data(), x.data() + i * 3);
        const double fd = useMargin ? (margin(gp, yi) - margin(gm, yi)) / (2 * step)
                                    : (crossEntropy(gp, yi) - crossEntropy(gm, yi)) / (2 * step);
        worst = std::fmax(worst, std::fabs(fd - grads[i * P + k]));
      }
    }
    check(worst < 1e-6,
          useMargin ? "margin gradients equal finite differences" : "loss gradients equal finite differences", worst);
  }

  auto meanLoss = [&](const std::vector<double>& t) {
    std::vector<double> l(n);
    mlp::losses(a, t.data(), data, l.data());
    double s = 0.0;
    for (double v : l) s += v;
    return s / static_cast<double>(n);
  };
  mlp::TrainOptions o;
  o.epochs = 200;
  o.batchSize = 10;
  o.learningRate = 1e-2;
  o.seed = 3;
  std::vector<double> trained(theta);
  mlp::train(a, data, o, trained.data());
  check(meanLoss(trained) < 0.5 * meanLoss(theta), "Adam training halves the training loss", meanLoss(trained));

  o.adam = false;
  o.learningRate = 1e6;
  o.epochs = 3;
  std::vector<double> diverging(theta);
  bool diverged = false;
  try {
    mlp::train(a, data, o, diverging.data());
  } catch (const NumericError&) {
    diverged = true;
  }
  check(diverged, "SGD with learning rate 1e6 reports divergence", 0.0);

  mlp::Architecture huge;
  huge.inputs = 2;
  huge.hidden = {std::size_t{1} << 40, std::size_t{1} << 40};
  huge.classes = 2;
  bool rejected = false;
  try {
    huge.parameters();
  } catch (const MemoryError&) {
    rejected = true;
  }
  check(rejected, "an architecture whose parameter count overflows is rejected", 0.0);
  return test::finish();
}
