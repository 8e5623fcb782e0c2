// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/cache_source.h>

#include "kernel/core/block/block_test_util.h"

#include <gtest/gtest.h>

#include <map>

namespace optimystic::block {
namespace {

using test::TestBlock;

// A source that reports each block's revision to the cache while loading it, as a collection's
// source does.
class RevisionedSource final : public BlockSource {
 public:
  explicit RevisionedSource(test::MemoryBlockStore& store) : store_(store) {}
  Result<BlockHeader> CreateBlockHeader(const BlockType& type,
                                        const std::optional<BlockId>& new_id) override {
    return store_.CreateBlockHeader(type, new_id);
  }
  Result<std::optional<Value>> TryGet(const BlockId& id, ReadPurpose purpose) override {
    if (cache_ != nullptr) {
      if (auto it = revs_.find(id); it != revs_.end()) {
        cache_->NoteRevision(id, it->second);
      }
    }
    return store_.TryGet(id, purpose);
  }
  Result<BlockId> GenerateId() override { return store_.GenerateId(); }

  CacheSource* cache_ = nullptr;
  std::map<BlockId, uint64_t> revs_;

 private:
  test::MemoryBlockStore& store_;
};

class CacheSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* id : {"a", "b", "c", "d"}) {
      ASSERT_TRUE(store_.Insert(TestBlock(id, {{"v", 0}})).ok());
    }
  }
  std::optional<Value> Read(CacheSource& cache, const BlockId& id) {
    auto r = cache.TryGet(id, ReadPurpose::kValue);
    EXPECT_TRUE(r.has_value());
    return r.has_value() ? *r : std::nullopt;
  }

  test::MemoryBlockStore store_;
};

TEST_F(CacheSourceTest, HitsAreServedFromTheCacheAsCopies) {
  CacheSource cache(store_);
  EXPECT_EQ(cache.capacity(), 128u);
  auto first = Read(cache, "a");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(store_.reads(), 1u);
  (*first)["v"] = 99;
  auto second = Read(cache, "a");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ((*second)["v"], 0);
  EXPECT_EQ(store_.reads(), 1u);
}

TEST_F(CacheSourceTest, SharedHitsAreTheCachedBlockAndFoldsReplaceIt) {
  CacheSource cache(store_);
  auto first = cache.TryGetRef("a", ReadPurpose::kValue);
  ASSERT_TRUE(first.has_value() && *first != nullptr);
  auto again = cache.TryGetRef("a", ReadPurpose::kValue);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, *first);  // a hit shares the cached block
  EXPECT_EQ(store_.reads(), 1u);
  Transforms t;
  t.updates["a"].push_back(BlockOperation::Assign("v", 5));
  cache.TransformCache(t, 2);
  EXPECT_EQ((**first)["v"], 0);  // the block a reader holds never changes
  auto folded = cache.TryGetRef("a", ReadPurpose::kValue);
  ASSERT_TRUE(folded.has_value());
  EXPECT_EQ((**folded)["v"], 5);
  EXPECT_EQ(store_.reads(), 1u);
  auto absent = cache.TryGetRef("none", ReadPurpose::kValue);
  ASSERT_TRUE(absent.has_value());
  EXPECT_EQ(*absent, nullptr);
  EXPECT_FALSE(cache.Contains("none"));
}

TEST_F(CacheSourceTest, AbsentBlocksAreNeverCached) {
  CacheSource cache(store_);
  EXPECT_FALSE(Read(cache, "zz").has_value());
  EXPECT_FALSE(Read(cache, "zz").has_value());
  EXPECT_EQ(store_.reads(), 2u);
  EXPECT_FALSE(cache.Contains("zz"));
}

TEST_F(CacheSourceTest, EvictsTheLeastRecentlyUsedAtCapacity) {
  CacheSource cache(store_, 3);
  Read(cache, "a");
  Read(cache, "b");
  Read(cache, "c");
  Read(cache, "a");  // a is now the most recent; b the least
  Read(cache, "d");
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_TRUE(cache.Contains("a"));
  EXPECT_FALSE(cache.Contains("b"));
  EXPECT_TRUE(cache.Contains("c"));
  EXPECT_TRUE(cache.Contains("d"));
  const size_t reads = store_.reads();
  Read(cache, "b");
  EXPECT_EQ(store_.reads(), reads + 1);
}

