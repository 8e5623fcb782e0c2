// SPDX-License-Identifier: Apache-2.0
#include "collections/counter/sum_resolver.h"

#include "collections/counter/counter_collection_type.h"

#include <string>

namespace optimystic::plugins::conflict_sum {

namespace {

conflict::Resolution Refuse(std::string_view which, const collections::Action& action) {
  conflict::Resolution out;
  out.kind = conflict::Resolution::Kind::kReject;
  out.reason = "sum: cannot merge " + std::string(which) + " action '" + action.type +
               "': sum merges only counter 'add' actions";
  return out;
}

}  // namespace

conflict::Resolution SumResolver::Resolve(
    const collections::Action& local,
    const std::vector<collections::Action>& remote) const noexcept {
  // The same check the counter type uses, so "additive" means exactly what the counter accepts.
  if (!collection_counter::AddDelta(local).has_value()) return Refuse("local", local);
  for (const collections::Action& other : remote) {
    if (!collection_counter::AddDelta(other).has_value()) return Refuse("remote", other);
  }
  // Every action is a delta: re-applying ours on the new state adds it to theirs.
  return conflict::Resolution{conflict::Resolution::Kind::kReplay, std::nullopt, {}};
}

}  // namespace optimystic::plugins::conflict_sum
