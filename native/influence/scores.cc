#include "scores.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <utility>

#include "../linalg/blas.h"

namespace tdakit::influence {

namespace {

constexpr std::size_t kBlock = 256;

// An infinite factor (leverage 1) must give +-Infinity, or 0 when the raw score is 0, never NaN.
inline double rescale(double raw, double f) {
  if (std::isinf(f)) return raw == 0.0 ? 0.0 : std::copysign(std::numeric_limits<double>::infinity(), raw);
  return raw * f;
}

// Computes the scores of training rows [first, first+count) against every query into
// block (m x count column-major = count x m row-major).
void scoreBlock(const ScoreInputs& in, std::size_t first, std::size_t count, std::vector<double>& cols,
                double* block) {
  const std::size_t p = in.train.p();
  in.train.gatherRange(first, count, nullptr, cols.data());
  cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, static_cast<int>(in.m), static_cast<int>(count),
              static_cast<int>(p), 1.0, in.v, static_cast<int>(p), cols.data(), static_cast<int>(p), 0.0,
              block, static_cast<int>(in.m));
  for (std::size_t r = 0; r < count; ++r) {
    const std::size_t i = first + r;
    const double u = in.rowCoef[i];
    const double f = in.rowFactor ? in.rowFactor[i] : 1.0;
    const double shift = in.colOffset ? (in.rowShift ? in.rowShift[i] : 1.0) : 0.0;
    double* row = block + r * in.m;
    for (std::size_t j = 0; j < in.m; ++j)
      row[j] = rescale(u * row[j] + (shift != 0.0 ? shift * in.colOffset[j] : 0.0), f);
  }
}

}  // namespace

void scoreMatrix(const ScoreInputs& in, double* out) {
  const std::size_t n = in.train.n;
  std::vector<double> cols(std::min(n, kBlock) * in.train.p());
  for (std::size_t first = 0; first < n; first += kBlock) {
    const std::size_t count = std::min(kBlock, n - first);
    scoreBlock(in, first, count, cols, out + first * in.m);
  }
}

TopK scoreTopK(const ScoreInputs& in, std::size_t k) {
  const std::size_t n = in.train.n, m = in.m;
  k = std::min(k, n);
  TopK out;
  out.k = k;
  using Entry = std::pair<double, std::int32_t>;
  // Per query: a min-heap of the k largest and a max-heap of the k smallest seen so far.
  std::vector<std::vector<Entry>> top(m), bottom(m);
  for (auto& h : top) h.reserve(k);
  for (auto& h : bottom) h.reserve(k);
  const auto greater = std::greater<Entry>();
  const auto less = std::less<Entry>();
  std::vector<double> cols(std::min(n, kBlock) * in.train.p()), block(std::min(n, kBlock) * m);
  for (std::size_t first = 0; first < n && k > 0; first += kBlock) {
    const std::size_t count = std::min(kBlock, n - first);
    scoreBlock(in, first, count, cols, block.data());
    for (std::size_t r = 0; r < count; ++r) {
      const auto idx = static_cast<std::int32_t>(first + r);
      for (std::size_t j = 0; j < m; ++j) {
        const Entry e{block[r * m + j], idx};
        auto& t = top[j];
        if (t.size() < k) { t.push_back(e); std::push_heap(t.begin(), t.end(), greater); }
        else if (e.first > t.front().first) {
          std::pop_heap(t.begin(), t.end(), greater); t.back() = e; std::push_heap(t.begin(), t.end(), greater);
        }
        auto& b = bottom[j];
        if (b.size() < k) { b.push_back(e); std::push_heap(b.begin(), b.end(), less); }
        else if (e.first < b.front().first) {
          std::pop_heap(b.begin(), b.end(), less); b.back() = e; std::push_heap(b.begin(), b.end(), less);
        }
      }
    }
  }
  out.topIndex.resize(m * k); out.topValue.resize(m * k);
  out.bottomIndex.resize(m * k); out.bottomValue.resize(m * k);
  for (std::size_t j = 0; j < m; ++j) {
    // Ties broken by the lower index so results do not depend on the block size.
    std::sort(top[j].begin(), top[j].end(), [](const Entry& x, const Entry& y) {
      return x.first != y.first ? x.first > y.first : x.second < y.second;
    });
    std::sort(bottom[j].begin(), bottom[j].end(), [](const Entry& x, const Entry& y) {
      return x.first != y.first ? x.first < y.first : x.second < y.second;
    });
    for (std::size_t r = 0; r < k; ++r) {
      out.topIndex[j * k + r] = top[j][r].second; out.topValue[j * k + r] = top[j][r].first;
      out.bottomIndex[j * k + r] = bottom[j][r].second; out.bottomValue[j * k + r] = bottom[j][r].first;
    }
  }
  return out;
}

}  // namespace tdakit::influence
