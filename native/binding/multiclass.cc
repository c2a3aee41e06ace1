// N-API exports of the multiclass influence kernels (native/influence/multiclass.h). This file
// only validates arguments and schedules the core's work on the libuv pool; the options object
// is pinned by a persistent reference until the job settles, so its typed arrays stay alive.
#include <napi.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "common/error.h"
#include "glm/multinomial.h"
#include "influence/multiclass.h"

namespace tdakit {
namespace {

[[noreturn]] void fail(Napi::Env env, const char* fn, const std::string& msg, bool range) {
  const std::string text = std::string("tdakit native ") + fn + ": " + msg;
  if (range) throw Napi::RangeError::New(env, text);
  throw Napi::TypeError::New(env, text);
}

double number(Napi::Object o, const char* fn, const char* key, double min, double max) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) fail(o.Env(), fn, std::string("'") + key + "' must be a number", false);
  const double x = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(x) || x < min || x > max)
    fail(o.Env(), fn, std::string("'") + key + "' = " + std::to_string(x) + " is out of range", true);
  return x;
}

std::size_t count(Napi::Object o, const char* fn, const char* key) {
  const double x = number(o, fn, key, 0, 9007199254740991.0);
  if (x != std::floor(x)) fail(o.Env(), fn, std::string("'") + key + "' must be an integer", true);
  return static_cast<std::size_t>(x);
}

const double* f64(Napi::Object o, const char* fn, const char* key, std::size_t length, bool optional = false) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) {
    if (optional) return nullptr;
    fail(o.Env(), fn, std::string("'") + key + "' is required", false);
  }
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    fail(o.Env(), fn, std::string("'") + key + "' must be a Float64Array", false);
  auto a = v.As<Napi::Float64Array>();
  if (a.ElementLength() != length)
    fail(o.Env(), fn, std::string("'") + key + "' has " + std::to_string(a.ElementLength()) + " elements, expected " +
                          std::to_string(length), true);
  return a.Data();
}

glm::Design design(Napi::Object o, const char* fn) {
  glm::Design a;
  a.n = count(o, fn, "n");
  a.d = count(o, fn, "d");
  Napi::Value b = o.Get("intercept");
  if (!b.IsBoolean()) fail(o.Env(), fn, "'intercept' must be a boolean", false);
  a.intercept = b.As<Napi::Boolean>().Value();
  a.x = f64(o, fn, "x", a.n * a.d);
  if (a.p() == 0) fail(o.Env(), fn, "the model has no parameters (d = 0 without intercept)", true);
  return a;
}

std::size_t classes(Napi::Object o, const char* fn) {
  const std::size_t c = count(o, fn, "classes");
  if (c < 2) fail(o.Env(), fn, "'classes' must be >= 2", true);
  return c;
}

Napi::Float64Array toJs(Napi::Env env, const std::vector<double>& v) {
  auto a = Napi::Float64Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(double));
  return a;
}

