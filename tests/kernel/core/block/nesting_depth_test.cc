// SPDX-License-Identifier: Apache-2.0
// Nesting depth is counted as the decoder counts it: what measures 256 reads back, 257 does not.
#include <optimystic/block/block.h>
#include <optimystic/block/codec.h>

#include "core/block/nesting_depth.h"

#include <gtest/gtest.h>

namespace optimystic::block {
namespace {

// `depth` arrays, each holding the next; the innermost holds `leaf` when it is not null.
Value Nested(size_t depth, const Value& leaf = nullptr) {
  Value v = Value::array();
  if (!leaf.is_null()) {
    v.push_back(leaf);
  }
  for (size_t i = 1; i < depth; ++i) {
    Value outer = Value::array();
    outer.push_back(std::move(v));
    v = std::move(outer);
  }
  return v;
}

TEST(NestingDepth, CountsContainersOnTheDeepestPath) {
  EXPECT_EQ(NestingDepth(Value(7)), 0u);
  EXPECT_EQ(NestingDepth(Value::array()), 1u);
  EXPECT_EQ(NestingDepth(Value::object()), 1u);
  EXPECT_EQ(NestingDepth(Value::parse(R"({"a":[1,{"b":[]}],"c":2})")), 4u);
  EXPECT_EQ(NestingDepth(Nested(300, "x")), 300u);
}

TEST(NestingDepth, MatchesWhatTheDecoderReadsBack) {
  EXPECT_TRUE(DecodeValue(EncodeValue(Nested(256))).has_value());
  EXPECT_FALSE(DecodeValue(EncodeValue(Nested(257))).has_value());
}

TEST(NestingDepth, OfATransformIsTheDepthOfItsEncoding) {
  Value block = MakeBlock(BlockHeader{"b", "TL", "test"});
  block["deep"] = Nested(10);
  Transform insert;
  insert.insert = block;
  Transform updates;
  updates.updates = {BlockOperation::Assign("v", 1), BlockOperation::Clear("w"),
                     BlockOperation::Splice("log", 0, 0, Nested(5))};
  Transform remove;
  remove.remove = true;
  for (const Transform& t : {insert, updates, remove, Transform{}}) {
    EXPECT_EQ(TransformNestingDepth(t), NestingDepth(TransformToValue(t)));
  }
  EXPECT_EQ(TransformNestingDepth(insert), 12u);  // transform > block > deep(10)
  EXPECT_EQ(TransformNestingDepth(updates), 8u);  // transform > updates > op > inserted(5)
  EXPECT_EQ(TransformNestingDepth(Transform{}), 1u);

  // The limit: an update whose encoding measures 256 reads back, 257 does not.
  Transform at_limit;
  at_limit.updates = {BlockOperation::Assign("v", Value::object({{"x", Nested(252)}}))};
  ASSERT_EQ(TransformNestingDepth(at_limit), 256u);
  EXPECT_TRUE(DecodeTransform(EncodeTransform(at_limit)).has_value());
  at_limit.updates[0].inserted = Value::object({{"x", Nested(253)}});
  ASSERT_EQ(TransformNestingDepth(at_limit), 257u);
  EXPECT_FALSE(DecodeTransform(EncodeTransform(at_limit)).has_value());
}

}  // namespace
}  // namespace optimystic::block
