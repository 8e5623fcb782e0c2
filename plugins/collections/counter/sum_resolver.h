// SPDX-License-Identifier: Apache-2.0
// SumResolver ("sum", plugin conflict.sum): the counter's conflict resolver. It keeps every
// concurrent increment, so that a counter written by many nodes at once ends at the exact total
// of all the deltas.
//
// What it does. The engine asks it about one local pending action `local` and the remote
// actions committed first that overlap it (for a counter: all of them).
//   - local and every remote action are counter "add" actions with a valid delta
//       -> kReplay: keep the local add; the engine re-applies it on the new state.
//   - anything else -> kReject, reason "sum: cannot merge <which> action '<type>': sum merges
//       only counter 'add' actions", so the caller learns its action was not applied.
//
// Why replaying is merging here. An add is a delta, not a new value, and addition commutes:
// if the stored value was v, a remote writer committed +r and our pending action is +l, then
// re-applying +l on the new state gives (v + r) + l = v + r + l, which is exactly the merge of
// both increments. Nothing is lost and no merged action needs to be built (kReplace would carry
// the very same action).
//
// How this differs from the built-in "replay". "replay" re-applies any local action, whatever
// it and the remote ones are; that is right only when the actions commute. "sum" promises
// more, the exact total, and so it refuses whenever it cannot keep that promise: when it is
// configured for a type whose actions are not counter adds (a Tree's replace, a Diary's
// append), or when some action is malformed. For a counter whose log holds only adds the two
// give the same values; choosing "sum" states the intent and turns a misconfiguration (e.g.
// `collections.types.tree.resolver: sum`) into visible rejections instead of silent
// last-replay-wins results. Overflow is not the resolver's business: the replayed add fails in
// ApplyAction with "counter add: ... overflows the 64-bit counter".
// Thread-safety: stateless; Resolve may be called from any thread at once.
// Errors: none; refusals are kReject resolutions.
#pragma once

#include <optimystic/collections/action.h>
#include <optimystic/conflict/conflict_resolver.h>

#include <string_view>
#include <vector>

namespace optimystic::plugins::conflict_sum {

inline constexpr std::string_view kSumResolverName = "sum";

class SumResolver final : public conflict::ConflictResolver {
 public:
  std::string_view name() const noexcept override { return kSumResolverName; }
  conflict::Resolution Resolve(
      const collections::Action& local,
      const std::vector<collections::Action>& remote) const noexcept override;
};

}  // namespace optimystic::plugins::conflict_sum
