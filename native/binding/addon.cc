// Module init of the tdakit addon, the only code that knows about Node. Each domain file under
// native/binding/ converts the arguments of its exports (binding/args.h), schedules one core call
// as a Job (binding/job.h) and converts the result; all numerical work lives in the core.
#include <napi.h>

#include "binding/codes.h"
#include "binding/job.h"
#include "binding/register.h"

namespace tdakit::binding {

namespace {

// {name: code} for one enum, frozen.
Napi::Object codeTable(Napi::Env env, const std::vector<const char*>& names) {
  Napi::Object table = Napi::Object::New(env);
  for (std::size_t c = 0; c < names.size(); ++c) table.Set(names[c], Napi::Number::New(env, static_cast<double>(c)));
  table.Freeze();
  return table;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InstallEnvState(env);
  Napi::Object codes = Napi::Object::New(env);
  codes.Set("family", codeTable(env, familyNames()));
  codes.Set("objective", codeTable(env, objectiveNames()));
  codes.Freeze();
  exports.Set("codes", codes);
  RegisterGlm(env, exports);
  RegisterInfluence(env, exports);
  RegisterDaunce(env, exports);
  RegisterMlp(env, exports);
  RegisterLinalg(env, exports);
  RegisterMulticlass(env, exports);
  RegisterCopies(env, exports);
  return exports;
}

}  // namespace tdakit::binding

static Napi::Object InitTdakit(Napi::Env env, Napi::Object exports) { return tdakit::binding::Init(env, exports); }

NODE_API_MODULE(tdakit, InitTdakit)
