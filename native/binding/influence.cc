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

// scoreTopK({..scoreMatrix inputs, k}) -> {k, topIndex, topValue, bottomIndex, bottomValue}
Napi::Value ScoreTopK(const Napi::CallbackInfo& info) {
  Reader r(info, "scoreTopK");
  const influence::ScoreInputs in = readScores(r);
  const std::size_t k = r.count("k");
  auto out = std::make_shared<linalg::TopK>();
  return Job::start(r, info.Env(), [=] { *out = influence::scoreTopK(in, k); },
                    [out](Napi::Env env) { return topKToJs(env, *out); });
}

}  // namespace

void RegisterInfluence(Napi::Env env, Napi::Object exports) {
  exports.Set("reducedSolve", Napi::Function::New(env, ReducedSolve, "reducedSolve"));
  exports.Set("hessian", Napi::Function::New(env, Hessian, "hessian"));
  exports.Set("factor", Napi::Function::New(env, Factor, "factor"));
  exports.Set("leverage", Napi::Function::New(env, Leverage, "leverage"));
  exports.Set("scoreMatrix", Napi::Function::New(env, ScoreMatrix, "scoreMatrix"));
  exports.Set("scoreTopK", Napi::Function::New(env, ScoreTopK, "scoreTopK"));
}

}  // namespace tdakit::binding
