#include "mlp.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "../common/checked.h"
#include "../common/error.h"
#include "../linalg/blas.h"

namespace tdakit::mlp {

std::vector<std::size_t> Architecture::sizes() const {
  std::vector<std::size_t> s{inputs};
  s.insert(s.end(), hidden.begin(), hidden.end());
  s.push_back(classes);
  return s;
}

std::size_t Architecture::parameters() const {
  const auto s = sizes();
  std::size_t p = 0;
  for (std::size_t l = 1; l < s.size(); ++l)
    p = checkedAdd(p, checkedAdd(checkedMul(s[l], s[l - 1], "the MLP's weights"), s[l], "the MLP's weights"),
                   "the MLP's parameters");
  return p;
}

namespace {

// splitmix64: seeded, portable, enough for initialisation and shuffling.
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

// Activations of one batch: z[l], h[l] per layer (size x batch, column-major); h[0] is the input.
struct Pass {
  std::vector<std::vector<double>> z, h;
};

// Offsets of W_l and b_l in theta for layers l = 1..L.
std::vector<std::size_t> layerOffsets(const std::vector<std::size_t>& s) {
  std::vector<std::size_t> off(s.size(), 0);
  std::size_t p = 0;
  for (std::size_t l = 1; l < s.size(); ++l) {
    off[l] = p;
    p += s[l] * s[l - 1] + s[l];
  }
  return off;
}

void forwardBatch(const std::vector<std::size_t>& s, const std::vector<std::size_t>& off, const double* theta,
                  const double* xBatch, std::size_t batch, Pass& pass) {
  const std::size_t L = s.size() - 1;
  pass.z.resize(L + 1);
  pass.h.resize(L + 1);
  pass.h[0].assign(xBatch, xBatch + s[0] * batch);
  for (std::size_t l = 1; l <= L; ++l) {
    const double* W = theta + off[l];
    const double* b = W + s[l] * s[l - 1];
    auto& z = pass.z[l];
    z.resize(s[l] * batch);
    for (std::size_t j = 0; j < batch; ++j) std::copy(b, b + s[l], z.begin() + j * s[l]);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(s[l]), static_cast<int>(batch),
                static_cast<int>(s[l - 1]), 1.0, W, static_cast<int>(s[l]), pass.h[l - 1].data(),
                static_cast<int>(s[l - 1]), 1.0, z.data(), static_cast<int>(s[l]));
    auto& h = pass.h[l];
    h.resize(z.size());
    if (l < L)
      for (std::size_t k = 0; k < z.size(); ++k) h[k] = z[k] > 0 ? z[k] : 0.0;
    else
      h = z;
  }
}

double logSumExp(const double* g, std::size_t C, std::size_t skip = static_cast<std::size_t>(-1)) {
  double m = -INFINITY;
  for (std::size_t c = 0; c < C; ++c)
    if (c != skip) m = std::max(m, g[c]);
  double s = 0.0;
  for (std::size_t c = 0; c < C; ++c)
    if (c != skip) s += std::exp(g[c] - m);
  return m + std::log(s);
}

// d phi / d g for one example (C values), by objective; returns phi's base loss value.
void logitGradient(Objective obj, const double* g, std::size_t C, std::size_t y, double offset, double* out) {
  const double lse = logSumExp(g, C);
  if (obj == Objective::MarginSquared) {
    const double lseOthers = logSumExp(g, C, y);
    const double f = g[y] - lseOthers;
    for (std::size_t c = 0; c < C; ++c) out[c] = c == y ? 1.0 : -std::exp(g[c] - lseOthers);
    for (std::size_t c = 0; c < C; ++c) out[c] *= f - offset;
    return;
  }
  const double l = lse - g[y];
  const double scale = obj == Objective::CrossEntropySquared ? l - offset : 1.0;
  for (std::size_t c = 0; c < C; ++c) out[c] = scale * (std::exp(g[c] - lse) - (c == y ? 1.0 : 0.0));
}

// Accumulates the parameter gradient of one batch given dG (classes x batch) into grad.
void backwardBatch(const std::vector<std::size_t>& s, const std::vector<std::size_t>& off, const double* theta,
                   Pass& pass, std::vector<double> dz, std::size_t batch, double* grad) {
  const std::size_t L = s.size() - 1;
  for (std::size_t l = L; l >= 1; --l) {
    const double* W = theta + off[l];
    double* dW = grad + off[l];
    double* db = dW + s[l] * s[l - 1];
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, static_cast<int>(s[l]), static_cast<int>(s[l - 1]),
                static_cast<int>(batch), 1.0, dz.data(), static_cast<int>(s[l]), pass.h[l - 1].data(),
                static_cast<int>(s[l - 1]), 1.0, dW, static_cast<int>(s[l]));
    for (std::size_t j = 0; j < batch; ++j)
      for (std::size_t k = 0; k < s[l]; ++k) db[k] += dz[k + j * s[l]];
    if (l == 1) break;
    std::vector<double> dh(s[l - 1] * batch);
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, static_cast<int>(s[l - 1]), static_cast<int>(batch),
                static_cast<int>(s[l]), 1.0, W, static_cast<int>(s[l]), dz.data(), static_cast<int>(s[l]), 0.0,
                dh.data(), static_cast<int>(s[l - 1]));
    const auto& z = pass.z[l - 1];
    for (std::size_t k = 0; k < dh.size(); ++k) dh[k] = z[k] > 0 ? dh[k] : 0.0;
    dz.swap(dh);
  }
}

}  // namespace

