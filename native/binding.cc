// The only file that knows about Node. Every export validates its arguments strictly
// (type, length, range) and throws a TypeError/RangeError naming the argument; heavy work
// runs on the libuv pool through Job and settles a Promise. Typed arrays cross zero-copy;
// the options object is held by a persistent reference until the job settles, so its
// buffers cannot be collected while native code reads them (callers must not mutate them).
#include <napi.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "common/error.h"
#include "daunce/covariance.h"
#include "glm/design.h"
#include "glm/newton.h"
#include "glm/multinomial.h"
#include "glm/objective.h"
#include "influence/leverage.h"
#include "influence/reduced_hessian.h"
#include "influence/scores.h"
#include "linalg/blas.h"
#include "linalg/dense.h"
#include "mlp/mlp.h"

extern "C" char* openblas_get_config(void);
extern "C" int openblas_get_num_threads(void);

namespace tdakit {
namespace {

// ---- argument reading -------------------------------------------------------------------

class Reader {
 public:
  Reader(const Napi::CallbackInfo& info, const char* fn) : env_(info.Env()), fn_(fn) {
    if (info.Length() < 1 || !info[0].IsObject()) fail<Napi::TypeError>("expects one options object");
    obj_ = info[0].As<Napi::Object>();
  }
  Napi::Object object() const { return obj_; }

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
  bool flag(const char* key) const {
    Napi::Value v = obj_.Get(key);
    if (!v.IsBoolean()) fail<Napi::TypeError>(std::string("'") + key + "' must be a boolean");
    return v.As<Napi::Boolean>().Value();
  }
  // A Float64Array of exactly `length` elements; null when optional and absent.
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
    return a.Data();
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

  glm::Design design(const char* prefix = "") const {
    const std::string p(prefix);
    glm::Design a;
    a.n = count((p + "n").c_str());
    a.d = count((p + "d").c_str());
    a.intercept = flag((p + "intercept").c_str());
    a.x = f64((p + "x").c_str(), a.n * a.d);
    if (a.p() == 0) fail<Napi::RangeError>("the model has no parameters (d = 0 without intercept)");
    return a;
  }
  glm::Family family() const {
    const double f = number("family", 0, 2);
    if (f != std::floor(f)) fail<Napi::RangeError>("'family' must be 0, 1 or 2");
    return static_cast<glm::Family>(static_cast<int>(f));
  }
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
    return o;
  }

  template <class E>
  [[noreturn]] void fail(const std::string& msg) const {
    throw E::New(env_, std::string("tdakit native ") + fn_ + ": " + msg);
  }

 private:
  Napi::Env env_;
  const char* fn_;
  Napi::Object obj_;
};

// ---- async jobs --------------------------------------------------------------------------

class Job : public Napi::AsyncWorker {
 public:
  using Exec = std::function<void()>;
  using Done = std::function<Napi::Value(Napi::Env)>;
  Job(Napi::Env env, Napi::Object keep, Exec exec, Done done)
      : Napi::AsyncWorker(env, "tdakit"),
        deferred_(Napi::Promise::Deferred::New(env)),
        keep_(Napi::Persistent(keep)),
        exec_(std::move(exec)),
        done_(std::move(done)) {}

