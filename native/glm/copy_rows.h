// A Daunce copy's rows gathered into contiguous buffers (copies.cc, multinomial_copies.cc): the
// copy's solver then streams a dense m x d design instead of indexing the full one row by row.
#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

#include "copies.h"
#include "design.h"

namespace tdakit::glm {

// Reused from copy to copy by a worker: fresh buffers per copy cost page faults.
struct CopyRows {
  std::vector<double> x, y, offset, weights;
};

// Copies the rows of `s` (in its order) out of `a`, with their targets y, offsets (when `offset`
// is set) and the copy's weights, into `c`; returns the compact design over c.x.
inline Design gatherRows(const Design& a, const double* y, const double* offset, const CopySpec& s, CopyRows& c) {
  const std::size_t d = a.d, m = s.size;
  c.x.resize(m * d);
  c.y.resize(m);
  c.weights.assign(s.weights, s.weights + m);
  if (offset) c.offset.resize(m);
  for (std::size_t j = 0; j < m; ++j) {
    const std::size_t i = s.rows[j];
    std::copy(a.row(i), a.row(i) + d, c.x.begin() + j * d);
    c.y[j] = y[i];
    if (offset) c.offset[j] = offset[i];
  }
  return Design{c.x.data(), m, d, a.intercept};
}

}  // namespace tdakit::glm
