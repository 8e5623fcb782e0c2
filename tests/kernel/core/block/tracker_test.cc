// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/tracker.h>

#include "kernel/core/block/block_test_util.h"

#include <gtest/gtest.h>

namespace optimystic::block {
namespace {

using test::TestBlock;

class TrackerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(source_.Insert(TestBlock("s", {{"entries", {1, 2}}, {"v", 0}})).ok());
  }
  std::optional<Value> Read(const BlockId& id) {
    auto r = tracker_.TryGet(id, ReadPurpose::kValue);
    EXPECT_TRUE(r.has_value()) << r.status().ToString();
    return r.has_value() ? *r : std::nullopt;
  }

  test::MemoryBlockStore source_;
  Tracker tracker_{source_};
};

TEST_F(TrackerTest, ReadsSeeTheSource) {
  auto s = Read("s");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ((*s)["v"], 0);
  EXPECT_FALSE(Read("none").has_value());
  EXPECT_TRUE(IsTransformsEmpty(tracker_.transforms()));
}

TEST_F(TrackerTest, SharedReadsShareUntouchedBlocksAndOverlayChangedOnes) {
  BlockRef source_block = *GetBlockRef(source_, "s");
  auto untouched = tracker_.TryGetRef("s", ReadPurpose::kValue);
  ASSERT_TRUE(untouched.has_value());
  EXPECT_EQ(*untouched, source_block);  // no change tracked: the source's own block
  ASSERT_TRUE(tracker_.Update("s", BlockOperation::Assign("v", 7)).ok());
  auto changed = tracker_.TryGetRef("s", ReadPurpose::kValue);
  ASSERT_TRUE(changed.has_value());
  EXPECT_EQ((**changed)["v"], 7);
  EXPECT_EQ((*source_block)["v"], 0);
  ASSERT_TRUE(tracker_.Insert(TestBlock("n", {{"v", 1}})).ok());
  EXPECT_EQ((**tracker_.TryGetRef("n", ReadPurpose::kValue))["v"], 1);
  ASSERT_TRUE(tracker_.Delete("s").ok());
  auto deleted = tracker_.TryGetRef("s", ReadPurpose::kValue);
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(*deleted, nullptr);
}

TEST_F(TrackerTest, ASharedReadOfAnInsertedBlockIsNotChangedByLaterUpdates) {
  ASSERT_TRUE(tracker_.Insert(TestBlock("n", {{"v", 1}})).ok());
  BlockRef held = *GetBlockRef(tracker_, "n");
  ASSERT_TRUE(tracker_.Update("n", BlockOperation::Assign("v", 2)).ok());
  EXPECT_EQ((*held)["v"], 1);
  EXPECT_EQ((**GetBlockRef(tracker_, "n"))["v"], 2);
}

TEST_F(TrackerTest, InsertIsVisibleButNeverReachesTheSource) {
  ASSERT_TRUE(tracker_.Insert(TestBlock("n", {{"v", 1}})).ok());
  auto n = Read("n");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ((*n)["v"], 1);
  EXPECT_FALSE(source_.Contains("n"));
  EXPECT_EQ(tracker_.transforms().inserts.count("n"), 1u);
}

TEST_F(TrackerTest, InsertRequiresAHeader) {
  EXPECT_EQ(tracker_.Insert(Value{{"v", 1}}).code(), StatusCode::kInvalidArgument);
}

TEST_F(TrackerTest, UpdatesAreRecordedAndReplayedOverTheSource) {
  ASSERT_TRUE(tracker_.Update("s", BlockOperation::Splice("entries", 2, 0, {3})).ok());
  ASSERT_TRUE(tracker_.Update("s", BlockOperation::Assign("v", 5)).ok());
  auto s = Read("s");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ((*s)["entries"], Value({1, 2, 3}));
  EXPECT_EQ((*s)["v"], 5);
  EXPECT_EQ(tracker_.transforms().updates.at("s").size(), 2u);
  auto original = GetBlock(source_, "s");
  ASSERT_TRUE(original.has_value());
  EXPECT_EQ((*original)["v"], 0);
}

TEST_F(TrackerTest, UpdateIntoAnInsertChangesTheInsertedBlock) {
  ASSERT_TRUE(tracker_.Insert(TestBlock("n", {{"entries", Value::array()}})).ok());
  ASSERT_TRUE(tracker_.Update("n", BlockOperation::Splice("entries", 0, 0, {7})).ok());
  EXPECT_EQ(tracker_.transforms().updates.count("n"), 0u);
  EXPECT_EQ(tracker_.transforms().inserts.at("n")["entries"], Value({7}));
  auto n = Read("n");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ((*n)["entries"], Value({7}));
}

