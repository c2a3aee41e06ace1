// Job plumbing for the binding: every heavy call runs on the libuv pool as a Job that settles a
// Promise; core exceptions become JS Errors with a code; results are copied into fresh typed arrays.
//
// Built on the plain N-API async-work calls (not Napi::AsyncWorker) so that no C++ exception can
// escape a completion callback: when a worker_threads Worker is terminated (or calls
// process.exit()) with jobs pending, its environment is torn down, JavaScript can no longer run
// and every napi call fails. An env cleanup hook marks the environment as closing; completions
// then only release what they own, and any failure while settling is swallowed.
#pragma once
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "binding/args.h"
#include "common/checked.h"
#include "common/error.h"
#include "glm/newton.h"
#include "linalg/topk.h"

namespace tdakit::binding {

// Per-environment state shared by the module, the cleanup hook and every pending Job.
struct EnvState {
  std::atomic<bool> closing{false};
};

// Called once per environment at module init.
inline void InstallEnvState(Napi::Env env) {
  auto state = std::make_shared<EnvState>();
  env.SetInstanceData<std::shared_ptr<EnvState>>(new std::shared_ptr<EnvState>(state));
  auto* hookRef = new std::shared_ptr<EnvState>(state);
  napi_add_env_cleanup_hook(
      env,
      [](void* arg) {
        auto* ref = static_cast<std::shared_ptr<EnvState>*>(arg);
        (*ref)->closing = true;
        delete ref;
      },
      hookRef);
}

inline std::shared_ptr<EnvState> envState(Napi::Env env) {
  auto* ref = env.GetInstanceData<std::shared_ptr<EnvState>>();
  return ref ? *ref : std::make_shared<EnvState>();
}

class Job {
 public:
  using Exec = std::function<void()>;
  using Done = std::function<Napi::Value(Napi::Env)>;

  static Napi::Promise start(const Reader& r, Napi::Env env, Exec exec, Done done) {
    std::unique_ptr<Job> job(new Job(std::move(exec), std::move(done)));
    job->owned_ = r.owned();
    job->state_ = envState(env);
    napi_value promise = nullptr;
    NAPI_THROW_IF_FAILED(env, napi_create_promise(env, &job->deferred_, &promise), Napi::Promise());
    // The options object stays referenced (its SharedArrayBuffers are read in place).
    NAPI_THROW_IF_FAILED(env, napi_create_reference(env, r.object(), 1, &job->keep_), Napi::Promise());
    napi_value name = Napi::String::New(env, "tdakit");
    NAPI_THROW_IF_FAILED(
        env, napi_create_async_work(env, nullptr, name, &Job::execute, &Job::complete, job.get(), &job->work_),
        Napi::Promise());
    NAPI_THROW_IF_FAILED(env, napi_queue_async_work(env, job->work_), Napi::Promise());
    job.release();  // owned by the async work from here; deleted in complete()
    return Napi::Promise(env, promise);
  }

 private:
  Job(Exec exec, Done done) : exec_(std::move(exec)), done_(std::move(done)) {}

  // Worker thread: no napi calls.
  static void execute(napi_env, void* data) {
    auto* job = static_cast<Job*>(data);
    try {
      job->exec_();
    } catch (const NumericError& e) {
      job->fail("ERR_TDAKIT_NUMERIC", e.what(), false);
    } catch (const ArgumentError& e) {
      job->fail("ERR_TDAKIT_ARGUMENT", e.what(), true);
    } catch (const MemoryError& e) {
      job->fail("ERR_TDAKIT_MEMORY", std::string("out of memory: ") + e.what(), true);
    } catch (const std::bad_alloc&) {
      job->fail("ERR_TDAKIT_MEMORY", "out of memory in the native core (the request is too large for this machine)",
                true);
    } catch (const std::exception& e) {
      job->fail("ERR_TDAKIT_NATIVE", e.what(), false);
    } catch (...) {
      job->fail("ERR_TDAKIT_NATIVE", "unknown native failure", false);
    }
  }

  // Main (or worker) thread, also while the environment is being torn down.
  static void complete(napi_env env, napi_status status, void* data) {
    std::unique_ptr<Job> job(static_cast<Job*>(data));
    if (status == napi_ok && !job->state_->closing) {
      try {
        job->settle(env);
      } catch (...) {
        // Settling failed (the environment stopped running JavaScript meanwhile): nothing to report to.
      }
    }
    if (job->keep_) napi_delete_reference(env, job->keep_);
    if (job->work_) napi_delete_async_work(env, job->work_);
  }

  void fail(const char* code, const std::string& message, bool range) {
    failed_ = true;
    code_ = code;
    message_ = message;
    range_ = range;
  }

