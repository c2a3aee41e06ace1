#include "packed_solve.h"

#include <cstring>

#include "../linalg/vector_clones.h"

namespace tdakit::influence {

namespace {
// Offset of column j (its diagonal entry) in the packed factor.
inline std::size_t columnStart(std::size_t j, std::size_t p) { return j * p - j * (j - 1) / 2; }

constexpr std::size_t kLanes = 8;
// Eight float lanes (GCC and clang vector types, one AVX register or two SSE ones): sums held in
// them stay in registers, where arrays of partial sums were kept in memory (5x slower).
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
// The lanes' sum, pairwise in a fixed order. Takes an array, not Lanes: a function with a
// vector-type argument or result has a different ABI in the baseline and the AVX clone.
inline float combine(const float* s) { return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])); }
}  // namespace

TDAKIT_VECTOR_CLONES void packedForward(const float* packed, std::size_t p, float* b) {
  std::size_t j = 0;
  for (; j + 4 <= p; j += 4) {
    // c_u[r] = L_{j+u+r, j+u}: column j+u from its diagonal down.
    const float* c0 = packed + columnStart(j, p);
    const float* c1 = packed + columnStart(j + 1, p);
    const float* c2 = packed + columnStart(j + 2, p);
    const float* c3 = packed + columnStart(j + 3, p);
    const float x0 = b[j] / c0[0];
    b[j + 1] -= c0[1] * x0;
    b[j + 2] -= c0[2] * x0;
    b[j + 3] -= c0[3] * x0;
    const float x1 = b[j + 1] / c1[0];
    b[j + 2] -= c1[1] * x1;
    b[j + 3] -= c1[2] * x1;
    const float x2 = b[j + 2] / c2[0];
    b[j + 3] -= c2[1] * x2;
    const float x3 = b[j + 3] / c3[0];
    b[j] = x0;
    b[j + 1] = x1;
    b[j + 2] = x2;
    b[j + 3] = x3;
    const float* __restrict r0 = c0 + 4;
    const float* __restrict r1 = c1 + 3;
    const float* __restrict r2 = c2 + 2;
    const float* __restrict r3 = c3 + 1;
    float* __restrict rest = b + j + 4;
    const std::size_t m = p - j - 4;
    for (std::size_t i = 0; i < m; ++i) rest[i] = (((rest[i] - r0[i] * x0) - r1[i] * x1) - r2[i] * x2) - r3[i] * x3;
  }
  for (; j < p; ++j) {
    const float* c = packed + columnStart(j, p);
    const float x = b[j] / c[0];
    b[j] = x;
    for (std::size_t i = 1; j + i < p; ++i) b[j + i] -= c[i] * x;
  }
}

TDAKIT_VECTOR_CLONES void packedBackward(const float* packed, std::size_t p, float* b) {
  // Blocks of four from the bottom: the p % 4 last columns first, one at a time.
  std::size_t top = p - p % 4;  // columns [top, p) are solved
  for (std::size_t j = p; j-- > top;) {
    const float* c = packed + columnStart(j, p);
    float s = 0.0f;
    for (std::size_t i = j + 1; i < p; ++i) s += c[i - j] * b[i];
    b[j] = (b[j] - s) / c[0];
  }
  while (top >= 4) {
    const std::size_t j = top - 4;  // the block j .. j+3; rows top .. p-1 are solved
    const float* c0 = packed + columnStart(j, p);
    const float* c1 = packed + columnStart(j + 1, p);
    const float* c2 = packed + columnStart(j + 2, p);
    const float* c3 = packed + columnStart(j + 3, p);
    const float* r0 = c0 + 4;  // rows top .. p-1 of column j
    const float* r1 = c1 + 3;
    const float* r2 = c2 + 2;
    const float* r3 = c3 + 1;
    const float* x = b + top;
    const std::size_t m = p - top;
    // Lane u of s_c sums the entries i = u mod 8 (vector types keep the sums in registers).
    Lanes s0 = {}, s1 = {}, s2 = {}, s3 = {}, xi, a0, a1, a2, a3;
    std::size_t i = 0;
    for (; i + kLanes <= m; i += kLanes) {
      std::memcpy(&xi, x + i, sizeof xi);
      std::memcpy(&a0, r0 + i, sizeof a0);
      std::memcpy(&a1, r1 + i, sizeof a1);
      std::memcpy(&a2, r2 + i, sizeof a2);
      std::memcpy(&a3, r3 + i, sizeof a3);
      s0 += a0 * xi;
      s1 += a1 * xi;
      s2 += a2 * xi;
      s3 += a3 * xi;
    }
    float sums[4][kLanes];
    std::memcpy(sums[0], &s0, sizeof s0);
    std::memcpy(sums[1], &s1, sizeof s1);
    std::memcpy(sums[2], &s2, sizeof s2);
    std::memcpy(sums[3], &s3, sizeof s3);
    float t0 = combine(sums[0]), t1 = combine(sums[1]), t2 = combine(sums[2]), t3 = combine(sums[3]);
    for (; i < m; ++i) {
      t0 += r0[i] * x[i];
      t1 += r1[i] * x[i];
      t2 += r2[i] * x[i];
      t3 += r3[i] * x[i];
    }
    const float x3 = (b[j + 3] - t3) / c3[0];
    const float x2 = (b[j + 2] - t2 - c2[1] * x3) / c2[0];
    const float x1 = ((b[j + 1] - t1 - c1[1] * x2) - c1[2] * x3) / c1[0];
    const float x0 = (((b[j] - t0 - c0[1] * x1) - c0[2] * x2) - c0[3] * x3) / c0[0];
    b[j] = x0;
    b[j + 1] = x1;
    b[j + 2] = x2;
    b[j + 3] = x3;
    top = j;
  }
}

}  // namespace tdakit::influence
