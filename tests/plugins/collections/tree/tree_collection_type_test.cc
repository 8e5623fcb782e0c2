// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/atomic.h>
#include <optimystic/block/block.h>
#include <optimystic/collections/action.h>
#include <optimystic/config/settings.h>

#include "collections/tree/tree_collection_type.h"
#include "collections/tree/tree_key.h"
#include "support/fake_collection_reader.h"
#include "support/memory_block_store.h"
#include "support/settings_nodes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace optimystic::plugins::collection_tree {
namespace {

using block::Value;
using collections::Action;

Action Replace(Value data) { return Action{"replace", std::move(data), std::nullopt, 0}; }

// A tree collection "users" on a memory store, created as the engine would: the header the type
// makes is inserted by the caller.
class TreeTest : public ::testing::Test {
 protected:
  void SetUp() override { Create(type_); }

  void Create(const TreeCollectionType& type) {
    auto header = type.CreateHeaderBlock("users", store_);
    ASSERT_TRUE(header.has_value()) << header.error().ToString();
    ASSERT_TRUE(store_.Insert(*header).ok());
  }
  void Apply(Value data, const TreeCollectionType* type = nullptr) {
    Status s = (type ? *type : type_).ApplyAction(Replace(std::move(data)), "users", store_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  Result<Value> Query(std::string_view name, Value args) {
    test::FakeCollectionReader reader(store_, "users");
    return type_.Query(name, args, reader);
  }
  Value Q(std::string_view name, Value args = Value::object()) {
    Result<Value> out = Query(name, std::move(args));
    EXPECT_TRUE(out.has_value()) << out.error().ToString();
    return out.has_value() ? *out : Value("<error>");
  }
  std::string Error(std::string_view name, Value args) {
    Result<Value> out = Query(name, std::move(args));
    return out.has_value() ? "no error" : out.error().ToString();
  }
  std::string ActionError(Action action) {
    Status s = type_.ValidateAction(action);
    return s.ok() ? "no error" : s.ToString();
  }
  Value Header() { return block::GetBlock(store_, "users").value(); }

  test::MemoryBlockStore store_;
  TreeCollectionType type_;
};

// --- key order ---

TEST(TreeKey, NumbersComeBeforeStrings) {
  EXPECT_LT(CompareTreeKeys(Value(1e300), Value("")), 0);
  EXPECT_LT(CompareTreeKeys(Value(std::numeric_limits<uint64_t>::max()), Value("0")), 0);
  EXPECT_GT(CompareTreeKeys(Value("-5"), Value(-5)), 0);
}

TEST(TreeKey, NumbersCompareByValueAcrossIntegerAndDouble) {
  EXPECT_EQ(CompareTreeKeys(Value(1), Value(1.0)), 0);
  EXPECT_EQ(CompareTreeKeys(Value(0.0), Value(-0.0)), 0);
  EXPECT_LT(CompareTreeKeys(Value(-1), Value(-0.5)), 0);
  EXPECT_LT(CompareTreeKeys(Value(-0.5), Value(0)), 0);
  EXPECT_LT(CompareTreeKeys(Value(2), Value(2.5)), 0);
  EXPECT_GT(CompareTreeKeys(Value(3), Value(2.5)), 0);
  EXPECT_LT(CompareTreeKeys(Value(-3), Value(-2.5)), 0);
  EXPECT_LT(CompareTreeKeys(Value(int64_t{-1}), Value(uint64_t{0})), 0);
  EXPECT_GT(CompareTreeKeys(Value(std::numeric_limits<uint64_t>::max()),
                            Value(std::numeric_limits<int64_t>::max())),
            0);
  // 2^53 + 1 is not a double; comparing through doubles would call it equal to 2^53.
  const int64_t big = (int64_t{1} << 53) + 1;
  EXPECT_GT(CompareTreeKeys(Value(big), Value(9007199254740992.0)), 0);
  EXPECT_LT(CompareTreeKeys(Value(9007199254740992.0), Value(uint64_t(big))), 0);
  EXPECT_LT(CompareTreeKeys(Value(std::numeric_limits<int64_t>::max()), Value(1e19)), 0);
  EXPECT_GT(CompareTreeKeys(Value(std::numeric_limits<int64_t>::min()), Value(-1e19)), 0);
  EXPECT_LT(CompareTreeKeys(Value(std::numeric_limits<uint64_t>::max()), Value(1e20)), 0);
}

TEST(TreeKey, StringsCompareByUnsignedBytes) {
  EXPECT_LT(CompareTreeKeys(Value(""), Value("a")), 0);
  EXPECT_LT(CompareTreeKeys(Value("a"), Value("ab")), 0);
  EXPECT_LT(CompareTreeKeys(Value("Z"), Value("a")), 0);
  EXPECT_LT(CompareTreeKeys(Value("\x7f"), Value("\xc3\xa9")), 0);  // U+007F before U+00E9
  EXPECT_LT(CompareTreeKeys(Value("10"), Value("9")), 0);
  EXPECT_EQ(CompareTreeKeys(Value("alice"), Value("alice")), 0);
}

TEST(TreeKey, OnlyStringsAndFiniteNumbersAreKeys) {
  EXPECT_TRUE(IsTreeKey(Value("x")));
  EXPECT_TRUE(IsTreeKey(Value(-3)));
  EXPECT_TRUE(IsTreeKey(Value(2.5)));
  EXPECT_FALSE(IsTreeKey(Value(true)));
  EXPECT_FALSE(IsTreeKey(Value(nullptr)));
  EXPECT_FALSE(IsTreeKey(Value::array({1})));
  EXPECT_FALSE(IsTreeKey(Value::object()));
  EXPECT_FALSE(IsTreeKey(Value(std::nan(""))));
  EXPECT_FALSE(IsTreeKey(Value(std::numeric_limits<double>::infinity())));
}

// --- header and settings ---

TEST_F(TreeTest, HeaderCarriesTheRootLeafAndTheDefaultCapacity) {
  Value header = Header();
  EXPECT_EQ(header["header"]["type"], "TRE");
  EXPECT_EQ(header["header"]["id"], "users");
  EXPECT_EQ(header["capacity"], 64);
  ASSERT_TRUE(header["rootId"].is_string());
  Value root = block::GetBlock(store_, header["rootId"].get<std::string>()).value();
  EXPECT_EQ(root["header"]["type"], "TL");
  EXPECT_EQ(type_.name(), "tree");
  EXPECT_EQ(type_.header_block_type(), "TRE");
  EXPECT_EQ(type_.default_resolver(), "replay");
  EXPECT_EQ(type_.query_names(), (std::vector<std::string>{"get", "range", "count"}));
}

TEST(TreeOptions, ReadsCapacityAndRejectsBadValues) {
  config::Settings absent(nullptr, "collections.types.tree.settings", "node.yaml");
  EXPECT_EQ(TreeOptions::FromSettings(absent)->capacity, 64u);

  auto settings_with = [](std::string capacity) {
    return test::SettingsMap({{"capacity", test::SettingsScalar(capacity, "test")}}, "test");
  };
  config::SettingsNode eight = settings_with("8");
  EXPECT_EQ(TreeOptions::FromSettings(config::Settings(&eight, "s", "node.yaml"))->capacity, 8u);

  config::SettingsNode three = settings_with("3");
  auto low = TreeOptions::FromSettings(config::Settings(&three, "s", "node.yaml"));
  ASSERT_FALSE(low.has_value());
  EXPECT_NE(low.error().message().find("s.capacity: must be from 4 to 4096, got 3"),
            std::string::npos)
      << low.error().ToString();

  config::SettingsNode unknown =
      test::SettingsMap({{"fanout", test::SettingsScalar("8", "test")}}, "test");
  auto bad = TreeOptions::FromSettings(config::Settings(&unknown, "s", "node.yaml"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("unknown key 'fanout'"), std::string::npos)
      << bad.error().ToString();
}

// Pitfall 30: the fan-out a tree was built with wins over the type's configured one.
TEST_F(TreeTest, ReopensWithTheCapacityPersistedInTheHeader) {
  test::MemoryBlockStore store;
  TreeCollectionType small(TreeOptions{4});
  TreeCollectionType large(TreeOptions{64});
  Value header = small.CreateHeaderBlock("t", store).value();
  EXPECT_EQ(header["capacity"], 4);
  ASSERT_TRUE(store.Insert(header).ok());
  ASSERT_TRUE(
      small.ApplyAction(Replace(Value::parse(R"([[1,1],[2,2],[3,3],[4,4]])")), "t", store).ok());
  const Value root_before = block::GetBlock(store, "t").value()["rootId"];
  // A fifth entry splits a capacity-4 leaf; a capacity-64 tree would not split.
  ASSERT_TRUE(large.ApplyAction(Replace(Value::parse(R"([[5,5]])")), "t", store).ok());
  Value after = block::GetBlock(store, "t").value();
  EXPECT_NE(after["rootId"], root_before);
  EXPECT_EQ(after["capacity"], 4);
  Value root = block::GetBlock(store, after["rootId"].get<std::string>()).value();
  EXPECT_EQ(root["header"]["type"], "TB");
}

TEST_F(TreeTest, AHeaderWithoutCapacityIsCorruption) {
  Value header = Header();
  header.erase("capacity");
  ASSERT_TRUE(store_.Insert(header).ok());
  Status s = type_.ApplyAction(Replace(Value::parse(R"([[1,1]])")), "users", store_);
  EXPECT_EQ(s.ToString(),
            "Corruption: tree users: header capacity: expected an integer from 4 to 4096");
  EXPECT_EQ(Error("count", Value::object()),
            "Corruption: tree users: header capacity: expected an integer from 4 to 4096");
}

// --- replace, get, count ---

TEST_F(TreeTest, ReplaceUpsertsAndDeletes) {
  Apply(Value::parse(R"([["alice", {"name": "Alice"}], ["bob", {"name": "Bob"}], [7, [1, 2]]])"));
  EXPECT_EQ(Q("get", {{"key", "alice"}}), Value::parse(R"({"name": "Alice"})"));
  EXPECT_EQ(Q("get", {{"key", 7}}), Value::parse("[1, 2]"));
  EXPECT_EQ(Q("get", {{"key", 7.0}}), Value::parse("[1, 2]"));  // 7 and 7.0 are one key
  EXPECT_EQ(Q("get", {{"key", "carol"}}), Value(nullptr));
  EXPECT_EQ(Q("count"), 3);

  Apply(Value::parse(R"([["alice", {"name": "Alicia"}], ["bob"], [7, null], ["nobody"]])"));
  EXPECT_EQ(Q("get", {{"key", "alice"}}), Value::parse(R"({"name": "Alicia"})"));
  EXPECT_EQ(Q("get", {{"key", "bob"}}), Value(nullptr));
  EXPECT_EQ(Q("get", {{"key", 7}}), Value(nullptr));
  EXPECT_EQ(Q("count"), 1);
}

TEST_F(TreeTest, EntriesAreStoredWithTheirKey) {
  Apply(Value::parse(R"([["k", 5]])"));
  Value root = block::GetBlock(store_, Header()["rootId"].get<std::string>()).value();
  EXPECT_EQ(root["entries"], Value::parse(R"([{"key": "k", "value": 5}])"));
}

TEST_F(TreeTest, LaterPairsForTheSameKeyWin) {
  Apply(Value::parse(R"([["a", 1], ["a", 2], ["b", 1], ["b"]])"));
  EXPECT_EQ(Q("get", {{"key", "a"}}), 2);
  EXPECT_EQ(Q("get", {{"key", "b"}}), Value(nullptr));
}

TEST_F(TreeTest, ManyEntriesSplitAndCountWithSmallCapacity) {
  test::MemoryBlockStore store;
  TreeCollectionType small(TreeOptions{4});
  ASSERT_TRUE(store.Insert(small.CreateHeaderBlock("t", store).value()).ok());
  Value data = Value::array();
  for (int i = 0; i < 200; ++i) data.push_back(Value::array({(i * 37) % 200, i}));
  ASSERT_TRUE(small.ApplyAction(Replace(data), "t", store).ok());
  Value deletes = Value::array();
  for (int i = 0; i < 200; i += 2) deletes.push_back(Value::array({i}));
  ASSERT_TRUE(small.ApplyAction(Replace(deletes), "t", store).ok());
  test::FakeCollectionReader reader(store, "t");
  EXPECT_EQ(small.Query("count", Value::object(), reader).value(), 100);
  Value all = small.Query("range", Value::object(), reader).value();
  ASSERT_EQ(all.size(), 100u);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i][0], 2 * i + 1);
}

// --- range ---

class TreeRangeTest : public TreeTest {
 protected:
  void SetUp() override {
    TreeTest::SetUp();
    Apply(Value::parse(R"([["b", "B"], [2, "two"], ["a", "A"], [-1, "minus"], [1.5, "x"],
                           ["c", "C"], [10, "ten"]])"));
  }
  // The keys of a range query's result.
  Value Keys(Value args) {
    Value out = Value::array();
    for (const Value& pair : Q("range", std::move(args))) out.push_back(pair[0]);
    return out;
  }
};

TEST_F(TreeRangeTest, AllEntriesInKeyOrderNumbersFirst) {
  EXPECT_EQ(Keys(Value::object()), Value::parse(R"([-1, 1.5, 2, 10, "a", "b", "c"])"));
  EXPECT_EQ(Q("range", {{"limit", 2}}), Value::parse(R"([[-1, "minus"], [1.5, "x"]])"));
}

TEST_F(TreeRangeTest, FromIsInclusiveAndToIsExclusive) {
  EXPECT_EQ(Keys({{"from", 2}, {"to", "b"}}), Value::parse(R"([2, 10, "a"])"));
  EXPECT_EQ(Keys({{"from", 1.6}, {"to", 10}}), Value::parse(R"([2])"));
  EXPECT_EQ(Keys({{"from", "a"}}), Value::parse(R"(["a", "b", "c"])"));
  EXPECT_EQ(Keys({{"to", 2}}), Value::parse(R"([-1, 1.5])"));
  EXPECT_EQ(Keys({{"from", ""}}), Value::parse(R"(["a", "b", "c"])"));  // every string
  EXPECT_EQ(Keys({{"to", ""}}), Value::parse(R"([-1, 1.5, 2, 10])"));   // every number
  EXPECT_EQ(Keys({{"from", "b"}, {"to", "b"}}), Value::array());
  EXPECT_EQ(Keys({{"from", "c"}, {"to", "a"}}), Value::array());
  EXPECT_EQ(Keys({{"from", "d"}}), Value::array());
  EXPECT_EQ(Keys({{"from", nullptr}, {"to", nullptr}}).size(), 7u);  // null bounds are absent
}

TEST_F(TreeRangeTest, DescendingWalksTheSameIntervalBackwards) {
  EXPECT_EQ(Keys({{"desc", true}}), Value::parse(R"(["c", "b", "a", 10, 2, 1.5, -1])"));
  EXPECT_EQ(Keys({{"from", 2}, {"to", "b"}, {"desc", true}}), Value::parse(R"(["a", 10, 2])"));
  EXPECT_EQ(Keys({{"to", 2}, {"desc", true}}), Value::parse(R"([1.5, -1])"));
  EXPECT_EQ(Keys({{"from", "a"}, {"desc", true}, {"limit", 2}}), Value::parse(R"(["c", "b"])"));
  EXPECT_EQ(Keys({{"from", 3}, {"to", 9}, {"desc", true}}), Value::array());
  EXPECT_EQ(Keys({{"desc", false}, {"limit", 0}}).size(), 7u);  // limit 0: no limit
}

TEST_F(TreeRangeTest, EmptyTreeRangesAreEmpty) {
  Apply(Value::parse(R"([["b"], [2], ["a"], [-1], [1.5], ["c"], [10]])"));
  EXPECT_EQ(Q("count"), 0);
  EXPECT_EQ(Q("range"), Value::array());
  EXPECT_EQ(Q("range", {{"desc", true}, {"from", 1}}), Value::array());
}

// --- invalid actions and queries ---

TEST_F(TreeTest, InvalidActionsAreRejectedNamingThePair) {
  EXPECT_EQ(ActionError(Action{"put", Value::array(), std::nullopt, 0}),
            "InvalidArgument: tree: unknown action type 'put' (known: replace)");
  EXPECT_EQ(ActionError(Replace(Value::object())),
            "InvalidArgument: tree replace: data must be an array of [key, entry] pairs");
  EXPECT_EQ(ActionError(Replace(Value::parse(R"([["a", 1], "b"])"))),
            "InvalidArgument: tree replace: data[1]: expected [key] or [key, entry]");
  EXPECT_EQ(ActionError(Replace(Value::parse(R"([["a", 1], []])"))),
            "InvalidArgument: tree replace: data[1]: expected [key] or [key, entry]");
  EXPECT_EQ(ActionError(Replace(Value::parse(R"([["a", 1, 2]])"))),
            "InvalidArgument: tree replace: data[0]: expected [key] or [key, entry]");
  EXPECT_EQ(ActionError(Replace(Value::parse(R"([["a"], ["b"], [true, 1]])"))),
            "InvalidArgument: tree replace: data[2]: key must be a string or a finite number");
  EXPECT_EQ(ActionError(Replace(Value::parse(R"([[null]])"))),
            "InvalidArgument: tree replace: data[0]: key must be a string or a finite number");
  EXPECT_EQ(ActionError(Replace(Value::parse(R"([[{"k": 1}, 1]])"))),
            "InvalidArgument: tree replace: data[0]: key must be a string or a finite number");
  EXPECT_EQ(ActionError(Replace(Value::array())), "no error");
}

TEST_F(TreeTest, AnInvalidActionChangesNothing) {
  Apply(Value::parse(R"([["a", 1]])"));
  const auto counts = store_.counts();
  Status s = type_.ApplyAction(Replace(Value::parse(R"([["b", 2], [false, 3]])")), "users", store_);
  EXPECT_EQ(s.ToString(),
            "InvalidArgument: tree replace: data[1]: key must be a string or a finite number");
  EXPECT_EQ(store_.counts().inserts, counts.inserts);
  EXPECT_EQ(store_.counts().updates, counts.updates);
  EXPECT_EQ(Q("get", {{"key", "b"}}), Value(nullptr));
}

// Fails every write after the first `allowed` ones.
class FailingStore final : public block::BlockStore {
 public:
  FailingStore(block::BlockStore& inner, int allowed) : inner_(inner), allowed_(allowed) {}
  Result<block::BlockHeader> CreateBlockHeader(const block::BlockType& t,
                                               const std::optional<block::BlockId>& id) override {
    return inner_.CreateBlockHeader(t, id);
  }
  Result<std::optional<Value>> TryGet(const block::BlockId& id, block::ReadPurpose p) override {
    return inner_.TryGet(id, p);
  }
  Result<block::BlockRef> TryGetRef(const block::BlockId& id, block::ReadPurpose p) override {
    return inner_.TryGetRef(id, p);
  }
  Result<block::BlockId> GenerateId() override { return inner_.GenerateId(); }
  Status Insert(const Value& b) override { return Write() ? inner_.Insert(b) : Fail(); }
  Status Update(const block::BlockId& id, const block::BlockOperation& op) override {
    return Write() ? inner_.Update(id, op) : Fail();
  }
  Status Delete(const block::BlockId& id) override { return Write() ? inner_.Delete(id) : Fail(); }

