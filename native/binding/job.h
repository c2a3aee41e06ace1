// Job plumbing for the binding: every heavy call runs on the libuv pool as a Job that settles a
// Promise; core exceptions become JS Errors with a code; results are copied into fresh typed arrays.
#pragma once
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "binding/args.h"
#include "common/error.h"
#include "glm/newton.h"
#include "linalg/topk.h"

namespace tdakit::binding {

class Job : public Napi::AsyncWorker {
 public:
  using Exec = std::function<void()>;
  using Done = std::function<Napi::Value(Napi::Env)>;
  Job(Napi::Env env, Napi::Object keep, Exec exec, Done done)
      : Napi::AsyncWorker(env, "tdakit"),
        deferred_(Napi::Promise::Deferred::New(env)),
        keep_(Napi::Persistent(keep)),
        exec_(std::move(exec)),
        done_(std::move(done)) {}

  static Napi::Promise start(const Reader& r, Napi::Env env, Exec exec, Done done) {
    auto* job = new Job(env, r.object(), std::move(exec), std::move(done));
    Napi::Promise p = job->deferred_.Promise();
    job->Queue();
    return p;
  }

  void Execute() override {
    try {
      exec_();
    } catch (const NumericError& e) {
      code_ = "ERR_TDAKIT_NUMERIC";
      SetError(e.what());
    } catch (const ArgumentError& e) {
      code_ = "ERR_TDAKIT_ARGUMENT";
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      code_ = "ERR_TDAKIT_MEMORY";
      SetError("out of memory in the native core");
    } catch (const std::exception& e) {
      code_ = "ERR_TDAKIT_NATIVE";
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    deferred_.Resolve(done_(Env()));
  }
  void OnError(const Napi::Error& e) override {
    Napi::HandleScope scope(Env());
    Napi::Error err = Napi::Error::New(Env(), e.Message());
    err.Set("code", Napi::String::New(Env(), code_));
    deferred_.Reject(err.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_;
  Exec exec_;
  Done done_;
  std::string code_ = "ERR_TDAKIT_NATIVE";
};

inline Napi::Float64Array toJs(Napi::Env env, const std::vector<double>& v) {
  auto a = Napi::Float64Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(double));
  return a;
}

inline Napi::Object fitResultToJs(Napi::Env env, const glm::FitResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("theta", toJs(env, r.theta));
  o.Set("objective", r.objective);
  o.Set("gradientNorm", r.gradientNorm);
  o.Set("gradientScale", r.gradientScale);
  o.Set("newtonIterations", r.newtonIterations);
  o.Set("chordIterations", r.chordIterations);
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