  static Napi::Promise start(const Reader& r, Napi::Env env, Exec exec, Done done) {
    auto* job = new Job(env, r.object(), std::move(exec), std::move(done));
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
      code_ = "ERR_TDAKIT_NATIVE";
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
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_;
  Exec exec_;
  Done done_;
  std::string code_ = "ERR_TDAKIT_NATIVE";
};

Napi::Float64Array toJs(Napi::Env env, const std::vector<double>& v) {
  auto a = Napi::Float64Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(double));
  return a;
}

Napi::Object fitResultToJs(Napi::Env env, const glm::FitResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("theta", toJs(env, r.theta));
  o.Set("objective", r.objective);
  o.Set("gradientNorm", r.gradientNorm);
  o.Set("gradientScale", r.gradientScale);
  o.Set("newtonIterations", r.newtonIterations);
  o.Set("chordIterations", r.chordIterations);
  o.Set("krylovIterations", r.krylovIterations);
  static const char* const kStopReasons[] = {"tolerance", "rounding-floor", "stalled"};
  o.Set("stoppedBy", kStopReasons[static_cast<int>(r.stoppedBy)]);
  o.Set("roundingFloor", r.roundingFloor);
  if (!r.hessian.empty()) o.Set("hessian", toJs(env, r.hessian));
  return o;
}

// The reference factorisation and the weight changes that define a ReducedHessian.
struct ReducedSpec {
  const double* hessian;
  const double* factor;
  std::vector<std::size_t> rows;
  const double* coef;
  double shift;
};

ReducedSpec readReduced(const Reader& r, const glm::Design& a) {
  ReducedSpec s;
  const std::size_t p = a.p();
  s.hessian = r.f64("hessian", p * p);
  s.factor = r.f64("factor", p * p);
  s.rows = r.rows("rows", a.n);
  s.coef = r.f64("coef", s.rows.size());
  s.shift = r.number("shift", -1e300, 1e300);
  return s;
}

// ---- exports -------------------------------------------------------------------------------

// fit({family, x, n, d, intercept, y, weights?, lambda, linear?, theta0?, tol, maxIter})
Napi::Value Fit(const Napi::CallbackInfo& info) {
  Reader r(info, "fit");
  const glm::Problem pr = r.problem();
  const double* theta0 = r.f64("theta0", pr.p(), true);
  const glm::FitOptions opt = r.fitOptions();
  auto out = std::make_shared<glm::FitResult>();
  return Job::start(r, info.Env(), [=] { *out = glm::fitNewton(glm::Objective(pr), theta0, opt); },
                    [out](Napi::Env env) { return fitResultToJs(env, *out); });
}

// refit({<problem of the reduced fit>, thetaStart, hessian, factor, rows, coef, shift, tol, maxIter}):
// chord iterations with the exact reduced Hessian at the reference optimum.
Napi::Value Refit(const Napi::CallbackInfo& info) {
  Reader r(info, "refit");
  const glm::Problem pr = r.problem();
  const double* start = r.f64("thetaStart", pr.p());
  const ReducedSpec s = readReduced(r, pr.design);
  const glm::FitOptions opt = r.fitOptions();
  auto out = std::make_shared<glm::FitResult>();
  auto woodbury = std::make_shared<bool>(false);
  return Job::start(
      r, info.Env(),
      [=] {
        influence::ReducedHessian m(pr.design, s.hessian, s.factor, s.rows.data(), s.coef, s.rows.size(), s.shift);
        *woodbury = m.usesWoodbury();
        *out = glm::refitChord(glm::Objective(pr), start, [&m](double* b) { m.apply(b); }, opt);
      },
      [out, woodbury](Napi::Env env) {
        Napi::Object o = fitResultToJs(env, *out);
        o.Set("woodbury", *woodbury);
        return o;
      });
}

// reducedSolve({x, n, d, intercept, hessian, factor, rows, coef, shift, rhs}) -> M^{-1} rhs
Napi::Value ReducedSolve(const Napi::CallbackInfo& info) {
  Reader r(info, "reducedSolve");
  const glm::Design a = r.design();
  const ReducedSpec s = readReduced(r, a);
  const double* rhs = r.f64("rhs", a.p());
  auto out = std::make_shared<std::vector<double>>(rhs, rhs + a.p());
  auto woodbury = std::make_shared<bool>(false);
  return Job::start(
      r, info.Env(),
      [=] {
        influence::ReducedHessian m(a, s.hessian, s.factor, s.rows.data(), s.coef, s.rows.size(), s.shift);
        *woodbury = m.usesWoodbury();
        m.apply(out->data());
      },
      [out, woodbury](Napi::Env env) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("solution", toJs(env, *out));
        o.Set("woodbury", *woodbury);
        return o;
      });
}