 private:
  bool Write() { return allowed_-- > 0; }
  static Status Fail() { return Status::IOError("injected write failure"); }
  block::BlockStore& inner_;
  int allowed_;
};

// SPEC.md §10 pitfall 21: the handler writes only through the store it is given, so the
// engine's per-action Atomic holds everything and discarding it leaves the collection as it was.
TEST_F(TreeTest, AFailingActionThroughAnAtomicLeavesTheStoreUnchanged) {
  test::MemoryBlockStore store;
  TreeCollectionType small(TreeOptions{4});
  ASSERT_TRUE(store.Insert(small.CreateHeaderBlock("t", store).value()).ok());
  ASSERT_TRUE(
      small.ApplyAction(Replace(Value::parse(R"([[1, "one"], [2, "two"]])")), "t", store).ok());
  const auto before = store.counts();
  Value data = Value::array();
  for (int i = 0; i < 40; ++i) data.push_back(Value::array({i, "new"}));
  block::Atomic atomic(store);
  FailingStore failing(atomic, 10);  // fails after some upserts and splits have been written
  Status s = small.ApplyAction(Replace(data), "t", failing);
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_NE(s.message().find("tree replace: data["), std::string::npos) << s.ToString();
  EXPECT_FALSE(atomic.transforms().inserts.empty() && atomic.transforms().updates.empty())
      << "the action wrote something before it failed";
  atomic.Rollback();  // what the engine does with a failed action's Atomic
  EXPECT_EQ(store.counts().inserts, before.inserts);
  EXPECT_EQ(store.counts().updates, before.updates);
  EXPECT_EQ(store.counts().deletes, before.deletes);
  test::FakeCollectionReader reader(store, "t");
  EXPECT_EQ(small.Query("range", Value::object(), reader).value(),
            Value::parse(R"([[1, "one"], [2, "two"]])"));
}

TEST_F(TreeTest, QueriesRejectUnknownNamesAndBadArguments) {
  Result<Value> unknown = Query("scan", Value::object());
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().ToString(),
            "NotFound: tree: unknown query 'scan' (known: get, range, count)");
  EXPECT_EQ(Error("get", Value::object()),
            "InvalidArgument: tree get: key must be a string or a finite number");
  EXPECT_EQ(Error("get", {{"key", true}}),
            "InvalidArgument: tree get: key must be a string or a finite number");
  EXPECT_EQ(Error("get", Value::array()), "InvalidArgument: tree get: args must be an object");
  EXPECT_EQ(Error("get", {{"key", "a"}, {"id", 1}}),
            "InvalidArgument: tree get: unknown argument 'id' (known: key)");
  EXPECT_EQ(Error("range", {{"from", Value::array()}}),
            "InvalidArgument: tree range: from must be a string or a finite number");
  EXPECT_EQ(Error("range", {{"to", false}}),
            "InvalidArgument: tree range: to must be a string or a finite number");
  EXPECT_EQ(Error("range", {{"desc", 1}}), "InvalidArgument: tree range: desc must be a boolean");
  EXPECT_EQ(Error("range", {{"limit", -1}}),
            "InvalidArgument: tree range: limit must be a non-negative integer");
  EXPECT_EQ(Error("range", {{"limit", 1.5}}),
            "InvalidArgument: tree range: limit must be a non-negative integer");
  EXPECT_EQ(
      Error("range", {{"reverse", true}}),
      "InvalidArgument: tree range: unknown argument 'reverse' (known: from, to, desc, limit)");
  EXPECT_EQ(Error("count", {{"from", 1}}),
            "InvalidArgument: tree count: unknown argument 'from' (known: none)");
  EXPECT_EQ(Q("count", nullptr), 0);  // null args count as {}
}

// --- overlaps ---

TEST_F(TreeTest, ReplacesOverlapWhenTheyShareAKey) {
  auto overlaps = [&](const char* a, const char* b) {
    return type_.Overlaps(Replace(Value::parse(a)), Replace(Value::parse(b)));
  };
  EXPECT_TRUE(overlaps(R"([["a", 1], ["b", 2]])", R"([["c", 3], ["b"]])"));
  EXPECT_TRUE(overlaps(R"([[1, "x"]])", R"([[1.0, "y"]])"));
  EXPECT_FALSE(overlaps(R"([["a", 1], ["b", 2]])", R"([["c", 3], ["d"]])"));
  EXPECT_FALSE(overlaps(R"([[1, "x"]])", R"([["1", "y"]])"));  // a number is not a string
  EXPECT_FALSE(overlaps(R"([])", R"([["a", 1]])"));
  // What the type cannot read is treated as overlapping, so that a resolver decides.
  EXPECT_TRUE(type_.Overlaps(Action{"other", Value(), std::nullopt, 0},
                             Replace(Value::parse(R"([["a", 1]])"))));
  EXPECT_TRUE(overlaps(R"([["a", 1]])", R"({"a": 1})"));
}

}  // namespace
}  // namespace optimystic::plugins::collection_tree
