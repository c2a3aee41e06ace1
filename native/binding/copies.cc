// glmCopies: many perturbed copies of a binary GLM in one call (Daunce), trained on the core's
// thread pool off the main thread; returns every copy's parameters and losses.
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "binding/args.h"
#include "binding/codes.h"
#include "binding/job.h"
#include "binding/register.h"
#include "common/checked.h"
#include "glm/copies.h"

namespace tdakit::binding {
namespace {

// glmCopies({family, x, n, d, intercept, y, offset?, lambda, theta0, sizes, rows, weights, coef?,
//            labels, qx, qn, qd, qintercept, queryLabels, referenceWeight, precondition, threads,
//            tol, maxIter}) -> {theta (B x p), trainLoss (B x n), queryLoss (B x m), newtonIterations,
//            krylovIterations (B each)}. Copy b trains on rows[sum sizes[<b] ..][sizes[b]].
Napi::Value GlmCopies(const Napi::CallbackInfo& info) {
  Reader r(info, "glmCopies");
  auto pr = std::make_shared<glm::CopiesProblem>();
  pr->design = r.design();
  const std::size_t n = pr->design.n, p = pr->design.p();
  pr->family = r.family();
  pr->y = r.f64("y", n);
  pr->offset = r.f64("offset", n, true);
  pr->lambda = r.number("lambda", 0, 1e300);
  pr->theta0 = r.f64("theta0", p);
  pr->labels = r.f64("labels", n);
  pr->queries = r.design("q");
  if (pr->queries.d != pr->design.d || pr->queries.intercept != pr->design.intercept)
    r.fail<Napi::RangeError>("'qx' must have the training design's columns and intercept");
  pr->queryLabels = r.f64("queryLabels", pr->queries.n);
  pr->referenceWeight = r.number("referenceWeight", 0, 1e300);
  pr->precondition = r.flag("precondition");
  pr->fit = r.fitOptions();
  const std::size_t threads = r.count("threads");
  if (threads < 1) r.fail<Napi::RangeError>("'threads' must be >= 1");
  auto sizes = std::make_shared<std::vector<std::size_t>>(r.rows("sizes", n + 1));
  std::size_t total = 0;
  for (std::size_t s : *sizes) {
    if (s == 0) r.fail<Napi::RangeError>("'sizes' holds 0: every copy needs at least one row");
    total += s;
  }
  const std::vector<std::size_t> rows = r.rows("rows", n);
  if (rows.size() != total)
    r.fail<Napi::RangeError>("'rows' has " + std::to_string(rows.size()) + " indices, 'sizes' sum to " +
                             std::to_string(total));
  auto rows32 = std::make_shared<std::vector<std::uint32_t>>(rows.begin(), rows.end());
  const double* weights = r.f64("weights", total);
  const double* coef = r.f64("coef", total, true);
  std::size_t first = 0;
  for (std::size_t s : *sizes) {
    pr->copies.push_back({rows32->data() + first, s, weights + first, coef ? coef + first : nullptr});
    first += s;
  }
  const std::size_t B = sizes->size(), m = pr->queries.n;
  r.product(B, r.product(n + m, 1, "the losses"), "the losses (copies x (n + m))");
  auto out = std::make_shared<std::vector<glm::CopyResult>>();
  return Job::start(
      r, info.Env(),
      [=] {
        *out = glm::fitCopies(*pr, threads);
        (void)rows32;
      },
      [out, B, n, m, p](Napi::Env env) {
        auto flat = [&](auto member, std::size_t width) {
          auto a = Napi::Float64Array::New(env, B * width);
          for (std::size_t b = 0; b < B; ++b)
            std::memcpy(a.Data() + b * width, ((*out)[b].*member).data(), width * sizeof(double));
          return a;
        };
        auto counts = [&](int glm::CopyResult::*member) {
          auto a = Napi::Int32Array::New(env, B);
          for (std::size_t b = 0; b < B; ++b) a[b] = (*out)[b].*member;
          return a;
        };
        Napi::Object o = Napi::Object::New(env);
        o.Set("theta", flat(&glm::CopyResult::theta, p));
        o.Set("trainLoss", flat(&glm::CopyResult::trainLoss, n));
        o.Set("queryLoss", flat(&glm::CopyResult::queryLoss, m));
        o.Set("newtonIterations", counts(&glm::CopyResult::newtonIterations));
        o.Set("krylovIterations", counts(&glm::CopyResult::krylovIterations));
        return o;
      });
}

}  // namespace

void RegisterCopies(Napi::Env env, Napi::Object exports) { TDAKIT_EXPORT(exports, env, "glmCopies", GlmCopies); }

}  // namespace tdakit::binding
