// Top-k and bottom-k per column over row blocks: the streaming selection behind every
// "top-k per query" score path. Memory O(m k + m block) per worker, never n x m.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "parallel.h"

namespace tdakit::linalg {

struct TopK {
  std::size_t k = 0;
  // m x k each, row-major per query; largest first / most negative first.
  std::vector<std::int32_t> topIndex, bottomIndex;
  std::vector<double> topValue, bottomValue;
};

// Running top-k and bottom-k of m columns over rows offered in increasing index order. Ties are
// ordered by the lower index, so the result does not depend on blocks or workers.
class Selection {
 public:
  using Entry = std::pair<double, std::int32_t>;

  Selection(std::size_t m, std::size_t k) : m_(m), k_(k), top_(m * k), bottom_(m * k), topWorst_(m), bottomWorst_(m) {}

  // Offers rows [first, first + count) of block (count x m, row-major).
  void scan(const double* block, std::size_t first, std::size_t count) {
    if (k_ == 0) return;
    for (std::size_t r = 0; r < count; ++r) {
      const double* row = block + r * m_;
      const auto idx = static_cast<std::int32_t>(first + r);
      if (seen_ < k_) {
        for (std::size_t j = 0; j < m_; ++j) fill(j, row[j], idx);
        ++seen_;
        continue;
      }
      // Every row after the first k: a branch-free test of 8 columns at a time against the
      // current k-th values (vectorised); the heaps are touched only where a score gets in.
      std::size_t j = 0;
      for (; j + 8 <= m_; j += 8) {
        bool in = false;
        for (std::size_t c = j; c < j + 8; ++c) in |= (row[c] > topWorst_[c]) | (row[c] < bottomWorst_[c]);
        if (in)
          for (std::size_t c = j; c < j + 8; ++c) offer(c, row[c], idx);
      }
      for (; j < m_; ++j) offer(j, row[j], idx);
    }
  }

  // The candidates of query j (min(rows seen, k) of them, in no particular order).
  std::size_t candidates() const { return std::min(seen_, k_); }
  const Entry* topOf(std::size_t j) const { return top_.data() + j * k_; }
  const Entry* bottomOf(std::size_t j) const { return bottom_.data() + j * k_; }

  static bool betterTop(const Entry& a, const Entry& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  }
  static bool betterBottom(const Entry& a, const Entry& b) {
    return a.first < b.first || (a.first == b.first && a.second < b.second);
  }

 private:
  // The first k rows: every score is a candidate. Heaps keep their worst entry at the front.
  void fill(std::size_t j, double v, std::int32_t idx) {
    Entry* t = top_.data() + j * k_;
    Entry* b = bottom_.data() + j * k_;
    t[seen_] = {v, idx};
    b[seen_] = {v, idx};
    if (seen_ + 1 == k_) {
      std::make_heap(t, t + k_, betterTop);
      std::make_heap(b, b + k_, betterBottom);
      topWorst_[j] = t[0].first;
      bottomWorst_[j] = b[0].first;
    }
  }

  // A later row (higher index): it wins a tie with no current entry.
  void offer(std::size_t j, double v, std::int32_t idx) {
    if (v > topWorst_[j]) replace(top_.data() + j * k_, {v, idx}, betterTop, topWorst_[j]);
    if (v < bottomWorst_[j]) replace(bottom_.data() + j * k_, {v, idx}, betterBottom, bottomWorst_[j]);
  }

  template <class Better>
  void replace(Entry* heap, Entry e, Better better, double& worst) {
    std::pop_heap(heap, heap + k_, better);
    heap[k_ - 1] = e;
    std::push_heap(heap, heap + k_, better);
    worst = heap[0].first;
  }

  std::size_t m_, k_, seen_ = 0;
  std::vector<Entry> top_, bottom_;             // m heaps of k entries each
  std::vector<double> topWorst_, bottomWorst_;  // each heap's front value
};

// fill(worker, first, count, block) writes the scores of rows [first, first+count) against all
// m columns into block (count x m, row-major). Workers 0 .. workers-1 (kernelWorkers) call it
// concurrently, each with its own block, so it may use per-worker scratch.
template <class Fill>
TopK topKOverBlocks(std::size_t n, std::size_t m, std::size_t k, std::size_t blockRows, std::size_t workers,
                    Fill fill) {
  k = std::min(k, n);
  std::vector<Selection> parts(workers, Selection(m, k));
  std::vector<std::vector<double>> blocks(workers);
  if (k > 0)
    forBlocksInParallel(n, blockRows, workers, [&](std::size_t w, std::size_t first, std::size_t count) {
      if (blocks[w].empty()) blocks[w].resize(std::min(n, blockRows) * m);
      fill(w, first, count, blocks[w].data());
      parts[w].scan(blocks[w].data(), first, count);
    });
  TopK out;
  out.k = k;
  out.topIndex.resize(m * k);
  out.topValue.resize(m * k);
  out.bottomIndex.resize(m * k);
  out.bottomValue.resize(m * k);
  using Entry = Selection::Entry;
  std::vector<Entry> top, bottom;
  for (std::size_t j = 0; j < m; ++j) {
    top.clear();
    bottom.clear();
    for (const Selection& s : parts) {
      top.insert(top.end(), s.topOf(j), s.topOf(j) + s.candidates());
      bottom.insert(bottom.end(), s.bottomOf(j), s.bottomOf(j) + s.candidates());
    }
    std::partial_sort(top.begin(), top.begin() + k, top.end(), Selection::betterTop);
    std::partial_sort(bottom.begin(), bottom.begin() + k, bottom.end(), Selection::betterBottom);
    for (std::size_t r = 0; r < k; ++r) {
      out.topIndex[j * k + r] = top[r].second;
      out.topValue[j * k + r] = top[r].first;
      out.bottomIndex[j * k + r] = bottom[r].second;
      out.bottomValue[j * k + r] = bottom[r].first;
    }
  }
  return out;
}

}  // namespace tdakit::linalg
