// Score matrices and their streaming top-k against brute force: the influence score matrix by
// a naive formula, the Daunce covariance by a naive double loop over models, and every top-k /
// bottom-k by sorting the full matrix.
#include <algorithm>
#include <numeric>

#include "../daunce/covariance.h"
#include "../influence/scores.h"
#include "support.h"

using namespace tdakit;
using test::check;

namespace {

// Top and bottom k of column j of an n x m row-major matrix, by a full sort.
void bruteTopK(const std::vector<double>& s, std::size_t n, std::size_t m, std::size_t j, std::size_t k,
               std::vector<std::int32_t>& top, std::vector<std::int32_t>& bottom) {
  std::vector<std::int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  // Ties go to the lower index, in both lists.
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return s[a * m + j] != s[b * m + j] ? s[a * m + j] > s[b * m + j] : a < b; });
  top.assign(order.begin(), order.begin() + k);
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return s[a * m + j] != s[b * m + j] ? s[a * m + j] < s[b * m + j] : a < b; });
  bottom.assign(order.begin(), order.begin() + k);
}

bool sameTopK(const linalg::TopK& t, const std::vector<double>& s, std::size_t n, std::size_t m) {
  for (std::size_t j = 0; j < m; ++j) {
    std::vector<std::int32_t> top, bottom;
    bruteTopK(s, n, m, j, t.k, top, bottom);
    for (std::size_t r = 0; r < t.k; ++r) {
      if (t.topIndex[j * t.k + r] != top[r] || t.bottomIndex[j * t.k + r] != bottom[r]) return false;
      if (t.topValue[j * t.k + r] != s[top[r] * m + j] || t.bottomValue[j * t.k + r] != s[bottom[r] * m + j])
        return false;
    }
  }
  return true;
}

}  // namespace

int main() {
  // Influence scores S[i, j] = f_i (u_i a_i^T V_j + r_i c_j), n large enough for several blocks.
  const std::size_t n = 700, d = 4, p = d + 1, m = 3, k = 9;
  const std::vector<double> x = test::normals(n * d, 51), v = test::normals(p * m, 52), u = test::normals(n, 53);
  const std::vector<double> f = test::normals(n, 54), r = test::normals(n, 55), c = test::normals(m, 56);
  influence::ScoreInputs in;
  in.train = {x.data(), n, d, true};
  in.v = v.data();
  in.m = m;
  in.rowCoef = u.data();
  in.rowFactor = f.data();
  in.rowShift = r.data();
  in.colOffset = c.data();
  std::vector<double> s(n * m), naive(n * m);
  influence::scoreMatrix(in, s.data());
  for (std::size_t i = 0; i < n; ++i) {
    const std::vector<double> ai = test::designRow(x, d, i, true);
    for (std::size_t j = 0; j < m; ++j) {
      double dot = 0.0;
      for (std::size_t q = 0; q < p; ++q) dot += ai[q] * v[q + j * p];
      naive[i * m + j] = f[i] * (u[i] * dot + r[i] * c[j]);
    }
  }
  check(test::maxAbsDiff(s, naive) < 1e-12, "scoreMatrix equals the naive formula", test::maxAbsDiff(s, naive));
  check(sameTopK(influence::scoreTopK(in, k), s, n, m), "scoreTopK equals a full sort of the matrix", 0.0);

  // Ties (every u_i = 0 on the even rows gives exact zeros) go to the lower index, and a worker
  // that saw fewer than k rows (the 6-row last block) still merges correctly.
  {
    const std::size_t nz = 1030, kz = 9;
    std::vector<double> uz(u.begin(), u.begin() + nz);
    for (std::size_t i = 0; i < nz; i += 2) uz[i] = 0.0;
    influence::ScoreInputs tie;
    tie.train = {x.data(), nz, d, true};
    tie.v = v.data();
    tie.m = m;
    tie.rowCoef = uz.data();
    std::vector<double> sz(nz * m);
    influence::scoreMatrix(tie, sz.data());
    check(sameTopK(influence::scoreTopK(tie, kz), sz, nz, m), "tied scores: top-k takes the lower indices", 0.0);
    check(sameTopK(influence::scoreTopK(tie, 600), sz, nz, m), "k beyond a worker's rows: merged top-k is exact", 0.0);
  }

  // Daunce covariance/correlation over K models (losses model-major).
  const std::size_t K = 6, nt = 3100, mq = 4;
  const std::vector<double> train = test::normals(K * nt, 57), query = test::normals(K * mq, 58);
  std::vector<double> trainMean(nt, 0.0), queryMean(mq, 0.0), trainScale(nt), queryScale(mq);
  for (std::size_t i = 0; i < nt; ++i) {
    for (std::size_t q = 0; q < K; ++q) trainMean[i] += train[q * nt + i] / K;
    trainScale[i] = 1.0 + 0.1 * static_cast<double>(i % 5);
  }
  for (std::size_t j = 0; j < mq; ++j) {
    for (std::size_t q = 0; q < K; ++q) queryMean[j] += query[q * mq + j] / K;
    queryScale[j] = 0.5 + static_cast<double>(j);
  }
  daunce::CovarianceInputs ci;
  ci.train = train.data();
  ci.n = nt;
  ci.query = query.data();
  ci.m = mq;
  ci.models = K;
  ci.trainMean = trainMean.data();
  ci.queryMean = queryMean.data();
  ci.trainScale = trainScale.data();
  ci.queryScale = queryScale.data();
  std::vector<double> cov(nt * mq), naiveCov(nt * mq, 0.0);
  daunce::covarianceMatrix(ci, cov.data());
  for (std::size_t i = 0; i < nt; ++i)
    for (std::size_t j = 0; j < mq; ++j) {
      for (std::size_t q = 0; q < K; ++q)
        naiveCov[i * mq + j] += (train[q * nt + i] - trainMean[i]) * (query[q * mq + j] - queryMean[j]);
      naiveCov[i * mq + j] *= trainScale[i] * queryScale[j] / static_cast<double>(K - 1);
    }
  check(test::maxAbsDiff(cov, naiveCov) < 1e-12, "covarianceMatrix equals the naive double loop",
        test::maxAbsDiff(cov, naiveCov));
  check(sameTopK(daunce::covarianceTopK(ci, 13), cov, nt, mq), "covarianceTopK equals a full sort of the matrix", 0.0);
  check(daunce::covarianceTopK(ci, nt + 5).k == nt, "k larger than n is clamped to n", 0.0);
  return test::finish();
}
