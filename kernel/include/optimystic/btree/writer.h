// SPDX-License-Identifier: Apache-2.0
// The write side of the B+tree (SPEC.md §3.6–3.8), used by BTree (btree.h): inserting into a
// leaf with leaf and branch splits and root growth, replacing an entry, deleting with separator
// refresh, borrow, merge and root collapse, and dropping every node. It works on a Path whose
// nodes it keeps equal to the store: every change goes through ApplyAndRecord, which replaces the
// path's (or a sibling's) shared node by a changed copy and records the operation; every new node
// is inserted into the store and every node merged away or collapsed is deleted from it, so no
// block is orphaned.
// Splits follow the invariant rather than the reference's defective branch split (SPEC.md §3.7):
// the child that split stays left of the pushed-up separator partitions[mid - 1] when its index
// is below mid, and goes right otherwise, so every key stays reachable exactly once.
// Thread-safety: not thread-safe; a Writer belongs to one tree used from one thread.
// Errors: store errors propagate; a malformed node read back is Corruption. After an error the
// path's nodes may differ from the store; the tree invalidates its paths then.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/block_store.h>
#include <optimystic/btree/navigator.h>
#include <optimystic/btree/node.h>
#include <optimystic/btree/path.h>
#include <optimystic/btree/traits.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace optimystic::btree::internal {

inline block::BlockOperation Splice(std::string_view member, size_t index, size_t delete_count,
                                    block::Value inserted = block::Value::array()) {
  return block::BlockOperation::Splice(std::string(member), index, delete_count,
                                       std::move(inserted));
}

inline block::Value ArrayOf(block::Value element) {
  block::Value array = block::Value::array();
  array.push_back(std::move(element));
  return array;
}

// The elements [from, to) of `array`, as an array.
inline block::Value Slice(const block::Value& array, size_t from, size_t to) {
  block::Value out = block::Value::array();
  out.get_ref<block::Value::array_t&>().reserve(to - from);
  for (size_t i = from; i < to; ++i) out.push_back(array[i]);
  return out;
}

template <TreeTraits T>
class Writer final {
 public:
  explicit Writer(TreeContext<T>& ctx) : ctx_(ctx), nav_(ctx) {}

