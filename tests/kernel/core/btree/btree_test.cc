// SPDX-License-Identifier: Apache-2.0
#include <optimystic/btree/btree.h>

#include <optimystic/block/codec.h>

#include "kernel/core/btree/btree_test_util.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace optimystic::btree {
namespace {

using block::Value;
using test::Collect;
using test::Dump;
using test::IntTraits;
using test::Record;
using test::RecordTraits;

using IntTree = BTree<IntTraits>;
using RecordTree = BTree<RecordTraits>;

bool IsInvalidPath(const Status& status) {
  return status.code() == StatusCode::kInvalidArgument &&
         status.message().find("Path is invalid") != std::string_view::npos;
}

class BTreeTest : public ::testing::Test {
 protected:
  // A tree of records with keys `keys` (value = key * 10), made by Create.
  void MakeRecords(size_t capacity, const std::vector<int64_t>& keys) {
    auto tree = RecordTree::Create(store_, IndependentTrunk::Factory(), RecordTraits(),
                                   BTreeOptions{capacity}, std::string("trunk"));
    ASSERT_TRUE(tree.has_value()) << tree.status().ToString();
    records_.emplace(std::move(tree).value());
    for (int64_t key : keys) {
      auto path = records_->Insert(Record{key, key * 10});
      ASSERT_TRUE(path.has_value() && path->on) << key;
    }
  }
  void MakeInts(size_t capacity, const std::vector<int64_t>& keys) {
    auto tree = IntTree::Create(store_, IndependentTrunk::Factory(), IntTraits(),
                                BTreeOptions{capacity}, std::string("trunk"));
    ASSERT_TRUE(tree.has_value()) << tree.status().ToString();
    ints_.emplace(std::move(tree).value());
    for (int64_t key : keys) {
      auto path = ints_->Insert(key);
      ASSERT_TRUE(path.has_value() && path->on) << key;
    }
  }
  std::vector<int64_t> Keys(Result<Cursor<RecordTraits>> cursor) {
    std::vector<int64_t> out;
    auto records = Collect(std::move(cursor));
    EXPECT_TRUE(records.has_value()) << records.status().ToString();
    if (records.has_value()) {
      for (const Record& r : *records) out.push_back(r.key);
    }
    return out;
  }
  std::vector<int64_t> RangeKeys(std::optional<KeyBound<int64_t>> first,
                                 std::optional<KeyBound<int64_t>> last, Direction direction) {
    return Keys(records_->Range(KeyRange<int64_t>{first, last, direction}));
  }
  static std::vector<int64_t> Iota(int64_t from, int64_t to) {  // [from, to)
    std::vector<int64_t> out;
    for (int64_t k = from; k < to; ++k) out.push_back(k);
    return out;
  }
  void ExpectValid() {
    auto shape = records_.has_value() ? records_->Verify() : ints_->Verify();
    ASSERT_TRUE(shape.has_value()) << shape.status().ToString();
    EXPECT_EQ(store_.size(), shape->node_ids.size() + 1) << "orphaned blocks";
  }

