// Row-blocked kernels split over the BLAS thread count. Each worker runs single-threaded BLAS
// on its own blocks, so per-block work that BLAS cannot thread (top-k selection, the score
// transform) runs beside the other workers' GEMMs instead of serially between threaded GEMMs.
#pragma once
#include <cstddef>
#include <functional>

namespace tdakit::linalg {

// Workers for a blocked kernel: OpenBLAS's thread count, at most `blocks`, at least 1.
std::size_t kernelWorkers(std::size_t blocks);

// Runs work(worker) for worker = 0 .. workers-1 on their own threads (worker 0 on the caller's),
// leaving OpenBLAS's thread count alone: for kernels that call no BLAS, so that another kernel
// running beside them keeps its thread split (and its bits). An exception thrown by a worker is
// rethrown here after every worker has finished.
void runWorkers(std::size_t workers, const std::function<void(std::size_t)>& work);

// Runs work(worker) for worker = 0 .. workers-1 on their own threads while BLAS calls run
// single-threaded (the caller's thread count is restored afterwards, also when kernels overlap).
// An exception thrown by a worker is rethrown here after every worker has finished.
void runWorkersWithSerialBlas(std::size_t workers, const std::function<void(std::size_t)>& work);

// Runs work() on the calling thread with BLAS single-threaded (restored afterwards): level-2
// calls whose threaded split could change their bits give the same bits at any thread count.
void runWithSerialBlas(const std::function<void()>& work);

// Processes the row blocks [first, first + count) of [0, n) (count <= blockRows) with
// block(worker, first, count) on `workers` threads (kernelWorkers of the block count). Blocks
// are handed out in increasing order, so each worker sees its rows in increasing order.
void forBlocksInParallel(std::size_t n, std::size_t blockRows, std::size_t workers,
                         const std::function<void(std::size_t, std::size_t, std::size_t)>& block);

// The number of row blocks of size blockRows covering n rows.
inline std::size_t blockCount(std::size_t n, std::size_t blockRows) { return (n + blockRows - 1) / blockRows; }

}  // namespace tdakit::linalg
