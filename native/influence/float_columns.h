// Products with a p x k matrix W kept in float32 (column-major), summed in float64: the two
// passes of the Woodbury preconditioner (W^T z, then z + W t). Each has a fixed summation order,
// independent of the thread count, and reads four columns per pass over z (a quarter of z's
// loads and stores); the loops are compiled twice (baseline and x86-64-v3, vector_clones.h).
#pragma once
#include <cstddef>

namespace tdakit::influence {

// t_j = w_j . z for j < k: per column, 8 partial sums (entry i into sum i mod 8) combined as
// ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)), then the tail in order.
void columnDots(const float* w, std::size_t p, std::size_t k, const double* z, double* t);

// z += sum_j t_j w_j, the columns added in order j = 0 .. k-1 (the order of k axpys).
void addColumns(const float* w, std::size_t p, std::size_t k, const double* t, double* z);

}  // namespace tdakit::influence
