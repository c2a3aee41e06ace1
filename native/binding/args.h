// Argument conversion for the binding: one options object per call, every field checked for type,
// length and range, failures thrown as a TypeError/RangeError that names the function and the argument.
// Sizes are multiplied with overflow checks before any length is compared or anything allocated.
// Input arrays are copied into memory the call owns (unless backed by a SharedArrayBuffer, which
// cannot be detached or shrunk): a caller that transfers or resizes a buffer while the call is
// pending then changes nothing the worker thread reads.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "binding/codes.h"
#include "common/checked.h"
#include "glm/design.h"
#include "glm/family.h"
#include "glm/multinomial.h"
#include "glm/newton.h"
#include "glm/objective.h"

namespace tdakit::binding {

// Inputs copied out of JavaScript buffers; a Job keeps them alive until it settles.
struct OwnedInputs {
  std::vector<std::vector<double>> arrays;
};

class Reader {
 public:
  Reader(const Napi::CallbackInfo& info, const char* fn)
      : env_(info.Env()), fn_(fn), owned_(std::make_shared<OwnedInputs>()) {
    if (info.Length() < 1 || !info[0].IsObject()) fail<Napi::TypeError>("expects one options object");
    obj_ = info[0].As<Napi::Object>();
  }
  Napi::Object object() const { return obj_; }
  std::shared_ptr<OwnedInputs> owned() const { return owned_; }

  bool has(const char* key) const {
    Napi::Value v = obj_.Get(key);
    return !v.IsUndefined() && !v.IsNull();
  }

  double number(const char* key, double min, double max) const {
    Napi::Value v = obj_.Get(key);
    if (!v.IsNumber()) fail<Napi::TypeError>(std::string("'") + key + "' must be a number");
    const double x = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(x) || x < min || x > max)
      fail<Napi::RangeError>(std::string("'") + key + "' = " + std::to_string(x) + " is outside [" +
                             std::to_string(min) + ", " + std::to_string(max) + "]");
    return x;
  }
  std::size_t count(const char* key) const {
    const double x = number(key, 0, 9007199254740991.0);
    if (x != std::floor(x)) fail<Napi::RangeError>(std::string("'") + key + "' must be an integer");
    return static_cast<std::size_t>(x);
  }
  // An integer in [0, size) naming one of `names` (the enum codes the addon exports).
  int code(const char* key, const std::vector<const char*>& names) const {
    Napi::Value v = obj_.Get(key);
    std::string list;
    for (std::size_t c = 0; c < names.size(); ++c) list += (c ? ", " : "") + std::to_string(c) + " (" + names[c] + ")";
    if (!v.IsNumber()) fail<Napi::TypeError>(std::string("'") + key + "' must be an integer code: " + list);
    const double x = v.As<Napi::Number>().DoubleValue();
    if (!(x >= 0 && x < static_cast<double>(names.size()) && x == std::floor(x)))
      fail<Napi::RangeError>(std::string("'") + key + "' = " + std::to_string(x) + " is not one of " + list);
    return static_cast<int>(x);
  }
  bool flag(const char* key) const {
    Napi::Value v = obj_.Get(key);
    if (!v.IsBoolean()) fail<Napi::TypeError>(std::string("'") + key + "' must be a boolean");
    return v.As<Napi::Boolean>().Value();
  }
  // a * b for sizes named in messages; a RangeError instead of a wrapped product.
  std::size_t product(std::size_t a, std::size_t b, const char* what) const {
    std::size_t r = 0;
    if (__builtin_mul_overflow(a, b, &r) || r > kMaxElements)
      fail<Napi::RangeError>(std::string(what) + ": " + std::to_string(a) + " x " + std::to_string(b) +
                             " elements is more than an array can hold");
    return r;
  }
  // A Float64Array of exactly `length` elements; null when optional and absent. The data is
  // copied (see the file comment); the pointer stays valid while the Job holds owned().
  const double* f64(const char* key, std::size_t length, bool optional = false) const {
    if (!has(key)) {
      if (optional) return nullptr;
      fail<Napi::TypeError>(std::string("'") + key + "' is required");
    }
    Napi::Value v = obj_.Get(key);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      fail<Napi::TypeError>(std::string("'") + key + "' must be a Float64Array");
    auto a = v.As<Napi::Float64Array>();
    if (a.ElementLength() != length)
      fail<Napi::RangeError>(std::string("'") + key + "' has " + std::to_string(a.ElementLength()) +
                             " elements, expected " + std::to_string(length));
    if (shared(a)) return a.Data();
    owned_->arrays.emplace_back(a.Data(), a.Data() + length);
    return owned_->arrays.back().data();
  }
  // The element count of the Float64Array at key (present), for arrays whose length may vary.
  std::size_t f64Length(const char* key) const {
    Napi::Value v = obj_.Get(key);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      fail<Napi::TypeError>(std::string("'") + key + "' must be a Float64Array");
    return v.As<Napi::Float64Array>().ElementLength();
  }
  // Row indices below `bound` as a Uint32Array of any length.
  std::vector<std::size_t> rows(const char* key, std::size_t bound) const {
    Napi::Value v = obj_.Get(key);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
      fail<Napi::TypeError>(std::string("'") + key + "' must be a Uint32Array");
    auto a = v.As<Napi::Uint32Array>();
    std::vector<std::size_t> out(a.ElementLength());
    for (std::size_t j = 0; j < out.size(); ++j) {
      if (a[j] >= bound)
        fail<Napi::RangeError>(std::string("'") + key + "' holds index " + std::to_string(a[j]) +
                               ", out of range [0, " + std::to_string(bound) + ")");
      out[j] = a[j];
    }
    return out;
  }

