// SPDX-License-Identifier: Apache-2.0
#include <optimystic/btree/node.h>

#include "support/memory_block_store.h"

#include <gtest/gtest.h>

namespace optimystic::btree {
namespace {

using block::Value;

Value Node(const char* type) { return block::MakeBlock(block::BlockHeader{"n1", type, "c"}); }

TEST(TreeNode, NewLeafAndBranchAreWellFormed) {
  test::MemoryBlockStore store;
  auto leaf = NewLeaf(store, Value::array({1, 2}));
  ASSERT_TRUE(leaf.has_value());
  EXPECT_EQ((*leaf)["header"]["type"], "TL");
  EXPECT_EQ(CheckNode(*leaf).value(), NodeKind::kLeaf);
  EXPECT_TRUE(IsLeaf(*leaf));
  EXPECT_EQ(Entries(*leaf), Value::array({1, 2}));
  EXPECT_EQ(Fill(*leaf), 2u);
  auto branch = NewBranch(store, Value::array({5}), Value::array({"a", "b"}));
  ASSERT_TRUE(branch.has_value());
  EXPECT_EQ((*branch)["header"]["type"], "TB");
  EXPECT_EQ(CheckNode(*branch).value(), NodeKind::kBranch);
  EXPECT_FALSE(IsLeaf(*branch));
  EXPECT_EQ(ChildId(*branch, 1), "b");
  EXPECT_EQ(Fill(*branch), 2u);
  EXPECT_NE(NodeId(*leaf), NodeId(*branch));
}

TEST(TreeNode, CheckNodeRejectsMalformedNodes) {
  auto corrupt = [](const Value& node) {
    return CheckNode(node).status().code() == StatusCode::kCorruption;
  };
  EXPECT_TRUE(corrupt(Value::object()));  // no header
  EXPECT_TRUE(corrupt(Node("TL")));       // no entries
  Value leaf = Node("TL");
  leaf["entries"] = Value::object();
  EXPECT_TRUE(corrupt(leaf));
  Value other = Node("CHD");
  other["entries"] = Value::array();
  EXPECT_TRUE(corrupt(other));  // not a tree node type
  Value branch = Node("TB");
  branch["partitions"] = Value::array({1});
  EXPECT_TRUE(corrupt(branch));  // no nodes
  branch["nodes"] = Value::array({"a"});
  EXPECT_TRUE(corrupt(branch));  // one child too few
  branch["nodes"] = Value::array({"a", 7});
  EXPECT_TRUE(corrupt(branch));  // a child that is not an id
  branch["nodes"] = Value::array({"a", ""});
  EXPECT_TRUE(corrupt(branch));
  branch["nodes"] = Value::array({"a", "b"});
  EXPECT_FALSE(corrupt(branch));
  auto status = CheckNode(Node("TL")).status();
  EXPECT_NE(status.message().find("n1"), std::string_view::npos) << status.ToString();
}

}  // namespace
}  // namespace optimystic::btree
