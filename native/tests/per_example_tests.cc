// Per-example GLM terms against independent computations: margins by naive dot products,
// slopes and curvatures by central finite differences of the loss in the margin, and
// scaledRows by a naive loop.
#include <cmath>
#include <cstring>

#include "../glm/family.h"
#include "../glm/per_example.h"
#include "support.h"

using namespace tdakit;
using test::check;

int main() {
  const std::size_t n = 40, d = 3, p = d + 1;
  const std::vector<double> x = test::normals(n * d, 21);
  const std::vector<double> theta = test::normals(p, 22);
  std::vector<double> y(n), offset = test::normals(n, 23, 0.3);
  for (std::size_t i = 0; i < n; ++i) y[i] = i % 3 == 0 ? 1.0 : 0.0;
  const glm::Design a{x.data(), n, d, true};

  const char* names[] = {"logistic", "squared", "logisticLossSquared"};
  for (int f = 0; f < 3; ++f) {
    const auto family = static_cast<glm::Family>(f);
    const glm::ExampleTerms t = glm::exampleTerms(a, family, theta.data(), y.data(), offset.data());
    double marginErr = 0.0, slopeErr = 0.0, curvErr = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::vector<double> ai = test::designRow(x, d, i, true);
      double z = 0.0;
      for (std::size_t k = 0; k < p; ++k) z += ai[k] * theta[k];
      marginErr = std::fmax(marginErr, std::fabs(z - t.margin[i]));
      const double e = 1e-4;
      auto loss = [&](double zz) { return glm::pointwise(family, zz, y[i], offset[i]).loss; };
      const double fd1 = (loss(z + e) - loss(z - e)) / (2 * e);
      const double fd2 = (loss(z + e) - 2 * loss(z) + loss(z - e)) / (e * e);
      slopeErr = std::fmax(slopeErr, std::fabs(fd1 - t.slope[i]));
      // The reported curvature is exact for convex families and a PSD bound for the third.
      const double exact = glm::pointwise(family, z, y[i], offset[i]).exactCurvature;
      curvErr = std::fmax(curvErr, std::fabs(fd2 - exact));
      if (family != glm::Family::LogisticLossSquared)
        curvErr = std::fmax(curvErr, std::fabs(fd2 - t.curvature[i]));
      else if (t.curvature[i] < 0)
        curvErr = INFINITY;
    }
    std::printf("# family %s\n", names[f]);
    check(marginErr < 1e-13, "margins equal naive dot products", marginErr);
    check(slopeErr < 1e-7, "slope equals the finite difference of the loss", slopeErr);
    check(curvErr < 1e-4, "curvature equals the second difference (bound non-negative)", curvErr);
  }
  const glm::ExampleTerms unlabeled = glm::exampleTerms(a, glm::Family::Logistic, theta.data(), nullptr, nullptr);
  check(unlabeled.loss.empty() && unlabeled.margin.size() == n, "without labels only margins are computed", 0.0);

  const std::vector<double> coef = test::normals(n, 24), shift = test::normals(p, 25);
  std::vector<double> rows(n * p);
  glm::scaledRows(a, coef.data(), shift.data(), rows.data());
  std::vector<double> naive(n * p);
  for (std::size_t i = 0; i < n; ++i) {
    const std::vector<double> ai = test::designRow(x, d, i, true);
    for (std::size_t k = 0; k < p; ++k) naive[i * p + k] = coef[i] * ai[k] + shift[k];
  }
  check(test::maxAbsDiff(rows, naive) < 1e-14, "scaledRows equals coef_i a_i + offset", test::maxAbsDiff(rows, naive));
  // The logistic terms from one exponential equal the separate softplus and sigmoid functions bit
  // for bit, over the whole range: signed zeros, tiny and huge margins, infinities, NaN.
  {
    std::vector<double> zs = {0.0,    -0.0,  1e-300, -1e-300, 0.5,    -0.5,     36.0,      -36.0, 709.0,
                              -709.0, 745.0, -745.0, 1e308,   -1e308, INFINITY, -INFINITY, NAN};
    for (double z : test::normals(200, 24, 8.0)) zs.push_back(z);
    bool same = true;
    // NaN in, NaN out (its sign bit is not meaningful); every other value bit for bit.
    auto bits = [](double a, double b) {
      return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
    };
    for (double z : zs)
      for (double label : {0.0, 1.0}) {
        const glm::Pointwise pw = glm::pointwise(glm::Family::Logistic, z, label);
        const double s = glm::sigmoid(z) * glm::sigmoid(-z);
        same = same && bits(pw.loss, glm::softplus(z) - label * z) && bits(pw.slope, glm::sigmoid(z) - label) &&
               bits(pw.curvature, s) && bits(pw.exactCurvature, s);
      }
    check(same, "logistic terms from one exponential equal softplus and sigmoid bit for bit", 0.0);
  }
  return test::finish();
}
