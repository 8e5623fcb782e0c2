// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/atomic.h>
#include <optimystic/block/block.h>
#include <optimystic/collections/action.h>
#include <optimystic/conflict/conflict_resolver.h>

#include "collections/counter/counter_collection_type.h"
#include "collections/counter/sum_resolver.h"
#include "support/fake_collection_reader.h"
#include "support/memory_block_store.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace optimystic::plugins::collection_counter {
namespace {

using block::Value;
using collections::Action;
using conflict::Resolution;

Action Add(Value delta) { return Action{"add", {{"delta", std::move(delta)}}, std::nullopt, 0}; }

class CounterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<Value> header = type_.CreateHeaderBlock("hits", store_);
    ASSERT_TRUE(header.has_value()) << header.error().ToString();
    ASSERT_TRUE(store_.Insert(*header).ok());
  }
  Status Apply(const Action& action) { return type_.ApplyAction(action, "hits", store_); }
  Value Get() {
    test::FakeCollectionReader reader(store_, "hits");
    Result<Value> out = type_.Query("get", Value::object(), reader);
    EXPECT_TRUE(out.has_value()) << out.error().ToString();
    return out.has_value() ? *out : Value("<error>");
  }
  std::string Invalid(const Action& action) {
    Status s = type_.ValidateAction(action);
    return s.ok() ? "no error" : s.ToString();
  }

  test::MemoryBlockStore store_;
  CounterCollectionType type_;
};

TEST_F(CounterTest, HeaderStartsAtZero) {
  EXPECT_EQ(block::GetBlock(store_, "hits").value(),
            Value::parse(R"({"header": {"id": "hits", "type": "CNT", "collectionId": "test"},
                             "value": 0})"));
  EXPECT_EQ(Get(), Value::parse(R"({"value": 0})"));
  EXPECT_EQ(type_.name(), "counter");
  EXPECT_EQ(type_.header_block_type(), "CNT");
  EXPECT_EQ(type_.default_resolver(), "sum");
  EXPECT_EQ(type_.query_names(), std::vector<std::string>{"get"});
}

TEST_F(CounterTest, AddsAndDecrementsWithNegativeDeltas) {
  ASSERT_TRUE(Apply(Add(5)).ok());
  ASSERT_TRUE(Apply(Add(-7)).ok());
  ASSERT_TRUE(Apply(Add(uint64_t{10})).ok());  // non-negative integers may arrive unsigned
  ASSERT_TRUE(Apply(Add(0)).ok());
  EXPECT_EQ(Get(), Value::parse(R"({"value": 8})"));
}

TEST_F(CounterTest, ValidateRejectsWhatIsNotAnIntegerDelta) {
  EXPECT_EQ(Invalid(Add(1)), "no error");
  EXPECT_EQ(Invalid(Add(std::numeric_limits<int64_t>::min())), "no error");
  EXPECT_EQ(Invalid(Action{"increment", {{"delta", 1}}, std::nullopt, 0}),
            "InvalidArgument: counter: unknown action type 'increment' (known: add)");
  EXPECT_EQ(Invalid(Action{"add", Value(3), std::nullopt, 0}),
            "InvalidArgument: counter add: data must be an object {\"delta\": <integer>}");
  EXPECT_EQ(Invalid(Action{"add", Value::object(), std::nullopt, 0}),
            "InvalidArgument: counter add: delta must be an integer");
  EXPECT_EQ(Invalid(Action{"add", {{"delta", 1}, {"by", 2}}, std::nullopt, 0}),
            "InvalidArgument: counter add: unknown member 'by' (known: delta)");
  EXPECT_EQ(Invalid(Add(1.5)), "InvalidArgument: counter add: delta must be an integer");
  EXPECT_EQ(Invalid(Add(2.0)), "InvalidArgument: counter add: delta must be an integer");
  EXPECT_EQ(Invalid(Add("1")), "InvalidArgument: counter add: delta must be an integer");
  EXPECT_EQ(Invalid(Add(true)), "InvalidArgument: counter add: delta must be an integer");
  EXPECT_EQ(Invalid(Add(uint64_t{9223372036854775808u})),
            "InvalidArgument: counter add: delta 9223372036854775808 is outside the 64-bit "
            "signed range");
}

TEST_F(CounterTest, AnAddThatWouldOverflowFailsAndChangesNothing) {
  ASSERT_TRUE(Apply(Add(std::numeric_limits<int64_t>::max() - 1)).ok());
  const auto before = store_.counts();
  EXPECT_EQ(Apply(Add(2)).ToString(),
            "InvalidArgument: counter add: 9223372036854775806 + 2 overflows the 64-bit counter");
  EXPECT_EQ(store_.counts().updates, before.updates);
  ASSERT_TRUE(Apply(Add(1)).ok());  // exactly the maximum is fine
  ASSERT_TRUE(Apply(Add(std::numeric_limits<int64_t>::min())).ok());
  EXPECT_EQ(Get(), Value::parse(R"({"value": -1})"));
  EXPECT_EQ(Apply(Add(std::numeric_limits<int64_t>::min())).ToString(),
            "InvalidArgument: counter add: -1 + -9223372036854775808 overflows the 64-bit "
            "counter");
}

