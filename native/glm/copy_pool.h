// The thread pool shared by the batched Daunce copies (copies.cc, multinomial_copies.cc): copy k
// is computed by the same single-threaded code whatever the pool size, so its bits depend on
// neither the batch nor the number of workers.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace tdakit::glm {

// Holds OpenBLAS at one thread while a batch runs (process-wide), so B workers do not each fan
// out to all cores and every BLAS call of a copy takes its single-threaded, fixed-order path.
// Concurrent batches share the setting; the last one out restores the caller's thread count.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;
};

// The reference factor of a batch (copies.cc, multinomial_copies.cc): none without
// preconditioning, the one an earlier call returned when given (givenReference), else
// build(problem). Also written to `out` when set, for the next call.
template <class Problem, class Build>
std::vector<double> batchReference(const Problem& pr, Build build, std::vector<double>* out) {
  std::vector<double> factor = !pr.precondition    ? std::vector<double>{}
                               : pr.givenReference ? *pr.givenReference
                                                   : build(pr);
  if (out) *out = factor;
  return factor;
}

// Calls work(k, buffer) for k = 0 .. count - 1 on min(threads, count) workers (the caller's thread
// among them), each with its own Buffer reused from copy to copy (fresh scratch per copy costs
// page faults). Rethrows the first failure after every worker has stopped.
template <class Buffer, class Work>
void forEachCopy(std::size_t count, std::size_t threads, Work work) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failureMutex;
  auto worker = [&] {
    Buffer buffer;
    for (std::size_t k; (k = next.fetch_add(1)) < count;) {
      try {
        work(k, buffer);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failureMutex);
        if (!failure) failure = std::current_exception();
        next = count;  // the others stop after their current copy
      }
    }
  };
  const std::size_t workers = std::max<std::size_t>(1, std::min(threads, count));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace tdakit::glm
