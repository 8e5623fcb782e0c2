// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/block_store.h>

#include "kernel/core/block/block_test_util.h"

#include <gtest/gtest.h>

namespace optimystic::block {
namespace {

using test::TestBlock;

TEST(BlockStore, GetBlockOfAMissingBlockIsNotFound) {
  test::MemoryBlockStore store;
  auto missing = GetBlock(store, "nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.error().message(), "Missing block (nope)");
  ASSERT_TRUE(store.Insert(TestBlock("yes")).ok());
  EXPECT_TRUE(GetBlock(store, "yes", ReadPurpose::kNavigation).has_value());
}

TEST(BlockStore, ApplyAndRecordKeepsCopyAndStoreTheSame) {
  test::MemoryBlockStore store;
  ASSERT_TRUE(store.Insert(TestBlock("b", {{"entries", {1}}})).ok());
  Value block = *GetBlock(store, "b");
  ASSERT_TRUE(ApplyAndRecord(store, block, BlockOperation::Splice("entries", 1, 0, {2})).ok());
  EXPECT_EQ(block["entries"], Value({1, 2}));
  EXPECT_EQ(*GetBlock(store, "b"), block);
  EXPECT_EQ(store.counts().updates, 1u);
}

TEST(BlockStore, ApplyAndRecordChangesNothingWhenTheOperationFails) {
  test::MemoryBlockStore store;
  ASSERT_TRUE(store.Insert(TestBlock("b")).ok());
  Value block = *GetBlock(store, "b");
  Status status = ApplyAndRecord(store, block, BlockOperation::Splice("entries", 0, 0, {1}));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("block b"), std::string_view::npos) << status.ToString();
  EXPECT_EQ(block, TestBlock("b"));
  EXPECT_EQ(store.counts().updates, 0u);
}

TEST(BlockStore, ApplyAndRecordLeavesTheCopyWhenTheStoreFails) {
  test::MemoryBlockStore store;  // "b" is not stored: Update fails
  Value block = TestBlock("b");
  Status status = ApplyAndRecord(store, block, BlockOperation::Assign("v", 1));
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_FALSE(block.contains("v"));
}

TEST(BlockStore, ApplyAndRecordNeedsAHeader) {
  test::MemoryBlockStore store;
  Value block = Value::object();
  EXPECT_EQ(ApplyAndRecord(store, block, BlockOperation::Assign("v", 1)).code(),
            StatusCode::kInvalidArgument);
}

TEST(MemoryBlockStore, CopiesOnInsertAndRead) {
  test::MemoryBlockStore store;
  Value block = TestBlock("b", {{"v", 1}});
  ASSERT_TRUE(store.Insert(block).ok());
  block["v"] = 2;
  Value read = *GetBlock(store, "b");
  EXPECT_EQ(read["v"], 1);
  read["v"] = 3;
  EXPECT_EQ((*GetBlock(store, "b"))["v"], 1);
}

TEST(MemoryBlockStore, SequentialIdsAndTestCollection) {
  test::MemoryBlockStore store;
  EXPECT_EQ(*store.GenerateId(), "block-1");
  auto header = store.CreateBlockHeader("TL", std::nullopt);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(*header, (BlockHeader{"block-2", "TL", "test"}));
  EXPECT_EQ(store.CreateBlockHeader("TRE", BlockId("users"))->id, "users");
}

TEST(MemoryBlockStore, UpdateOfMissingIsNotFoundAndDeleteOfMissingIsOk) {
  test::MemoryBlockStore store;
  EXPECT_EQ(store.Update("x", BlockOperation::Assign("v", 1)).code(), StatusCode::kNotFound);
  EXPECT_TRUE(store.Delete("x").ok());
}

}  // namespace
}  // namespace optimystic::block
