#pragma once
#include <cstddef>
#include <vector>

#include "../glm/design.h"

namespace tdakit::influence {

// h_i = c_i ||L^{-1} a_i||^2 for every example (c_i = w_i s_i), H = L L^T.
// One blocked triangular solve; H^{-1} is never formed.
std::vector<double> leverage(const glm::Design& a, const double* l, const double* c);

}  // namespace tdakit::influence