// The same job shape as binding.cc's: work on the pool, core exceptions become rejected
// Promises whose Error carries a code (ERR_TDAKIT_NUMERIC / _ARGUMENT / _MEMORY / _NATIVE).
class MulticlassJob : public Napi::AsyncWorker {
 public:
  using Exec = std::function<void()>;
  using Done = std::function<Napi::Value(Napi::Env)>;
  static Napi::Promise start(Napi::Object keep, Exec exec, Done done) {
    auto* job = new MulticlassJob(keep, std::move(exec), std::move(done));
    Napi::Promise p = job->deferred_.Promise();
    job->Queue();
    return p;
  }
  void Execute() override {
    try {
      exec_();
    } catch (const NumericError& e) {
      code_ = "ERR_TDAKIT_NUMERIC";
      SetError(e.what());
    } catch (const ArgumentError& e) {
      code_ = "ERR_TDAKIT_ARGUMENT";
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      code_ = "ERR_TDAKIT_MEMORY";
      SetError("out of memory in the native core");
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    deferred_.Resolve(done_(Env()));
  }
  void OnError(const Napi::Error& e) override {
    Napi::HandleScope scope(Env());
    Napi::Error err = Napi::Error::New(Env(), e.Message());
    err.Set("code", Napi::String::New(Env(), code_));
    deferred_.Reject(err.Value());
  }

 private:
  MulticlassJob(Napi::Object keep, Exec exec, Done done)
      : Napi::AsyncWorker(keep.Env(), "tdakit"),
        deferred_(Napi::Promise::Deferred::New(keep.Env())),
        keep_(Napi::Persistent(keep)),
        exec_(std::move(exec)),
        done_(std::move(done)) {}
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_;
  Exec exec_;
  Done done_;
  std::string code_ = "ERR_TDAKIT_NATIVE";
};

Napi::Object options(const Napi::CallbackInfo& info, const char* fn) {
  if (info.Length() < 1 || !info[0].IsObject()) fail(info.Env(), fn, "expects one options object", false);
  return info[0].As<Napi::Object>();
}

// multinomialHessian({x, n, d, intercept, classes, y, weights?, lambda, theta}) -> {hessian, factor, rcond}
Napi::Value MultinomialHessian(const Napi::CallbackInfo& info) {
  const char* fn = "multinomialHessian";
  Napi::Object o = options(info, fn);
  glm::MultinomialProblem pr;
  pr.design = design(o, fn);
  pr.classes = classes(o, fn);
  pr.y = f64(o, fn, "y", pr.design.n);
  for (std::size_t i = 0; i < pr.design.n; ++i)
    if (!(pr.y[i] >= 0 && pr.y[i] < static_cast<double>(pr.classes) && pr.y[i] == std::floor(pr.y[i])))
      fail(o.Env(), fn, "'y' holds " + std::to_string(pr.y[i]) + " at " + std::to_string(i) + ", not a class id", true);
  pr.weights = f64(o, fn, "weights", pr.design.n, true);
  if (pr.weights)
    for (std::size_t i = 0; i < pr.design.n; ++i)
      if (!(pr.weights[i] >= 0 && std::isfinite(pr.weights[i]))) fail(o.Env(), fn, "'weights' must be finite and >= 0", true);
  pr.lambda = number(o, fn, "lambda", 0, 1e300);
  const double* theta = f64(o, fn, "theta", pr.blocks() * pr.design.p());
  auto out = std::make_shared<influence::MulticlassHessian>();
  return MulticlassJob::start(
      o, [=] { *out = influence::multinomialHessian(pr, theta); },
      [out](Napi::Env env) {
        Napi::Object r = Napi::Object::New(env);
        r.Set("hessian", toJs(env, out->hessian));
        r.Set("factor", toJs(env, out->factor));
        r.Set("rcond", out->rcond);
        return r;
      });
}

// multinomialLeverageBlocks({x, n, d, intercept, classes, factor}) -> n blocks J_i H^{-1} J_i^T (K x K)
Napi::Value MultinomialLeverageBlocks(const Napi::CallbackInfo& info) {
  const char* fn = "multinomialLeverageBlocks";
  Napi::Object o = options(info, fn);
  const glm::Design a = design(o, fn);
  const std::size_t C = classes(o, fn);
  const std::size_t P = (C - 1) * a.p();
  const double* factor = f64(o, fn, "factor", P * P);
  auto out = std::make_shared<std::vector<double>>();
  return MulticlassJob::start(
      o, [=] { *out = influence::multinomialLeverageBlocks(a, C, factor); },
      [out](Napi::Env env) { return toJs(env, *out); });
}

}  // namespace

void RegisterMulticlass(Napi::Env env, Napi::Object exports) {
  exports.Set("multinomialHessian", Napi::Function::New(env, MultinomialHessian, "multinomialHessian"));
  exports.Set("multinomialLeverageBlocks", Napi::Function::New(env, MultinomialLeverageBlocks, "multinomialLeverageBlocks"));
}

}  // namespace tdakit