void initialize(const Architecture& a, std::uint64_t seed, double* theta) {
  const auto s = a.sizes();
  const auto off = layerOffsets(s);
  Rng rng{seed ^ 0x5eedULL};
  for (std::size_t l = 1; l < s.size(); ++l) {
    const double bound = std::sqrt(6.0 / static_cast<double>(s[l - 1]));  // He uniform (ReLU)
    double* W = theta + off[l];
    for (std::size_t k = 0; k < s[l] * s[l - 1]; ++k) W[k] = bound * (2.0 * rng.uniform() - 1.0);
    std::fill(W + s[l] * s[l - 1], W + s[l] * s[l - 1] + s[l], 0.0);
  }
}

double learningRateAt(const TrainOptions& o, std::size_t step, std::size_t steps) {
  if (o.schedule == Schedule::Constant) return o.learningRate;
  const double pi = 3.14159265358979323846;
  return o.learningRate * 0.5 * (1.0 + std::cos(pi * static_cast<double>(step) / static_cast<double>(steps)));
}

void train(const Architecture& a, const Data& data, const TrainOptions& o, double* theta) {
  const auto s = a.sizes();
  const auto off = layerOffsets(s);
  const std::size_t P = a.parameters(), C = a.classes, d = a.inputs;
  std::vector<std::uint32_t> pool;
  if (o.subset)
    pool.assign(o.subset, o.subset + o.subsetSize);
  else {
    pool.resize(data.n);
    std::iota(pool.begin(), pool.end(), 0u);
  }
  if (pool.empty()) throw ArgumentError("MLP training needs at least one example");
  // Penalised coordinates: the weights, not the biases.
  std::vector<char> penalised(P, 0);
  for (std::size_t l = 1; l < s.size(); ++l)
    std::fill(penalised.begin() + off[l], penalised.begin() + off[l] + s[l] * s[l - 1], 1);
  std::vector<double> grad(P), m1(P, 0.0), m2(P, 0.0);
  Rng rng{o.seed};
  std::vector<double> xb, dz;
  Pass pass;
  std::size_t step = 0;
  const std::size_t steps = static_cast<std::size_t>(o.epochs) * ((pool.size() + o.batchSize - 1) / o.batchSize);
  // Divergence: the mean cross-entropy of an epoch's batches (before each update) against that of
  // the very first batch. Healthy training keeps it within a small multiple; a learning rate far
  // too large drives logits (and so the loss) up by orders of magnitude, or to non-finite values.
  double initialLoss = -1.0;
  constexpr double kDivergenceFactor = 1e3;
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    double epochLoss = 0.0;
    for (std::size_t i = pool.size(); i > 1; --i) std::swap(pool[i - 1], pool[rng.next() % i]);
    for (std::size_t first = 0; first < pool.size(); first += o.batchSize) {
      const std::size_t batch = std::min(o.batchSize, pool.size() - first);
      xb.resize(batch * d);
      for (std::size_t j = 0; j < batch; ++j)
        std::copy(data.x + pool[first + j] * d, data.x + (pool[first + j] + 1) * d, xb.begin() + j * d);
      forwardBatch(s, off, theta, xb.data(), batch, pass);
      dz.assign(C * batch, 0.0);
      const auto& g = pass.z.back();
      double batchLoss = 0.0;
      for (std::size_t j = 0; j < batch; ++j) {
        const std::size_t i = pool[first + j];
        batchLoss += logSumExp(g.data() + j * C, C) - g[j * C + static_cast<std::size_t>(data.y[i])];
        logitGradient(o.objective, g.data() + j * C, C, static_cast<std::size_t>(data.y[i]),
                      o.offset ? o.offset[i] : 0.0, dz.data() + j * C);
        if (o.lossScale != 1.0)
          for (std::size_t c = 0; c < C; ++c) dz[j * C + c] *= o.lossScale;
        if (o.linear)
          for (std::size_t c = 0; c < C; ++c) dz[j * C + c] += o.linear[i * C + c];
        for (std::size_t c = 0; c < C; ++c) dz[j * C + c] /= static_cast<double>(batch);
      }
      if (initialLoss < 0.0) initialLoss = batchLoss / static_cast<double>(batch);
      epochLoss += batchLoss;
      std::fill(grad.begin(), grad.end(), 0.0);
      backwardBatch(s, off, theta, pass, dz, batch, grad.data());
      const double rate = learningRateAt(o, step, steps);
      ++step;
      const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
      const double c1 = 1.0 - std::pow(b1, static_cast<double>(step)),
                   c2 = 1.0 - std::pow(b2, static_cast<double>(step));
      for (std::size_t k = 0; k < P; ++k) {
        const double gk = grad[k] + (penalised[k] ? o.penalty * theta[k] : 0.0);
        if (o.adam) {
          m1[k] = b1 * m1[k] + (1 - b1) * gk;
          m2[k] = b2 * m2[k] + (1 - b2) * gk * gk;
          theta[k] -= rate * (m1[k] / c1) / (std::sqrt(m2[k] / c2) + eps);
        } else {
          m1[k] = o.momentum * m1[k] + gk;
          theta[k] -= rate * m1[k];
        }
      }
    }
    epochLoss /= static_cast<double>(pool.size());
    if (!std::isfinite(epochLoss) || epochLoss > kDivergenceFactor * std::max(1.0, initialLoss))
      throw NumericError("MLP training diverged (mean training loss " + std::to_string(epochLoss) + " in epoch " +
                         std::to_string(epoch + 1) + ", " + std::to_string(initialLoss) +
                         " at the start): lower the learning rate");
  }
  for (std::size_t k = 0; k < P; ++k)
    if (!std::isfinite(theta[k]))
      throw NumericError("MLP training diverged (non-finite parameters): lower the learning rate");
}

