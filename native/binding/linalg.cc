// Linear-algebra exports: Cholesky solves, the BLAS configuration and its measured dgemm rate.
#include <napi.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/job.h"
#include "binding/register.h"
#include "linalg/blas.h"
#include "linalg/dense.h"

extern "C" char* openblas_get_config(void);
extern "C" int openblas_get_num_threads(void);

namespace tdakit::binding {
namespace {

// choleskySolve({factor, p, rhs, nrhs}) -> (L L^T)^{-1} rhs, rhs p x nrhs column-major
Napi::Value CholeskySolve(const Napi::CallbackInfo& info) {
  Reader r(info, "choleskySolve");
  const std::size_t p = r.count("p");
  const std::size_t nrhs = r.count("nrhs");
  const double* l = r.f64("factor", r.product(p, p, "'factor' (p x p)"));
  const double* b = r.f64("rhs", r.product(p, nrhs, "'rhs' (p x nrhs)"));
  auto out = std::make_shared<std::vector<double>>(b, b + p * nrhs);
  return Job::start(
      r, info.Env(), [=] { linalg::choleskySolve(l, p, out->data(), nrhs); }, arrayResult(out));
}

// blasInfo() -> {config, threads}
Napi::Value BlasInfo(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("config", Napi::String::New(info.Env(), openblas_get_config()));
  o.Set("threads", openblas_get_num_threads());
  return o;
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

}  // namespace

void RegisterLinalg(Napi::Env env, Napi::Object exports) {
  TDAKIT_EXPORT(exports, env, "choleskySolve", CholeskySolve);
  TDAKIT_EXPORT(exports, env, "blasInfo", BlasInfo);
  TDAKIT_EXPORT(exports, env, "dgemmRate", DgemmRate);
}

}  // namespace tdakit::binding