  // Whether the typed array at key (present) lives in a SharedArrayBuffer: read in place, never
  // copied, so its address stays the same from call to call.
  bool isShared(const char* key) const {
    Napi::Value v = obj_.Get(key);
    return v.IsTypedArray() && shared(v.As<Napi::TypedArray>());
  }

  glm::Design design(const char* prefix = "") const {
    const std::string p(prefix);
    glm::Design a;
    a.n = count((p + "n").c_str());
    a.d = count((p + "d").c_str());
    a.intercept = flag((p + "intercept").c_str());
    a.x = f64((p + "x").c_str(), product(a.n, a.d, "'x' (n x d)"));
    if (a.p() == 0) fail<Napi::RangeError>("the model has no parameters (d = 0 without intercept)");
    return a;
  }
  glm::Family family() const { return static_cast<glm::Family>(code("family", familyNames())); }
  glm::Problem problem() const {
    glm::Problem pr;
    pr.design = design();
    pr.family = family();
    pr.y = f64("y", pr.design.n);
    pr.weights = f64("weights", pr.design.n, true);
    pr.lambda = number("lambda", 0, 1e300);
    pr.linear = f64("linear", pr.design.p(), true);
    pr.offset = f64("offset", pr.design.n, true);
    return pr;
  }
  glm::FitOptions fitOptions() const {
    glm::FitOptions o;
    o.tol = number("tol", 0, 1);
    o.maxIter = static_cast<int>(number("maxIter", 1, 1e6));
    if (has("keepHessian")) o.keepHessian = flag("keepHessian");
    if (has("krylovSteps")) o.krylovSteps = flag("krylovSteps");
    return o;
  }

  template <class E>
  [[noreturn]] void fail(const std::string& msg) const {
    throw E::New(env_, std::string("tdakit native ") + fn_ + ": " + msg);
  }

  // The most elements one typed array may hold (2^53 - 1 bytes / 8, JavaScript's safe integers).
  static constexpr std::size_t kMaxElements = 9007199254740991ULL / 8;

 private:
  bool shared(const Napi::TypedArray& a) const {
    Napi::Value ctor = env_.Global().Get("SharedArrayBuffer");
    return ctor.IsFunction() && a.ArrayBuffer().InstanceOf(ctor.As<Napi::Function>());
  }

  Napi::Env env_;
  const char* fn_;
  Napi::Object obj_;
  std::shared_ptr<OwnedInputs> owned_;
};

// The reference factorisation and the weight changes that define a ReducedHessian.
struct ReducedSpec {
  const double* hessian;
  const double* factor;
  std::vector<std::size_t> rows;
  const double* coef;
  double shift;
};

inline ReducedSpec readReduced(const Reader& r, const glm::Design& a) {
  ReducedSpec s;
  const std::size_t p = a.p();
  s.hessian = r.f64("hessian", r.product(p, p, "'hessian' (p x p)"));
  s.factor = r.f64("factor", r.product(p, p, "'factor' (p x p)"));
  s.rows = r.rows("rows", a.n);
  s.coef = r.f64("coef", s.rows.size());
  s.shift = r.number("shift", -1e300, 1e300);
  return s;
}

// The multinomial problem of an options object: design, classes, class ids, weights, penalty and
// the optional perturbation terms (linear, offset, objective).
inline glm::MultinomialProblem readMultinomial(const Reader& r) {
  glm::MultinomialProblem pr;
  pr.design = r.design();
  pr.classes = r.count("classes");
  if (pr.classes < 2) r.fail<Napi::RangeError>("'classes' must be >= 2");
  r.product(r.product(pr.classes, pr.design.p(), "'theta' (classes x p)"), pr.design.n, "the logits (n x classes)");
  pr.y = r.f64("y", pr.design.n);
  for (std::size_t i = 0; i < pr.design.n; ++i)
    if (!(pr.y[i] >= 0 && pr.y[i] < static_cast<double>(pr.classes) && pr.y[i] == std::floor(pr.y[i])))
      r.fail<Napi::RangeError>("'y' holds " + std::to_string(pr.y[i]) + " at " + std::to_string(i) +
                               ", not a class id in [0, " + std::to_string(pr.classes) + ")");
  pr.weights = r.f64("weights", pr.design.n, true);
  pr.lambda = r.number("lambda", 0, 1e300);
  pr.linear = r.f64("linear", pr.blocks() * pr.design.p(), true);  // no overflow: checked above
  pr.offset = r.f64("offset", pr.design.n, true);
  pr.objective = static_cast<glm::LogitObjective>(r.has("objective") ? r.code("objective", objectiveNames()) : 0);
  return pr;
}

}  // namespace tdakit::binding