  test::MemoryBlockStore store_;
  std::optional<RecordTree> records_;
  std::optional<IntTree> ints_;
};

// --- creation and trunks ---

TEST_F(BTreeTest, CreateInsertsAnEmptyRootLeafAndATrunk) {
  MakeInts(4, {});
  EXPECT_EQ(store_.size(), 2u);
  BT_ASSIGN_OR_FAIL(Value trunk, block::GetBlock(store_, "trunk"));
  EXPECT_EQ(trunk["header"]["type"], "TR");
  BT_ASSIGN_OR_FAIL(Value root, block::GetBlock(store_, trunk["rootId"].get<std::string>()));
  EXPECT_EQ(root["header"]["type"], "TL");
  EXPECT_EQ(root["entries"], Value::array());
  EXPECT_EQ(ints_->trunk().block_id(), "trunk");
}

TEST_F(BTreeTest, APathKeepsTheNodesItSawAcrossSplitsAndMerges) {
  MakeInts(4, {10, 20, 30, 40});
  auto before = ints_->Find(20);
  ASSERT_TRUE(before.has_value() && before->on);
  const block::BlockRef leaf = before->leaf;
  const Value entries = Entries(*leaf);
  ASSERT_TRUE(ints_->Insert(50).has_value());  // splits the full root leaf
  EXPECT_EQ(Entries(*leaf), entries);          // the path's leaf is unchanged
  EXPECT_TRUE(before->branches.empty());
  auto split = ints_->Find(20);
  ASSERT_TRUE(split.has_value() && split->on);
  ASSERT_EQ(split->branches.size(), 1u);
  const block::BlockRef root = split->branches[0].node;
  const Value partitions = Partitions(*root);
  for (int64_t key : {40, 50}) {  // merges the leaves back and collapses the root
    auto path = ints_->Find(key);
    ASSERT_TRUE(path.has_value() && path->on);
    ASSERT_TRUE(ints_->DeleteAt(*path).has_value());
  }
  EXPECT_EQ(Partitions(*root), partitions);
  EXPECT_EQ(Entries(*leaf), entries);
  EXPECT_TRUE(IsInvalidPath(ints_->At(*before).status()));
  EXPECT_TRUE(IsInvalidPath(ints_->At(*split).status()));
  ExpectValid();
}

TEST_F(BTreeTest, CapacityBelowFourIsRejected) {
  auto tree = IntTree::Create(store_, IndependentTrunk::Factory(), IntTraits(), BTreeOptions{3});
  ASSERT_FALSE(tree.has_value());
  EXPECT_EQ(tree.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(BTreeTest, AFailingTrunkFactoryLeavesNothingBehind) {
  TrunkFactory failing =
      [](block::BlockStore&, const block::BlockId&,
         const std::optional<block::BlockId>&) -> Result<std::unique_ptr<Trunk>> {
    return Status::Unavailable("no trunk today");
  };
  auto tree = IntTree::Create(store_, failing);
  ASSERT_FALSE(tree.has_value());
  EXPECT_EQ(tree.error().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(BTreeTest, DefaultCapacityIs64) {
  auto tree = IntTree::Create(store_, IndependentTrunk::Factory());
  ASSERT_TRUE(tree.has_value());
  EXPECT_EQ(tree->capacity(), 64u);
}

// --- reads on an empty tree ---

TEST_F(BTreeTest, EmptyTreeHasNoEntries) {
  MakeRecords(4, {});
  BT_ASSIGN_OR_FAIL(Path first, records_->First());
  BT_ASSIGN_OR_FAIL(Path last, records_->Last());
  EXPECT_FALSE(first.on);
  EXPECT_FALSE(last.on);
  BT_ASSIGN_OR_FAIL(auto entry, records_->At(first));
  EXPECT_FALSE(entry.has_value());
  BT_ASSIGN_OR_FAIL(auto got, records_->Get(1));
  EXPECT_FALSE(got.has_value());
  BT_ASSIGN_OR_FAIL(size_t count, records_->GetCount());
  EXPECT_EQ(count, 0u);
  EXPECT_TRUE(RangeKeys(std::nullopt, std::nullopt, Direction::kAscending).empty());
  EXPECT_TRUE(RangeKeys(std::nullopt, std::nullopt, Direction::kDescending).empty());
  BT_ASSIGN_OR_FAIL(Path next, records_->Next(first));
  EXPECT_FALSE(next.on);
}

// --- insert, find, get, at ---

TEST_F(BTreeTest, InsertThenFindAndGet) {
  MakeRecords(4, {5, 1, 9, 3, 7});
  BT_ASSIGN_OR_FAIL(Path path, records_->Find(7));
  EXPECT_TRUE(path.on);
  BT_ASSIGN_OR_FAIL(auto entry, records_->At(path));
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(*entry, (Record{7, 70}));
  BT_ASSIGN_OR_FAIL(auto got, records_->Get(3));
  EXPECT_EQ(got, (Record{3, 30}));
  BT_ASSIGN_OR_FAIL(auto missing, records_->Get(4));
  EXPECT_FALSE(missing.has_value());
  BT_ASSIGN_OR_FAIL(auto key, records_->KeyAt(path));
  EXPECT_EQ(key, 7);
  ExpectValid();
}

TEST_F(BTreeTest, InsertReturnsAnOnPathAtTheNewEntry) {
  MakeRecords(4, Iota(0, 10));
  const uint64_t before = records_->version();
  BT_ASSIGN_OR_FAIL(Path path, records_->Insert(Record{100, 1}));
  EXPECT_TRUE(path.on);
  EXPECT_EQ(records_->version(), before + 1);
  EXPECT_TRUE(records_->IsValid(path));
  BT_ASSIGN_OR_FAIL(auto entry, records_->At(path));
  EXPECT_EQ(entry, (Record{100, 1}));
}

TEST_F(BTreeTest, InsertOfAnExistingKeyChangesNothing) {
  MakeRecords(4, Iota(0, 10));
  const std::string before = Dump(*records_);
  const uint64_t version = records_->version();
  BT_ASSIGN_OR_FAIL(Path path, records_->Insert(Record{4, 999}));
  EXPECT_FALSE(path.on);
  EXPECT_EQ(records_->version(), version);
  EXPECT_TRUE(records_->IsValid(path));
  EXPECT_EQ(Dump(*records_), before);
  BT_ASSIGN_OR_FAIL(auto got, records_->Get(4));
  EXPECT_EQ(got, (Record{4, 40}));
  // Positioned at the existing entry: next from the crack lands on it.
  BT_ASSIGN_OR_FAIL(Path next, records_->Next(path));
  BT_ASSIGN_OR_FAIL(auto at, records_->At(next));
  EXPECT_EQ(at, (Record{4, 40}));
}

TEST_F(BTreeTest, FindOfAMissingKeyIsOffAtTheInsertionCrack) {
  MakeRecords(8, {10, 20, 30});
  BT_ASSIGN_OR_FAIL(Path path, records_->Find(25));
  EXPECT_FALSE(path.on);
  EXPECT_EQ(path.leaf_index, 2u);
  BT_ASSIGN_OR_FAIL(auto none, records_->At(path));
  EXPECT_FALSE(none.has_value());
  BT_ASSIGN_OR_FAIL(Path next, records_->Next(path));
  BT_ASSIGN_OR_FAIL(auto after, records_->At(next));
  EXPECT_EQ(after->key, 30);
  BT_ASSIGN_OR_FAIL(Path prior, records_->Prior(path));
  BT_ASSIGN_OR_FAIL(auto before, records_->At(prior));
  EXPECT_EQ(before->key, 20);
  BT_ASSIGN_OR_FAIL(Path end, records_->Find(99));
  EXPECT_EQ(end.leaf_index, 3u);  // may equal entries.size()
}

// --- navigation ---

TEST_F(BTreeTest, NextWalksEveryEntryAcrossLeavesAndStopsOffAtTheEnd) {
  MakeRecords(4, Iota(0, 40));
  BT_ASSIGN_OR_FAIL(Path path, records_->First());
  std::vector<int64_t> seen;
  while (path.on) {
    BT_ASSIGN_OR_FAIL(auto entry, records_->At(path));
    seen.push_back(entry->key);
    BT_ASSERT_OK(records_->MoveNext(path));
  }
  EXPECT_EQ(seen, Iota(0, 40));
  EXPECT_EQ(path.leaf_index, Entries(*path.leaf).size());  // the end crack
  BT_ASSERT_OK(records_->MoveNext(path));                  // stays off
  EXPECT_FALSE(path.on);
  BT_ASSERT_OK(records_->MovePrior(path));  // back onto the last entry
  BT_ASSIGN_OR_FAIL(auto last, records_->At(path));
  EXPECT_EQ(last->key, 39);
}

TEST_F(BTreeTest, PriorWalksBackwardAndStopsOffAtIndexZero) {
  MakeRecords(4, Iota(0, 40));
  BT_ASSIGN_OR_FAIL(Path path, records_->Last());
  std::vector<int64_t> seen;
  while (path.on) {
    BT_ASSIGN_OR_FAIL(auto entry, records_->At(path));
    seen.push_back(entry->key);
    BT_ASSERT_OK(records_->MovePrior(path));
  }
  std::vector<int64_t> expected = Iota(0, 40);
  std::reverse(expected.begin(), expected.end());
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(path.leaf_index, 0u);
  BT_ASSERT_OK(records_->MoveNext(path));  // off at index 0 of the first leaf -> on the first
  BT_ASSIGN_OR_FAIL(auto first, records_->At(path));
  EXPECT_EQ(first->key, 0);
}

TEST_F(BTreeTest, NextAndPriorReturnCopies) {
  MakeRecords(4, Iota(0, 10));
  BT_ASSIGN_OR_FAIL(Path path, records_->Find(3));
  BT_ASSIGN_OR_FAIL(Path next, records_->Next(path));
  BT_ASSIGN_OR_FAIL(Path prior, records_->Prior(path));
  EXPECT_EQ(records_->KeyAt(path)->value(), 3);
  EXPECT_EQ(records_->KeyAt(next)->value(), 4);
  EXPECT_EQ(records_->KeyAt(prior)->value(), 2);
}

TEST_F(BTreeTest, NextFromAnEndOfLeafCrackEntersTheNextLeaf) {
  // Leaves (0 10) and (20 30 40): 15 routes to the first leaf, off at its end.
  MakeRecords(4, {0, 10, 20, 30, 40});
  ASSERT_EQ(Dump(*records_), "[(0 10) 20 (20 30 40)]");
  BT_ASSIGN_OR_FAIL(Path path, records_->Find(15));
  EXPECT_FALSE(path.on);
  EXPECT_EQ(path.leaf_index, 2u);
  BT_ASSIGN_OR_FAIL(Path next, records_->Next(path));
  EXPECT_EQ(records_->KeyAt(next)->value(), 20);
  // A range starting on that crack yields the next leaf (SPEC.md §10.6).
  EXPECT_EQ(RangeKeys(KeyBound<int64_t>{15}, std::nullopt, Direction::kAscending),
            (std::vector<int64_t>{20, 30, 40}));
  EXPECT_EQ(RangeKeys(KeyBound<int64_t>{15}, std::nullopt, Direction::kDescending),
            (std::vector<int64_t>{10, 0}));
}

TEST_F(BTreeTest, AscendingAndDescendingIterateFromThePathInclusive) {
  MakeRecords(4, Iota(0, 20));
  BT_ASSIGN_OR_FAIL(Path path, records_->Find(12));
  EXPECT_EQ(Keys(records_->Ascending(path)), Iota(12, 20));
  std::vector<int64_t> down = Iota(0, 13);
  std::reverse(down.begin(), down.end());
  EXPECT_EQ(Keys(records_->Descending(path)), down);
  BT_ASSIGN_OR_FAIL(Path off, records_->Find(100));
  EXPECT_TRUE(Keys(records_->Ascending(off)).empty());  // iterates only while on
}

// --- range (SPEC.md §3.5) ---

TEST_F(BTreeTest, RangeAscendingHonoursInclusiveAndExclusiveBounds) {
  MakeRecords(4, {0, 10, 20, 30, 40, 50, 60});
  const auto asc = Direction::kAscending;
  EXPECT_EQ(RangeKeys(KeyBound<int64_t>{20}, KeyBound<int64_t>{50}, asc),
            (std::vector<int64_t>{20, 30, 40, 50}));
  EXPECT_EQ(RangeKeys(KeyBound<int64_t>{20, false}, KeyBound<int64_t>{50, false}, asc),
            (std::vector<int64_t>{30, 40}));
  EXPECT_EQ(RangeKeys(KeyBound<int64_t>{15}, KeyBound<int64_t>{45}, asc),
            (std::vector<int64_t>{20, 30, 40}));
  EXPECT_EQ(RangeKeys(KeyBound<int64_t>{15, false}, KeyBound<int64_t>{45, false}, asc),
            (std::vector<int64_t>{20, 30, 40}));
  EXPECT_EQ(RangeKeys(std::nullopt, KeyBound<int64_t>{25}, asc), (std::vector<int64_t>{0, 10, 20}));
  EXPECT_EQ(RangeKeys(KeyBound<int64_t>{45}, std::nullopt, asc), (std::vector<int64_t>{50, 60}));
  EXPECT_EQ(RangeKeys(std::nullopt, std::nullopt, asc),
            (std::vector<int64_t>{0, 10, 20, 30, 40, 50, 60}));
}

TEST_F(BTreeTest, RangeDescendingStartsAtFirstWhichIsTheHighBound) {
  MakeRecords(4, {0, 10, 20, 30, 40, 50, 60});
  const auto desc = Direction::kDescending;
  EXPECT_EQ(RangeKeys(KeyBound<int64_t>{50}, KeyBound<int64_t>{20}, desc),
            (std::vector<int64_t>{50, 40, 30, 20}));
  EXPECT_EQ(RangeKeys(KeyBound<int64_t>{50, false}, KeyBound<int64_t>{20, false}, desc),
            (std::vector<int64_t>{40, 30}));
  EXPECT_EQ(RangeKeys(KeyBound<int64_t>{45}, KeyBound<int64_t>{15}, desc),
            (std::vector<int64_t>{40, 30, 20}));
  EXPECT_EQ(RangeKeys(std::nullopt, KeyBound<int64_t>{35}, desc),
            (std::vector<int64_t>{60, 50, 40}));
  EXPECT_EQ(RangeKeys(KeyBound<int64_t>{25}, std::nullopt, desc),
            (std::vector<int64_t>{20, 10, 0}));
}

TEST_F(BTreeTest, RangeIsEmptyWhenBoundsCrossOrMissEverything) {
  MakeRecords(4, {0, 10, 20, 30, 40});
  EXPECT_TRUE(
      RangeKeys(KeyBound<int64_t>{30}, KeyBound<int64_t>{10}, Direction::kAscending).empty());
  EXPECT_TRUE(
      RangeKeys(KeyBound<int64_t>{10}, KeyBound<int64_t>{30}, Direction::kDescending).empty());
  EXPECT_TRUE(
      RangeKeys(KeyBound<int64_t>{41}, KeyBound<int64_t>{99}, Direction::kAscending).empty());
  EXPECT_TRUE(
      RangeKeys(KeyBound<int64_t>{-9}, KeyBound<int64_t>{-1}, Direction::kAscending).empty());
  EXPECT_TRUE(
      RangeKeys(KeyBound<int64_t>{10, false}, KeyBound<int64_t>{20, false}, Direction::kAscending)
          .empty());
  EXPECT_TRUE(
      RangeKeys(KeyBound<int64_t>{11}, KeyBound<int64_t>{19}, Direction::kAscending).empty());
  EXPECT_TRUE(
      RangeKeys(KeyBound<int64_t>{10, false}, KeyBound<int64_t>{10, false}, Direction::kAscending)
          .empty());
}

// --- getCount ---

TEST_F(BTreeTest, GetCountCountsEverythingOrFromAPath) {
  MakeRecords(4, Iota(0, 50));
  BT_ASSIGN_OR_FAIL(size_t all, records_->GetCount());
  EXPECT_EQ(all, 50u);
  BT_ASSIGN_OR_FAIL(Path path, records_->Find(20));
  BT_ASSIGN_OR_FAIL(size_t up, records_->GetCount(path, Direction::kAscending));
  EXPECT_EQ(up, 30u);  // 20..49
  BT_ASSIGN_OR_FAIL(size_t down, records_->GetCount(path, Direction::kDescending));
  EXPECT_EQ(down, 21u);  // 0..20
  BT_ASSIGN_OR_FAIL(Path off, records_->Find(100));
  BT_ASSIGN_OR_FAIL(size_t none, records_->GetCount(off));
  EXPECT_EQ(none, 0u);
  BT_ASSERT_OK(records_->Insert(Record{100, 0}));
  EXPECT_TRUE(IsInvalidPath(records_->GetCount(path).status()));
}

// --- upsert ---

TEST_F(BTreeTest, UpsertReplacesAnExistingEntryWithAnOnPath) {
  MakeRecords(4, Iota(0, 10));
  const uint64_t version = records_->version();
  BT_ASSIGN_OR_FAIL(Path path, records_->Upsert(Record{4, 444}));
  EXPECT_TRUE(path.on);
  EXPECT_EQ(records_->version(), version + 1);
  BT_ASSIGN_OR_FAIL(auto entry, records_->At(path));
  EXPECT_EQ(entry, (Record{4, 444}));
  BT_ASSIGN_OR_FAIL(size_t count, records_->GetCount());
  EXPECT_EQ(count, 10u);
}

TEST_F(BTreeTest, UpsertOfANewKeyInsertsWithAnOffPath) {
  MakeRecords(4, Iota(0, 10));
  BT_ASSIGN_OR_FAIL(Path path, records_->Upsert(Record{25, 1}));
  EXPECT_FALSE(path.on);  // the documented quirk
  EXPECT_TRUE(records_->IsValid(path));
  BT_ASSIGN_OR_FAIL(Path next, records_->Next(path));
  EXPECT_EQ(records_->At(next)->value(), (Record{25, 1}));
  BT_ASSIGN_OR_FAIL(auto got, records_->Get(25));
  EXPECT_EQ(got, (Record{25, 1}));
  ExpectValid();
}

// --- updateAt ---

TEST_F(BTreeTest, UpdateAtWithTheSameKeyReplacesInPlace) {
  MakeRecords(4, Iota(0, 10));
  BT_ASSIGN_OR_FAIL(Path path, records_->Find(6));
  BT_ASSIGN_OR_FAIL(auto result, records_->UpdateAt(path, Record{6, 66}));
  EXPECT_TRUE(result.was_update);
  EXPECT_TRUE(result.path.on);
  EXPECT_TRUE(records_->IsValid(result.path));
  EXPECT_FALSE(records_->IsValid(path));
  EXPECT_EQ(records_->At(result.path)->value(), (Record{6, 66}));
}

TEST_F(BTreeTest, UpdateAtOnAnOffPathIsANoOp) {
  MakeRecords(4, Iota(0, 10));
  BT_ASSIGN_OR_FAIL(Path path, records_->Find(50));
  const uint64_t version = records_->version();
  BT_ASSIGN_OR_FAIL(auto result, records_->UpdateAt(path, Record{50, 1}));
  EXPECT_TRUE(result.was_update);
  EXPECT_FALSE(result.path.on);
  EXPECT_EQ(records_->version(), version);
  BT_ASSIGN_OR_FAIL(auto got, records_->Get(50));
  EXPECT_FALSE(got.has_value());
}

TEST_F(BTreeTest, UpdateAtWithANewKeyMovesTheEntry) {
  MakeRecords(4, Iota(0, 20));
  BT_ASSIGN_OR_FAIL(Path path, records_->Find(3));
  BT_ASSIGN_OR_FAIL(auto result, records_->UpdateAt(path, Record{100, 7}));
  EXPECT_FALSE(result.was_update);
  EXPECT_TRUE(result.path.on);
  EXPECT_EQ(records_->At(result.path)->value(), (Record{100, 7}));
  BT_ASSIGN_OR_FAIL(auto old_entry, records_->Get(3));
  EXPECT_FALSE(old_entry.has_value());
  BT_ASSIGN_OR_FAIL(size_t count, records_->GetCount());
  EXPECT_EQ(count, 20u);
  ExpectValid();
}

TEST_F(BTreeTest, UpdateAtToAnExistingKeyChangesNothing) {
  MakeRecords(4, Iota(0, 20));
  const std::string before = Dump(*records_);
  const uint64_t version = records_->version();
  BT_ASSIGN_OR_FAIL(Path path, records_->Find(3));
  BT_ASSIGN_OR_FAIL(auto result, records_->UpdateAt(path, Record{9, 1}));
  EXPECT_FALSE(result.was_update);
  EXPECT_FALSE(result.path.on);
  EXPECT_EQ(records_->version(), version);
  EXPECT_EQ(Dump(*records_), before);
  EXPECT_EQ(records_->Get(3)->value(), (Record{3, 30}));
  EXPECT_EQ(records_->Get(9)->value(), (Record{9, 90}));
}

// --- merge ---

TEST_F(BTreeTest, MergeUpdatesAnExistingEntry) {
  MakeRecords(4, Iota(0, 10));
  BT_ASSIGN_OR_FAIL(auto result, records_->Merge(Record{4, 0}, [](const Record& existing) {
    return Record{existing.key, existing.value + 1};
  }));
  EXPECT_TRUE(result.was_update);
  EXPECT_TRUE(result.path.on);
  EXPECT_TRUE(records_->IsValid(result.path));
  EXPECT_EQ(records_->Get(4)->value(), (Record{4, 41}));
}

TEST_F(BTreeTest, MergeInsertsANewEntry) {
  MakeRecords(4, Iota(0, 10));
  BT_ASSIGN_OR_FAIL(auto result, records_->Merge(Record{50, 5}, [](const Record& r) { return r; }));
  EXPECT_FALSE(result.was_update);
  EXPECT_TRUE(result.path.on);
  EXPECT_EQ(records_->At(result.path)->value(), (Record{50, 5}));
}

TEST_F(BTreeTest, MergeWithAKeyChangeMovesTheEntryInOneCommit) {
  MakeRecords(4, Iota(0, 10));
  const size_t updates = store_.counts().updates;
  BT_ASSIGN_OR_FAIL(auto result, records_->Merge(Record{4, 0}, [](const Record& existing) {
    return Record{existing.key + 100, existing.value};
  }));
  EXPECT_FALSE(result.was_update);
  EXPECT_EQ(records_->At(result.path)->value(), (Record{104, 40}));
  EXPECT_FALSE(records_->Get(4)->has_value());
  EXPECT_GT(store_.counts().updates, updates);
  ExpectValid();
}

// --- deleteAt ---

TEST_F(BTreeTest, DeleteAtRemovesTheEntry) {
  MakeRecords(4, Iota(0, 10));
  BT_ASSIGN_OR_FAIL(Path path, records_->Find(5));
  const uint64_t version = records_->version();
  BT_ASSIGN_OR_FAIL(bool removed, records_->DeleteAt(path));
  EXPECT_TRUE(removed);
  EXPECT_EQ(records_->version(), version + 1);
  EXPECT_FALSE(records_->Get(5)->has_value());
  ExpectValid();
}

TEST_F(BTreeTest, DeleteAtAnOffPathReturnsFalse) {
  MakeRecords(4, Iota(0, 10));
  BT_ASSIGN_OR_FAIL(Path path, records_->Find(50));
  const uint64_t version = records_->version();
  BT_ASSIGN_OR_FAIL(bool removed, records_->DeleteAt(path));
  EXPECT_FALSE(removed);
  EXPECT_EQ(records_->version(), version);
}

TEST_F(BTreeTest, DeletingTheOnlyEntryLeavesAnEmptyRootLeaf) {
  MakeRecords(4, {1});
  BT_ASSIGN_OR_FAIL(Path path, records_->Find(1));
  BT_ASSERT_OK(records_->DeleteAt(path));
  EXPECT_EQ(Dump(*records_), "()");
  EXPECT_EQ(store_.size(), 2u);
}

// --- stale paths (SPEC.md §3.4) ---

TEST_F(BTreeTest, EveryPathOperationRejectsAStalePath) {
  MakeRecords(4, Iota(0, 10));
  BT_ASSIGN_OR_FAIL(Path path, records_->Find(5));
  BT_ASSERT_OK(records_->Insert(Record{50, 0}));
  EXPECT_FALSE(records_->IsValid(path));
  EXPECT_TRUE(IsInvalidPath(records_->At(path).status()));
  EXPECT_TRUE(IsInvalidPath(records_->KeyAt(path).status()));
  EXPECT_TRUE(IsInvalidPath(records_->DeleteAt(path).status()));
  EXPECT_TRUE(IsInvalidPath(records_->UpdateAt(path, Record{5, 1}).status()));
  EXPECT_TRUE(IsInvalidPath(records_->MoveNext(path)));
  EXPECT_TRUE(IsInvalidPath(records_->MovePrior(path)));
  EXPECT_TRUE(IsInvalidPath(records_->Next(path).status()));
  EXPECT_TRUE(IsInvalidPath(records_->Prior(path).status()));
  EXPECT_TRUE(IsInvalidPath(records_->Ascending(path).status()));
  EXPECT_TRUE(IsInvalidPath(records_->Descending(path).status()));
  EXPECT_EQ(records_->Get(5)->value(), (Record{5, 50}));  // nothing was changed
}

TEST_F(BTreeTest, InvalidatePathsBumpsTheVersion) {
  MakeRecords(4, Iota(0, 3));
  BT_ASSIGN_OR_FAIL(Path path, records_->First());
  records_->InvalidatePaths();
  EXPECT_FALSE(records_->IsValid(path));
  EXPECT_TRUE(IsInvalidPath(records_->At(path).status()));
}

TEST_F(BTreeTest, ADefaultConstructedPathIsNeverValid) {
  MakeRecords(4, {});
  EXPECT_FALSE(records_->IsValid(Path()));
  EXPECT_TRUE(IsInvalidPath(records_->At(Path()).status()));
  Path path;
  EXPECT_TRUE(IsInvalidPath(records_->MoveNext(path)));
}

TEST_F(BTreeTest, MutationDuringIterationFailsTheNextStep) {
  MakeRecords(4, Iota(0, 10));
  BT_ASSIGN_OR_FAIL(Path first, records_->First());
  BT_ASSIGN_OR_FAIL(Cursor<RecordTraits> cursor, records_->Ascending(first));
  ASSERT_TRUE(cursor.on());
  BT_ASSERT_OK(cursor.Next());
  BT_ASSERT_OK(records_->Insert(Record{20, 0}));
  EXPECT_TRUE(IsInvalidPath(cursor.Next()));
}

// --- drop ---

TEST_F(BTreeTest, DropDeletesEveryNodeButTheTrunk) {
  MakeRecords(4, Iota(0, 100));
  BT_ASSIGN_OR_FAIL(TreeShape shape, records_->Verify());
  EXPECT_GE(shape.height, 3u);
  BT_ASSERT_OK(records_->Drop());
  EXPECT_EQ(store_.size(), 1u);
  EXPECT_TRUE(store_.Contains("trunk"));
}

TEST_F(BTreeTest, DropOfARootLeafTree) {
  MakeRecords(4, {1, 2});
  BT_ASSERT_OK(records_->Drop());
  EXPECT_EQ(store_.size(), 1u);
}

// --- worked examples and splits (SPEC.md §3.7) ---

TEST_F(BTreeTest, AscendingInsertsOf0To64AtCapacity64SplitInto32And33) {
  MakeInts(64, Iota(0, 65));
  BT_ASSIGN_OR_FAIL(block::BlockId root_id, ints_->trunk().GetRootId());
  BT_ASSIGN_OR_FAIL(Value root, block::GetBlock(store_, root_id));
  ASSERT_EQ(root["header"]["type"], "TB");
  EXPECT_EQ(root["partitions"], Value::array({32}));
  BT_ASSIGN_OR_FAIL(Value left, block::GetBlock(store_, root["nodes"][0].get<std::string>()));
  BT_ASSIGN_OR_FAIL(Value right, block::GetBlock(store_, root["nodes"][1].get<std::string>()));
  EXPECT_EQ(left["entries"].size(), 32u);
  EXPECT_EQ(right["entries"].size(), 33u);
  EXPECT_EQ(left["entries"].front(), 0);
  EXPECT_EQ(left["entries"].back(), 31);
  EXPECT_EQ(right["entries"].front(), 32);
  EXPECT_EQ(right["entries"].back(), 64);
  EXPECT_EQ(store_.size(), 4u);  // trunk, root, two leaves
}

TEST_F(BTreeTest, SixtyFourEntriesFitInTheRootLeaf) {
  MakeInts(64, Iota(0, 64));
  BT_ASSIGN_OR_FAIL(TreeShape shape, ints_->Verify());
  EXPECT_EQ(shape.height, 1u);
}

TEST(BTreeSplit, LeafSplitPutsTheNewEntryOnTheSideOfItsIndex) {
  struct Case {
    int64_t key;
    const char* expected;
  };
  for (const Case& c : {Case{5, "[(5 10 20) 30 (30 40)]"},       // index 0 < mid 2: left
                        Case{25, "[(10 20) 25 (25 30 40)]"},     // index 2 == mid: right, first
                        Case{45, "[(10 20) 30 (30 40 45)]"}}) {  // index 4: right
    test::MemoryBlockStore store;
    BT_ASSIGN_OR_FAIL(auto tree, test::BuildTree(store, "(10 20 30 40)", 4));
    BT_ASSIGN_OR_FAIL(Path path, tree.Insert(c.key));
    EXPECT_EQ(Dump(tree), c.expected);
    EXPECT_EQ(tree.KeyAt(path)->value(), c.key);
    BT_ASSIGN_OR_FAIL(TreeShape shape, tree.Verify());
    EXPECT_EQ(store.size(), shape.node_ids.size() + 1);
  }
}

// --- point lookups record navigation reads (SPEC.md §6.6) ---

class PurposeStore final : public block::BlockStore {
 public:
  Result<block::BlockHeader> CreateBlockHeader(const block::BlockType& type,
                                               const std::optional<block::BlockId>& id) override {
    return inner.CreateBlockHeader(type, id);
  }
  Result<std::optional<Value>> TryGet(const block::BlockId& id,
                                      block::ReadPurpose purpose) override {
    reads.push_back(purpose == block::ReadPurpose::kValue ? "value " + id : "nav " + id);
    return inner.TryGet(id, purpose);
  }
  Result<block::BlockId> GenerateId() override { return inner.GenerateId(); }
  Status Insert(const Value& block) override { return inner.Insert(block); }
  Status Update(const block::BlockId& id, const block::BlockOperation& op) override {
    return inner.Update(id, op);
  }
  Status Delete(const block::BlockId& id) override { return inner.Delete(id); }

  test::MemoryBlockStore inner;
  std::vector<std::string> reads;
};

TEST(BTreePointLookup, ReadsInteriorNodesAsNavigationAndTheLeafAsValue) {
  PurposeStore store;
  std::string_view text = "[[(1 2) 3 (3 4)] 5 [(5 6) 7 (7 8)]]";
  BT_ASSIGN_OR_FAIL(block::BlockId root, test::BuildNode(store.inner, text));
  ASSERT_TRUE(IndependentTrunk::Create(store.inner, root, "trunk").has_value());
  BT_ASSIGN_OR_FAIL(
      auto tree, BTree<IntTraits>::Bind(store, std::make_unique<IndependentTrunk>(store, "trunk"),
                                        IntTraits(), BTreeOptions{4}));
  BT_ASSIGN_OR_FAIL(auto got, tree.Get(6));
  EXPECT_EQ(got, 6);
  store.reads.clear();
  BT_ASSIGN_OR_FAIL(auto again, tree.Get(6));
  EXPECT_EQ(again, 6);
  ASSERT_EQ(store.reads.size(), 4u);
  EXPECT_EQ(store.reads[0], "value trunk");
  EXPECT_EQ(store.reads[1], "value " + root);
  EXPECT_EQ(store.reads[2].substr(0, 4), "nav ");
  EXPECT_EQ(store.reads[3].substr(0, 6), "value ");
  // find, used to seed scans, reads everything as value.
  store.reads.clear();
  BT_ASSERT_OK(tree.Find(6));
  for (const std::string& read : store.reads) EXPECT_EQ(read.substr(0, 6), "value ") << read;
}

// --- atomicity (SPEC.md §3.3) ---

// Fails reads of one block id when armed.
class FailingStore final : public block::BlockStore {
 public:
  Result<block::BlockHeader> CreateBlockHeader(const block::BlockType& type,
                                               const std::optional<block::BlockId>& id) override {
    return inner.CreateBlockHeader(type, id);
  }
  Result<std::optional<Value>> TryGet(const block::BlockId& id,
                                      block::ReadPurpose purpose) override {
    if (id == fail_id) return Status::IOError("injected read failure");
    return inner.TryGet(id, purpose);
  }
  Result<block::BlockId> GenerateId() override { return inner.GenerateId(); }
  Status Insert(const Value& block) override { return inner.Insert(block); }
  Status Update(const block::BlockId& id, const block::BlockOperation& op) override {
    return inner.Update(id, op);
  }
  Status Delete(const block::BlockId& id) override { return inner.Delete(id); }

  test::MemoryBlockStore inner;
  block::BlockId fail_id;
};

TEST(BTreeAtomicity, AFailedMutationWritesNothingAndInvalidatesPaths) {
  FailingStore store;
  std::string_view text = "[(1 2) 3 (3 4) 5 (5 6)]";
  BT_ASSIGN_OR_FAIL(block::BlockId root, test::BuildNode(store.inner, text));
  ASSERT_TRUE(IndependentTrunk::Create(store.inner, root, "trunk").has_value());
  BT_ASSIGN_OR_FAIL(auto tree, BTree<IntTraits>::Open(store, IndependentTrunk::Opener("trunk"),
                                                      IntTraits(), BTreeOptions{4}));
  BT_ASSIGN_OR_FAIL(Path path, tree.Find(1));
  BT_ASSIGN_OR_FAIL(Value root_node, block::GetBlock(store.inner, root));
  // Deleting 1 removes it from the first leaf, then reads the right sibling to rebalance.
  const std::string before = Dump(tree);
  store.fail_id = root_node["nodes"][1].get<std::string>();
  const auto counts = store.inner.counts();
  auto removed = tree.DeleteAt(path);
  ASSERT_FALSE(removed.has_value());
  EXPECT_EQ(removed.error().code(), StatusCode::kIOError);
  EXPECT_EQ(store.inner.counts().updates, counts.updates);
  EXPECT_EQ(store.inner.counts().deletes, counts.deletes);
  store.fail_id.clear();
  EXPECT_EQ(Dump(tree), before);
  EXPECT_FALSE(tree.IsValid(path));
}

TEST(BTreeAtomicity, BoundTreesWriteThroughWithoutAScope) {
  test::MemoryBlockStore store;
  BT_ASSIGN_OR_FAIL(block::BlockId root, CreateEmptyRoot(store));
  BT_ASSIGN_OR_FAIL(auto trunk, IndependentTrunk::Create(store, root));
  BT_ASSIGN_OR_FAIL(auto tree, BTree<IntTraits>::Bind(store, std::move(trunk)));
  BT_ASSERT_OK(tree.Insert(7));
  BT_ASSIGN_OR_FAIL(Value leaf, block::GetBlock(store, root));
  EXPECT_EQ(leaf["entries"], Value::array({7}));
}

// --- Value entries, collection trunk, codec round trips ---

TEST(BTreeValues, ValueTraitsKeyObjectsByAMember) {
  test::MemoryBlockStore store;
  ValueTraits traits{MemberKey("id"), nullptr};
  BT_ASSIGN_OR_FAIL(auto tree, BTree<ValueTraits>::Create(store, IndependentTrunk::Factory(),
                                                          traits, BTreeOptions{4}));
  for (const char* name : {"delta", "alpha", "echo", "charlie", "bravo", "foxtrot"}) {
    BT_ASSERT_OK(tree.Insert(Value{{"id", name}, {"n", std::string(name).size()}}));
  }
  BT_ASSIGN_OR_FAIL(auto got, tree.Get("charlie"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ((*got)["n"], 7);
  BT_ASSIGN_OR_FAIL(
      auto names,
      Collect(tree.Range(KeyRange<Value>{KeyBound<Value>{"b"}, KeyBound<Value>{"e", false}})));
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0]["id"], "bravo");
  EXPECT_EQ(names[2]["id"], "delta");
  BT_ASSERT_OK(tree.Verify());
}

TEST(BTreeValues, CollectionTrunkKeepsTheRootInTheHeaderBlock) {
  test::MemoryBlockStore store;
  BT_ASSIGN_OR_FAIL(block::BlockId root, CreateEmptyRoot(store));
  Value header = block::MakeBlock(block::BlockHeader{"users", "TRE", "users"});
  header["rootId"] = root;
  header["headId"] = "log-1";
  BT_ASSERT_OK(store.Insert(header));
  BT_ASSIGN_OR_FAIL(auto tree,
                    BTree<IntTraits>::Bind(store, std::make_unique<CollectionTrunk>(store, "users"),
                                           IntTraits(), BTreeOptions{4}));
  for (int64_t k = 0; k < 5; ++k) BT_ASSERT_OK(tree.Insert(k));
  BT_ASSIGN_OR_FAIL(Value after, block::GetBlock(store, "users"));
  EXPECT_NE(after["rootId"], root);  // the root split repointed the header
  EXPECT_EQ(after["headId"], "log-1");
  EXPECT_EQ(Dump(tree), "[(0 1) 2 (2 3 4)]");
}

// Hands out blocks the way a persistent store would: encoded and decoded again.
class RoundTripStore final : public block::BlockStore {
 public:
  Result<block::BlockHeader> CreateBlockHeader(const block::BlockType& type,
                                               const std::optional<block::BlockId>& id) override {
    return inner.CreateBlockHeader(type, id);
  }
  Result<std::optional<Value>> TryGet(const block::BlockId& id,
                                      block::ReadPurpose purpose) override {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Value> block, inner.TryGet(id, purpose));
    if (!block.has_value()) return block;
    OPTIMYSTIC_ASSIGN_OR_RETURN(Value decoded, block::DecodeBlock(block::EncodeBlock(*block)));
    return std::optional<Value>(std::move(decoded));
  }
  Result<block::BlockId> GenerateId() override { return inner.GenerateId(); }
  Status Insert(const Value& block) override { return inner.Insert(block); }
  Status Update(const block::BlockId& id, const block::BlockOperation& op) override {
    return inner.Update(id, op);
  }
  Status Delete(const block::BlockId& id) override { return inner.Delete(id); }

  test::MemoryBlockStore inner;
};

TEST(BTreeValues, KeysSurviveTheCanonicalEncoding) {
  RoundTripStore store;
  BT_ASSIGN_OR_FAIL(auto doubles,
                    BTree<KeysetTraits<double>>::Create(store, IndependentTrunk::Factory(),
                                                        KeysetTraits<double>(), BTreeOptions{4}));
  for (double k : {3.0, 1.5, 2.0, -1.0, 4.25, 0.0, 7.0}) BT_ASSERT_OK(doubles.Insert(k));
  BT_ASSIGN_OR_FAIL(auto all, Collect(doubles.Range(KeyRange<double>{})));
  EXPECT_EQ(all, (std::vector<double>{-1.0, 0.0, 1.5, 2.0, 3.0, 4.25, 7.0}));
  BT_ASSIGN_OR_FAIL(auto three, doubles.Get(3.0));
  EXPECT_EQ(three, 3.0);
  BT_ASSERT_OK(doubles.Verify());
}

TEST(BTreeValues, StringKeysets) {
  test::MemoryBlockStore store;
  BT_ASSIGN_OR_FAIL(auto tree, BTree<KeysetTraits<std::string>>::Create(
                                   store, IndependentTrunk::Factory(), KeysetTraits<std::string>(),
                                   BTreeOptions{4}));
  for (const char* s : {"pear", "apple", "fig", "kiwi", "date", "lime"}) {
    BT_ASSERT_OK(tree.Insert(s));
  }
  BT_ASSIGN_OR_FAIL(auto all, Collect(tree.Range(KeyRange<std::string>{std::nullopt, std::nullopt,
                                                                       Direction::kDescending})));
  EXPECT_EQ(all, (std::vector<std::string>{"pear", "lime", "kiwi", "fig", "date", "apple"}));
}

// --- corruption read back ---

TEST(BTreeCorruption, AMalformedEntryIsCorruptionNamingTheBlock) {
  test::MemoryBlockStore store;
  std::string_view text = "(1 2 3)";
  BT_ASSIGN_OR_FAIL(block::BlockId root, test::BuildNode(store, text));
  BT_ASSERT_OK(store.Update(root, block::BlockOperation::Splice("entries", 1, 1, {"two"})));
  ASSERT_TRUE(IndependentTrunk::Create(store, root, "trunk").has_value());
  BT_ASSIGN_OR_FAIL(auto tree, BTree<IntTraits>::Open(store, IndependentTrunk::Opener("trunk")));
  auto found = tree.Find(2);
  ASSERT_FALSE(found.has_value());
  EXPECT_EQ(found.error().code(), StatusCode::kCorruption);
  EXPECT_NE(found.error().message().find(root), std::string_view::npos);
  EXPECT_NE(found.error().message().find("entries[1]"), std::string_view::npos);
  EXPECT_EQ(tree.Verify().status().code(), StatusCode::kCorruption);
}

TEST(BTreeCorruption, AMissingChildIsNotFound) {
  test::MemoryBlockStore store;
  std::string_view text = "[(1 2) 3 (3 4)]";
  BT_ASSIGN_OR_FAIL(block::BlockId root, test::BuildNode(store, text));
  BT_ASSIGN_OR_FAIL(Value node, block::GetBlock(store, root));
  BT_ASSERT_OK(store.Delete(node["nodes"][1].get<std::string>()));
  ASSERT_TRUE(IndependentTrunk::Create(store, root, "trunk").has_value());
  BT_ASSIGN_OR_FAIL(auto tree, BTree<IntTraits>::Open(store, IndependentTrunk::Opener("trunk")));
  auto found = tree.Find(3);
  ASSERT_FALSE(found.has_value());
  EXPECT_EQ(found.error().code(), StatusCode::kNotFound);
  EXPECT_NE(found.error().message().find("Missing block"), std::string_view::npos);
}

}  // namespace
}  // namespace optimystic::btree
