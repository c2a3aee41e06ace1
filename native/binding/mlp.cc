// Multilayer perceptron exports: initialisation, training, logits, losses, per-example gradients.
#include <napi.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/job.h"
#include "binding/register.h"
#include "binding/codes.h"
#include "common/checked.h"
#include "common/error.h"
#include "mlp/mlp.h"

namespace tdakit::binding {
namespace {

mlp::Architecture readArchitecture(const Reader& r) {
  mlp::Architecture a;
  a.inputs = r.count("d");
  a.classes = r.count("classes");
  if (a.inputs < 1 || a.classes < 2) r.fail<Napi::RangeError>("'d' must be >= 1 and 'classes' >= 2");
  Napi::Value h = r.object().Get("hidden");
  if (!h.IsTypedArray() || h.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
    r.fail<Napi::TypeError>("'hidden' must be a Uint32Array of layer sizes");
  auto sizes = h.As<Napi::Uint32Array>();
  for (std::size_t l = 0; l < sizes.ElementLength(); ++l) {
    if (sizes[l] < 1) r.fail<Napi::RangeError>("'hidden' layer sizes must be >= 1");
    a.hidden.push_back(sizes[l]);
  }
  std::size_t parameters = 0;
  try {
    parameters = a.parameters();
  } catch (const MemoryError&) {
    parameters = Reader::kMaxElements + 1;
  }
  if (parameters > Reader::kMaxElements)
    r.fail<Napi::RangeError>("'d', 'hidden' and 'classes' give more parameters than an array can hold");
  return a;
}

mlp::Data readMlpData(const Reader& r, const mlp::Architecture& a, bool labels) {
  mlp::Data data;
  data.n = r.count("n");
  data.x = r.f64("x", r.product(data.n, a.inputs, "'x' (n x d)"));
  if (labels) {
    data.y = r.f64("y", data.n);
    for (std::size_t i = 0; i < data.n; ++i)
      if (!(data.y[i] >= 0 && data.y[i] < static_cast<double>(a.classes) && data.y[i] == std::floor(data.y[i])))
        r.fail<Napi::RangeError>("'y' holds " + std::to_string(data.y[i]) + " at " + std::to_string(i) +
                                 ", not a class id in [0, " + std::to_string(a.classes) + ")");
  }
  return data;
}

// mlpInit({d, hidden, classes, seed}) -> theta
Napi::Value MlpInit(const Napi::CallbackInfo& info) {
  Reader r(info, "mlpInit");
  const mlp::Architecture a = readArchitecture(r);
  checkAllocation(a.parameters(), sizeof(double), "mlpInit's parameters");
  std::vector<double> theta(a.parameters());
  mlp::initialize(a, static_cast<std::uint64_t>(r.number("seed", 0, 9007199254740991.0)), theta.data());
  return toJs(info.Env(), theta);
}

// mlpTrain({x, n, d, hidden, classes, y, theta0, objective, offset?, linear?, subset?, penalty, epochs,
//           batchSize, learningRate, adam, momentum, seed, cosine?, lossScale?}) -> theta
Napi::Value MlpTrain(const Napi::CallbackInfo& info) {
  Reader r(info, "mlpTrain");
  const mlp::Architecture a = readArchitecture(r);
  const mlp::Data data = readMlpData(r, a, true);
  const double* theta0 = r.f64("theta0", a.parameters());
  mlp::TrainOptions o;
  o.objective = static_cast<mlp::Objective>(r.code("objective", objectiveNames()));
  o.offset = r.f64("offset", data.n, true);
  o.linear = r.f64("linear", r.product(data.n, a.classes, "'linear' (n x classes)"), true);
  std::vector<std::size_t> subset;
  std::vector<std::uint32_t> subset32;
  if (r.has("subset")) {
    subset = r.rows("subset", data.n);
    if (subset.empty()) r.fail<Napi::RangeError>("'subset' is empty");
    subset32.assign(subset.begin(), subset.end());
  }
  o.penalty = r.number("penalty", 0, 1e300);
  o.epochs = static_cast<int>(r.number("epochs", 1, 1e6));
  o.batchSize = r.count("batchSize");
  if (o.batchSize < 1) r.fail<Napi::RangeError>("'batchSize' must be >= 1");
  o.learningRate = r.number("learningRate", 0, 1e6);
  o.adam = r.flag("adam");
  o.momentum = r.number("momentum", 0, 1);
  o.seed = static_cast<std::uint64_t>(r.number("seed", 0, 9007199254740991.0));
  if (r.has("cosine") && r.flag("cosine")) o.schedule = mlp::Schedule::Cosine;
  if (r.has("lossScale")) o.lossScale = r.number("lossScale", 0, 1e300);
  auto out = std::make_shared<std::vector<double>>(theta0, theta0 + a.parameters());
  return Job::start(
      r, info.Env(),
      [=]() mutable {
        if (!subset32.empty()) {
          o.subset = subset32.data();
          o.subsetSize = subset32.size();
        }
        mlp::train(a, data, o, out->data());
      },
      arrayResult(out));
}

// mlpLogits({x, n, d, hidden, classes, theta}) -> n x classes
Napi::Value MlpLogits(const Napi::CallbackInfo& info) {
  Reader r(info, "mlpLogits");
  const mlp::Architecture a = readArchitecture(r);
  const mlp::Data data = readMlpData(r, a, false);
  const double* theta = r.f64("theta", a.parameters());
  const std::size_t size = r.product(data.n, a.classes, "the logits (n x classes)");
  return startArrayJob(r, info.Env(), size, "mlpLogits' result",
                       [=](double* out) { mlp::logits(a, theta, data.x, data.n, out); });
}

// mlpLosses({x, n, d, hidden, classes, theta, y}) -> n
Napi::Value MlpLosses(const Napi::CallbackInfo& info) {
  Reader r(info, "mlpLosses");
  const mlp::Architecture a = readArchitecture(r);
  const mlp::Data data = readMlpData(r, a, true);
  const double* theta = r.f64("theta", a.parameters());
  auto out = std::make_shared<std::vector<double>>(data.n);
  return Job::start(
      r, info.Env(), [=] { mlp::losses(a, theta, data, out->data()); }, arrayResult(out));
}

// mlpGradients({x, n, d, hidden, classes, theta, y, margin?}) -> n x P (loss or true-class margin)
Napi::Value MlpGradients(const Napi::CallbackInfo& info) {
  Reader r(info, "mlpGradients");
  const mlp::Architecture a = readArchitecture(r);
  const mlp::Data data = readMlpData(r, a, true);
  const double* theta = r.f64("theta", a.parameters());
  const bool margin = r.has("margin") && r.flag("margin");
  const std::size_t size = r.product(data.n, a.parameters(), "the gradients (n x parameters)");
  return startArrayJob(r, info.Env(), size, "mlpGradients' result",
                       [=](double* out) { mlp::exampleGradients(a, theta, data, out, margin); });
}

}  // namespace

void RegisterMlp(Napi::Env env, Napi::Object exports) {
  TDAKIT_EXPORT(exports, env, "mlpInit", MlpInit);
  TDAKIT_EXPORT(exports, env, "mlpTrain", MlpTrain);
  TDAKIT_EXPORT(exports, env, "mlpLogits", MlpLogits);
  TDAKIT_EXPORT(exports, env, "mlpLosses", MlpLosses);
  TDAKIT_EXPORT(exports, env, "mlpGradients", MlpGradients);
}

}  // namespace tdakit::binding