// pointwise({family, x, n, d, intercept, theta, y?}) -> {margin, loss?, slope?, curvature?}
Napi::Value Pointwise(const Napi::CallbackInfo& info) {
  Reader r(info, "pointwise");
  const glm::Design a = r.design();
  const glm::Family fam = r.family();
  const double* theta = r.f64("theta", a.p());
  const double* y = r.f64("y", a.n, true);
  const double* offset = r.f64("offset", a.n, true);
  struct Out { std::vector<double> z, loss, slope, curv; };
  auto out = std::make_shared<Out>();
  return Job::start(
      r, info.Env(),
      [=] {
        out->z.resize(a.n);
        a.margins(theta, out->z.data());
        if (!y) return;
        out->loss.resize(a.n); out->slope.resize(a.n); out->curv.resize(a.n);
        for (std::size_t i = 0; i < a.n; ++i) {
          const glm::Pointwise pw = glm::pointwise(fam, out->z[i], y[i], offset ? offset[i] : 0.0);
          out->loss[i] = pw.loss; out->slope[i] = pw.slope; out->curv[i] = pw.curvature;
        }
      },
      [out, y](Napi::Env env) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("margin", toJs(env, out->z));
        if (y) {
          o.Set("loss", toJs(env, out->loss));
          o.Set("slope", toJs(env, out->slope));
          o.Set("curvature", toJs(env, out->curv));
        }
        return o;
      });
}

// {hessian, factor, rcond} of a factorised Hessian.
struct Factorization {
  std::vector<double> h, l;
  double rcond = 0;
};

Napi::Object factorizationToJs(Napi::Env env, const Factorization& f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("hessian", toJs(env, f.h));
  o.Set("factor", toJs(env, f.l));
  o.Set("rcond", f.rcond);
  return o;
}

// Cholesky factor (lower triangle only) of an SPD Hessian; throws NumericError when singular.
std::vector<double> factorHessian(const std::vector<double>& h, std::size_t p, double* rcond) {
  std::vector<double> l(h);
  const bool ok = linalg::cholesky(l.data(), p, rcond);
  if (!ok || *rcond < linalg::singularRcond(p))
    throw NumericError("the Hessian at the fit is singular (reciprocal condition number " + std::to_string(*rcond) +
                       "); set lambda > 0");
  for (std::size_t j = 0; j < p; ++j)
    for (std::size_t i = 0; i < j; ++i) l[i + j * p] = 0.0;
  return l;
}

// factor({hessian, p}) -> {hessian, factor, rcond}: factors a Hessian the fit already built.
Napi::Value Factor(const Napi::CallbackInfo& info) {
  Reader r(info, "factor");
  const std::size_t p = r.count("p");
  const double* h = r.f64("hessian", p * p);
  auto out = std::make_shared<Factorization>();
  out->h.assign(h, h + p * p);
  return Job::start(
      r, info.Env(), [=] { out->l = factorHessian(out->h, p, &out->rcond); },
      [out](Napi::Env env) { return factorizationToJs(env, *out); });
}

// hessian({x, n, d, intercept, coef, lambda}) -> {hessian, factor, rcond}; throws when singular.
Napi::Value Hessian(const Napi::CallbackInfo& info) {
  Reader r(info, "hessian");
  const glm::Design a = r.design();
  const double* c = r.f64("coef", a.n);
  const double lambda = r.number("lambda", 0, 1e300);
  for (std::size_t i = 0; i < a.n; ++i)
    if (!(c[i] >= 0)) r.fail<Napi::RangeError>("'coef' must be non-negative (Hessian weights)");
  auto out = std::make_shared<Factorization>();
  return Job::start(
      r, info.Env(),
      [=] {
        const std::size_t p = a.p();
        out->h.resize(p * p);
        a.weightedGram(c, 0.0, out->h.data());
        for (std::size_t k = 0; k < a.d; ++k) out->h[k + k * p] += lambda;
        out->l = factorHessian(out->h, p, &out->rcond);
      },
      [out](Napi::Env env) { return factorizationToJs(env, *out); });
}

// leverage({x, n, d, intercept, factor, coef}) -> h (n)
Napi::Value Leverage(const Napi::CallbackInfo& info) {
  Reader r(info, "leverage");
  const glm::Design a = r.design();
  const double* l = r.f64("factor", a.p() * a.p());
  const double* c = r.f64("coef", a.n);
  auto out = std::make_shared<std::vector<double>>();
  return Job::start(r, info.Env(), [=] { *out = influence::leverage(a, l, c); },
                    [out](Napi::Env env) { return toJs(env, *out); });
}