  void settle(napi_env rawEnv) {
    Napi::Env env(rawEnv);
    Napi::HandleScope scope(env);
    if (!failed_) {
      Napi::Value value;
      try {
        value = done_(env);
      } catch (const Napi::Error& e) {
        // e.g. a result larger than a typed array may be: reject with V8's own RangeError.
        napi_reject_deferred(rawEnv, deferred_, e.Value());
        return;
      } catch (const std::bad_alloc&) {
        fail("ERR_TDAKIT_MEMORY", "out of memory while returning the result", true);
      }
      if (!failed_) {
        napi_resolve_deferred(rawEnv, deferred_, value);
        return;
      }
    }
    const std::string message = message_;
    Napi::Error err = range_ ? Napi::Error(Napi::RangeError::New(env, message)) : Napi::Error::New(env, message);
    err.Set("code", Napi::String::New(env, code_));
    napi_reject_deferred(rawEnv, deferred_, err.Value());
  }

  Exec exec_;
  Done done_;
  std::shared_ptr<OwnedInputs> owned_;
  std::shared_ptr<EnvState> state_;
  napi_deferred deferred_ = nullptr;
  napi_ref keep_ = nullptr;
  napi_async_work work_ = nullptr;
  bool failed_ = false;
  bool range_ = false;
  std::string code_ = "ERR_TDAKIT_NATIVE";
  std::string message_;
};

// Wraps an export so that no C++ exception other than a Napi::Error (already a pending JS
// exception) leaves it: allocation failures become RangeErrors, core errors Errors with a code.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  auto raise = [&](bool range, const char* code, const std::string& message) -> Napi::Value {
    Napi::Error err =
        range ? Napi::Error(Napi::RangeError::New(info.Env(), message)) : Napi::Error::New(info.Env(), message);
    err.Set("code", Napi::String::New(info.Env(), code));
    throw err;
  };
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const MemoryError& e) {
    return raise(true, "ERR_TDAKIT_MEMORY", std::string("tdakit native: out of memory: ") + e.what());
  } catch (const std::bad_alloc&) {
    return raise(true, "ERR_TDAKIT_MEMORY", "tdakit native: out of memory (the request is too large for this machine)");
  } catch (const std::length_error&) {
    return raise(true, "ERR_TDAKIT_MEMORY", "tdakit native: out of memory (a size is too large)");
  } catch (const ArgumentError& e) {
    return raise(true, "ERR_TDAKIT_ARGUMENT", std::string("tdakit native: ") + e.what());
  } catch (const NumericError& e) {
    return raise(false, "ERR_TDAKIT_NUMERIC", std::string("tdakit native: ") + e.what());
  } catch (const std::exception& e) {
    return raise(false, "ERR_TDAKIT_NATIVE", std::string("tdakit native: ") + e.what());
  }
}

// exports[name] = the guarded function.
#define TDAKIT_EXPORT(exports, env, name, fn) \
  (exports).Set(name, Napi::Function::New((env), ::tdakit::binding::Guarded<fn>, name))

inline Napi::Float64Array toJs(Napi::Env env, const std::vector<double>& v) {
  auto a = Napi::Float64Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(double));
  return a;
}

// A job whose worker thread computes a value (`compute()` returns it) and whose completion
// converts it to JavaScript (`convert(env, value)`).
template <typename Compute, typename Convert>
Napi::Promise startJob(const Reader& r, Napi::Env env, Compute compute, Convert convert) {
  auto out = std::make_shared<decltype(compute())>();
  return Job::start(
      r, env, [=] { *out = compute(); }, [out, convert](Napi::Env e) -> Napi::Value { return convert(e, *out); });
}

// The completion of a job whose result is `out`: resolves with a copy of it as a Float64Array.
inline Job::Done arrayResult(std::shared_ptr<std::vector<double>> out) {
  return [out](Napi::Env env) { return toJs(env, *out); };
}

// A job that fills a fresh float64 result of `size` values: the allocation happens on the worker
// thread and is checked there (an oversized result is an ERR_TDAKIT_MEMORY RangeError, not a crash);
// `fill(double* out)` writes every value. Resolves with the result as a Float64Array.
template <typename Fill>
Napi::Promise startArrayJob(const Reader& r, Napi::Env env, std::size_t size, const char* what, Fill fill) {
  auto out = std::make_shared<std::vector<double>>();
  return Job::start(
      r, env,
      [=] {
        checkAllocation(size, sizeof(double), what);
        out->resize(size);
        fill(out->data());
      },
      arrayResult(out));
}

inline Napi::Object fitResultToJs(Napi::Env env, const glm::FitResult& r) {
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

inline Napi::Object topKToJs(Napi::Env env, const linalg::TopK& t) {
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

}  // namespace tdakit::binding
