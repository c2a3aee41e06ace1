// One registration function per domain; addon.cc calls each once at module init.
#pragma once
#include <napi.h>

namespace tdakit::binding {

void RegisterGlm(Napi::Env env, Napi::Object exports);
void RegisterInfluence(Napi::Env env, Napi::Object exports);
void RegisterDaunce(Napi::Env env, Napi::Object exports);
void RegisterMlp(Napi::Env env, Napi::Object exports);
void RegisterLinalg(Napi::Env env, Napi::Object exports);
void RegisterMulticlass(Napi::Env env, Napi::Object exports);
void RegisterCopies(Napi::Env env, Napi::Object exports);

}  // namespace tdakit::binding