// choleskySolve({factor, p, rhs, nrhs}) -> (L L^T)^{-1} rhs, rhs p x nrhs column-major
Napi::Value CholeskySolve(const Napi::CallbackInfo& info) {
  Reader r(info, "choleskySolve");
  const std::size_t p = r.count("p");
  const std::size_t nrhs = r.count("nrhs");
  const double* l = r.f64("factor", p * p);
  const double* b = r.f64("rhs", p * nrhs);
  auto out = std::make_shared<std::vector<double>>(b, b + p * nrhs);
  return Job::start(r, info.Env(), [=] { linalg::choleskySolve(l, p, out->data(), nrhs); },
                    [out](Napi::Env env) { return toJs(env, *out); });
}

influence::ScoreInputs readScores(const Reader& r) {
  influence::ScoreInputs in;
  in.train = r.design();
  in.m = r.count("m");
  in.v = r.f64("v", in.train.p() * in.m);
  in.rowCoef = r.f64("rowCoef", in.train.n);
  in.rowFactor = r.f64("rowFactor", in.train.n, true);
  in.rowShift = r.f64("rowShift", in.train.n, true);
  in.colOffset = r.f64("colOffset", in.m, true);
  return in;
}

// scoreMatrix({x, n, d, intercept, v, m, rowCoef, rowFactor?, rowShift?, colOffset?}) -> n x m row-major
Napi::Value ScoreMatrix(const Napi::CallbackInfo& info) {
  Reader r(info, "scoreMatrix");
  const influence::ScoreInputs in = readScores(r);
  auto out = std::make_shared<std::vector<double>>();
  return Job::start(
      r, info.Env(),
      [=] {
        out->resize(in.train.n * in.m);
        influence::scoreMatrix(in, out->data());
      },
      [out](Napi::Env env) { return toJs(env, *out); });
}

Napi::Object topKToJs(Napi::Env env, const linalg::TopK& t) {
  auto idx = [&](const std::vector<std::int32_t>& v) {
    auto a = Napi::Int32Array::New(env, v.size());
    if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(std::int32_t));
    return a;
  };
  Napi::Object o = Napi::Object::New(env);
  o.Set("k", static_cast<double>(t.k));
  o.Set("topIndex", idx(t.topIndex));
  o.Set("topValue", toJs(env, t.topValue));
  o.Set("bottomIndex", idx(t.bottomIndex));
  o.Set("bottomValue", toJs(env, t.bottomValue));
  return o;
}

// scoreTopK({..scoreMatrix inputs, k}) -> {k, topIndex, topValue, bottomIndex, bottomValue}
Napi::Value ScoreTopK(const Napi::CallbackInfo& info) {
  Reader r(info, "scoreTopK");
  const influence::ScoreInputs in = readScores(r);
  const std::size_t k = r.count("k");
  auto out = std::make_shared<linalg::TopK>();
  return Job::start(r, info.Env(), [=] { *out = influence::scoreTopK(in, k); },
                    [out](Napi::Env env) { return topKToJs(env, *out); });
}

// covarianceScores({train, n, query, m, models, trainMean, queryMean, trainScale?, queryScale?, k?})
// -> n x m row-major, or top-k per query when k is given.
Napi::Value CovarianceScores(const Napi::CallbackInfo& info) {
  Reader r(info, "covarianceScores");
  daunce::CovarianceInputs in;
  in.n = r.count("n");
  in.m = r.count("m");
  in.models = r.count("models");
  if (in.models < 2) r.fail<Napi::RangeError>("'models' must be >= 2 (a covariance needs two models)");
  in.train = r.f64("train", in.models * in.n);
  in.query = r.f64("query", in.models * in.m);
  in.trainMean = r.f64("trainMean", in.n);
  in.queryMean = r.f64("queryMean", in.m);
  in.trainScale = r.f64("trainScale", in.n, true);
  in.queryScale = r.f64("queryScale", in.m, true);
  if (r.has("k")) {
    const std::size_t k = r.count("k");
    auto out = std::make_shared<linalg::TopK>();
    return Job::start(r, info.Env(), [=] { *out = daunce::covarianceTopK(in, k); },
                      [out](Napi::Env env) { return topKToJs(env, *out); });
  }
  auto out = std::make_shared<std::vector<double>>();
  return Job::start(
      r, info.Env(),
      [=] {
        out->resize(in.n * in.m);
        daunce::covarianceMatrix(in, out->data());
      },
      [out](Napi::Env env) { return toJs(env, *out); });
}