void logits(const Architecture& a, const double* theta, const double* x, std::size_t n, double* out) {
  const auto s = a.sizes();
  const auto off = layerOffsets(s);
  constexpr std::size_t kBlock = 1024;
  Pass pass;
  for (std::size_t first = 0; first < n; first += kBlock) {
    const std::size_t batch = std::min(kBlock, n - first);
    forwardBatch(s, off, theta, x + first * a.inputs, batch, pass);
    std::copy(pass.z.back().begin(), pass.z.back().end(), out + first * a.classes);
  }
}

void losses(const Architecture& a, const double* theta, const Data& data, double* out) {
  std::vector<double> g(data.n * a.classes);
  logits(a, theta, data.x, data.n, g.data());
  for (std::size_t i = 0; i < data.n; ++i) {
    const double* gi = g.data() + i * a.classes;
    out[i] = logSumExp(gi, a.classes) - gi[static_cast<std::size_t>(data.y[i])];
  }
}

void exampleGradients(const Architecture& a, const double* theta, const Data& data, double* out, bool margin) {
  const auto s = a.sizes();
  const auto off = layerOffsets(s);
  const std::size_t P = a.parameters(), C = a.classes;
  Pass pass;
  for (std::size_t i = 0; i < data.n; ++i) {
    forwardBatch(s, off, theta, data.x + i * a.inputs, 1, pass);
    std::vector<double> dz(C);
    const std::size_t y = static_cast<std::size_t>(data.y[i]);
    if (margin) {
      // (f - o) grad f with o = f - 1: the squared-margin gradient is grad f itself.
      const double* g = pass.z.back().data();
      const double f = g[y] - logSumExp(g, C, y);
      logitGradient(Objective::MarginSquared, g, C, y, f - 1.0, dz.data());
    } else {
      logitGradient(Objective::CrossEntropy, pass.z.back().data(), C, y, 0.0, dz.data());
    }
    std::fill(out + i * P, out + (i + 1) * P, 0.0);
    backwardBatch(s, off, theta, pass, dz, 1, out + i * P);
  }
}

}  // namespace tdakit::mlp
