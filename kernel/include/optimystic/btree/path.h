// SPDX-License-Identifier: Apache-2.0
// Paths and key ranges of the B+tree (SPEC.md §3.4–3.5). A Path is a cursor: the branches
// descended from the root (each with the child index taken), the leaf reached, the index in the
// leaf, whether the cursor is `on` an entry or off in the "crack" before leaf_index, and the
// tree version it was made at. A path holds its nodes as immutable shared blocks (BlockRef, never
// null in a path made by the tree): reading a node costs no copy, and the writer replaces a node
// it changes rather than editing it, so a path handed out earlier keeps the nodes it saw. It is
// valid only while its version equals the tree's (every successful mutation bumps the tree's
// version), and the tree refuses a stale path with an error saying "Path is invalid". A KeyRange
// names where a range scan starts (`first`) and stops (`last`) in iteration order, so for a
// descending range `first` is the high bound. Thread-safety: value types. Errors: none here; see
// btree.h.
#pragma once

#include <optimystic/block/block_store.h>
#include <optimystic/block/value.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace optimystic::btree {

struct PathBranch {
  block::BlockRef node;  // a branch node
  size_t index = 0;      // the child taken: 0 .. partitions.size()
};

struct Path {
  std::vector<PathBranch> branches;  // root first; empty when the root is a leaf
  block::BlockRef leaf;              // the leaf node
  size_t leaf_index = 0;             // 0 .. entries.size()
  bool on = false;                   // on an entry, or off in the crack before leaf_index
  uint64_t version = 0;              // the tree version the path was made at
};

enum class Direction : uint8_t { kAscending = 0, kDescending = 1 };

template <class Key>
struct KeyBound {
  Key key;
  bool inclusive = true;
};

template <class Key>
struct KeyRange {
  std::optional<KeyBound<Key>> first;  // where iteration starts; absent: the first (or last) entry
  std::optional<KeyBound<Key>> last;   // where iteration stops; absent: run to the end
  Direction direction = Direction::kAscending;
};

}  // namespace optimystic::btree