  // Inserts `encoded` into the crack of `path` (REQUIRES: a fresh path from a descent, off at
  // the insertion index). Afterwards `path` points at the new entry (still off).
  Status InsertAt(Path& path, block::Value encoded) {
    const block::BlockId old_root =
        path.branches.empty() ? NodeId(*path.leaf) : NodeId(*path.branches.front().node);
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Split> split, LeafInsert(path, std::move(encoded)));
    for (size_t depth = path.branches.size(); split.has_value() && depth > 0; --depth) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(split, BranchInsert(path.branches[depth - 1], *split));
    }
    if (!split.has_value()) return Status::Ok();
    // The root split: a new root over the old root and its new right sibling (SPEC.md §3.7).
    block::Value partitions = ArrayOf(std::move(split->key));
    block::Value nodes = block::Value::array({old_root, split->right_id});
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        block::BlockRef root,
        Inserted(NewBranch(store(), std::move(partitions), std::move(nodes))));
    OPTIMYSTIC_RETURN_IF_ERROR(ctx_.trunk->SetRootId(NodeId(*root)));
    path.branches.insert(path.branches.begin(),
                         PathBranch{std::move(root), split->went_right ? size_t{1} : size_t{0}});
    return Status::Ok();
  }

  // Replaces the entry under `path` (REQUIRES: path.on) with `encoded` (same key).
  Status ReplaceAt(Path& path, block::Value encoded) {
    return Apply(path.leaf,
                 Splice(kEntriesMember, path.leaf_index, 1, ArrayOf(std::move(encoded))));
  }

  // Removes the entry under `path` (REQUIRES: path.on) and rebalances (SPEC.md §3.8). The path
  // is left off; its position is not meaningful afterwards.
  Status RemoveAt(Path& path) {
    OPTIMYSTIC_RETURN_IF_ERROR(Apply(path.leaf, Splice(kEntriesMember, path.leaf_index, 1)));
    path.on = false;
    if (path.branches.empty()) return Status::Ok();  // a root leaf is never rebalanced
    const size_t depth = path.branches.size() - 1;
    if (path.leaf_index == 0 && !Entries(*path.leaf).empty()) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(block::Value first, nav_.SeparatorOf(*path.leaf, 0));
      OPTIMYSTIC_RETURN_IF_ERROR(
          UpdateSeparator(path, depth, path.branches[depth].index, std::move(first)));
    }
    return RebalanceLeaf(path);
  }

  // Deletes every node of the tree (not the trunk). Leaves are deleted without being read.
  Status Drop() {
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef root, nav_.ReadRoot());
    std::vector<block::BlockRef> level;
    level.push_back(std::move(root));
    while (!level.empty()) {
      std::vector<block::BlockId> children;
      for (const block::BlockRef& node : level) {
        OPTIMYSTIC_RETURN_IF_ERROR(store().Delete(NodeId(*node)));
        if (IsLeaf(*node)) continue;
        for (const block::Value& child : Nodes(*node)) {
          children.push_back(child.get_ref<const std::string&>());
        }
      }
      level.clear();
      if (children.empty()) break;
      OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef first, nav_.ReadNode(children.front()));
      if (IsLeaf(*first)) {  // every node of a level has the same kind
        for (const block::BlockId& id : children) OPTIMYSTIC_RETURN_IF_ERROR(store().Delete(id));
        break;
      }
      level.push_back(std::move(first));
      for (size_t i = 1; i < children.size(); ++i) {
        OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef node, nav_.ReadNode(children[i]));
        level.push_back(std::move(node));
      }
    }
    return Status::Ok();
  }

 private:
  // A split pushing `key` up, with the new right node, and whether the path moved into it.
  struct Split {
    block::Value key;
    block::BlockId right_id;
    bool went_right = false;
  };

  block::BlockStore& store() { return *ctx_.store; }

  // Replaces `node` by a copy with `op` applied and records `op` in the store.
  Status Apply(block::BlockRef& node, const block::BlockOperation& op) {
    return block::ApplyAndRecord(store(), node, op);
  }

  // Inserts a new node into the store and hands it back shared.
  Result<block::BlockRef> Inserted(Result<block::Value> node) {
    if (!node.has_value()) return node.error();
    OPTIMYSTIC_RETURN_IF_ERROR(store().Insert(*node));
    return block::BlockRef(std::make_shared<const block::Value>(std::move(node).value()));
  }

  // SPEC.md §3.7 leaf split: mid = (len + 1) / 2; the right leaf takes [mid..] and the new entry
  // when its index is >= mid; the separator is the right leaf's first key.
  Result<std::optional<Split>> LeafInsert(Path& path, block::Value encoded) {
    const size_t count = Entries(*path.leaf).size();
    const size_t index = path.leaf_index;
    if (count < ctx_.capacity) {
      OPTIMYSTIC_RETURN_IF_ERROR(
          Apply(path.leaf, Splice(kEntriesMember, index, 0, ArrayOf(std::move(encoded)))));
      return std::optional<Split>();
    }
    const size_t mid = (count + 1) >> 1;
    const bool went_right = index >= mid;
    block::Value right_entries = Slice(Entries(*path.leaf), mid, count);
    if (went_right) {
      auto& array = right_entries.get_ref<block::Value::array_t&>();
      array.insert(array.begin() + static_cast<std::ptrdiff_t>(index - mid), encoded);
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef right,
                                Inserted(NewLeaf(store(), std::move(right_entries))));
    OPTIMYSTIC_RETURN_IF_ERROR(Apply(path.leaf, Splice(kEntriesMember, mid, count - mid)));
    if (!went_right) {
      OPTIMYSTIC_RETURN_IF_ERROR(
          Apply(path.leaf, Splice(kEntriesMember, index, 0, ArrayOf(std::move(encoded)))));
    }
    Split split;
    OPTIMYSTIC_ASSIGN_OR_RETURN(split.key, nav_.SeparatorOf(*right, 0));
    split.right_id = NodeId(*right);
    split.went_right = went_right;
    if (went_right) {
      path.leaf = std::move(right);
      path.leaf_index = index - mid;
    }
    return std::optional<Split>(std::move(split));
  }

  // Adds the split child below `at` (its child at.index split into at.index and the new right
  // node). SPEC.md §3.7 branch split when `at` is full: mid = (n + 1) / 2, partitions[mid - 1]
  // goes up, the left keeps nodes[0..mid) and partitions[0..mid - 1), the right takes the rest;
  // the new child joins the side of the child that split (left when at.index < mid).
  Result<std::optional<Split>> BranchInsert(PathBranch& at, Split below) {
    const size_t index = at.index;
    const size_t shift = below.went_right ? 1 : 0;
    const size_t count = Nodes(*at.node).size();
    if (count < ctx_.capacity) {
      OPTIMYSTIC_RETURN_IF_ERROR(InsertChild(at.node, index, std::move(below)));
      at.index = index + shift;
      return std::optional<Split>();
    }
    const size_t mid = (count + 1) >> 1;
    const bool went_right = index >= mid;
    Split up;
    up.key = Partitions(*at.node)[mid - 1];
    up.went_right = went_right;
    block::Value right_partitions = Slice(Partitions(*at.node), mid, count - 1);
    block::Value right_nodes = Slice(Nodes(*at.node), mid, count);
    if (went_right) {
      auto& partitions = right_partitions.get_ref<block::Value::array_t&>();
      partitions.insert(partitions.begin() + static_cast<std::ptrdiff_t>(index - mid),
                        std::move(below.key));
      auto& nodes = right_nodes.get_ref<block::Value::array_t&>();
      nodes.insert(nodes.begin() + static_cast<std::ptrdiff_t>(index + 1 - mid),
                   block::Value(below.right_id));
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        block::BlockRef right,
        Inserted(NewBranch(store(), std::move(right_partitions), std::move(right_nodes))));
    OPTIMYSTIC_RETURN_IF_ERROR(Apply(at.node, Splice(kPartitionsMember, mid - 1, count - mid)));
    OPTIMYSTIC_RETURN_IF_ERROR(Apply(at.node, Splice(kNodesMember, mid, count - mid)));
    up.right_id = NodeId(*right);
    if (went_right) {
      at.node = std::move(right);
      at.index = index + shift - mid;
    } else {
      OPTIMYSTIC_RETURN_IF_ERROR(InsertChild(at.node, index, std::move(below)));
      at.index = index + shift;
    }
    return std::optional<Split>(std::move(up));
  }

  // Puts the split's key at partitions[index] and its node at nodes[index + 1].
  Status InsertChild(block::BlockRef& branch, size_t index, Split split) {
    OPTIMYSTIC_RETURN_IF_ERROR(
        Apply(branch, Splice(kPartitionsMember, index, 0, ArrayOf(std::move(split.key)))));
    return Apply(branch, Splice(kNodesMember, index + 1, 0, ArrayOf(block::Value(split.right_id))));
  }

  // Removes partitions[index] and nodes[index + 1] from a branch.
  Status RemoveChild(block::BlockRef& branch, size_t index) {
    OPTIMYSTIC_RETURN_IF_ERROR(Apply(branch, Splice(kPartitionsMember, index, 1)));
    return Apply(branch, Splice(kNodesMember, index + 1, 1));
  }

  // Sets the separator that routes to the child `child_index` of the branch at `depth`: climbs
  // while the child is the leftmost one (its separator lives higher up; none at the left edge
  // of the tree). Writes nothing when the separator already holds `key`.
  Status UpdateSeparator(Path& path, size_t depth, size_t child_index, block::Value key) {
    while (child_index == 0) {
      if (depth == 0) return Status::Ok();
      --depth;
      child_index = path.branches[depth].index;
    }
    block::BlockRef& branch = path.branches[depth].node;
    if (Partitions(*branch)[child_index - 1] == key) return Status::Ok();
    return Apply(branch, Splice(kPartitionsMember, child_index - 1, 1, ArrayOf(std::move(key))));
  }

  // Reads the sibling of the child `index` of `parent` at `offset` (-1 or +1), if there is one.
  // Null when there is none.
  Result<block::BlockRef> ReadSibling(const block::BlockRef& parent, size_t index, int offset) {
    if (offset < 0 && index == 0) return block::BlockRef();
    const size_t sibling = offset < 0 ? index - 1 : index + 1;
    if (sibling >= Nodes(*parent).size()) return block::BlockRef();
    return nav_.ReadNode(ChildId(*parent, sibling));
  }

  // SPEC.md §3.8 steps 2–6 for the path's (non-root) leaf.
  Status RebalanceLeaf(Path& path) {
    const size_t count = Entries(*path.leaf).size();
    if (count >= ctx_.min_fill()) return Status::Ok();
    const size_t depth = path.branches.size() - 1;
    PathBranch& parent = path.branches[depth];
    const size_t index = parent.index;
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef right, ReadSibling(parent.node, index, +1));
    if (right != nullptr && Entries(*right).size() > ctx_.min_fill()) {
      block::Value moved = Entries(*right)[0];
      OPTIMYSTIC_RETURN_IF_ERROR(Apply(right, Splice(kEntriesMember, 0, 1)));
      OPTIMYSTIC_RETURN_IF_ERROR(
          Apply(path.leaf, Splice(kEntriesMember, count, 0, ArrayOf(std::move(moved)))));
      OPTIMYSTIC_ASSIGN_OR_RETURN(block::Value key, nav_.SeparatorOf(*right, 0));
      return UpdateSeparator(path, depth, index + 1, std::move(key));
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef left, ReadSibling(parent.node, index, -1));
    if (left != nullptr && Entries(*left).size() > ctx_.min_fill()) {
      const size_t last = Entries(*left).size() - 1;
      block::Value moved = Entries(*left)[last];
      OPTIMYSTIC_RETURN_IF_ERROR(Apply(left, Splice(kEntriesMember, last, 1)));
      OPTIMYSTIC_RETURN_IF_ERROR(
          Apply(path.leaf, Splice(kEntriesMember, 0, 0, ArrayOf(std::move(moved)))));
      ++path.leaf_index;
      OPTIMYSTIC_ASSIGN_OR_RETURN(block::Value key, nav_.SeparatorOf(*path.leaf, 0));
      return UpdateSeparator(path, depth, index, std::move(key));
    }
    if (right != nullptr && Entries(*right).size() + count <= ctx_.capacity) {
      OPTIMYSTIC_RETURN_IF_ERROR(
          Apply(path.leaf, Splice(kEntriesMember, count, 0, Entries(*right))));
      OPTIMYSTIC_RETURN_IF_ERROR(RemoveChild(parent.node, index));
      OPTIMYSTIC_RETURN_IF_ERROR(store().Delete(NodeId(*right)));
      if (index == 0 && !Entries(*path.leaf).empty()) {
        OPTIMYSTIC_ASSIGN_OR_RETURN(block::Value key, nav_.SeparatorOf(*path.leaf, 0));
        OPTIMYSTIC_RETURN_IF_ERROR(UpdateSeparator(path, depth, 0, std::move(key)));
      }
      return RebalanceBranches(path, depth);
    }
    if (left != nullptr && Entries(*left).size() + count <= ctx_.capacity) {
      const size_t left_count = Entries(*left).size();
      OPTIMYSTIC_RETURN_IF_ERROR(
          Apply(left, Splice(kEntriesMember, left_count, 0, Entries(*path.leaf))));
      OPTIMYSTIC_RETURN_IF_ERROR(RemoveChild(parent.node, index - 1));
      OPTIMYSTIC_RETURN_IF_ERROR(store().Delete(NodeId(*path.leaf)));
      path.leaf = std::move(left);
      path.leaf_index += left_count;
      parent.index = index - 1;
      return RebalanceBranches(path, depth);
    }
    return Status::Internal("tree node " + NodeId(*path.leaf) + ": underfull leaf without sibling");
  }

  // SPEC.md §3.8 branch rebalancing, from the branch at `depth` up to the root; root collapse.
  Status RebalanceBranches(Path& path, size_t depth) {
    for (;; --depth) {
      PathBranch& at = path.branches[depth];
      if (depth == 0) {
        if (!Partitions(*at.node).empty()) return Status::Ok();
        return CollapseRoot(path);
      }
      if (Nodes(*at.node).size() >= ctx_.min_fill()) return Status::Ok();
      OPTIMYSTIC_ASSIGN_OR_RETURN(bool merged, RebalanceBranch(path, depth));
      if (!merged) return Status::Ok();
    }
  }

  // Borrows into or merges the underfull branch at `depth` (> 0); true when it merged (the
  // parent lost a child and must be looked at next).
  Result<bool> RebalanceBranch(Path& path, size_t depth) {
    PathBranch& at = path.branches[depth];
    PathBranch& parent = path.branches[depth - 1];
    const size_t index = parent.index;
    const size_t count = Nodes(*at.node).size();
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef right, ReadSibling(parent.node, index, +1));
    if (right != nullptr && Nodes(*right).size() > ctx_.min_fill()) {
      OPTIMYSTIC_RETURN_IF_ERROR(BorrowFromRight(at, parent, right));
      return false;
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef left, ReadSibling(parent.node, index, -1));
    if (left != nullptr && Nodes(*left).size() > ctx_.min_fill()) {
      OPTIMYSTIC_RETURN_IF_ERROR(BorrowFromLeft(at, parent, left));
      return false;
    }
    if (right != nullptr && Nodes(*right).size() + count <= ctx_.capacity) {
      OPTIMYSTIC_RETURN_IF_ERROR(AppendBranch(at.node, parent, index, *right));
      return true;
    }
    if (left != nullptr && Nodes(*left).size() + count <= ctx_.capacity) {
      const size_t left_count = Nodes(*left).size();
      OPTIMYSTIC_RETURN_IF_ERROR(AppendBranch(left, parent, index - 1, *at.node));
      at.node = std::move(left);
      at.index += left_count;  // the ORIGINAL child count of the left sibling
      parent.index = index - 1;
      return true;
    }
    return Status::Internal("tree node " + NodeId(*at.node) + ": underfull branch without sibling");
  }

  // Rotates the right sibling's first child through the parent separator into `at`.
  Status BorrowFromRight(PathBranch& at, PathBranch& parent, block::BlockRef& right) {
    const size_t index = parent.index;
    block::Value separator = Partitions(*parent.node)[index];
    block::Value child = Nodes(*right)[0];
    block::Value next_separator = Partitions(*right)[0];
    OPTIMYSTIC_RETURN_IF_ERROR(Apply(at.node, Splice(kPartitionsMember, Partitions(*at.node).size(),
                                                     0, ArrayOf(std::move(separator)))));
    OPTIMYSTIC_RETURN_IF_ERROR(
        Apply(at.node, Splice(kNodesMember, Nodes(*at.node).size(), 0, ArrayOf(std::move(child)))));
    OPTIMYSTIC_RETURN_IF_ERROR(Apply(right, Splice(kPartitionsMember, 0, 1)));
    OPTIMYSTIC_RETURN_IF_ERROR(Apply(right, Splice(kNodesMember, 0, 1)));
    return Apply(parent.node,
                 Splice(kPartitionsMember, index, 1, ArrayOf(std::move(next_separator))));
  }

  // Rotates the left sibling's last child through the parent separator into `at`.
  Status BorrowFromLeft(PathBranch& at, PathBranch& parent, block::BlockRef& left) {
    const size_t index = parent.index;
    const size_t last = Partitions(*left).size() - 1;
    block::Value separator = Partitions(*parent.node)[index - 1];
    block::Value child = Nodes(*left)[last + 1];
    block::Value next_separator = Partitions(*left)[last];
    OPTIMYSTIC_RETURN_IF_ERROR(
        Apply(at.node, Splice(kPartitionsMember, 0, 0, ArrayOf(std::move(separator)))));
    OPTIMYSTIC_RETURN_IF_ERROR(
        Apply(at.node, Splice(kNodesMember, 0, 0, ArrayOf(std::move(child)))));
    OPTIMYSTIC_RETURN_IF_ERROR(Apply(left, Splice(kPartitionsMember, last, 1)));
    OPTIMYSTIC_RETURN_IF_ERROR(Apply(left, Splice(kNodesMember, last + 1, 1)));
    ++at.index;
    return Apply(parent.node,
                 Splice(kPartitionsMember, index - 1, 1, ArrayOf(std::move(next_separator))));
  }

  // Merges `right` (the child separator_index + 1 of the parent) into `left`, pulling the parent
  // separator down between them, and deletes `right`.
  Status AppendBranch(block::BlockRef& left, PathBranch& parent, size_t separator_index,
                      const block::Value& right) {
    block::Value partitions = ArrayOf(Partitions(*parent.node)[separator_index]);
    for (const block::Value& key : Partitions(right)) partitions.push_back(key);
    OPTIMYSTIC_RETURN_IF_ERROR(RemoveChild(parent.node, separator_index));
    OPTIMYSTIC_RETURN_IF_ERROR(
        Apply(left, Splice(kPartitionsMember, Partitions(*left).size(), 0, std::move(partitions))));
    OPTIMYSTIC_RETURN_IF_ERROR(
        Apply(left, Splice(kNodesMember, Nodes(*left).size(), 0, Nodes(right))));
    return store().Delete(NodeId(right));
  }

  // SPEC.md §3.8 root collapse: a root branch with one child hands the root to that child.
  Status CollapseRoot(Path& path) {
    const block::BlockId old_root = NodeId(*path.branches.front().node);
    const block::BlockId& child =
        path.branches.size() > 1 ? NodeId(*path.branches[1].node) : NodeId(*path.leaf);
    OPTIMYSTIC_RETURN_IF_ERROR(ctx_.trunk->SetRootId(child));
    OPTIMYSTIC_RETURN_IF_ERROR(store().Delete(old_root));
    path.branches.erase(path.branches.begin());
    return Status::Ok();
  }

  TreeContext<T>& ctx_;
  Navigator<T> nav_;
};

}  // namespace optimystic::btree::internal
