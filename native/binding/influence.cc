// Influence exports: Hessians and their factors, leverages, reduced solves, score matrices and top-k.
#include <napi.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/job.h"
#include "binding/register.h"
#include "common/error.h"
#include "glm/design.h"
#include "influence/hessian.h"
#include "influence/leverage.h"
#include "influence/reduced_hessian.h"
#include "influence/scores.h"
#include "linalg/dense.h"
#include "linalg/topk.h"

namespace tdakit::binding {
namespace {

// reducedSolve({x, n, d, intercept, hessian, factor, rows, coef, shift, rhs}) -> M^{-1} rhs
Napi::Value ReducedSolve(const Napi::CallbackInfo& info) {
  Reader r(info, "reducedSolve");
  const glm::Design a = r.design();
  const ReducedSpec s = readReduced(r, a);
  const double* rhs = r.f64("rhs", a.p());
  auto out = std::make_shared<std::vector<double>>(rhs, rhs + a.p());
  return Job::start(
      r, info.Env(),
      [=] {
        influence::ReducedHessian m(a, s.hessian, s.factor, s.rows.data(), s.coef, s.rows.size(), s.shift);
        m.apply(out->data());
      },
      [out](Napi::Env env) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("solution", toJs(env, *out));
        return o;
      });
}

Napi::Object factorizationToJs(Napi::Env env, const influence::Factorization& f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("hessian", toJs(env, f.hessian));
  o.Set("factor", toJs(env, f.factor));
  o.Set("rcond", f.rcond);
  return o;
}

// factor({hessian, p}) -> {hessian, factor, rcond}: factors a Hessian the fit already built.
Napi::Value Factor(const Napi::CallbackInfo& info) {
  Reader r(info, "factor");
  const std::size_t p = r.count("p");
  const double* h = r.f64("hessian", r.product(p, p, "'hessian' (p x p)"));
  return startJob(
      r, info.Env(), [=] { return influence::factorHessian(std::vector<double>(h, h + p * p), p); }, factorizationToJs);
}

// hessian({x, n, d, intercept, coef, lambda}) -> {hessian, factor, rcond}; throws when singular.
Napi::Value Hessian(const Napi::CallbackInfo& info) {
  Reader r(info, "hessian");
  const glm::Design a = r.design();
  const double* c = r.f64("coef", a.n);
  const double lambda = r.number("lambda", 0, 1e300);
  for (std::size_t i = 0; i < a.n; ++i)
    if (!(c[i] >= 0)) r.fail<Napi::RangeError>("'coef' must be non-negative (Hessian weights)");
  r.product(a.p(), a.p(), "the Hessian (p x p)");
  return startJob(
      r, info.Env(), [=] { return influence::factorHessian(influence::penalizedHessian(a, c, lambda), a.p()); },
      factorizationToJs);
}

// leverage({x, n, d, intercept, factor, coef}) -> h (n)
Napi::Value Leverage(const Napi::CallbackInfo& info) {
  Reader r(info, "leverage");
  const glm::Design a = r.design();
  const double* l = r.f64("factor", r.product(a.p(), a.p(), "'factor' (p x p)"));
  const double* c = r.f64("coef", a.n);
  return startJob(
      r, info.Env(), [=] { return influence::leverage(a, l, c); }, toJs);
}

influence::ScoreInputs readScores(const Reader& r) {
  influence::ScoreInputs in;
  in.train = r.design();
  in.m = r.count("m");
  in.v = r.f64("v", r.product(in.train.p(), in.m, "'v' (p x m)"));
  r.product(in.train.n, in.m, "the scores (n x m)");
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
  return startArrayJob(r, info.Env(), in.train.n * in.m, "scoreMatrix's result",
                       [=](double* out) { influence::scoreMatrix(in, out); });
}

// scoreTopK({..scoreMatrix inputs, k}) -> {k, topIndex, topValue, bottomIndex, bottomValue}
Napi::Value ScoreTopK(const Napi::CallbackInfo& info) {
  Reader r(info, "scoreTopK");
  const influence::ScoreInputs in = readScores(r);
  const std::size_t k = r.count("k");
  return startJob(
      r, info.Env(), [=] { return influence::scoreTopK(in, k); }, topKToJs);
}

}  // namespace

void RegisterInfluence(Napi::Env env, Napi::Object exports) {
  TDAKIT_EXPORT(exports, env, "reducedSolve", ReducedSolve);
  TDAKIT_EXPORT(exports, env, "hessian", Hessian);
  TDAKIT_EXPORT(exports, env, "factor", Factor);
  TDAKIT_EXPORT(exports, env, "leverage", Leverage);
  TDAKIT_EXPORT(exports, env, "scoreMatrix", ScoreMatrix);
  TDAKIT_EXPORT(exports, env, "scoreTopK", ScoreTopK);
}

}  // namespace tdakit::binding
