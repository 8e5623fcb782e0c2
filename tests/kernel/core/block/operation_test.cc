// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/operation.h>

#include "kernel/core/block/block_test_util.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace optimystic::block {
namespace {

using test::TestBlock;

Value Numbers() { return TestBlock("b", {{"entries", {1, 2, 3, 4}}}); }

TEST(Operation, SpliceRemovesAndInsertsAtIndex) {
  Value block = Numbers();
  ASSERT_TRUE(ApplyOperation(block, BlockOperation::Splice("entries", 1, 2, {7, 8, 9})).ok());
  EXPECT_EQ(block["entries"], Value({1, 7, 8, 9, 4}));
}

TEST(Operation, SpliceWithEmptyInsertedOnlyDeletes) {
  Value block = Numbers();
  ASSERT_TRUE(ApplyOperation(block, BlockOperation::Splice("entries", 0, 1, Value::array())).ok());
  EXPECT_EQ(block["entries"], Value({2, 3, 4}));
}

TEST(Operation, SpliceIndexPastTheEndClampsToAppend) {
  Value block = Numbers();
  ASSERT_TRUE(ApplyOperation(block, BlockOperation::Splice("entries", 99, 5, {5})).ok());
  EXPECT_EQ(block["entries"], Value({1, 2, 3, 4, 5}));
}

TEST(Operation, SpliceDeleteCountClampsToTheRest) {
  Value block = Numbers();
  ASSERT_TRUE(ApplyOperation(block, BlockOperation::Splice("entries", 2, UINT64_MAX, {0})).ok());
  EXPECT_EQ(block["entries"], Value({1, 2, 0}));
}

TEST(Operation, SpliceInsertsNestedValues) {
  Value block = TestBlock("b", {{"entries", Value::array()}});
  Value inserted = Value::array({Value::array({1, 2}), Value{{"k", "v"}}});
  ASSERT_TRUE(ApplyOperation(block, BlockOperation::Splice("entries", 0, 0, inserted)).ok());
  EXPECT_EQ(block["entries"], inserted);
}

TEST(Operation, SpliceOnMissingMemberNamesTheEntity) {
  Value block = Numbers();
  const Value before = block;
  Status status = ApplyOperation(block, BlockOperation::Splice("nodes", 0, 0, {1}));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("nodes"), std::string_view::npos) << status.ToString();
  EXPECT_EQ(block, before);
}

TEST(Operation, SpliceOnNonArrayMemberNamesTheEntity) {
  Value block = TestBlock("b", {{"nextId", "x"}});
  const Value before = block;
  Status status = ApplyOperation(block, BlockOperation::Splice("nextId", 0, 0, {1}));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("nextId"), std::string_view::npos) << status.ToString();
  EXPECT_EQ(block, before);
}

TEST(Operation, OperationOnNonObjectIsAnError) {
  Value block = Value::array();
  Status status = ApplyOperation(block, BlockOperation::Assign("x", 1));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("x"), std::string_view::npos);
}

TEST(Operation, AssignSetsScalarsObjectsAndNull) {
  Value block = Numbers();
  ASSERT_TRUE(ApplyOperation(block, BlockOperation::Assign("nextId", "n")).ok());
  ASSERT_TRUE(ApplyOperation(block, BlockOperation::Assign("meta", {{"a", 1}})).ok());
  ASSERT_TRUE(ApplyOperation(block, BlockOperation::Assign("priorId", nullptr)).ok());
  EXPECT_EQ(block["nextId"], "n");
  EXPECT_EQ(block["meta"], Value({{"a", 1}}));
  ASSERT_TRUE(block.contains("priorId"));
  EXPECT_TRUE(block["priorId"].is_null());
}

TEST(Operation, AssignIgnoresIndexAndDeleteCount) {
  Value block = Numbers();
  ASSERT_TRUE(ApplyOperation(block, BlockOperation{"entries", 3, 1, Value("replaced")}).ok());
  EXPECT_EQ(block["entries"], "replaced");
}

TEST(Operation, ClearRemovesTheMember) {
  Value block = TestBlock("b", {{"nextId", "n"}});
  ASSERT_TRUE(ApplyOperation(block, BlockOperation::Clear("nextId")).ok());
  EXPECT_FALSE(block.contains("nextId"));
  // Clearing a missing member is not an error (JS: assigning undefined).
  EXPECT_TRUE(ApplyOperation(block, BlockOperation::Clear("nextId")).ok());
}

TEST(Operation, ApplyOperationsStopsAtTheFirstError) {
  Value block = Numbers();
  BlockOperations ops = {BlockOperation::Assign("a", 1), BlockOperation::Splice("zz", 0, 0, {1}),
                         BlockOperation::Assign("b", 2)};
  EXPECT_EQ(ApplyOperations(block, ops).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(block["a"], 1);
  EXPECT_FALSE(block.contains("b"));
}

TEST(Operation, WithOperationLeavesTheOriginalUntouched) {
  const Value block = Numbers();
  Result<Value> changed = WithOperation(block, BlockOperation::Splice("entries", 0, 4, {9}));
  ASSERT_TRUE(changed.has_value());
  EXPECT_EQ((*changed)["entries"], Value({9}));
  EXPECT_EQ(block["entries"], Value({1, 2, 3, 4}));
  EXPECT_FALSE(WithOperation(block, BlockOperation::Splice("zz", 0, 0, {1})).has_value());
}

TEST(Operation, InsertedValuesAreCopied) {
  Value block = TestBlock("b", {{"entries", Value::array()}});
  BlockOperation op = BlockOperation::Splice("entries", 0, 0, Value::array({Value{{"k", 1}}}));
  ASSERT_TRUE(ApplyOperation(block, op).ok());
  (*op.inserted)[0]["k"] = 2;
  EXPECT_EQ(block["entries"][0]["k"], 1);
}

}  // namespace
}  // namespace optimystic::block
