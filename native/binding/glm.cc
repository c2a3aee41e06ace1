// GLM exports: Newton fits, chord refits, per-example quantities, design products.
#include <napi.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/job.h"
#include "binding/refit_cache.h"
#include "binding/register.h"
#include "glm/design.h"
#include "glm/family.h"
#include "glm/multinomial.h"
#include "glm/newton.h"
#include "glm/objective.h"
#include "glm/per_example.h"
#include "binding/codes.h"
#include "influence/reduced_hessian.h"

namespace tdakit::binding {
namespace {

// fit({family, x, n, d, intercept, y, weights?, lambda, linear?, theta0?, tol, maxIter})
Napi::Value Fit(const Napi::CallbackInfo& info) {
  Reader r(info, "fit");
  const glm::Problem pr = r.problem();
  const double* theta0 = r.f64("theta0", pr.p(), true);
  const glm::FitOptions opt = r.fitOptions();
  return startJob(
      r, info.Env(), [=] { return glm::fitNewton(glm::Objective(pr), theta0, opt); }, fitResultToJs);
}

// Marks the Externals refitCache() returns, so that refit accepts no other External as `cache`.
constexpr napi_type_tag kRefitCacheTag = {0x7d1a2c3b4e5f6071ULL, 0x8293a4b5c6d7e8f9ULL};

// Removals of at most this estimated leverage are left out of a refit preconditioner's Woodbury
// term (ReducedHessian::leveragedChanges): each leaves an eigenvalue of the preconditioned Hessian
// within a few percent of 1. On spam, 5% removed: 56 of 302 rows kept, the same 40 products as
// with all 302 (also at 3e-2, 43 kept), and the Woodbury setup about 5x cheaper.
constexpr double kPreconditionerLeverage = 1e-2;

// refitCache() -> an opaque handle that the refits of one model share (binding/refit_cache.h).
Napi::Value RefitCacheHandle(const Napi::CallbackInfo& info) {
  auto* holder = new std::shared_ptr<RefitCache>(std::make_shared<RefitCache>());
  auto handle = Napi::External<std::shared_ptr<RefitCache>>::New(
      info.Env(), holder, [](Napi::Env, std::shared_ptr<RefitCache>* h) { delete h; });
  handle.TypeTag(&kRefitCacheTag);
  return handle;
}

// The `cache` of a refit (optional): a refitCache() handle, else a TypeError naming it.
std::shared_ptr<RefitCache> readRefitCache(const Reader& r) {
  if (!r.has("cache")) return nullptr;
  const Napi::Value v = r.object().Get("cache");
  if (!v.IsExternal() || !v.As<Napi::External<std::shared_ptr<RefitCache>>>().CheckTypeTag(&kRefitCacheTag))
    r.fail<Napi::TypeError>("'cache' must be a handle from refitCache()");
  return *v.As<Napi::External<std::shared_ptr<RefitCache>>>().Data();
}

// refit({<problem of the reduced fit>, thetaStart, hessian, factor, rows, coef, shift, tol, maxIter, rhs?, cache?}):
// Newton-Krylov (or chord) iterations preconditioned by the exact reduced Hessian M at the reference
// optimum. With rhs, also M^{-1} rhs as `solution` (the Newton-step estimate of the same change):
// one Woodbury correction serves both. Without rhs (and with a ridge), M's Woodbury correction
// leaves out removals of small leverage (kPreconditionerLeverage): only the preconditioner uses it. With cache
// (refitCache()), X's summary and the float32 reference factor are built by the first refit of a model and reused by
// the next ones.
Napi::Value Refit(const Napi::CallbackInfo& info) {
  Reader r(info, "refit");
  const glm::Problem pr = r.problem();
  const double* start = r.f64("thetaStart", pr.p());
  const ReducedSpec s = readReduced(r, pr.design);
  const glm::FitOptions opt = r.fitOptions();
  const double* rhs = r.f64("rhs", pr.p(), true);
  const std::shared_ptr<RefitCache> cache = readRefitCache(r);
  const bool sharedX = r.isShared("x"), sharedFactor = r.isShared("factor");
  struct Out {
    glm::FitResult fit;
    std::vector<double> solution;
  };
  return startJob(
      r, info.Env(),
      [=] {
        // M is built on first use: formed and refactored (k >= p changes, or a penalty shift) it
        // costs a Hessian build, which Jacobi-preconditioned steps may make unnecessary. With rhs it
        // is built up front, and then costs the refit nothing more. Without a ridge (lambda = 0)
        // the removals can leave the problem singular, and the iterations may still reach a zero
        // gradient (a consistent singular system has many minimisers): M is then built up front,
        // exact over every removal, so that its factorisation reports the singularity whatever
        // the iterations would have done.
        const bool exact = rhs || pr.lambda == 0.0;
        std::optional<influence::ReducedHessian> m;
        auto reduced = [&]() -> const influence::ReducedHessian& {
          if (m) return *m;
          std::shared_ptr<const influence::PackedFactor> packed;
          if (cache && influence::ReducedHessian::woodburyApplies(s.coef, s.rows.size(), pr.p(), s.shift))
            packed = cache->packedFactor(s.factor, pr.p(), sharedFactor);
          if (exact)
            m.emplace(pr.design, s.hessian, s.factor, s.rows.data(), s.coef, s.rows.size(), s.shift, std::move(packed));
          else  // only a preconditioner: Woodbury over the removals whose leverage matters
            m.emplace(influence::ReducedHessian::preconditioner(pr.design, s.hessian, s.factor, s.rows.data(), s.coef,
                                                                s.rows.size(), s.shift, kPreconditionerLeverage,
                                                                std::move(packed)));
          return *m;
        };
        Out out;
        if (exact) reduced();
        if (rhs) {
          out.solution.assign(rhs, rhs + pr.p());
          reduced().apply(out.solution.data());
        }
        const double formed = m ? 0.0 : influence::ReducedHessian::formingFlops(s.coef, s.rows.size(), pr.p(), s.shift);
        const glm::Objective objective =
            cache ? glm::Objective(pr, cache->design(pr.design, sharedX)) : glm::Objective(pr);
        out.fit = glm::refitChord(
            objective, start, [&](double* b) { reduced().precondition(b); }, opt, formed);
        return out;
      },
      [rhs](Napi::Env env, const Out& out) {
        Napi::Object o = fitResultToJs(env, out.fit);
        if (rhs) o.Set("solution", toJs(env, out.solution));
        return o;
      });
}

// pointwise({family, x, n, d, intercept, theta, y?, offset?}) -> {margin, loss?, slope?, curvature?}
Napi::Value Pointwise(const Napi::CallbackInfo& info) {
  Reader r(info, "pointwise");
  const glm::Design a = r.design();
  const glm::Family fam = r.family();
  const double* theta = r.f64("theta", a.p());
  const double* y = r.f64("y", a.n, true);
  const double* offset = r.f64("offset", a.n, true);
  auto out = std::make_shared<glm::ExampleTerms>();
  return Job::start(
      r, info.Env(), [=] { *out = glm::exampleTerms(a, fam, theta, y, offset); },
      [out, y](Napi::Env env) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("margin", toJs(env, out->margin));
        if (y) {
          o.Set("loss", toJs(env, out->loss));
          o.Set("slope", toJs(env, out->slope));
          o.Set("curvature", toJs(env, out->curvature));
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
  const std::size_t size = r.product(a.n, a.p(), "the result (n x p)");
  return startArrayJob(r, info.Env(), size, "scaledRows' result",
                       [=](double* out) { glm::scaledRows(a, c, off, out); });
}

// transposeTimes({x, n, d, intercept, v}) -> A^T v (p)
Napi::Value TransposeTimes(const Napi::CallbackInfo& info) {
  Reader r(info, "transposeTimes");
  const glm::Design a = r.design();
  const double* v = r.f64("v", a.n);
  auto out = std::make_shared<std::vector<double>>(a.p());
  return Job::start(
      r, info.Env(), [=] { a.transposeTimes(v, out->data()); }, arrayResult(out));
}

// multinomialFit({x, n, d, intercept, classes, y, weights?, lambda, linear?, offset?, objective?, theta0?,
//                 tol, maxIter, keepHessian?}) -> fit result
Napi::Value MultinomialFit(const Napi::CallbackInfo& info) {
  Reader r(info, "multinomialFit");
  glm::MultinomialProblem pr = readMultinomial(r);
  pr.hessianProducts = true;  // softmax fits and retrains: Newton-Krylov steps (cross-entropy)
  const double* theta0 = r.f64("theta0", pr.blocks() * pr.design.p(), true);
  const glm::FitOptions opt = r.fitOptions();
  return startJob(
      r, info.Env(), [=] { return glm::fitNewton(glm::MultinomialObjective(pr), theta0, opt); }, fitResultToJs);
}

// multinomialLogits({x, n, d, intercept, classes, theta}) -> n x classes logits (reference class last, 0)
Napi::Value MultinomialLogits(const Napi::CallbackInfo& info) {
  Reader r(info, "multinomialLogits");
  const glm::Design a = r.design();
  const std::size_t C = r.count("classes");
  if (C < 2) r.fail<Napi::RangeError>("'classes' must be >= 2");
  const double* theta = r.f64("theta", r.product(C - 1, a.p(), "'theta' ((classes - 1) x p)"));
  const std::size_t size = r.product(a.n, C, "the logits (n x classes)");
  return startArrayJob(r, info.Env(), size, "multinomialLogits' result",
                       [=](double* out) { glm::referenceLogits(a, C, theta, out); });
}

}  // namespace

void RegisterGlm(Napi::Env env, Napi::Object exports) {
  TDAKIT_EXPORT(exports, env, "fit", Fit);
  TDAKIT_EXPORT(exports, env, "refit", Refit);
  TDAKIT_EXPORT(exports, env, "refitCache", RefitCacheHandle);
  TDAKIT_EXPORT(exports, env, "pointwise", Pointwise);
  TDAKIT_EXPORT(exports, env, "scaledRows", ScaledRows);
  TDAKIT_EXPORT(exports, env, "transposeTimes", TransposeTimes);
  TDAKIT_EXPORT(exports, env, "multinomialFit", MultinomialFit);
  TDAKIT_EXPORT(exports, env, "multinomialLogits", MultinomialLogits);
}

}  // namespace tdakit::binding
