// Softmax Hessian-vector products (multinomial_hessian.cc) against independent computations: the
// built Hessian (itself checked by finite differences in multinomial_tests) times v by a naive
// loop, central differences of the gradient along v, diag(H) read off the built Hessian; and
// Newton-Krylov fits (full data and a half subset by zero weights, warm-started) against plain
// Newton fits (krylovSteps off) and a finite-difference stationarity check.
#include <cmath>

#include "../glm/multinomial.h"
#include "../glm/newton.h"
#include "support.h"

using namespace tdakit;
using test::check;

namespace {

std::vector<double> naiveTimes(const std::vector<double>& h, const std::vector<double>& v) {
  const std::size_t P = v.size();
  std::vector<double> out(P, 0.0);
  for (std::size_t c = 0; c < P; ++c)
    for (std::size_t r = 0; r < P; ++r) out[r] += h[r + c * P] * v[c];
  return out;
}

double maxAbs(const std::vector<double>& a) {
  double m = 0.0;
  for (double v : a) m = std::fmax(m, std::fabs(v));
  return m;
}

}  // namespace

int main() {
  const std::size_t n = 120, d = 5;
  const std::vector<double> x = test::normals(n * d, 41);
  std::vector<double> w(n);
  for (std::size_t i = 0; i < n; ++i) w[i] = i % 5 == 0 ? 0.0 : 0.5 + 0.01 * static_cast<double>(i % 7);
  for (std::size_t C : {2, 3, 7}) {
    for (bool intercept : {false, true}) {
      for (bool weighted : {false, true}) {
        std::vector<double> y(n);
        for (std::size_t i = 0; i < n; ++i) y[i] = static_cast<double>((i * 5 + i / 7) % C);
        glm::MultinomialProblem pr;
        pr.design = {x.data(), n, d, intercept};
        pr.classes = C;
        pr.y = y.data();
        pr.weights = weighted ? w.data() : nullptr;
        pr.lambda = 0.7;
        pr.hessianProducts = true;
        const glm::MultinomialObjective obj(pr);
        const std::size_t P = obj.parameters(), p = pr.design.p();
        const std::vector<double> theta = test::normals(P, 42 + static_cast<unsigned>(C), 0.4);
        const std::vector<double> v = test::normals(P, 43, 1.0);
        glm::Evaluation e;
        obj.evaluate(theta.data(), false, e);
        std::vector<double> h;
        obj.hessian(theta.data(), h);
        const auto op = obj.hessianOperator(theta.data(), &e);
        const auto fresh = obj.hessianOperator(theta.data());  // logits recomputed
        check(obj.hasHessianOperator() && op && fresh, "cross-entropy softmax has a Hessian operator", 0);
        std::vector<double> hv(P), hv2(P);
        op->apply(v.data(), hv.data());
        fresh->apply(v.data(), hv2.data());
        const std::vector<double> ref = naiveTimes(h, v);
        const double err = test::maxAbsDiff(hv, ref) / maxAbs(ref);
        check(err < 1e-13, "softmax H v equals the built Hessian times v (C, intercept, weights)", err);
        check(test::maxAbsDiff(hv, hv2) == 0.0, "operator from evaluate's logits equals one from theta", 0);
        // Central differences of the gradient along v (independent of both Hessians).
        const double eps = 1e-5;
        std::vector<double> tp(theta), tm(theta);
        for (std::size_t k = 0; k < P; ++k) {
          tp[k] += eps * v[k];
          tm[k] -= eps * v[k];
        }
        glm::Evaluation ep, em;
        obj.evaluate(tp.data(), false, ep);
        obj.evaluate(tm.data(), false, em);
        std::vector<double> fd(P);
        for (std::size_t k = 0; k < P; ++k) fd[k] = (ep.gradient[k] - em.gradient[k]) / (2 * eps);
        const double fdErr = test::maxAbsDiff(hv, fd) / maxAbs(fd);
        check(fdErr < 1e-7, "softmax H v equals central differences of the gradient", fdErr);
        const std::vector<double> diag = op->diagonal();
        double diagErr = 0.0;
        for (std::size_t k = 0; k < P; ++k) diagErr = std::fmax(diagErr, std::fabs(diag[k] - h[k + k * P]));
        check(diag.size() == P && diagErr < 1e-12 * maxAbs(diag), "diagonal() equals diag of the built Hessian",
              diagErr);
        const std::size_t active = weighted ? n - n / 5 : n;
        check(op->activeRows() == active, "activeRows counts the nonzero weights", op->activeRows());
        check(op->productFlops() == 4.0 * active * p * (C - 1), "productFlops is 4 m p (C - 1)", op->productFlops());
      }
    }
  }

  // Off for Daunce's objectives and without the flag: those keep their solver path.
  {
    std::vector<double> y(n, 1.0);
    glm::MultinomialProblem pr;
    pr.design = {x.data(), n, d, true};
    pr.classes = 3;
    pr.y = y.data();
    pr.lambda = 1.0;
    check(!glm::MultinomialObjective(pr).hasHessianOperator(), "no operator unless hessianProducts", 0);
    pr.hessianProducts = true;
    pr.objective = glm::LogitObjective::MarginSquared;
    check(!glm::MultinomialObjective(pr).hasHessianOperator(), "no operator for Daunce's MarginSquared", 0);
  }

  // Fits: a larger problem where Krylov steps are cheaper than Hessian builds (P = 9 x 41).
  {
    const std::size_t N = 3000, D = 40, C = 10;
    const std::vector<double> X = test::normals(N * D, 51);
    const std::vector<double> B = test::normals(C * D, 52, 0.4);
    std::vector<double> y(N);
    for (std::size_t i = 0; i < N; ++i) {
      std::size_t best = 0;
      double top = -INFINITY;
      for (std::size_t c = 0; c < C; ++c) {
        double z = 0.0;
        for (std::size_t f = 0; f < D; ++f) z += X[i * D + f] * B[c * D + f];
        z += 0.8 * test::normals(1, static_cast<unsigned>(1000 + i * C + c))[0];
        if (z > top) top = z, best = c;
      }
      y[i] = static_cast<double>(best);
    }
    glm::MultinomialProblem pr;
    pr.design = {X.data(), N, D, true};
    pr.classes = C;
    pr.y = y.data();
    pr.lambda = 1.0;
    pr.hessianProducts = true;
    glm::FitOptions krylov, plain;
    krylov.keepHessian = plain.keepHessian = false;
    plain.krylovSteps = false;
    const glm::MultinomialObjective full(pr);
    const glm::FitResult a = glm::fitNewton(full, nullptr, krylov);
    const glm::FitResult b = glm::fitNewton(full, nullptr, plain);
    const double fitErr = test::maxAbsDiff(a.theta, b.theta) / maxAbs(b.theta);
    check(a.krylovIterations > 0, "the softmax fit takes Newton-Krylov steps", a.krylovIterations);
    check(a.gradientNorm <= krylov.tol * a.gradientScale || a.stoppedBy == glm::StopReason::RoundingFloor,
          "Newton-Krylov softmax fit reaches the tolerance", a.gradientNorm / a.gradientScale);
    check(fitErr < 1e-10, "Newton-Krylov softmax fit equals the plain Newton fit", fitErr);
    // Half subset (zero weights), warm-started at the full optimum: the LDS ground-truth retrain.
    std::vector<double> half(N);
    for (std::size_t i = 0; i < N; ++i) half[i] = (i * 7919) % 2 == 0 ? 1.0 : 0.0;
    glm::MultinomialProblem sub = pr;
    sub.weights = half.data();
    const glm::MultinomialObjective subset(sub);
    const glm::FitResult c = glm::fitNewton(subset, b.theta.data(), krylov);
    const glm::FitResult r = glm::fitNewton(subset, b.theta.data(), plain);
    const double subErr = test::maxAbsDiff(c.theta, r.theta) / maxAbs(r.theta);
    check(c.krylovIterations > 0, "the half-subset retrain takes Newton-Krylov steps", c.krylovIterations);
    check(c.gradientNorm <= krylov.tol * c.gradientScale || c.stoppedBy == glm::StopReason::RoundingFloor,
          "half-subset Newton-Krylov retrain reaches the tolerance", c.gradientNorm / c.gradientScale);
    check(subErr < 1e-10, "half-subset Newton-Krylov retrain equals the plain Newton retrain", subErr);
    // Stationarity by central differences of the value (independent of the gradient code).
    const std::size_t P = subset.parameters();
    double fdMax = 0.0;
    for (std::size_t k = 0; k < P; k += 37) {
      std::vector<double> tp(c.theta), tm(c.theta);
      const double h = 1e-4;
      tp[k] += h;
      tm[k] -= h;
      fdMax = std::fmax(fdMax, std::fabs(subset.value(tp.data()) - subset.value(tm.data())) / (2 * h));
    }
    check(fdMax < 1e-6, "half-subset retrain is stationary (finite differences of F)", fdMax);
  }
  return test::finish();
}
