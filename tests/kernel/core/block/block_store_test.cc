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

// A source with only TryGet: TryGetRef falls back to wrapping a copy.
class CopyingSource final : public BlockSource {
 public:
  explicit CopyingSource(BlockSource& inner) : inner_(inner) {}
  Result<BlockHeader> CreateBlockHeader(const BlockType& type,
                                        const std::optional<BlockId>& new_id) override {
    return inner_.CreateBlockHeader(type, new_id);
  }
  Result<std::optional<Value>> TryGet(const BlockId& id, ReadPurpose purpose) override {
    ++reads;
    return inner_.TryGet(id, purpose);
  }
  Result<BlockId> GenerateId() override { return inner_.GenerateId(); }
  int reads = 0;

 private:
  BlockSource& inner_;
};

TEST(BlockStore, DefaultTryGetRefWrapsTryGet) {
  test::MemoryBlockStore store;
  ASSERT_TRUE(store.Insert(TestBlock("b", {{"v", 1}})).ok());
  CopyingSource source(store);
  auto ref = GetBlockRef(source, "b", ReadPurpose::kNavigation);
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ((**ref)["v"], 1);
  EXPECT_EQ(source.reads, 1);
  auto missing = GetBlockRef(source, "nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message(), "Missing block (nope)");
  auto absent = source.TryGetRef("nope", ReadPurpose::kValue);
  ASSERT_TRUE(absent.has_value());
  EXPECT_EQ(*absent, nullptr);
}

TEST(BlockStore, ApplyAndRecordOnASharedBlockReplacesItAndLeavesOtherHoldersAlone) {
  test::MemoryBlockStore store;
  ASSERT_TRUE(store.Insert(TestBlock("b", {{"entries", {1}}})).ok());
  BlockRef held = *GetBlockRef(store, "b");
  BlockRef mine = held;
  ASSERT_TRUE(ApplyAndRecord(store, mine, BlockOperation::Splice("entries", 1, 0, {2})).ok());
  EXPECT_NE(mine, held);
  EXPECT_EQ((*mine)["entries"], Value({1, 2}));
  EXPECT_EQ((*held)["entries"], Value({1}));  // what an earlier reader saw stays
  EXPECT_EQ(**GetBlockRef(store, "b"), *mine);
  // A failing operation changes neither the reference nor the store.
  BlockRef before = mine;
  EXPECT_FALSE(ApplyAndRecord(store, mine, BlockOperation::Splice("v", 0, 0, {1})).ok());
  EXPECT_EQ(mine, before);
  EXPECT_EQ(store.counts().updates, 1u);
}

TEST(MemoryBlockStore, SharedReadsNeverSeeLaterUpdates) {
  test::MemoryBlockStore store;
  ASSERT_TRUE(store.Insert(TestBlock("b", {{"v", 1}})).ok());
  BlockRef first = *GetBlockRef(store, "b");
  EXPECT_EQ(*GetBlockRef(store, "b"), first);  // no copy: the same block
  ASSERT_TRUE(store.Update("b", BlockOperation::Assign("v", 2)).ok());
  EXPECT_EQ((*first)["v"], 1);
  BlockRef second = *GetBlockRef(store, "b");
  EXPECT_EQ((*second)["v"], 2);
  // With no reader left, an update edits in place; readers still never see it change.
  second.reset();
  first.reset();
  ASSERT_TRUE(store.Update("b", BlockOperation::Assign("v", 3)).ok());
  EXPECT_EQ((**GetBlockRef(store, "b"))["v"], 3);
  // A failed in-place update leaves the block as it was.
  EXPECT_FALSE(store.Update("b", BlockOperation::Splice("v", 0, 0, {1})).ok());
  EXPECT_EQ((**GetBlockRef(store, "b"))["v"], 3);
  EXPECT_EQ(store.reads(), 5u);
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
