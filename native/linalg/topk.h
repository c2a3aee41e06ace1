// Top-k and bottom-k per column over row blocks: the streaming selection behind every
// "top-k per query" score path. Memory O(m k + m block), never n x m.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace tdakit::linalg {

struct TopK {
  std::size_t k = 0;
  // m x k each, row-major per query; largest first / most negative first.
  std::vector<std::int32_t> topIndex, bottomIndex;
  std::vector<double> topValue, bottomValue;
};

// fill(first, count, block) writes the scores of rows [first, first+count) against all m
// columns into block (count x m, row-major).
template <class Fill>
TopK topKOverBlocks(std::size_t n, std::size_t m, std::size_t k, std::size_t blockRows, Fill fill) {
  k = std::min(k, n);
  TopK out;
  out.k = k;
  using Entry = std::pair<double, std::int32_t>;
  std::vector<std::vector<Entry>> top(m), bottom(m);
  const auto greater = std::greater<Entry>();
  const auto less = std::less<Entry>();
  std::vector<double> block(std::min(n, blockRows) * m);
  for (std::size_t first = 0; first < n && k > 0; first += blockRows) {
    const std::size_t count = std::min(blockRows, n - first);
    fill(first, count, block.data());
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

}  // namespace tdakit::linalg
