#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "blas.h"

namespace tdakit::linalg {

namespace {

// OpenBLAS's thread count is process-global: the first kernel in sets it to 1 and the last one
// out restores it, so overlapping kernels never leave it at 1.
std::mutex serialMutex;
int serialUsers = 0;
int savedThreads = 1;

struct SerialBlas {
  SerialBlas() {
    std::lock_guard<std::mutex> lock(serialMutex);
    if (serialUsers++ == 0) {
      savedThreads = openblas_get_num_threads();
      openblas_set_num_threads(1);
    }
  }
  ~SerialBlas() {
    std::lock_guard<std::mutex> lock(serialMutex);
    if (--serialUsers == 0) openblas_set_num_threads(savedThreads);
  }
};

}  // namespace

std::size_t kernelWorkers(std::size_t blocks) {
  std::size_t threads;
  {
    std::lock_guard<std::mutex> lock(serialMutex);
    threads = static_cast<std::size_t>(std::max(1, serialUsers > 0 ? savedThreads : openblas_get_num_threads()));
  }
  return std::max<std::size_t>(1, std::min(threads, blocks));
}

void runWorkers(std::size_t workers, const std::function<void(std::size_t)>& work) {
  if (workers <= 1) {
    work(0);
    return;
  }
  std::vector<std::exception_ptr> errors(workers);
  std::vector<std::thread> threads;
  threads.reserve(workers - 1);
  auto guarded = [&](std::size_t w) {
    try {
      work(w);
    } catch (...) {
      errors[w] = std::current_exception();
    }
  };
  for (std::size_t w = 1; w < workers; ++w) threads.emplace_back(guarded, w);
  guarded(0);
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

void runWorkersWithSerialBlas(std::size_t workers, const std::function<void(std::size_t)>& work) {
  if (workers <= 1) {
    work(0);  // the caller's threaded BLAS is the faster choice for one worker
    return;
  }
  SerialBlas serial;
  runWorkers(workers, work);
}

void runWithSerialBlas(const std::function<void()>& work) {
  SerialBlas serial;
  work();
}

void forBlocksInParallel(std::size_t n, std::size_t blockRows, std::size_t workers,
                         const std::function<void(std::size_t, std::size_t, std::size_t)>& block) {
  const std::size_t blocks = blockCount(n, blockRows);
  std::atomic<std::size_t> next{0};
  runWorkersWithSerialBlas(std::max<std::size_t>(1, std::min(workers, blocks)), [&](std::size_t w) {
    // Dynamic hand-out: a worker slowed by other load on the machine takes fewer blocks.
    for (std::size_t b = next++; b < blocks; b = next++) {
      const std::size_t first = b * blockRows;
      block(w, first, std::min(blockRows, n - first));
    }
  });
}

}  // namespace tdakit::linalg
