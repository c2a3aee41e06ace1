// GLM exports: Newton fits, chord refits, per-example quantities, design products.
#include <napi.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/job.h"
#include "binding/register.h"
#include "glm/design.h"
#include "glm/family.h"
#include "glm/multinomial.h"
#include "glm/newton.h"
#include "glm/objective.h"
#include "influence/reduced_hessian.h"

namespace tdakit::binding {
namespace {

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

}  // namespace

void RegisterGlm(Napi::Env env, Napi::Object exports) {
  exports.Set("fit", Napi::Function::New(env, Fit, "fit"));
  exports.Set("refit", Napi::Function::New(env, Refit, "refit"));
  exports.Set("pointwise", Napi::Function::New(env, Pointwise, "pointwise"));
  exports.Set("scaledRows", Napi::Function::New(env, ScaledRows, "scaledRows"));
  exports.Set("transposeTimes", Napi::Function::New(env, TransposeTimes, "transposeTimes"));
  exports.Set("multinomialFit", Napi::Function::New(env, MultinomialFit, "multinomialFit"));
  exports.Set("multinomialLogits", Napi::Function::New(env, MultinomialLogits, "multinomialLogits"));
}

}  // namespace tdakit::binding
