// Triangular solves with a lower factor L in float32, packed by columns (column j holds L_jj ..
// L_{p-1,j}), in float32 arithmetic: the preconditioner solves of PackedFactor. Four columns are
// handled per pass over the right-hand side (cblas_stpsv makes one saxpy or sdot call per
// column, each reading and writing it again), in a fixed order independent of the thread count;
// compiled twice (baseline and x86-64-v3, vector_clones.h).
#pragma once
#include <cstddef>

namespace tdakit::influence {

// b <- L^{-1} b. Entry i subtracts the columns' terms in column order, as column-by-column
// forward substitution does.
void packedForward(const float* packed, std::size_t p, float* b);

// b <- L^{-T} b. x_j = (b_j - s_j - t_j) / L_jj, where s_j sums L_ij x_i over the rows below
// x_j's block of four (8 partial sums, combined pairwise) and t_j the rows inside it, in order.
void packedBackward(const float* packed, std::size_t p, float* b);

}  // namespace tdakit::influence