// scaledRows({x, n, d, intercept, coef, offset?}) -> n x p row-major, row i = coef_i a_i + offset
Napi::Value ScaledRows(const Napi::CallbackInfo& info) {
  Reader r(info, "scaledRows");
  const glm::Design a = r.design();
  const double* c = r.f64("coef", a.n);
  const double* off = r.f64("offset", a.p(), true);
  auto out = std::make_shared<std::vector<double>>();
  return Job::start(
      r, info.Env(),
      [=] {
        const std::size_t p = a.p();
        out->resize(a.n * p);
        std::vector<std::size_t> all(a.n);
        for (std::size_t i = 0; i < a.n; ++i) all[i] = i;
        a.gatherColumns(all.data(), a.n, c, out->data());
        if (off)
          for (std::size_t i = 0; i < a.n; ++i)
            for (std::size_t k = 0; k < p; ++k) (*out)[i * p + k] += off[k];
      },
      [out](Napi::Env env) { return toJs(env, *out); });
}

// transposeTimes({x, n, d, intercept, v}) -> A^T v (p)
Napi::Value TransposeTimes(const Napi::CallbackInfo& info) {
  Reader r(info, "transposeTimes");
  const glm::Design a = r.design();
  const double* v = r.f64("v", a.n);
  auto out = std::make_shared<std::vector<double>>(a.p());
  return Job::start(r, info.Env(), [=] { a.transposeTimes(v, out->data()); },
                    [out](Napi::Env env) { return toJs(env, *out); });
}

// blasInfo() -> {config, threads}
Napi::Value BlasInfo(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("config", Napi::String::New(info.Env(), openblas_get_config()));
  o.Set("threads", openblas_get_num_threads());
  return o;
}

}  // namespace

// ---- multinomial (softmax) regression ---------------------------------------------------

glm::MultinomialProblem readMultinomial(const Reader& r) {
  glm::MultinomialProblem pr;
  pr.design = r.design();
  pr.classes = r.count("classes");
  if (pr.classes < 2) r.fail<Napi::RangeError>("'classes' must be >= 2");
  pr.y = r.f64("y", pr.design.n);
  for (std::size_t i = 0; i < pr.design.n; ++i)
    if (!(pr.y[i] >= 0 && pr.y[i] < static_cast<double>(pr.classes) && pr.y[i] == std::floor(pr.y[i])))
      r.fail<Napi::RangeError>("'y' holds " + std::to_string(pr.y[i]) + " at " + std::to_string(i) + ", not a class id in [0, " + std::to_string(pr.classes) + ")");
  pr.weights = r.f64("weights", pr.design.n, true);
  pr.lambda = r.number("lambda", 0, 1e300);
  pr.linear = r.f64("linear", pr.blocks() * pr.design.p(), true);
  pr.offset = r.f64("offset", pr.design.n, true);
  pr.objective = static_cast<glm::LogitObjective>(static_cast<int>(r.has("objective") ? r.number("objective", 0, 2) : 0));
  return pr;
}

// multinomialFit({x, n, d, intercept, classes, y, weights?, lambda, linear?, offset?, objective?, theta0?,
//                 tol, maxIter, keepHessian?}) -> fit result
Napi::Value MultinomialFit(const Napi::CallbackInfo& info) {
  Reader r(info, "multinomialFit");
  const glm::MultinomialProblem pr = readMultinomial(r);
  const double* theta0 = r.f64("theta0", pr.blocks() * pr.design.p(), true);
  const glm::FitOptions opt = r.fitOptions();
  auto out = std::make_shared<glm::FitResult>();
  return Job::start(r, info.Env(), [=] { *out = glm::fitNewton(glm::MultinomialObjective(pr), theta0, opt); },
                    [out](Napi::Env env) { return fitResultToJs(env, *out); });
}

