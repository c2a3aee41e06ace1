// Shared helpers of the C++ tests: a reporting check, seeded random data and independent
// references that share no code with the core (naive loops, Gaussian elimination).
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <random>
#include <utility>
#include <vector>

namespace tdakit::test {

inline int& failures() {
  static int count = 0;
  return count;
}
inline int& checks() {
  static int count = 0;
  return count;
}
inline void check(bool ok, const char* what, double value) {
  ++checks();
  std::printf("%s %s (%.3e)\n", ok ? "ok" : "FAIL", what, value);
  if (!ok) ++failures();
}
inline int finish() {
  std::printf("%d passed, %d failed\n", checks() - failures(), failures());
  return failures() == 0 ? 0 : 1;
}

inline std::vector<double> normals(std::size_t count, unsigned seed, double scale = 1.0) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal;
  std::vector<double> v(count);
  for (double& x : v) x = scale * normal(gen);
  return v;
}

// Row i of the design [X, 1?] (row-major X, n x d).
inline std::vector<double> designRow(const std::vector<double>& x, std::size_t d, std::size_t i, bool intercept) {
  std::vector<double> a(x.begin() + i * d, x.begin() + (i + 1) * d);
  if (intercept) a.push_back(1.0);
  return a;
}

// Solves M z = b (M p x p, column-major) by Gaussian elimination with partial pivoting.
inline std::vector<double> naiveSolve(std::vector<double> m, std::vector<double> b) {
  const std::size_t p = b.size();
  auto at = [&](std::size_t i, std::size_t j) -> double& { return m[i + j * p]; };
  for (std::size_t c = 0; c < p; ++c) {
    std::size_t pivot = c;
    for (std::size_t r = c + 1; r < p; ++r)
      if (std::fabs(at(r, c)) > std::fabs(at(pivot, c))) pivot = r;
    for (std::size_t j = 0; j < p; ++j) std::swap(at(c, j), at(pivot, j));
    std::swap(b[c], b[pivot]);
    for (std::size_t r = c + 1; r < p; ++r) {
      const double f = at(r, c) / at(c, c);
      for (std::size_t j = c; j < p; ++j) at(r, j) -= f * at(c, j);
      b[r] -= f * b[c];
    }
  }
  std::vector<double> z(p);
  for (std::size_t c = p; c-- > 0;) {
    double s = b[c];
    for (std::size_t j = c + 1; j < p; ++j) s -= at(c, j) * z[j];
    z[c] = s / at(c, c);
  }
  return z;
}

inline double maxAbsDiff(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::fmax(worst, std::fabs(a[i] - b[i]));
  return a.size() == b.size() ? worst : INFINITY;
}

}  // namespace tdakit::test