TEST_F(CacheSourceTest, ClearDropsGivenIdsOrAll) {
  CacheSource cache(store_);
  Read(cache, "a");
  Read(cache, "b");
  cache.Clear({"a", "zz"});
  EXPECT_FALSE(cache.Contains("a"));
  EXPECT_TRUE(cache.Contains("b"));
  cache.ClearAll();
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(CacheSourceTest, TransformCacheFoldsDeletesInsertsAndCachedUpdatesOnly) {
  CacheSource cache(store_);
  Read(cache, "a");
  Read(cache, "b");
  Transforms t;
  t.deletes = {"b"};
  t.inserts["n"] = TestBlock("n", {{"v", 1}});
  t.updates["a"] = {BlockOperation::Assign("v", 2)};
  t.updates["c"] = {BlockOperation::Assign("v", 3)};  // not cached: ignored
  t.updates["n"] = {BlockOperation::Assign("w", 4)};  // inserted, then updated
  cache.TransformCache(t, 7);
  EXPECT_FALSE(cache.Contains("b"));
  EXPECT_FALSE(cache.Contains("c"));
  const size_t reads = store_.reads();
  EXPECT_EQ((*Read(cache, "a"))["v"], 2);
  auto n = Read(cache, "n");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ((*n)["v"], 1);
  EXPECT_EQ((*n)["w"], 4);
  EXPECT_EQ(store_.reads(), reads);        // both served from the cache
  EXPECT_EQ((*Read(cache, "c"))["v"], 0);  // loaded from the (unchanged) source
}

TEST_F(CacheSourceTest, TransformCacheCopiesInsertedBlocks) {
  CacheSource cache(store_);
  Transforms t;
  t.inserts["n"] = TestBlock("n", {{"v", 1}});
  cache.TransformCache(t, 1);
  t.inserts["n"]["v"] = 2;
  EXPECT_EQ((*Read(cache, "n"))["v"], 1);
}

TEST_F(CacheSourceTest, FailingFoldDropsTheCachedCopy) {
  CacheSource cache(store_);
  Read(cache, "a");
  Transforms t;
  t.updates["a"] = {BlockOperation::Splice("missing", 0, 0, {1})};
  cache.TransformCache(t, 2);
  EXPECT_FALSE(cache.Contains("a"));
}

TEST_F(CacheSourceTest, RevisionsAreNotedOnLoadAndAdvancedByFolds) {
  RevisionedSource source(store_);
  CacheSource cache(source);
  source.cache_ = &cache;
  source.revs_ = {{"a", 3}, {"b", 5}, {"zz", 9}};
  Read(cache, "a");
  Read(cache, "b");
  EXPECT_EQ(cache.RevisionOf("a"), 3u);
  EXPECT_EQ(cache.RevisionOf("b"), 5u);
  Read(cache, "a");  // a hit still knows the revision
  EXPECT_EQ(cache.RevisionOf("a"), 3u);
  EXPECT_FALSE(Read(cache, "zz").has_value());
  EXPECT_EQ(cache.RevisionOf("zz"), std::nullopt);  // absent: no revision
  Transforms t;
  t.updates["a"] = {BlockOperation::Assign("v", 1)};
  t.updates["c"] = {BlockOperation::Assign("v", 1)};
  t.inserts["n"] = TestBlock("n");
  cache.TransformCache(t, 6);
  EXPECT_EQ(cache.RevisionOf("a"), 6u);
  EXPECT_EQ(cache.RevisionOf("n"), 6u);
  EXPECT_EQ(cache.RevisionOf("b"), 5u);
  EXPECT_EQ(cache.RevisionOf("c"), std::nullopt);
  cache.Clear({"a"});
  EXPECT_EQ(cache.RevisionOf("a"), std::nullopt);
}

TEST_F(CacheSourceTest, EvictionForgetsTheRevision) {
  RevisionedSource source(store_);
  CacheSource cache(source, 1);
  source.cache_ = &cache;
  source.revs_ = {{"a", 3}, {"b", 4}};
  Read(cache, "a");
  Read(cache, "b");
  EXPECT_EQ(cache.RevisionOf("a"), std::nullopt);
  EXPECT_EQ(cache.RevisionOf("b"), 4u);
}

TEST_F(CacheSourceTest, GenerationChangesOnEveryContentChangeOnly) {
  CacheSource cache(store_);
  const uint64_t g0 = cache.Generation("a");
  Read(cache, "a");  // miss-load
  const uint64_t g1 = cache.Generation("a");
  EXPECT_GT(g1, g0);
  Read(cache, "a");  // hit
  Read(cache, "b");  // another id
  EXPECT_EQ(cache.Generation("a"), g1);
  Transforms t;
  t.updates["a"] = {BlockOperation::Assign("v", 1)};
  cache.TransformCache(t, 2);  // fold
  const uint64_t g2 = cache.Generation("a");
  EXPECT_GT(g2, g1);
  cache.Clear({"a"});  // clear
  const uint64_t g3 = cache.Generation("a");
  EXPECT_GT(g3, g2);
  Read(cache, "a");  // reload
  EXPECT_GT(cache.Generation("a"), g3);
}

TEST_F(CacheSourceTest, ForwardsHeadersAndIds) {
  CacheSource cache(store_);
  EXPECT_EQ(*cache.GenerateId(), "block-1");
  EXPECT_EQ(cache.CreateBlockHeader("TL", BlockId("x"))->id, "x");
}

}  // namespace
}  // namespace optimystic::block
