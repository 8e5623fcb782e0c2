// SPDX-License-Identifier: Apache-2.0
#include <optimystic/btree/trunk.h>

#include "support/memory_block_store.h"

#include <gtest/gtest.h>

namespace optimystic::btree {
namespace {

using block::Value;

TEST(IndependentTrunk, CreateInsertsATrBlockHoldingTheRootId) {
  test::MemoryBlockStore store;
  auto trunk = IndependentTrunk::Create(store, "root-1", std::string("tree"));
  ASSERT_TRUE(trunk.has_value()) << trunk.status().ToString();
  EXPECT_EQ((*trunk)->block_id(), "tree");
  auto block = block::GetBlock(store, "tree");
  ASSERT_TRUE(block.has_value());
  EXPECT_EQ((*block)["header"]["type"], "TR");
  EXPECT_EQ((*block)["rootId"], "root-1");
  EXPECT_EQ((*trunk)->GetRootId().value(), "root-1");
}

TEST(IndependentTrunk, SetRootIdRepointsAndDropRemovesTheBlock) {
  test::MemoryBlockStore store;
  auto trunk = IndependentTrunk::Create(store, "root-1");
  ASSERT_TRUE(trunk.has_value());
  ASSERT_TRUE((*trunk)->SetRootId("root-2").ok());
  EXPECT_EQ((*trunk)->GetRootId().value(), "root-2");
  IndependentTrunk reopened(store, (*trunk)->block_id());
  EXPECT_EQ(reopened.GetRootId().value(), "root-2");
  ASSERT_TRUE((*trunk)->Drop().ok());
  EXPECT_EQ(store.size(), 0u);
  auto missing = reopened.GetRootId();
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.error().message().find("Missing block"), std::string_view::npos);
}

TEST(IndependentTrunk, FactoryAndOpenerBindToTheGivenStore) {
  test::MemoryBlockStore store;
  auto made = IndependentTrunk::Factory()(store, "root-1", std::string("t"));
  ASSERT_TRUE(made.has_value());
  auto opened = IndependentTrunk::Opener("t")(store);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ((*opened)->GetRootId().value(), "root-1");
}

TEST(CollectionTrunk, UsesTheHeaderBlocksRootId) {
  test::MemoryBlockStore store;
  Value header = block::MakeBlock(block::BlockHeader{"users", "TRE", "users"});
  header["rootId"] = "leaf-1";
  header["tailId"] = "log-9";
  ASSERT_TRUE(store.Insert(header).ok());
  CollectionTrunk trunk(store, "users");
  EXPECT_EQ(trunk.block_id(), "users");
  EXPECT_EQ(trunk.GetRootId().value(), "leaf-1");
  ASSERT_TRUE(trunk.SetRootId("branch-2").ok());
  auto after = block::GetBlock(store, "users");
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ((*after)["rootId"], "branch-2");
  EXPECT_EQ((*after)["tailId"], "log-9");
}

TEST(CollectionTrunk, AHeaderWithoutRootIdIsCorruption) {
  test::MemoryBlockStore store;
  ASSERT_TRUE(store.Insert(block::MakeBlock(block::BlockHeader{"users", "TRE", "users"})).ok());
  CollectionTrunk trunk(store, "users");
  EXPECT_EQ(trunk.GetRootId().status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace optimystic::btree