TEST_F(TrackerTest, FailedUpdateIntoAnInsertChangesNothing) {
  ASSERT_TRUE(tracker_.Insert(TestBlock("n")).ok());
  const Transforms before = tracker_.transforms();
  EXPECT_EQ(tracker_.Update("n", BlockOperation::Splice("entries", 0, 0, {7})).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(tracker_.transforms(), before);
}

TEST_F(TrackerTest, DeleteHidesTheBlockAndDropsItsInsertAndUpdates) {
  ASSERT_TRUE(tracker_.Update("s", BlockOperation::Assign("v", 5)).ok());
  ASSERT_TRUE(tracker_.Delete("s").ok());
  EXPECT_FALSE(Read("s").has_value());
  EXPECT_EQ(tracker_.transforms().updates.count("s"), 0u);
  ASSERT_TRUE(tracker_.Insert(TestBlock("n")).ok());
  ASSERT_TRUE(tracker_.Delete("n").ok());
  EXPECT_EQ(tracker_.transforms().inserts.count("n"), 0u);
  EXPECT_EQ(tracker_.transforms().deletes, (std::vector<BlockId>{"s", "n"}));
  EXPECT_TRUE(source_.Contains("s"));
}

TEST_F(TrackerTest, DeleteThenReinsertReadsTheNewBlock) {
  ASSERT_TRUE(tracker_.Delete("s").ok());
  ASSERT_TRUE(tracker_.Insert(TestBlock("s", {{"v", 9}})).ok());
  auto s = Read("s");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ((*s)["v"], 9);  // not shadowed by the source (SPEC.md §10.4)
  EXPECT_FALSE((*s).contains("entries"));
  EXPECT_TRUE(tracker_.transforms().deletes.empty());
}

TEST_F(TrackerTest, DoubleDeleteThenReinsertLeavesNoStaleDelete) {
  ASSERT_TRUE(tracker_.Delete("s").ok());
  ASSERT_TRUE(tracker_.Delete("s").ok());
  EXPECT_EQ(tracker_.transforms().deletes, (std::vector<BlockId>{"s"}));
  ASSERT_TRUE(tracker_.Insert(TestBlock("s")).ok());
  EXPECT_TRUE(tracker_.transforms().deletes.empty());
  auto t = TransformForBlockId(tracker_.transforms(), "s");
  EXPECT_FALSE(t.remove);
}

TEST_F(TrackerTest, InsertOverRecordedUpdatesReplacesThem) {
  ASSERT_TRUE(tracker_.Update("s", BlockOperation::Assign("v", 5)).ok());
  ASSERT_TRUE(tracker_.Insert(TestBlock("s", {{"w", 1}})).ok());
  EXPECT_EQ(tracker_.transforms().updates.count("s"), 0u);
  auto read = Read("s");
  ASSERT_TRUE(read.has_value());
  auto applied = ApplyTransform(std::nullopt, TransformForBlockId(tracker_.transforms(), "s"));
  ASSERT_TRUE(applied.has_value());
  EXPECT_EQ(*applied, read);  // what reads show is what the transform writes
}

TEST_F(TrackerTest, UpdateOfADeletedBlockIsMissing) {
  ASSERT_TRUE(tracker_.Delete("s").ok());
  Status status = tracker_.Update("s", BlockOperation::Assign("v", 1));
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "Missing block (s)");
}

TEST_F(TrackerTest, ReadsAndInsertsAreCopies) {
  Value block = TestBlock("n", {{"v", 1}});
  ASSERT_TRUE(tracker_.Insert(block).ok());
  block["v"] = 2;
  auto n = Read("n");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ((*n)["v"], 1);
  (*n)["v"] = 3;
  EXPECT_EQ((*Read("n"))["v"], 1);
}

TEST_F(TrackerTest, ResetReturnsTheOldTransformsAndInstallsTheNew) {
  ASSERT_TRUE(tracker_.Update("s", BlockOperation::Assign("v", 5)).ok());
  Transforms next;
  next.deletes = {"s"};
  Transforms old = tracker_.Reset(next);
  EXPECT_EQ(old.updates.count("s"), 1u);
  EXPECT_EQ(tracker_.transforms(), next);
  EXPECT_FALSE(Read("s").has_value());
  tracker_.Reset();
  EXPECT_TRUE(IsTransformsEmpty(tracker_.transforms()));
  EXPECT_EQ((*Read("s"))["v"], 0);
}

TEST_F(TrackerTest, TransformedIdsAndConflicts) {
  ASSERT_TRUE(tracker_.Insert(TestBlock("c")).ok());
  ASSERT_TRUE(tracker_.Update("s", BlockOperation::Assign("v", 5)).ok());
  ASSERT_TRUE(tracker_.Delete("a").ok());
  EXPECT_EQ(tracker_.TransformedBlockIds(), (std::vector<BlockId>{"a", "c", "s"}));
  EXPECT_EQ(tracker_.Conflicts({"s", "a", "zz"}), (std::vector<BlockId>{"a", "s"}));
  EXPECT_TRUE(tracker_.Conflicts({"zz"}).empty());
}

TEST_F(TrackerTest, HeadersAndIdsComeFromTheSource) {
  auto id = tracker_.GenerateId();
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(*id, "block-1");
  auto header = tracker_.CreateBlockHeader("TL", std::nullopt);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->id, "block-2");
  EXPECT_EQ(header->collection_id, "test");
}

}  // namespace
}  // namespace optimystic::block
