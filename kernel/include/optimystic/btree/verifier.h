// SPDX-License-Identifier: Apache-2.0
// A full check of a B+tree's invariants (SPEC.md §3.1–3.2, §3.7–3.8), for tests, repair tools
// and debugging: every node reachable from the root is read once and must be well-formed; all
// leaves sit at the same depth; non-root nodes hold between capacity / 2 and capacity entries or
// children, a root branch at least two children; keys increase strictly within and across leaves
// and within partitions; and every partition equals the lowest key of the subtree to its right.
// No node may be reachable twice. The result lists the reachable node ids, so a caller can check
// the store holds nothing else (no orphans) — missing nodes already fail the walk.
// Thread-safety: not thread-safe (it reads through the tree's store).
// Errors: the first violated invariant as Corruption naming the node; store errors propagate.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/btree/navigator.h>
#include <optimystic/btree/node.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace optimystic::btree {

struct TreeShape {
  size_t height = 0;  // levels, leaves included: 1 for a root leaf
  size_t entries = 0;
  size_t leaves = 0;
  size_t branches = 0;
  std::set<block::BlockId> node_ids;  // every reachable node
};

// Called with each encoded entry in key order; an error stops the walk and is returned.
using EntryVisitor = std::function<Status(const block::Value& encoded_entry)>;

namespace internal {

template <TreeTraits T>
class Verifier final {
 public:
  using Key = typename T::Key;

  Verifier(TreeContext<T>& ctx, const EntryVisitor& visit) : ctx_(ctx), nav_(ctx), visit_(visit) {}

  Result<TreeShape> Run() {
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockId root, ctx_.trunk->GetRootId());
    OPTIMYSTIC_RETURN_IF_ERROR(Walk(root, 1).status());
    return std::move(shape_);
  }

 private:
  static Status Broken(const block::BlockId& id, const std::string& what) {
    return Status::Corruption("tree node " + id + ": " + what);
  }

  Status CheckFill(const block::Value& node, size_t depth) {
    const size_t fill = Fill(node);
    const bool leaf = IsLeaf(node);
    const size_t low = depth > 1 ? ctx_.min_fill() : (leaf ? 0 : 2);
    if (fill < low || fill > ctx_.capacity) {
      return Broken(NodeId(node), std::string(leaf ? "entries" : "children") + " " +
                                      std::to_string(fill) + " outside [" + std::to_string(low) +
                                      ", " + std::to_string(ctx_.capacity) + "]");
    }
    return Status::Ok();
  }

  // Checks the subtree `id` at `depth` (root = 1); returns its lowest key (none for an empty
  // root leaf). Partitions increase strictly because each equals the lowest key to its right
  // and the leaves' keys increase strictly in walk order.
  Result<std::optional<Key>> Walk(const block::BlockId& id, size_t depth) {
    if (!shape_.node_ids.insert(id).second) return Broken(id, "reachable twice");
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef ref, nav_.ReadNode(id));
    const block::Value& node = *ref;
    OPTIMYSTIC_RETURN_IF_ERROR(CheckFill(node, depth));
    if (IsLeaf(node)) return WalkLeaf(node, depth);
    ++shape_.branches;
    std::optional<Key> lowest;
    const size_t children = Nodes(node).size();
    for (size_t i = 0; i < children; ++i) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Key> low, Walk(ChildId(node, i), depth + 1));
      if (!low.has_value()) return Broken(ChildId(node, i), "empty non-root leaf");
      if (i == 0) {
        lowest = std::move(low);
        continue;
      }
      OPTIMYSTIC_ASSIGN_OR_RETURN(Key partition, nav_.PartitionKey(node, i - 1));
      if (ctx_.traits.Compare(partition, *low) != 0) {
        return Broken(id, "partitions[" + std::to_string(i - 1) +
                              "] is not the lowest key of the subtree to its right");
      }
    }
    return lowest;
  }

  Result<std::optional<Key>> WalkLeaf(const block::Value& leaf, size_t depth) {
    if (shape_.height == 0) {
      shape_.height = depth;
    } else if (shape_.height != depth) {
      return Broken(NodeId(leaf), "leaf at depth " + std::to_string(depth) + ", others at " +
                                      std::to_string(shape_.height));
    }
    ++shape_.leaves;
    const size_t count = Entries(leaf).size();
    std::optional<Key> lowest;
    for (size_t i = 0; i < count; ++i) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(Key key, nav_.EntryKey(leaf, i));
      if (previous_.has_value() && ctx_.traits.Compare(*previous_, key) >= 0) {
        return Broken(NodeId(leaf), "entries[" + std::to_string(i) + "] out of order");
      }
      if (visit_) OPTIMYSTIC_RETURN_IF_ERROR(visit_(Entries(leaf)[i]));
      if (i == 0) lowest = key;
      previous_ = std::move(key);
    }
    shape_.entries += count;
    return lowest;
  }

  TreeContext<T>& ctx_;
  Navigator<T> nav_;
  const EntryVisitor& visit_;
  TreeShape shape_;
  std::optional<Key> previous_;
};

}  // namespace internal
}  // namespace optimystic::btree
