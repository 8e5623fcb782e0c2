// SPDX-License-Identifier: Apache-2.0
// B+tree nodes (SPEC.md §3.2): every node is a block. A leaf (type TL) is
// {header, entries: [Entry...]} with entries sorted by key; a branch (type TB) is
// {header, partitions: [Key...], nodes: [BlockId...]} with nodes.size() == partitions.size() + 1
// and partitions[i] the lowest key reachable under nodes[i + 1]. Entries and keys are stored in
// their encoded Value form (see traits.h). These helpers build nodes, check the shape of a node
// read back from a store, and give checked-once access to its members.
// Thread-safety: pure functions over values.
// Errors: CheckNode reports a malformed node as Corruption naming the block and the member; the
// accessors REQUIRE a node that passed CheckNode (they abort otherwise, as Value misuse does).
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/block.h>
#include <optimystic/block/block_store.h>
#include <optimystic/block/value.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace optimystic::btree {

// SPEC.md §3.1: the default fan-out; non-root nodes hold at least capacity / 2.
inline constexpr size_t kDefaultNodeCapacity = 64;
// Below 4 a non-root branch may have a single child, and a leaf could empty out without a
// sibling to merge with, so smaller capacities are rejected.
inline constexpr size_t kMinNodeCapacity = 4;

// Member names. string_view keys look members up without building a std::string (node objects
// use a transparent comparator), which matters: these run several times per node per operation.
inline constexpr std::string_view kEntriesMember = "entries";
inline constexpr std::string_view kPartitionsMember = "partitions";
inline constexpr std::string_view kNodesMember = "nodes";
inline constexpr std::string_view kHeaderMember = "header";

enum class NodeKind : uint8_t { kLeaf = 0, kBranch = 1 };

// A new leaf (fresh TL header from `store`) holding `entries` (REQUIRES: an array).
Result<block::Value> NewLeaf(block::BlockSource& store, block::Value entries);
// A new branch (fresh TB header). REQUIRES: arrays, nodes.size() == partitions.size() + 1.
Result<block::Value> NewBranch(block::BlockSource& store, block::Value partitions,
                               block::Value nodes);

// Accessors. REQUIRES: `node` passed CheckNode (and is of the kind the accessor names).
inline bool IsLeaf(const block::Value& node) {
  return node[kHeaderMember][std::string_view("type")].get_ref<const std::string&>() ==
         block::kTreeLeafType;
}
inline const std::string& NodeId(const block::Value& node) {
  return node[kHeaderMember][std::string_view("id")].get_ref<const std::string&>();
}
inline const block::Value& Entries(const block::Value& leaf) { return leaf[kEntriesMember]; }
inline const block::Value& Partitions(const block::Value& branch) {
  return branch[kPartitionsMember];
}
inline const block::Value& Nodes(const block::Value& branch) { return branch[kNodesMember]; }
// The child id at `index` of a branch. REQUIRES: index < Nodes(branch).size().
inline const std::string& ChildId(const block::Value& branch, size_t index) {
  return Nodes(branch)[index].get_ref<const std::string&>();
}
// Number of entries of a leaf or children of a branch: the measure the fill rules use.
inline size_t Fill(const block::Value& node) {
  return IsLeaf(node) ? Entries(node).size() : Nodes(node).size();
}

namespace internal {

inline Status MalformedNode(const std::string& id, const std::string& what) {
  return Status::Corruption("tree node " + id + ": " + what);
}

inline Status CheckBranchShape(const block::Value& node, const std::string& id) {
  auto partitions = node.find(kPartitionsMember);
  if (partitions == node.end() || !partitions->is_array()) {
    return MalformedNode(id, "partitions: expected an array");
  }
  auto nodes = node.find(kNodesMember);
  if (nodes == node.end() || !nodes->is_array()) {
    return MalformedNode(id, "nodes: expected an array");
  }
  if (nodes->size() != partitions->size() + 1) {
    return MalformedNode(id, "expected one more child than partitions, found " +
                                 std::to_string(nodes->size()) + " children and " +
                                 std::to_string(partitions->size()) + " partitions");
  }
  for (size_t i = 0; i < nodes->size(); ++i) {
    const block::Value& child = (*nodes)[i];
    if (!child.is_string() || child.get_ref<const std::string&>().empty()) {
      return MalformedNode(id, "nodes[" + std::to_string(i) + "]: expected a block id");
    }
  }
  return Status::Ok();
}

// The string member `name` of `object`, or null. No copies: this runs on every node read.
inline const std::string* StringMember(const block::Value& object, std::string_view name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : it->get_ptr<const std::string*>();
}

}  // namespace internal

// The kind of `node` after checking its shape: a valid header of type TL with an `entries`
// array, or of type TB with a `partitions` array and a non-empty `nodes` array of non-empty
// strings, one longer than `partitions`. Corruption otherwise. Inline: it runs on every node
// read, and no copy of the node or its header is made.
inline Result<NodeKind> CheckNode(const block::Value& node) {
  if (!node.is_object()) return Status::Corruption("tree node: expected an object");
  auto header = node.find(kHeaderMember);
  if (header == node.end() || !header->is_object()) {
    return Status::Corruption("tree node: header: expected an object");
  }
  const std::string* id = internal::StringMember(*header, "id");
  if (id == nullptr || id->empty()) {
    return Status::Corruption("tree node: header.id: expected a block id");
  }
  const std::string* type = internal::StringMember(*header, "type");
  if (type == nullptr || internal::StringMember(*header, "collectionId") == nullptr) {
    return internal::MalformedNode(*id, "header: expected type and collectionId strings");
  }
  if (*type == block::kTreeLeafType) {
    auto entries = node.find(kEntriesMember);
    if (entries == node.end() || !entries->is_array()) {
      return internal::MalformedNode(*id, "entries: expected an array");
    }
    return NodeKind::kLeaf;
  }
  if (*type == block::kTreeBranchType) {
    OPTIMYSTIC_RETURN_IF_ERROR(internal::CheckBranchShape(node, *id));
    return NodeKind::kBranch;
  }
  return internal::MalformedNode(*id, "type " + *type + ": expected TL or TB");
}

}  // namespace optimystic::btree
