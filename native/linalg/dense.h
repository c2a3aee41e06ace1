// Dense symmetric kernels on column-major storage (what LAPACK wants).
#pragma once
#include <cstddef>
#include <vector>

namespace tdakit::linalg {

// Copies the lower triangle of a p x p column-major matrix into its upper triangle.
void symmetrizeFromLower(double* a, std::size_t p);

// In-place Cholesky A = L L^T (lower). Returns false when A is not positive definite.
// rcond receives LAPACK's reciprocal condition estimate in the 1-norm (0 on failure).
bool cholesky(double* a, std::size_t p, double* rcond);

// Solves (L L^T) X = B in place; B is p x nrhs column-major.
void choleskySolve(const double* l, std::size_t p, double* b, std::size_t nrhs);

// Solves (L L^T) x = b in place for one vector by two dtrsv sweeps: the preconditioner of
// Newton-Krylov steps. Not LAPACKE_dpotrs, which scans all of L for NaNs and solves through
// dtrsm: 5x the time at p = 2,001 (6.6 ms against 1.3 ms), as much as a Hessian-vector product.
// Its bits differ from choleskySolve's (dtrsm), so results compared bit for bit across block
// sizes use choleskySolve. dtrsv is not threaded: the bits do not depend on the thread count.
void choleskySolveVector(const double* l, std::size_t p, double* b);

// Solves L X = B (trans = false) or L^T X = B (trans = true) in place.
void triangularSolve(const double* l, std::size_t p, double* b, std::size_t nrhs, bool trans);

// Threshold under which a factorised Hessian is reported singular.
double singularRcond(std::size_t p);

// Best-of-reps GFLOP/s of a square column-major dgemm of the given size.
double measureDgemmRate(std::size_t size, std::size_t reps);

}  // namespace tdakit::linalg
