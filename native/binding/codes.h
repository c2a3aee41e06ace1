// The enum codes that cross the boundary, named once: the addon exports them as constants
// (`codes.family`, `codes.objective`) and Reader::code() validates against the same lists.
#pragma once
#include <vector>

#include "glm/family.h"
#include "glm/multinomial.h"
#include "mlp/mlp.h"

namespace tdakit::binding {

// Index = the core enum's value (glm::Family).
inline const std::vector<const char*>& familyNames() {
  static const std::vector<const char*> names{"logistic", "squared", "logisticLossSquared"};
  return names;
}
// Index = glm::LogitObjective = mlp::Objective (the same three per-example objectives).
inline const std::vector<const char*>& objectiveNames() {
  static const std::vector<const char*> names{"crossEntropy", "crossEntropySquared", "marginSquared"};
  return names;
}

static_assert(static_cast<int>(glm::Family::LogisticLossSquared) == 2, "familyNames() follows glm::Family");
static_assert(static_cast<int>(glm::LogitObjective::MarginSquared) == 2 &&
                  static_cast<int>(mlp::Objective::MarginSquared) == 2 &&
                  static_cast<int>(glm::LogitObjective::CrossEntropySquared) ==
                      static_cast<int>(mlp::Objective::CrossEntropySquared),
              "objectiveNames() follows glm::LogitObjective and mlp::Objective");

}  // namespace tdakit::binding
