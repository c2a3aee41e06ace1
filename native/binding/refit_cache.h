// What the refits of one model share, built by the first refit that needs it and reused by the
// others: the summary of X (its nonzeros by row and row norms: a pass over all of X, 36-60 ms on
// spam) and the float32 copy of the reference factor that preconditions Woodbury refits. The
// model creates one cache (refitCache()) and passes it to every refit; refits running side by
// side share it (the mutex makes the first one build and the others wait for it).
#pragma once
#include <cstddef>
#include <memory>
#include <mutex>

#include "glm/design.h"
#include "glm/objective.h"
#include "influence/packed_factor.h"

namespace tdakit::binding {

class RefitCache {
 public:
  // The summary of a's X. Kept only for an X in a SharedArrayBuffer (the model's own copy, alive
  // and at the same address for the model's lifetime, so the address names it): the first such X
  // is cached, any other design gets a summary built for its call alone.
  std::shared_ptr<const glm::DesignSummary> design(const glm::Design& a, bool shared) {
    if (!shared) return glm::DesignSummary::build(a);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!design_) {
      design_ = glm::DesignSummary::build(a);
      x_ = a.x;
      n_ = a.n;
      d_ = a.d;
      intercept_ = a.intercept;
    }
    if (x_ == a.x && n_ == a.n && d_ == a.d && intercept_ == a.intercept) return design_;
    return glm::DesignSummary::build(a);
  }

  // PackedFactor(l, p), kept on the same terms for the first shared factor l.
  std::shared_ptr<const influence::PackedFactor> packedFactor(const double* l, std::size_t p, bool shared) {
    if (!shared) return std::make_shared<const influence::PackedFactor>(l, p);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!packed_) {
      packed_ = std::make_shared<const influence::PackedFactor>(l, p);
      factor_ = l;
      p_ = p;
    }
    if (factor_ == l && p_ == p) return packed_;
    return std::make_shared<const influence::PackedFactor>(l, p);
  }

 private:
  std::mutex mutex_;
  std::shared_ptr<const glm::DesignSummary> design_;
  const double* x_ = nullptr;
  std::size_t n_ = 0, d_ = 0;
  bool intercept_ = false;
  std::shared_ptr<const influence::PackedFactor> packed_;
  const double* factor_ = nullptr;
  std::size_t p_ = 0;
};

}  // namespace tdakit::binding
