// Multiclass influence exports (native/influence/multiclass.h): the softmax Hessian, factored,
// and the leverage blocks. Arguments through binding/args.h, work as a Job (binding/job.h).
#include <napi.h>

#include <memory>
#include <vector>

#include "binding/args.h"
#include "binding/job.h"
#include "binding/register.h"
#include "common/checked.h"
#include "influence/multiclass.h"

namespace tdakit::binding {
namespace {

// multinomialHessian({x, n, d, intercept, classes, y, weights?, lambda, theta}) -> {hessian, factor, rcond}
Napi::Value MultinomialHessian(const Napi::CallbackInfo& info) {
  Reader r(info, "multinomialHessian");
  const glm::MultinomialProblem pr = readMultinomial(r);
  const std::size_t P = r.product(pr.blocks(), pr.design.p(), "'theta' ((classes - 1) x p)");
  const double* theta = r.f64("theta", P);
  const std::size_t size = r.product(P, P, "the Hessian (P x P)");
  auto out = std::make_shared<influence::MulticlassHessian>();
  return Job::start(
      r, info.Env(),
      [=] {
        checkAllocation(size, 2 * sizeof(double), "the softmax Hessian and its factor");
        *out = influence::multinomialHessian(pr, theta);
      },
      [out](Napi::Env env) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("hessian", toJs(env, out->hessian));
        o.Set("factor", toJs(env, out->factor));
        o.Set("rcond", out->rcond);
        return o;
      });
}

// multinomialLeverageBlocks({x, n, d, intercept, classes, factor}) -> n blocks J_i H^{-1} J_i^T (K x K, row-major)
Napi::Value MultinomialLeverageBlocks(const Napi::CallbackInfo& info) {
  Reader r(info, "multinomialLeverageBlocks");
  const glm::Design a = r.design();
  const std::size_t C = r.count("classes");
  if (C < 2) r.fail<Napi::RangeError>("'classes' must be >= 2");
  const std::size_t P = r.product(C - 1, a.p(), "the parameters ((classes - 1) x p)");
  const double* factor = r.f64("factor", r.product(P, P, "'factor' (P x P)"));
  const std::size_t size =
      r.product(a.n, r.product(C - 1, C - 1, "a leverage block"), "the leverage blocks (n x K x K)");
  auto out = std::make_shared<std::vector<double>>();
  return Job::start(
      r, info.Env(),
      [=] {
        checkAllocation(size, sizeof(double), "the leverage blocks");
        *out = influence::multinomialLeverageBlocks(a, C, factor);
      },
      [out](Napi::Env env) { return toJs(env, *out); });
}

}  // namespace

void RegisterMulticlass(Napi::Env env, Napi::Object exports) {
  TDAKIT_EXPORT(exports, env, "multinomialHessian", MultinomialHessian);
  TDAKIT_EXPORT(exports, env, "multinomialLeverageBlocks", MultinomialLeverageBlocks);
}

}  // namespace tdakit::binding
