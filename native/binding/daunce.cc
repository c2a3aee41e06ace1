// Daunce exports: covariance scores of perturbed-model losses (full matrix or top-k).
#include <napi.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/job.h"
#include "binding/register.h"
#include "daunce/covariance.h"
#include "linalg/topk.h"

namespace tdakit::binding {
namespace {

// covarianceScores({train, n, query, m, models, trainMean, queryMean, trainScale?, queryScale?, k?})
// -> n x m row-major, or top-k per query when k is given.
Napi::Value CovarianceScores(const Napi::CallbackInfo& info) {
  Reader r(info, "covarianceScores");
  daunce::CovarianceInputs in;
  in.n = r.count("n");
  in.m = r.count("m");
  in.models = r.count("models");
  if (in.models < 2) r.fail<Napi::RangeError>("'models' must be >= 2 (a covariance needs two models)");
  in.train = r.f64("train", r.product(in.models, in.n, "'train' (models x n)"));
  in.query = r.f64("query", r.product(in.models, in.m, "'query' (models x m)"));
  in.trainMean = r.f64("trainMean", in.n);
  in.queryMean = r.f64("queryMean", in.m);
  in.trainScale = r.f64("trainScale", in.n, true);
  in.queryScale = r.f64("queryScale", in.m, true);
  const std::size_t size = r.product(in.n, in.m, "the scores (n x m)");
  if (r.has("k")) {
    const std::size_t k = r.count("k");
    return startJob(
        r, info.Env(), [=] { return daunce::covarianceTopK(in, k); }, topKToJs);
  }
  return startArrayJob(r, info.Env(), size, "covarianceScores' result",
                       [=](double* out) { daunce::covarianceMatrix(in, out); });
}

}  // namespace

void RegisterDaunce(Napi::Env env, Napi::Object exports) {
  TDAKIT_EXPORT(exports, env, "covarianceScores", CovarianceScores);
}

}  // namespace tdakit::binding
