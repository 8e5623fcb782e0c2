// SPDX-License-Identifier: Apache-2.0
// Helpers for the B+tree tests: a record entry type keyed by an integer (entry != key, so that
// upsert, updateAt and merge change something), a text form of trees for building exact shapes
// and comparing them ("[(1 2) 3 (3 4)]": a leaf in parentheses, a branch in brackets with its
// partitions between its children), and collecting what a cursor yields.
// Thread-safety: as the store and tree used. Errors: Status values, as the tree's.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/btree/btree.h>

#include "support/memory_block_store.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// ASSERT that a Status or Result is OK, showing the error otherwise.
#define BT_ASSERT_OK(expr)                                                    \
  do {                                                                        \
    ::optimystic::Status bt_status_ = ::optimystic::internal::ToStatus(expr); \
    ASSERT_TRUE(bt_status_.ok()) << bt_status_.ToString();                    \
  } while (0)
// Declares `lhs` from an OK Result, or fails the test (in a void function).
#define BT_ASSIGN_OR_FAIL(lhs, expr) \
  BT_ASSIGN_OR_FAIL_IMPL(OPTIMYSTIC_STATUS_CONCAT(bt_result_, __LINE__), lhs, expr)
#define BT_ASSIGN_OR_FAIL_IMPL(tmp, lhs, expr)             \
  auto tmp = (expr);                                       \
  ASSERT_TRUE(tmp.has_value()) << tmp.status().ToString(); \
  lhs = std::move(tmp).value()

namespace optimystic::btree::test {

using MemoryBlockStore = ::optimystic::test::MemoryBlockStore;

struct Record {
  int64_t key = 0;
  int64_t value = 0;
  bool operator==(const Record&) const = default;
};

// Records stored as [key, value], keyed by key.
struct RecordTraits {
  using Entry = Record;
  using Key = int64_t;
  int64_t KeyOf(const Record& r) const { return r.key; }
  int Compare(int64_t a, int64_t b) const { return a < b ? -1 : (b < a ? 1 : 0); }
  block::Value EncodeEntry(const Record& r) const { return block::Value::array({r.key, r.value}); }
  Result<Record> DecodeEntry(const block::Value& v) const {
    if (!v.is_array() || v.size() != 2) return Status::InvalidArgument("expected [key, value]");
    OPTIMYSTIC_ASSIGN_OR_RETURN(int64_t key, ScalarFromValue<int64_t>(v[0]));
    OPTIMYSTIC_ASSIGN_OR_RETURN(int64_t value, ScalarFromValue<int64_t>(v[1]));
    return Record{key, value};
  }
  block::Value EncodeKey(int64_t k) const { return k; }
  Result<int64_t> DecodeKey(const block::Value& v) const { return ScalarFromValue<int64_t>(v); }
  Result<int64_t> KeyOfEncoded(const block::Value& v) const {
    if (!v.is_array() || v.empty()) return Status::InvalidArgument("expected [key, value]");
    return ScalarFromValue<int64_t>(v[0]);
  }
};

using IntTraits = KeysetTraits<int64_t>;

// The text form of the subtree `id` (integer keys; records show their key).
inline std::string DumpNode(block::BlockStore& store, const block::BlockId& id) {
  Result<block::Value> node = block::GetBlock(store, id);
  if (!node.has_value()) return "<missing " + id + ">";
  auto key_text = [](const block::Value& v) {
    return v.is_array() && !v.empty() ? v[0].dump() : v.dump();
  };
  std::string out;
  if (IsLeaf(*node)) {
    out = "(";
    for (const block::Value& entry : Entries(*node)) {
      out += (out.size() > 1 ? " " : "") + key_text(entry);
    }
    return out + ")";
  }
  out = "[";
  for (size_t i = 0; i < Nodes(*node).size(); ++i) {
    if (i > 0) out += " " + Partitions(*node)[i - 1].dump() + " ";
    out += DumpNode(store, ChildId(*node, i));
  }
  return out + "]";
}

template <class T>
std::string Dump(BTree<T>& tree) {
  Result<block::BlockId> root = tree.trunk().GetRootId();
  return root.has_value() ? DumpNode(tree.store(), *root) : root.error().ToString();
}

// Parses the text form and inserts its nodes into `store` (keysets of integers); returns the id
// of the node parsed.
inline Result<block::BlockId> BuildNode(block::BlockStore& store, std::string_view& text) {
  auto skip = [&] {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  };
  auto number = [&]() -> int64_t {
    size_t n = 0;
    while (n < text.size() && (std::isdigit(static_cast<unsigned char>(text[n])) || text[n] == '-'))
      ++n;
    int64_t value = std::stoll(std::string(text.substr(0, n)));
    text.remove_prefix(n);
    return value;
  };
  skip();
  const char open = text.front();
  text.remove_prefix(1);
  block::Value keys = block::Value::array();
  block::Value children = block::Value::array();
  for (skip(); text.front() != ')' && text.front() != ']'; skip()) {
    if (text.front() == '(' || text.front() == '[') {
      OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockId child, BuildNode(store, text));
      children.push_back(child);
    } else {
      keys.push_back(number());
    }
  }
  text.remove_prefix(1);
  Result<block::Value> node = open == '(' ? NewLeaf(store, std::move(keys))
                                          : NewBranch(store, std::move(keys), std::move(children));
  OPTIMYSTIC_RETURN_IF_ERROR(node.status());
  OPTIMYSTIC_RETURN_IF_ERROR(store.Insert(*node));
  return NodeId(*node);
}

// Builds the tree `text` with an IndependentTrunk "trunk" and opens it (atomic mutations).
inline Result<BTree<IntTraits>> BuildTree(block::BlockStore& store, std::string_view text,
                                          size_t capacity) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockId root, BuildNode(store, text));
  OPTIMYSTIC_RETURN_IF_ERROR(IndependentTrunk::Create(store, root, "trunk").status());
  return BTree<IntTraits>::Open(store, IndependentTrunk::Opener("trunk"), IntTraits(),
                                BTreeOptions{capacity});
}

// Everything a cursor yields, decoded.
template <class T>
Result<std::vector<typename T::Entry>> Collect(Result<Cursor<T>> cursor) {
  OPTIMYSTIC_RETURN_IF_ERROR(cursor.status());
  std::vector<typename T::Entry> out;
  while (cursor->on()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(typename T::Entry entry, cursor->entry());
    out.push_back(std::move(entry));
    OPTIMYSTIC_RETURN_IF_ERROR(cursor->Next());
  }
  return out;
}

}  // namespace optimystic::btree::test