TEST_F(CounterTest, ApplyingThroughAnAtomicWritesOnlyOnCommit) {
  block::Atomic atomic(store_);
  ASSERT_TRUE(type_.ApplyAction(Add(4), "hits", atomic).ok());
  EXPECT_EQ(Get(), Value::parse(R"({"value": 0})"));  // still staged
  ASSERT_TRUE(atomic.Commit().ok());
  EXPECT_EQ(Get(), Value::parse(R"({"value": 4})"));
  ASSERT_TRUE(type_.ApplyAction(Add(4), "hits", atomic).ok());
  atomic.Rollback();  // a failed act discards its Atomic
  EXPECT_EQ(Get(), Value::parse(R"({"value": 4})"));
}

TEST_F(CounterTest, ADamagedHeaderIsCorruption) {
  Value header = block::GetBlock(store_, "hits").value();
  header["value"] = "lots";
  ASSERT_TRUE(store_.Insert(header).ok());
  EXPECT_EQ(Apply(Add(1)).ToString(),
            "Corruption: counter hits: header value: expected a 64-bit integer");
  test::FakeCollectionReader reader(store_, "hits");
  EXPECT_EQ(type_.Query("get", Value::object(), reader).error().ToString(),
            "Corruption: counter hits: header value: expected a 64-bit integer");
}

TEST_F(CounterTest, QueriesOtherThanGetAreRefused) {
  test::FakeCollectionReader reader(store_, "hits");
  EXPECT_EQ(type_.Query("sum", Value::object(), reader).error().ToString(),
            "NotFound: counter: unknown query 'sum' (known: get)");
  EXPECT_EQ(type_.Query("get", {{"at", 1}}, reader).error().ToString(),
            "InvalidArgument: counter get: takes no arguments");
  EXPECT_TRUE(type_.Query("get", nullptr, reader).has_value());
}

TEST_F(CounterTest, EveryTwoActionsOverlap) {
  EXPECT_TRUE(type_.Overlaps(Add(1), Add(2)));
  EXPECT_TRUE(type_.Overlaps(Add(1), Action{"other", Value(), std::nullopt, 0}));
}

// --- the sum resolver ---

TEST(SumResolver, ReplaysAddsAgainstConcurrentAdds) {
  conflict_sum::SumResolver sum;
  EXPECT_EQ(sum.name(), "sum");
  Resolution r = sum.Resolve(Add(3), {Add(-1), Add(10)});
  EXPECT_EQ(r.kind, Resolution::Kind::kReplay);
  EXPECT_FALSE(r.action.has_value());
  EXPECT_TRUE(r.reason.empty());
}

TEST(SumResolver, RejectsWhatIsNotAnAdd) {
  conflict_sum::SumResolver sum;
  Action replace{"replace", Value::parse(R"([["a", 1]])"), std::nullopt, 0};
  Resolution local = sum.Resolve(replace, {Add(1)});
  EXPECT_EQ(local.kind, Resolution::Kind::kReject);
  EXPECT_EQ(local.reason,
            "sum: cannot merge local action 'replace': sum merges only counter 'add' actions");
  Resolution remote = sum.Resolve(Add(1), {Add(2), Action{"set", {{"value", 0}}, std::nullopt, 0}});
  EXPECT_EQ(remote.kind, Resolution::Kind::kReject);
  EXPECT_EQ(remote.reason,
            "sum: cannot merge remote action 'set': sum merges only counter 'add' actions");
  // A malformed add is not additive either.
  EXPECT_EQ(sum.Resolve(Add(1), {Add(0.5)}).kind, Resolution::Kind::kReject);
}

// Four writers each add while the others commit first: resolving every pending add with "sum"
// and re-applying it on the latest state, as the engine does, ends at the exact total.
TEST(SumResolver, FourConcurrentWritersEndAtTheExactTotal) {
  test::MemoryBlockStore store;
  CounterCollectionType type;
  conflict_sum::SumResolver sum;
  ASSERT_TRUE(store.Insert(type.CreateHeaderBlock("hits", store).value()).ok());
  const std::vector<int64_t> deltas = {5, -2, 40, 7};
  std::vector<Action> committed;
  for (int64_t delta : deltas) {
    // This writer acted on the initial state; everything committed since then overlaps.
    Action local = Add(delta);
    if (!committed.empty()) {
      ASSERT_EQ(sum.Resolve(local, committed).kind, Resolution::Kind::kReplay);
    }
    ASSERT_TRUE(type.ApplyAction(local, "hits", store).ok());  // the replay on the new state
    committed.push_back(local);
  }
  test::FakeCollectionReader reader(store, "hits");
  EXPECT_EQ(type.Query("get", Value::object(), reader).value(), Value::parse(R"({"value": 50})"));
}

}  // namespace
}  // namespace optimystic::plugins::collection_counter
