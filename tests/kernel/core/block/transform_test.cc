// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/block_store.h>
#include <optimystic/block/transform.h>

#include "kernel/core/block/block_test_util.h"

#include <gtest/gtest.h>

namespace optimystic::block {
namespace {

using test::TestBlock;

BlockOperation Set(const std::string& entity, int value) {
  return BlockOperation::Assign(entity, value);
}

TEST(Transform, BlockIdsAreTheSortedDistinctUnion) {
  Transforms t;
  t.inserts["c"] = TestBlock("c");
  t.inserts["a"] = TestBlock("a");
  t.updates["b"] = {Set("x", 1)};
  t.updates["a"] = {Set("x", 1)};
  t.deletes = {"d", "b"};
  EXPECT_EQ(BlockIdsForTransforms(t), (std::vector<BlockId>{"a", "b", "c", "d"}));
  EXPECT_TRUE(BlockIdsForTransforms(Transforms{}).empty());
}

TEST(Transform, EmptinessLooksAtEveryMember) {
  EXPECT_TRUE(IsTransformsEmpty(Transforms{}));
  Transforms t;
  t.deletes = {"a"};
  EXPECT_FALSE(IsTransformsEmpty(t));
  Transforms u;
  u.updates["a"];  // an id with an empty op list still counts
  EXPECT_FALSE(IsTransformsEmpty(u));
  Transforms i;
  i.inserts["a"] = TestBlock("a");
  EXPECT_FALSE(IsTransformsEmpty(i));
}

TEST(Transform, MergeInsertsUnionWithBWinning) {
  Transforms a;
  a.inserts["x"] = TestBlock("x", {{"v", "a"}});
  a.inserts["y"] = TestBlock("y");
  Transforms b;
  b.inserts["x"] = TestBlock("x", {{"v", "b"}});
  b.inserts["z"] = TestBlock("z");
  Transforms merged = MergeTransforms(a, b);
  ASSERT_EQ(merged.inserts.size(), 3u);
  EXPECT_EQ(merged.inserts["x"]["v"], "b");  // the known data-loss quirk, kept
}

TEST(Transform, MergeConcatenatesOpListsAThenB) {
  Transforms a;
  a.updates["x"] = {Set("p", 1), Set("q", 2)};
  a.updates["only-a"] = {Set("p", 1)};
  Transforms b;
  b.updates["x"] = {Set("p", 3)};
  b.updates["only-b"] = {Set("p", 4)};
  Transforms merged = MergeTransforms(a, b);
  EXPECT_EQ(merged.updates["x"], (BlockOperations{Set("p", 1), Set("q", 2), Set("p", 3)}));
  EXPECT_EQ(merged.updates["only-a"], a.updates["only-a"]);
  EXPECT_EQ(merged.updates["only-b"], b.updates["only-b"]);
}

TEST(Transform, MergeDeduplicatesDeletesKeepingOrder) {
  Transforms a;
  a.deletes = {"c", "a", "c"};
  Transforms b;
  b.deletes = {"b", "a", "d"};
  EXPECT_EQ(MergeTransforms(a, b).deletes, (std::vector<BlockId>{"c", "a", "b", "d"}));
}

TEST(Transform, MergeResultSharesNothingWithItsInputs) {
  Transforms a;
  a.inserts["x"] = TestBlock("x", {{"entries", {1}}});
  a.updates["y"] = {BlockOperation::Splice("entries", 0, 0, {1})};
  Transforms b;
  b.updates["y"] = {Set("p", 1)};
  const Transforms a_before = a;
  const Transforms b_before = b;
  Transforms merged = MergeTransforms(a, b);
  merged.inserts["x"]["entries"].push_back(2);
  (*merged.updates["y"][0].inserted).push_back(2);
  merged.updates["y"].push_back(Set("q", 1));
  EXPECT_EQ(a, a_before);
  EXPECT_EQ(b, b_before);
}

TEST(Transform, ConcatIsALeftFoldOfMerge) {
  Transforms a;
  a.updates["x"] = {Set("p", 1)};
  a.deletes = {"d"};
  Transforms b;
  b.updates["x"] = {Set("p", 2)};
  b.inserts["y"] = TestBlock("y", {{"v", 1}});
  Transforms c;
  c.updates["x"] = {Set("p", 3)};
  c.inserts["y"] = TestBlock("y", {{"v", 2}});
  c.deletes = {"d", "e"};
  Transforms all = ConcatTransforms({a, b, c});
  EXPECT_EQ(all, MergeTransforms(MergeTransforms(a, b), c));
  EXPECT_EQ(all.updates["x"], (BlockOperations{Set("p", 1), Set("p", 2), Set("p", 3)}));
  EXPECT_EQ(all.inserts["y"]["v"], 2);
  EXPECT_EQ(all.deletes, (std::vector<BlockId>{"d", "e"}));
  EXPECT_EQ(ConcatTransforms({}), Transforms{});
}

TEST(Transform, ConcatTransformAddsOneBlocksTransform) {
  Transforms ts;
  ts.updates["x"] = {Set("p", 1)};
  Transform t;
  t.updates = {Set("p", 2)};
  Transforms out = ConcatTransform(ts, "x", t);
  EXPECT_EQ(out.updates["x"], (BlockOperations{Set("p", 1), Set("p", 2)}));
  EXPECT_EQ(ts.updates["x"].size(), 1u);  // the input is not changed
  Transform del;
  del.remove = true;
  EXPECT_EQ(ConcatTransform(out, "y", del).deletes, (std::vector<BlockId>{"y"}));
}

TEST(Transform, ForBlockIdPicksOneBlocksPartAsACopy) {
  Transforms ts;
  ts.inserts["x"] = TestBlock("x");
  ts.updates["x"] = {Set("p", 1)};
  ts.updates["y"] = {Set("p", 2)};
  ts.deletes = {"z"};
  const Transforms before = ts;
  Transform x = TransformForBlockId(ts, "x");
  ASSERT_TRUE(x.insert.has_value());
  EXPECT_EQ(x.updates, (BlockOperations{Set("p", 1)}));
  EXPECT_FALSE(x.remove);
  x.updates.push_back(Set("q", 1));
  (*x.insert)["extra"] = 1;
  EXPECT_EQ(ts, before);
  EXPECT_TRUE(TransformForBlockId(ts, "z").remove);
  EXPECT_EQ(TransformForBlockId(ts, "none"), Transform{});
}

TEST(Transform, FromTransformIsTheInverse) {
  Transform t;
  t.insert = TestBlock("x");
  t.updates = {Set("p", 1)};
  t.remove = true;
  Transforms ts = TransformsFromTransform(t, "x");
  EXPECT_EQ(ts.inserts.count("x"), 1u);
  EXPECT_EQ(ts.updates["x"], t.updates);
  EXPECT_EQ(ts.deletes, (std::vector<BlockId>{"x"}));
  EXPECT_EQ(TransformForBlockId(ts, "x"), t);
  EXPECT_TRUE(IsTransformsEmpty(TransformsFromTransform(Transform{}, "x")));
}

TEST(Transform, ApplyStartsFromTheInsertThenUpdates) {
  Transform t;
  t.insert = TestBlock("x", {{"entries", Value::array()}});
  t.updates = {BlockOperation::Splice("entries", 0, 0, {1, 2})};
  auto out = ApplyTransform(TestBlock("x", {{"old", true}}), t);
  ASSERT_TRUE(out.has_value());
  ASSERT_TRUE(out->has_value());
  EXPECT_EQ((**out)["entries"], Value({1, 2}));
  EXPECT_FALSE((**out).contains("old"));
}

TEST(Transform, ApplyUpdatesAnExistingBlock) {
  Transform t;
  t.updates = {Set("p", 1), Set("q", 2)};
  const Value block = TestBlock("x");
  auto out = ApplyTransform(block, t);
  ASSERT_TRUE(out.has_value() && out->has_value());
  EXPECT_EQ((**out)["p"], 1);
  EXPECT_EQ((**out)["q"], 2);
  EXPECT_FALSE(block.contains("p"));
}

TEST(Transform, ApplyDropsUpdatesOverAnAbsentBlock) {
  Transform t;
  t.updates = {Set("p", 1)};
  auto out = ApplyTransform(std::nullopt, t);
  ASSERT_TRUE(out.has_value());
  EXPECT_FALSE(out->has_value());
}

TEST(Transform, ApplyDeleteWins) {
  Transform t;
  t.insert = TestBlock("x");
  t.updates = {Set("p", 1)};
  t.remove = true;
  auto out = ApplyTransform(TestBlock("x"), t);
  ASSERT_TRUE(out.has_value());
  EXPECT_FALSE(out->has_value());
}

TEST(Transform, ApplyEmptyTransformKeepsTheBlock) {
  auto out = ApplyTransform(TestBlock("x"), Transform{});
  ASSERT_TRUE(out.has_value() && out->has_value());
  EXPECT_EQ(**out, TestBlock("x"));
  auto none = ApplyTransform(std::nullopt, Transform{});
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
}

TEST(Transform, ApplyNamesTheBlockOfAFailingOperation) {
  Transform t;
  t.updates = {BlockOperation::Splice("missing", 0, 0, {1})};
  auto out = ApplyTransform(TestBlock("blk-7"), t);
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.error().message().find("blk-7"), std::string_view::npos);
  EXPECT_NE(out.error().message().find("missing"), std::string_view::npos);
}

TEST(Transform, ApplyToStoreWritesDeletesThenInsertsThenUpdates) {
  test::LoggingBlockStore store;
  ASSERT_TRUE(store.inner().Insert(TestBlock("u")).ok());
  ASSERT_TRUE(store.inner().Insert(TestBlock("d")).ok());
  Transforms t;
  t.updates["u"] = {Set("p", 1), Set("q", 2)};
  t.inserts["i"] = TestBlock("i");
  t.deletes = {"d"};
  ASSERT_TRUE(ApplyTransformsToStore(t, store).ok());
  EXPECT_EQ(store.log(),
            (std::vector<std::string>{"delete d", "insert i", "update u", "update u"}));
  EXPECT_FALSE(store.inner().Contains("d"));
  EXPECT_TRUE(store.inner().Contains("i"));
  auto u = GetBlock(store, "u");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ((*u)["q"], 2);
}

TEST(Transform, ApplyToStoreNamesTheFailingBlock) {
  test::MemoryBlockStore store;
  Transforms t;
  t.updates["ghost"] = {Set("p", 1)};
  Status status = ApplyTransformsToStore(t, store);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find("ghost"), std::string_view::npos);
}

}  // namespace
}  // namespace optimystic::block