// multinomialLogits({x, n, d, intercept, classes, theta}) -> n x classes logits (reference class 0)
Napi::Value MultinomialLogits(const Napi::CallbackInfo& info) {
  Reader r(info, "multinomialLogits");
  const glm::Design a = r.design();
  const std::size_t C = r.count("classes");
  if (C < 2) r.fail<Napi::RangeError>("'classes' must be >= 2");
  const double* theta = r.f64("theta", (C - 1) * a.p());
  auto out = std::make_shared<std::vector<double>>(a.n * C, 0.0);
  return Job::start(
      r, info.Env(),
      [=] {
        std::vector<double> col(a.n);
        for (std::size_t c = 0; c + 1 < C; ++c) {
          a.margins(theta + c * a.p(), col.data());
          for (std::size_t i = 0; i < a.n; ++i) (*out)[i * C + c] = col[i];
        }
      },
      [out](Napi::Env env) { return toJs(env, *out); });
}

// ---- multilayer perceptron -------------------------------------------------------------

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
  return a;
}

mlp::Data readMlpData(const Reader& r, const mlp::Architecture& a, bool labels) {
  mlp::Data data;
  data.n = r.count("n");
  data.x = r.f64("x", data.n * a.inputs);
  if (labels) {
    data.y = r.f64("y", data.n);
    for (std::size_t i = 0; i < data.n; ++i)
      if (!(data.y[i] >= 0 && data.y[i] < static_cast<double>(a.classes) && data.y[i] == std::floor(data.y[i])))
        r.fail<Napi::RangeError>("'y' holds " + std::to_string(data.y[i]) + " at " + std::to_string(i) + ", not a class id in [0, " + std::to_string(a.classes) + ")");
  }
  return data;
}

// mlpInit({d, hidden, classes, seed}) -> theta
Napi::Value MlpInit(const Napi::CallbackInfo& info) {
  Reader r(info, "mlpInit");
  const mlp::Architecture a = readArchitecture(r);
  std::vector<double> theta(a.parameters());
  mlp::initialize(a, static_cast<std::uint64_t>(r.number("seed", 0, 9007199254740991.0)), theta.data());
  return toJs(info.Env(), theta);
}

// mlpTrain({x, n, d, hidden, classes, y, theta0, objective, offset?, linear?, subset?, penalty, epochs,
//           batchSize, learningRate, adam, momentum, seed}) -> theta
Napi::Value MlpTrain(const Napi::CallbackInfo& info) {
  Reader r(info, "mlpTrain");
  const mlp::Architecture a = readArchitecture(r);
  const mlp::Data data = readMlpData(r, a, true);
  const double* theta0 = r.f64("theta0", a.parameters());
  mlp::TrainOptions o;
  o.objective = static_cast<mlp::Objective>(static_cast<int>(r.number("objective", 0, 2)));
  o.offset = r.f64("offset", data.n, true);
  o.linear = r.f64("linear", data.n * a.classes, true);
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
  auto out = std::make_shared<std::vector<double>>(theta0, theta0 + a.parameters());
  return Job::start(
      r, info.Env(),
      [=]() mutable {
        if (!subset32.empty()) { o.subset = subset32.data(); o.subsetSize = subset32.size(); }
        mlp::train(a, data, o, out->data());
        for (double v : *out)
          if (!std::isfinite(v)) throw NumericError("MLP training diverged (non-finite parameters): lower the learning rate");
      },
      [out](Napi::Env env) { return toJs(env, *out); });
}

// mlpLogits({x, n, d, hidden, classes, theta}) -> n x classes
Napi::Value MlpLogits(const Napi::CallbackInfo& info) {
  Reader r(info, "mlpLogits");
  const mlp::Architecture a = readArchitecture(r);
  const mlp::Data data = readMlpData(r, a, false);
  const double* theta = r.f64("theta", a.parameters());
  auto out = std::make_shared<std::vector<double>>(data.n * a.classes);
  return Job::start(r, info.Env(), [=] { mlp::logits(a, theta, data.x, data.n, out->data()); },
                    [out](Napi::Env env) { return toJs(env, *out); });
}

// mlpLosses({x, n, d, hidden, classes, theta, y}) -> n
Napi::Value MlpLosses(const Napi::CallbackInfo& info) {
  Reader r(info, "mlpLosses");
  const mlp::Architecture a = readArchitecture(r);
  const mlp::Data data = readMlpData(r, a, true);
  const double* theta = r.f64("theta", a.parameters());
  auto out = std::make_shared<std::vector<double>>(data.n);
  return Job::start(r, info.Env(), [=] { mlp::losses(a, theta, data, out->data()); },
                    [out](Napi::Env env) { return toJs(env, *out); });
}

