// glmCopies and multinomialCopies: many perturbed copies of a binary GLM or of a softmax
// regression in one call (Daunce), trained on the core's thread pool off the main thread; they
// return every copy's parameters and losses.
#include <napi.h>

#include <algorithm>
#include <cmath>
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
#include "glm/multinomial_copies.h"

namespace tdakit::binding {
namespace {

// The copies' rows, weights and first-order coefficients (`perRow` per row): copy b trains on
// rows[sum sizes[<b] ..][sizes[b]]. The specs point into `rows32` (kept alive by the job) and
// into the Reader's buffers.
struct CopyInputs {
  std::vector<glm::CopySpec> specs;
  std::shared_ptr<std::vector<std::uint32_t>> rows32;
};

CopyInputs readCopies(const Reader& r, std::size_t n, std::size_t perRow) {
  const std::vector<std::size_t> sizes = r.rows("sizes", n + 1);
  std::size_t total = 0;
  for (std::size_t s : sizes) {
    if (s == 0) r.fail<Napi::RangeError>("'sizes' holds 0: every copy needs at least one row");
    total += s;
  }
  const std::vector<std::size_t> rows = r.rows("rows", n);
  if (rows.size() != total)
    r.fail<Napi::RangeError>("'rows' has " + std::to_string(rows.size()) + " indices, 'sizes' sum to " +
                             std::to_string(total));
  CopyInputs in;
  in.rows32 = std::make_shared<std::vector<std::uint32_t>>(rows.begin(), rows.end());
  const double* weights = r.f64("weights", total);
  const double* coef = r.f64("coef", r.product(total, perRow, "'coef' (rows x coefficients per row)"), true);
  std::size_t first = 0;
  for (std::size_t s : sizes) {
    in.specs.push_back({in.rows32->data() + first, s, weights + first, coef ? coef + first * perRow : nullptr});
    first += s;
  }
  return in;
}

// Class ids in [0, classes) of `count` examples.
const double* classIds(const Reader& r, const char* key, std::size_t count, std::size_t classes) {
  const double* y = r.f64(key, count);
  for (std::size_t i = 0; i < count; ++i)
    if (!(y[i] >= 0 && y[i] < static_cast<double>(classes) && y[i] == std::floor(y[i])))
      r.fail<Napi::RangeError>(std::string("'") + key + "' holds " + std::to_string(y[i]) + " at " + std::to_string(i) +
                               ", not a class id in [0, " + std::to_string(classes) + ")");
  return y;
}

// {theta (B x P), trainLoss (B x n), queryLoss (B x m), newtonIterations, krylovIterations (B each),
// referenceFactor (P x P, or empty)}.
auto copiesToJs(std::shared_ptr<std::vector<glm::CopyResult>> out, std::shared_ptr<std::vector<double>> reference,
                std::size_t n, std::size_t m, std::size_t P) {
  return [out, reference, n, m, P](Napi::Env env) {
    const std::size_t B = out->size();
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
    o.Set("theta", flat(&glm::CopyResult::theta, P));
    o.Set("trainLoss", flat(&glm::CopyResult::trainLoss, n));
    o.Set("queryLoss", flat(&glm::CopyResult::queryLoss, m));
    o.Set("newtonIterations", counts(&glm::CopyResult::newtonIterations));
    o.Set("krylovIterations", counts(&glm::CopyResult::krylovIterations));
    auto factor = Napi::Float64Array::New(env, reference->size());
    std::copy(reference->begin(), reference->end(), factor.Data());
    o.Set("referenceFactor", factor);
    return o;
  };
}

// The queries' design, with the training design's columns and intercept.
glm::Design queryDesign(const Reader& r, const glm::Design& train) {
  const glm::Design q = r.design("q");
  if (q.d != train.d || q.intercept != train.intercept)
    r.fail<Napi::RangeError>("'qx' must have the training design's columns and intercept");
  return q;
}

std::size_t threadCount(const Reader& r) {
  const std::size_t threads = r.count("threads");
  if (threads < 1) r.fail<Napi::RangeError>("'threads' must be >= 1");
  return threads;
}

// The reference factor an earlier call returned (optional): P x P, finite, with a positive
// diagonal, or empty (that call had none).
std::shared_ptr<const std::vector<double>> givenReference(const Reader& r, std::size_t P) {
  const char* key = "referenceFactor";
  if (!r.has(key)) return nullptr;
  if (r.f64Length(key) == 0) return std::make_shared<const std::vector<double>>();
  const std::size_t entries = r.product(P, P, "'referenceFactor' (P x P)");
  const double* f = r.f64(key, entries);
  for (std::size_t k = 0; k < entries; ++k)
    if (!std::isfinite(f[k]))
      r.fail<Napi::RangeError>("'referenceFactor' holds a non-finite value at " + std::to_string(k));
  for (std::size_t k = 0; k < P; ++k)
    if (!(f[k + k * P] > 0.0))
      r.fail<Napi::RangeError>("'referenceFactor' is not a Cholesky factor: diagonal entry " + std::to_string(k) +
                               " is not positive");
  return std::make_shared<const std::vector<double>>(f, f + entries);
}

// The arguments that glmCopies and multinomialCopies share, read after each one's own (the
// order in which a bad argument is reported): the reference weight, preconditioning, the reference
// factor of an earlier call (P parameters per copy), the fit
// options, the thread count and the copies, `perRow` coefficients per row; checks the size of
// the losses (copies x (n + m)).
template <class Problem>
CopyInputs readBatch(const Reader& r, Problem& pr, std::size_t perRow, std::size_t P, std::size_t& threads) {
  pr.referenceWeight = r.number("referenceWeight", 0, 1e300);
  pr.precondition = r.flag("precondition");
  pr.givenReference = givenReference(r, P);
  pr.fit = r.fitOptions();
  threads = threadCount(r);
  CopyInputs copies = readCopies(r, pr.design.n, perRow);
  pr.copies = copies.specs;
  r.product(copies.specs.size(), r.product(pr.design.n + pr.queries.n, 1, "the losses"),
            "the losses (copies x (n + m))");
  return copies;
}

// Trains the copies with fit(problem, threads) off the main thread; the job keeps the copies'
// rows alive, and returns P parameters per copy with the losses (copiesToJs).
template <class Problem, class Fit>
Napi::Value startBatch(const Reader& r, Napi::Env env, std::shared_ptr<Problem> pr, const CopyInputs& copies,
                       std::size_t threads, std::size_t P, Fit fit) {
  auto out = std::make_shared<std::vector<glm::CopyResult>>();
  auto reference = std::make_shared<std::vector<double>>();
  auto rows32 = copies.rows32;
  return Job::start(
      r, env,
      [=] {
        *out = fit(*pr, threads, reference.get());
        (void)rows32;
      },
      copiesToJs(out, reference, pr->design.n, pr->queries.n, P));
}

// glmCopies({family, x, n, d, intercept, y, offset?, lambda, theta0, sizes, rows, weights, coef?,
//            labels, qx, qn, qd, qintercept, queryLabels, referenceWeight, precondition,
//            referenceFactor?, threads, tol, maxIter}) -> {theta (B x p), trainLoss (B x n), queryLoss
//            (B x m), newtonIterations, krylovIterations (B each), referenceFactor}. Copy b trains on rows[sum
//            sizes[<b] ..][sizes[b]].
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
  pr->queries = queryDesign(r, pr->design);
  pr->queryLabels = r.f64("queryLabels", pr->queries.n);
  std::size_t threads = 1;
  const CopyInputs copies = readBatch(r, *pr, 1, p, threads);
  return startBatch(r, info.Env(), pr, copies, threads, p, glm::fitCopies);
}

// multinomialCopies({x, n, d, intercept, classes, y, offset?, objective, lambda, theta0, sizes,
//                    rows, weights, coef?, qx, qn, qd, qintercept, queryLabels, referenceWeight,
//                    precondition, referenceFactor?, threads, tol, maxIter}) -> as glmCopies, theta B x (classes - 1) p
//                    and the cross-entropies. coef: (classes - 1) per row, row-major.
Napi::Value MultinomialCopies(const Napi::CallbackInfo& info) {
  Reader r(info, "multinomialCopies");
  auto pr = std::make_shared<glm::MultinomialCopiesProblem>();
  pr->design = r.design();
  const std::size_t n = pr->design.n;
  pr->classes = r.count("classes");
  if (pr->classes < 2) r.fail<Napi::RangeError>("'classes' must be >= 2");
  const std::size_t K = pr->classes - 1, P = r.product(K, pr->design.p(), "'theta0' ((classes - 1) x p)");
  pr->y = classIds(r, "y", n, pr->classes);
  pr->offset = r.f64("offset", n, true);
  pr->objective = static_cast<glm::LogitObjective>(r.code("objective", objectiveNames()));
  pr->lambda = r.number("lambda", 0, 1e300);
  pr->theta0 = r.f64("theta0", P);
  pr->queries = queryDesign(r, pr->design);
  pr->queryLabels = classIds(r, "queryLabels", pr->queries.n, pr->classes);
  std::size_t threads = 1;
  const CopyInputs copies = readBatch(r, *pr, K, P, threads);
  r.product(copies.specs.size(), P, "the parameters (copies x (classes - 1) p)");
  return startBatch(r, info.Env(), pr, copies, threads, P, glm::fitMultinomialCopies);
}

}  // namespace

void RegisterCopies(Napi::Env env, Napi::Object exports) {
  TDAKIT_EXPORT(exports, env, "glmCopies", GlmCopies);
  TDAKIT_EXPORT(exports, env, "multinomialCopies", MultinomialCopies);
}

}  // namespace tdakit::binding
