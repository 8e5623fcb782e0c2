// SPDX-License-Identifier: Apache-2.0
// The read side of the B+tree (SPEC.md §3.2, §3.5), used by BTree (btree.h): reading and
// checking nodes, binary search in leaves and branches, descents (find, first, last) and moving a
// path to the next or prior entry by climbing the path (leaves have no sibling links).
// TreeContext is the state a tree's helpers share: the store and trunk it is bound to, the
// traits, the capacity, and a hint for point lookups (the depth at which the last descent met a
// leaf, so that a point lookup reads interior nodes as `navigation` and the leaf as `value`,
// SPEC.md §6.6, without reading the leaf twice).
// Thread-safety: not thread-safe; a Navigator belongs to one tree used from one thread.
// Errors: store errors propagate; a malformed node, entry or key read back is Corruption naming
// the block (and the member).
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/block_store.h>
#include <optimystic/btree/node.h>
#include <optimystic/btree/path.h>
#include <optimystic/btree/traits.h>
#include <optimystic/btree/trunk.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace optimystic::btree::internal {

template <TreeTraits T>
struct TreeContext {
  block::BlockStore* store = nullptr;
  Trunk* trunk = nullptr;
  T traits;
  size_t capacity = kDefaultNodeCapacity;
  size_t leaf_depth_hint = 0;  // 0: unknown (a root leaf never needs the hint)

  size_t min_fill() const { return capacity >> 1; }
};

// How a descent reads interior nodes (SPEC.md §6.6): kValue for everything but point lookups.
enum class Lookup : uint8_t { kValue = 0, kPoint = 1 };

struct LeafHit {
  bool on = false;
  size_t index = 0;
};

// Adds the node id and member to a codec error.
inline Status NodeCorruption(const block::Value& node, std::string_view member, size_t index,
                             const Status& cause) {
  return Status::Corruption("tree node " + NodeId(node) + ": " + std::string(member) + "[" +
                            std::to_string(index) + "]: " + std::string(cause.message()));
}

template <TreeTraits T>
class Navigator final {
 public:
  using Key = typename T::Key;

  explicit Navigator(TreeContext<T>& ctx) : ctx_(ctx) {}