// mlpGradients({x, n, d, hidden, classes, theta, y, margin?}) -> n x P (loss or true-class margin)
Napi::Value MlpGradients(const Napi::CallbackInfo& info) {
  Reader r(info, "mlpGradients");
  const mlp::Architecture a = readArchitecture(r);
  const mlp::Data data = readMlpData(r, a, true);
  const double* theta = r.f64("theta", a.parameters());
  const bool margin = r.has("margin") && r.flag("margin");
  auto out = std::make_shared<std::vector<double>>(data.n * a.parameters());
  return Job::start(r, info.Env(), [=] { mlp::exampleGradients(a, theta, data, out->data(), margin); },
                    [out](Napi::Env env) { return toJs(env, *out); });
}

// dgemmRate({size, reps}) -> GFLOP/s of square dgemm with the BLAS this addon loaded
// (the reference rate that benchmarks divide by). Runs on the pool like everything else.
Napi::Value DgemmRate(const Napi::CallbackInfo& info) {
  Reader r(info, "dgemmRate");
  const std::size_t size = r.count("size");
  const std::size_t reps = r.count("reps");
  if (size < 1 || reps < 1) r.fail<Napi::RangeError>("'size' and 'reps' must be >= 1");
  auto out = std::make_shared<double>(0.0);
  return Job::start(
      r, info.Env(), [=] { *out = linalg::measureDgemmRate(size, reps); },
      [out](Napi::Env env) { return Napi::Number::New(env, *out); });
}

void RegisterMulticlass(Napi::Env env, Napi::Object exports);

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterMulticlass(env, exports);
  exports.Set("multinomialFit", Napi::Function::New(env, MultinomialFit, "multinomialFit"));
  exports.Set("multinomialLogits", Napi::Function::New(env, MultinomialLogits, "multinomialLogits"));
  exports.Set("mlpInit", Napi::Function::New(env, MlpInit, "mlpInit"));
  exports.Set("mlpTrain", Napi::Function::New(env, MlpTrain, "mlpTrain"));
  exports.Set("mlpLogits", Napi::Function::New(env, MlpLogits, "mlpLogits"));
  exports.Set("mlpLosses", Napi::Function::New(env, MlpLosses, "mlpLosses"));
  exports.Set("mlpGradients", Napi::Function::New(env, MlpGradients, "mlpGradients"));
  exports.Set("dgemmRate", Napi::Function::New(env, DgemmRate, "dgemmRate"));
  exports.Set("fit", Napi::Function::New(env, Fit, "fit"));
  exports.Set("refit", Napi::Function::New(env, Refit, "refit"));
  exports.Set("reducedSolve", Napi::Function::New(env, ReducedSolve, "reducedSolve"));
  exports.Set("pointwise", Napi::Function::New(env, Pointwise, "pointwise"));
  exports.Set("hessian", Napi::Function::New(env, Hessian, "hessian"));
  exports.Set("factor", Napi::Function::New(env, Factor, "factor"));
  exports.Set("leverage", Napi::Function::New(env, Leverage, "leverage"));
  exports.Set("choleskySolve", Napi::Function::New(env, CholeskySolve, "choleskySolve"));
  exports.Set("scoreMatrix", Napi::Function::New(env, ScoreMatrix, "scoreMatrix"));
  exports.Set("scoreTopK", Napi::Function::New(env, ScoreTopK, "scoreTopK"));
  exports.Set("covarianceScores", Napi::Function::New(env, CovarianceScores, "covarianceScores"));
  exports.Set("scaledRows", Napi::Function::New(env, ScaledRows, "scaledRows"));
  exports.Set("transposeTimes", Napi::Function::New(env, TransposeTimes, "transposeTimes"));
  exports.Set("blasInfo", Napi::Function::New(env, BlasInfo, "blasInfo"));
  return exports;
}

}  // namespace tdakit

static Napi::Object InitTdakit(Napi::Env env, Napi::Object exports) { return tdakit::Init(env, exports); }

NODE_API_MODULE(tdakit, InitTdakit)
