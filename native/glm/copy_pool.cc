#include "copy_pool.h"

#include "../linalg/blas.h"

namespace tdakit::glm {

namespace {

std::mutex& blasMutex() {
  static std::mutex m;
  return m;
}
int users = 0;
int saved = 1;

}  // namespace

SingleThreadedBlas::SingleThreadedBlas() {
  std::lock_guard<std::mutex> lock(blasMutex());
  if (users++ == 0) {
    saved = openblas_get_num_threads();
    openblas_set_num_threads(1);
  }
}

SingleThreadedBlas::~SingleThreadedBlas() {
  std::lock_guard<std::mutex> lock(blasMutex());
  if (--users == 0) openblas_set_num_threads(saved);
}

}  // namespace tdakit::glm