  // Node `id`, checked (shared with the store: no copy).
  Result<block::BlockRef> ReadNode(const block::BlockId& id,
                                   block::ReadPurpose purpose = block::ReadPurpose::kValue) const {
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef node, block::GetBlockRef(*ctx_.store, id, purpose));
    OPTIMYSTIC_RETURN_IF_ERROR(CheckNode(*node).status());
    return node;
  }

  Result<block::BlockRef> ReadRoot() const {
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockId root_id, ctx_.trunk->GetRootId());
    return ReadNode(root_id);
  }

  Result<Key> EntryKey(const block::Value& leaf, size_t index) const {
    Result<Key> key = ctx_.traits.KeyOfEncoded(Entries(leaf)[index]);
    if (!key.has_value()) return NodeCorruption(leaf, kEntriesMember, index, key.error());
    return key;
  }

  Result<Key> PartitionKey(const block::Value& branch, size_t index) const {
    Result<Key> key = ctx_.traits.DecodeKey(Partitions(branch)[index]);
    if (!key.has_value()) return NodeCorruption(branch, kPartitionsMember, index, key.error());
    return key;
  }

  // The key of the entry at `index` of a leaf, encoded as a partition (a separator).
  Result<block::Value> SeparatorOf(const block::Value& leaf, size_t index) const {
    OPTIMYSTIC_ASSIGN_OR_RETURN(Key key, EntryKey(leaf, index));
    return block::Value(ctx_.traits.EncodeKey(key));
  }

  // SPEC.md §3.2 routing: exact match at i -> child i + 1, else the insertion index.
  Result<size_t> Route(const block::Value& branch, const Key& key) const {
    size_t lo = 0;
    size_t hi = Partitions(branch).size();
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      OPTIMYSTIC_ASSIGN_OR_RETURN(Key probe, PartitionKey(branch, mid));
      const int c = ctx_.traits.Compare(key, probe);
      if (c == 0) return mid + 1;
      if (c < 0) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  // On the key's entry, or off at its insertion index (which may be entries.size()).
  Result<LeafHit> SearchLeaf(const block::Value& leaf, const Key& key) const {
    size_t lo = 0;
    size_t hi = Entries(leaf).size();
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      OPTIMYSTIC_ASSIGN_OR_RETURN(Key probe, EntryKey(leaf, mid));
      const int c = ctx_.traits.Compare(key, probe);
      if (c == 0) return LeafHit{true, mid};
      if (c < 0) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return LeafHit{false, lo};
  }

  // The path to `key`, or to the crack where it would be inserted (SPEC.md §3.5 find).
  Result<Path> Find(const Key& key, Lookup lookup = Lookup::kValue) const {
    Path path;
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef node, ReadRoot());
    while (!IsLeaf(*node)) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(size_t index, Route(*node, key));
      // The id stays valid after the move: the path keeps the immutable node alive.
      const block::BlockId& child = ChildId(*node, index);
      path.branches.push_back(PathBranch{std::move(node), index});
      OPTIMYSTIC_ASSIGN_OR_RETURN(node, ReadChild(child, path.branches.size(), lookup));
    }
    if (!path.branches.empty()) ctx_.leaf_depth_hint = path.branches.size();
    OPTIMYSTIC_ASSIGN_OR_RETURN(LeafHit hit, SearchLeaf(*node, key));
    path.leaf = std::move(node);
    path.leaf_index = hit.index;
    path.on = hit.on;
    return path;
  }

  Result<Path> First() const {
    Path path;
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef root, ReadRoot());
    OPTIMYSTIC_RETURN_IF_ERROR(DescendFirst(std::move(root), path));
    return path;
  }

  Result<Path> Last() const {
    Path path;
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef root, ReadRoot());
    OPTIMYSTIC_RETURN_IF_ERROR(DescendLast(std::move(root), path));
    return path;
  }

  // Appends the leftmost descent from `node` to `path`.
  Status DescendFirst(block::BlockRef node, Path& path) const {
    while (!IsLeaf(*node)) {
      const block::BlockId& child = ChildId(*node, 0);
      path.branches.push_back(PathBranch{std::move(node), 0});
      OPTIMYSTIC_ASSIGN_OR_RETURN(node, ReadNode(child));
    }
    path.on = !Entries(*node).empty();
    path.leaf_index = 0;
    path.leaf = std::move(node);
    return Status::Ok();
  }

  // Appends the rightmost descent from `node` to `path`.
  Status DescendLast(block::BlockRef node, Path& path) const {
    while (!IsLeaf(*node)) {
      const size_t index = Partitions(*node).size();
      const block::BlockId& child = ChildId(*node, index);
      path.branches.push_back(PathBranch{std::move(node), index});
      OPTIMYSTIC_ASSIGN_OR_RETURN(node, ReadNode(child));
    }
    const size_t count = Entries(*node).size();
    path.on = count > 0;
    path.leaf_index = count > 0 ? count - 1 : 0;
    path.leaf = std::move(node);
    return Status::Ok();
  }

  // SPEC.md §3.5 next: off inside a leaf -> on at the same index; on the last entry of a leaf or
  // off at its end -> the first entry of the next leaf; past the end -> off at the end crack.
  Status MoveNext(Path& path) const {
    const size_t count = Entries(*path.leaf).size();
    if (!path.on) {
      if (path.leaf_index < count) {
        path.on = true;
        return Status::Ok();
      }
    } else if (path.leaf_index + 1 < count) {
      ++path.leaf_index;
      return Status::Ok();
    }
    size_t depth = path.branches.size();
    while (depth > 0 &&
           path.branches[depth - 1].index == Partitions(*path.branches[depth - 1].node).size()) {
      --depth;
    }
    if (depth == 0) {
      path.leaf_index = count;
      path.on = false;
      return Status::Ok();
    }
    path.branches.resize(depth);
    PathBranch& branch = path.branches.back();
    ++branch.index;
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef child,
                                ReadNode(ChildId(*branch.node, branch.index)));
    return DescendFirst(std::move(child), path);
  }

  // SPEC.md §3.5 prior: symmetric to MoveNext; before the first entry -> off at index 0.
  Status MovePrior(Path& path) const {
    if (path.leaf_index > 0) {
      --path.leaf_index;
      path.on = true;
      return Status::Ok();
    }
    size_t depth = path.branches.size();
    while (depth > 0 && path.branches[depth - 1].index == 0) {
      --depth;
    }
    if (depth == 0) {
      path.leaf_index = 0;
      path.on = false;
      return Status::Ok();
    }
    path.branches.resize(depth);
    PathBranch& branch = path.branches.back();
    --branch.index;
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef child,
                                ReadNode(ChildId(*branch.node, branch.index)));
    return DescendLast(std::move(child), path);
  }

  // The key under an `on` path. REQUIRES: path.on.
  Result<Key> KeyAt(const Path& path) const { return EntryKey(*path.leaf, path.leaf_index); }

 private:
  // Reads the child at `depth` of a descent. A point lookup reads interior nodes as navigation
  // and the leaf as value: the hint says which depth holds leaves; when it is wrong, a leaf read
  // as navigation is read again as value (an interior node read as value is merely conservative).
  Result<block::BlockRef> ReadChild(const block::BlockId& id, size_t depth, Lookup lookup) const {
    if (lookup == Lookup::kValue || depth == ctx_.leaf_depth_hint) {
      return ReadNode(id, block::ReadPurpose::kValue);
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef node,
                                ReadNode(id, block::ReadPurpose::kNavigation));
    if (!IsLeaf(*node)) return node;
    return ReadNode(id, block::ReadPurpose::kValue);
  }

  TreeContext<T>& ctx_;
};

}  // namespace optimystic::btree::internal
