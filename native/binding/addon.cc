// Module init of the tdakit addon, the only code that knows about Node. Each domain file under
// native/binding/ converts the arguments of its exports (binding/args.h), schedules one core call
// as a Job (binding/job.h) and converts the result; all numerical work lives in the core.
#include <napi.h>

#include "binding/register.h"

namespace tdakit::binding {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterGlm(env, exports);
  RegisterInfluence(env, exports);
  RegisterDaunce(env, exports);
  RegisterMlp(env, exports);
  RegisterLinalg(env, exports);
  return exports;
}

}  // namespace tdakit::binding

static Napi::Object InitTdakit(Napi::Env env, Napi::Object exports) { return tdakit::binding::Init(env, exports); }

NODE_API_MODULE(tdakit, InitTdakit)
