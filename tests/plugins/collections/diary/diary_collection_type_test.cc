// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/block.h>
#include <optimystic/collections/action.h>

#include "collections/diary/diary_collection_type.h"
#include "support/fake_collection_reader.h"
#include "support/memory_block_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace optimystic::plugins::collection_diary {
namespace {

using block::Value;
using collections::Action;

Action Append(Value data) { return Action{"append", std::move(data), std::nullopt, 0}; }

class DiaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Three committed entries: [a], [b, c], [d].
    reader_.AddEntry({Append("a")});
    reader_.AddEntry({Append(Value::object({{"n", 2}})), Append(3)});
    reader_.AddEntry({Append(nullptr)});
  }
  Value Read(Value args) {
    Result<Value> out = type_.Query("read", args, reader_);
    EXPECT_TRUE(out.has_value()) << out.error().ToString();
    return out.has_value() ? *out : Value("<error>");
  }
  std::string Error(std::string_view name, Value args) {
    Result<Value> out = type_.Query(name, args, reader_);
    return out.has_value() ? "no error" : out.error().ToString();
  }

  test::MemoryBlockStore store_;
  test::FakeCollectionReader reader_{store_, "events"};
  DiaryCollectionType type_;
};

TEST_F(DiaryTest, HeaderIsJustTheHeader) {
  Result<Value> header = type_.CreateHeaderBlock("events", store_);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(*header,
            Value::parse(R"({"header": {"id": "events", "type": "DIH", "collectionId": "test"}})"));
  EXPECT_EQ(store_.size(), 0u);  // nothing else is needed at birth
  EXPECT_EQ(type_.name(), "diary");
  EXPECT_EQ(type_.header_block_type(), "DIH");
  EXPECT_EQ(type_.default_resolver(), "replay");
  EXPECT_EQ(type_.query_names(), std::vector<std::string>{"read"});
}

TEST_F(DiaryTest, AppendAcceptsAnyDataAndWritesNothing) {
  for (Value data : {Value("text"), Value(1), Value(nullptr), Value::parse(R"({"a": [1]})")}) {
    EXPECT_TRUE(type_.ValidateAction(Append(data)).ok());
    EXPECT_TRUE(type_.ApplyAction(Append(data), "events", store_).ok());
  }
  EXPECT_EQ(store_.counts().inserts + store_.counts().updates + store_.counts().deletes, 0u);
  EXPECT_EQ(type_.ValidateAction(Action{"replace", Value::array(), std::nullopt, 0}).ToString(),
            "InvalidArgument: diary: unknown action type 'replace' (known: append)");
  EXPECT_EQ(type_.ApplyAction(Action{"pop", Value(), std::nullopt, 0}, "events", store_).ToString(),
            "InvalidArgument: diary: unknown action type 'pop' (known: append)");
}

TEST_F(DiaryTest, AppendsNeverOverlap) {
  EXPECT_FALSE(type_.Overlaps(Append("x"), Append("x")));
  EXPECT_FALSE(type_.Overlaps(Append(1), Action{"other", Value(), std::nullopt, 0}));
}

TEST_F(DiaryTest, ReadsForwardAndBackwardWithALimit) {
  EXPECT_EQ(Read(Value::object()), Value::parse(R"(["a", {"n": 2}, 3, null])"));
  EXPECT_EQ(Read(nullptr), Value::parse(R"(["a", {"n": 2}, 3, null])"));
  EXPECT_EQ(Read({{"forward", true}, {"limit", 2}}), Value::parse(R"(["a", {"n": 2}])"));
  EXPECT_EQ(Read({{"forward", false}}), Value::parse(R"([null, 3, {"n": 2}, "a"])"));
  EXPECT_EQ(Read({{"forward", false}, {"limit", 2}}), Value::parse(R"([null, 3])"));
  EXPECT_EQ(Read({{"limit", 0}}).size(), 4u);  // 0: all
}

TEST_F(DiaryTest, AnEmptyDiaryReadsEmpty) {
  test::FakeCollectionReader empty(store_, "events");
  EXPECT_EQ(type_.Query("read", Value::object(), empty).value(), Value::array());
}

TEST_F(DiaryTest, ReadRejectsBadArgumentsAndUnknownQueries) {
  EXPECT_EQ(Error("select", Value::object()),
            "NotFound: diary: unknown query 'select' (known: read)");
  EXPECT_EQ(Error("read", Value::array()), "InvalidArgument: diary read: args must be an object");
  EXPECT_EQ(Error("read", {{"forward", "yes"}}),
            "InvalidArgument: diary read: forward must be a boolean");
  EXPECT_EQ(Error("read", {{"limit", -2}}),
            "InvalidArgument: diary read: limit must be a non-negative integer");
  EXPECT_EQ(Error("read", {{"from", 1}}),
            "InvalidArgument: diary read: unknown argument 'from' (known: forward, limit)");
}

}  // namespace
}  // namespace optimystic::plugins::collection_diary
