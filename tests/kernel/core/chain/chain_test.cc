// SPDX-License-Identifier: Apache-2.0
// Unit tests for Chain (SPEC.md §2): one or more tests per operation and per edge case.
#include <optimystic/block/atomic.h>
#include <optimystic/block/tracker.h>
#include <optimystic/chain/chain.h>

#include "kernel/core/chain/chain_test_util.h"
#include "support/memory_block_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace optimystic::chain {
namespace {

using block::BlockId;
using block::BlockOperation;
using block::ReadPurpose;
using block::Value;
using test::AsInts;
using test::Ints;
using test::Range;
using Blocks = std::vector<std::vector<int64_t>>;

// The entries of each data block from the header's headId along nextId, read raw.
Blocks RawBlocks(block::BlockSource& store, const BlockId& chain_id) {
  Blocks out;
  Value header = *block::GetBlock(store, chain_id);
  std::optional<BlockId> id = (*EndsOf(header))->head_id;
  while (id.has_value() && out.size() < 1000) {
    Value data = *block::GetBlock(store, *id);
    out.push_back(AsInts(EntriesOf(data).get<std::vector<Value>>()));
    id = LinkOf(data, kNextIdMember);
  }
  return out;
}

ChainEnds Ends(block::BlockSource& store, const BlockId& chain_id) {
  return **EndsOf(*block::GetBlock(store, chain_id));
}

Value Raw(block::BlockSource& store, const BlockId& id) { return *block::GetBlock(store, id); }

std::vector<int64_t> Forward(const Chain& chain) { return *test::Contents(chain); }
std::vector<int64_t> Backward(const Chain& chain) {
  return *test::Contents(chain, Direction::kBackward);
}

std::vector<int64_t> Reversed(std::vector<int64_t> v) {
  std::reverse(v.begin(), v.end());
  return v;
}

class ChainTest : public ::testing::Test {
 protected:
  Chain Make(ChainOptions options = {}) {
    Result<Chain> chain = Chain::Create(store_, {}, std::move(options));
    EXPECT_TRUE(chain.has_value()) << chain.status().ToString();
    return std::move(chain).value();
  }
  // A chain holding 1..n.
  Chain Filled(int64_t n, ChainOptions options = {}) {
    Chain chain = Make(std::move(options));
    EXPECT_TRUE(chain.Add(Ints(1, n + 1)).has_value());
    return chain;
  }
  testing::AssertionResult Shape(const Chain& chain, const std::vector<int64_t>& entries,
                                 size_t per_block = kEntriesPerBlock) {
    test::ShapeExpectation want;
    want.entries_per_block = per_block;
    std::vector<BlockId> blocks;
    auto shape =
        test::CheckShape(store_, chain.id(), {entries.begin(), entries.end()}, want, &blocks);
    if (!shape) {
      return shape;
    }
    return test::CheckAccounting(store_, nullptr, chain.id(), blocks);
  }

  optimystic::test::MemoryBlockStore store_;
};

// ---- Create ----------------------------------------------------------------------------------

TEST_F(ChainTest, CreateMakesAHeaderAndOneEmptyBlockThatIsHeadAndTail) {
  Chain chain = Make();
  EXPECT_EQ(chain.id(), "block-2");  // the data block's id is drawn first
  Value header = Raw(store_, chain.id());
  EXPECT_EQ(block::HeaderOf(header)->type, "CHH");
  ChainEnds ends = Ends(store_, chain.id());
  EXPECT_EQ(ends.head_id, ends.tail_id);
  Value data = Raw(store_, ends.tail_id);
  EXPECT_EQ(block::HeaderOf(data)->type, "CHD");
  EXPECT_EQ(EntriesOf(data), Value::array());
  EXPECT_FALSE(data.contains("priorId"));
  EXPECT_FALSE(data.contains("nextId"));
  EXPECT_EQ(store_.size(), 2u);
  EXPECT_TRUE(Shape(chain, {}));
}

TEST_F(ChainTest, CreateUsesNewIdForTheHeader) {
  Result<Chain> chain = Chain::Create(store_, {.new_id = "my-log"});
  ASSERT_TRUE(chain.has_value());
  EXPECT_EQ(chain->id(), "my-log");
  EXPECT_TRUE(store_.Contains("my-log"));
}

TEST_F(ChainTest, CreateRejectsANewIdThatIsAlreadyABlock) {
  ASSERT_TRUE(Chain::Create(store_, {.new_id = "taken"}).has_value());
  const size_t before = store_.size();
  Result<Chain> again = Chain::Create(store_, {.new_id = "taken"});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_.size(), before);
}

TEST_F(ChainTest, CreateUsesTheGivenTypeCodes) {
  ChainOptions options;
  options.header_type = std::string(block::kLogHeaderType);
  options.data_type = std::string(block::kLogDataType);
  Chain chain = Make(options);
  ASSERT_TRUE(chain.Add(Ints(0, 40)).has_value());
  EXPECT_EQ(block::HeaderOf(Raw(store_, chain.id()))->type, "LGH");
  ChainEnds ends = Ends(store_, chain.id());
  EXPECT_EQ(block::HeaderOf(Raw(store_, ends.head_id))->type, "LGD");
  EXPECT_EQ(block::HeaderOf(Raw(store_, ends.tail_id))->type, "LGD");
}

TEST_F(ChainTest, CreateMergesIntoAnExistingHeaderAndKeepsItsMembers) {
  Value existing = block::MakeBlock({"users", "TRE", "users"});
  existing["rootId"] = "r1";
  ASSERT_TRUE(store_.Insert(existing).ok());
  Result<Chain> chain = Chain::Create(store_, {.existing_header_id = "users"});
  ASSERT_TRUE(chain.has_value()) << chain.status().ToString();
  EXPECT_EQ(chain->id(), "users");
  Value header = Raw(store_, "users");
  EXPECT_EQ(header["rootId"], "r1");
  EXPECT_EQ(block::HeaderOf(header)->type, "TRE");
  ChainEnds ends = Ends(store_, "users");
  EXPECT_EQ(ends.head_id, ends.tail_id);
  EXPECT_EQ(store_.size(), 2u);
  ASSERT_TRUE(chain->Add(Ints(0, 33)).has_value());
  EXPECT_EQ(Raw(store_, "users")["rootId"], "r1");
  EXPECT_TRUE(Shape(*chain, Range(0, 33)));
}

TEST_F(ChainTest, CreateWithAMissingExistingHeaderIsNotFoundAndWritesNothing) {
  Result<Chain> chain = Chain::Create(store_, {.existing_header_id = "nope"});
  ASSERT_FALSE(chain.has_value());
  EXPECT_EQ(chain.error().code(), StatusCode::kNotFound);
  EXPECT_NE(chain.error().message().find("not found"), std::string::npos);
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(ChainTest, CreateRejectsBadOptions) {
  EXPECT_EQ(Chain::Create(store_, {.new_id = "a", .existing_header_id = "b"}).error().code(),
            StatusCode::kInvalidArgument);
  ChainOptions zero;
  zero.entries_per_block = 0;
  EXPECT_EQ(Chain::Create(store_, {}, zero).error().code(), StatusCode::kInvalidArgument);
  ChainOptions untyped;
  untyped.data_type.clear();
  EXPECT_EQ(Chain::Create(store_, {}, untyped).error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_.size(), 0u);
}

// ---- Open ------------------------------------------------------------------------------------

TEST_F(ChainTest, OpenOfAnAbsentHeaderIsNoChain) {
  Result<std::optional<Chain>> chain = Chain::Open(store_, "nothing");
  ASSERT_TRUE(chain.has_value());
  EXPECT_FALSE(chain->has_value());
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(ChainTest, OpenOfAnExistingChainWritesNothing) {
  Chain made = Filled(40);
  const auto before = store_.counts();
  Result<std::optional<Chain>> chain = Chain::Open(store_, made.id());
  ASSERT_TRUE(chain.has_value() && chain->has_value());
  EXPECT_EQ(store_.counts().inserts, before.inserts);
  EXPECT_EQ(store_.counts().updates, before.updates);
  EXPECT_EQ(Forward(**chain), Range(1, 41));
}

TEST_F(ChainTest, OpenInitializesAHeaderWithoutEnds) {
  Value fresh = block::MakeBlock({"orders", "DIH", "orders"});
  fresh["name"] = "orders";
  ASSERT_TRUE(store_.Insert(fresh).ok());
  Result<std::optional<Chain>> chain = Chain::Open(store_, "orders");
  ASSERT_TRUE(chain.has_value() && chain->has_value()) << chain.status().ToString();
  Value header = Raw(store_, "orders");
  EXPECT_EQ(header["name"], "orders");
  ChainEnds ends = Ends(store_, "orders");
  EXPECT_EQ(ends.head_id, ends.tail_id);
  EXPECT_EQ(EntriesOf(Raw(store_, ends.tail_id)), Value::array());
  EXPECT_EQ(store_.size(), 2u);
  // Opening again finds the ends and makes nothing new.
  ASSERT_TRUE(Chain::Open(store_, "orders").has_value());
  EXPECT_EQ(store_.size(), 2u);
  EXPECT_TRUE(Shape(**chain, {}));
}

TEST_F(ChainTest, OpenInitializesAHeaderWithOnlyOneEnd) {
  Value half = block::MakeBlock({"h", "CHH", "test"});
  half["headId"] = "somewhere";
  ASSERT_TRUE(store_.Insert(half).ok());
  Result<std::optional<Chain>> chain = Chain::Open(store_, "h");
  ASSERT_TRUE(chain.has_value() && chain->has_value());
  ChainEnds ends = Ends(store_, "h");
  EXPECT_NE(ends.head_id, "somewhere");
  EXPECT_EQ(ends.head_id, ends.tail_id);
}

TEST_F(ChainTest, OpenRejectsMalformedEnds) {
  Value bad = block::MakeBlock({"h", "CHH", "test"});
  bad["headId"] = 7;
  bad["tailId"] = "x";
  ASSERT_TRUE(store_.Insert(bad).ok());
  Result<std::optional<Chain>> chain = Chain::Open(store_, "h");
  ASSERT_FALSE(chain.has_value());
  EXPECT_EQ(chain.error().code(), StatusCode::kCorruption);
}

TEST_F(ChainTest, MalformedDataBlocksAreCorruption) {
  Chain chain = Make();
  ChainEnds ends = Ends(store_, chain.id());
  ASSERT_TRUE(store_.Update(ends.tail_id, BlockOperation::Assign("entries", "oops")).ok());
  EXPECT_EQ(chain.Tail().error().code(), StatusCode::kCorruption);
  EXPECT_EQ(chain.Add(Ints(0, 1)).error().code(), StatusCode::kCorruption);
  EXPECT_EQ(chain.Pop().error().code(), StatusCode::kCorruption);
  EXPECT_NE(chain.Pop().error().message().find("chain " + chain.id()), std::string::npos);
}

// ---- Add -------------------------------------------------------------------------------------

TEST_F(ChainTest, AddFillsTheTailBeforeAppendingABlock) {
  Chain chain = Filled(10);
  ASSERT_TRUE(chain.Add(Ints(11, 41)).has_value());
  EXPECT_EQ(RawBlocks(store_, chain.id()), (Blocks{Range(1, 33), Range(33, 41)}));
  EXPECT_TRUE(Shape(chain, Range(1, 41)));
}

TEST_F(ChainTest, AddOfExactlyOneBlockStaysInOneBlockAndOneMoreSpills) {
  Chain chain = Filled(32);
  EXPECT_EQ(RawBlocks(store_, chain.id()).size(), 1u);
  ASSERT_TRUE(chain.Add(Ints(33, 34)).has_value());
  EXPECT_EQ(RawBlocks(store_, chain.id()), (Blocks{Range(1, 33), Range(33, 34)}));
  EXPECT_TRUE(Shape(chain, Range(1, 34)));
}

TEST_F(ChainTest, AddOfManyBlocksLinksThemBothWaysAndMovesTheTail) {
  Chain chain = Filled(100);
  EXPECT_EQ(RawBlocks(store_, chain.id()),
            (Blocks{Range(1, 33), Range(33, 65), Range(65, 97), Range(97, 101)}));
  EXPECT_TRUE(Shape(chain, Range(1, 101)));
  EXPECT_EQ(Backward(chain), Reversed(Range(1, 101)));
}

TEST_F(ChainTest, AddReturnsThePathToTheLastAddedEntry) {
  Chain chain = Filled(5);
  Result<ChainPath> path = chain.Add(Ints(6, 50));
  ASSERT_TRUE(path.has_value());
  EXPECT_EQ(path->block_id, Ends(store_, chain.id()).tail_id);
  EXPECT_EQ(path->index, 49 - 33);
  ASSERT_NE(path->At(), nullptr);
  EXPECT_EQ(*path->At(), 49);
  Result<ChainPath> small = chain.Add(Ints(50, 51));
  EXPECT_EQ(*small->At(), 50);
}

TEST_F(ChainTest, AddOfNothingWritesNothingAndReturnsTheTail) {
  Chain chain = Make();
  const auto before = store_.counts();
  Result<ChainPath> path = chain.Add({});
  ASSERT_TRUE(path.has_value());
  EXPECT_EQ(path->index, -1);
  EXPECT_FALSE(path->IsValid());
  EXPECT_EQ(store_.counts().updates, before.updates);
  EXPECT_EQ(store_.counts().inserts, before.inserts);
}

TEST_F(ChainTest, AddToAnAbsentChainIsNotFound) {
  Chain chain = Make();
  ASSERT_TRUE(store_.Delete(chain.id()).ok());
  EXPECT_EQ(chain.Add(Ints(0, 1)).error().code(), StatusCode::kNotFound);
}

TEST_F(ChainTest, AddHonoursEntriesPerBlock) {
  ChainOptions options;
  options.entries_per_block = 3;
  Chain chain = Filled(7, options);
  EXPECT_EQ(RawBlocks(store_, chain.id()), (Blocks{{1, 2, 3}, {4, 5, 6}, {7}}));
  EXPECT_TRUE(Shape(chain, Range(1, 8), 3));
}

TEST_F(ChainTest, AddFollowsALaggingTailHintToTheRealEnd) {
  Chain chain = Filled(40);
  ChainEnds ends = Ends(store_, chain.id());
  ASSERT_TRUE(store_.Update(chain.id(), BlockOperation::Assign("tailId", ends.head_id)).ok());
  Result<std::optional<ChainPath>> tail = chain.Tail();
  ASSERT_TRUE(tail.has_value() && tail->has_value());
  EXPECT_EQ((*tail)->block_id, ends.tail_id);
  ASSERT_TRUE(chain.Add(Ints(41, 80)).has_value());
  EXPECT_TRUE(Shape(chain, Range(1, 80)));  // the header names the real tail again
}

TEST_F(ChainTest, AddWritesEverythingInOneCommitAfterTheHooks) {
  ChainOptions options;
  size_t writes_seen_by_hooks = 0;
  const auto start = store_.counts();
  options.new_block = [&](Value&, const Value&) {
    const auto now = store_.counts();
    writes_seen_by_hooks +=
        now.inserts + now.updates + now.deletes - (start.inserts + start.updates + start.deletes);
    return Status::Ok();
  };
  Chain chain = Make(options);
  const auto created = store_.counts();
  ASSERT_TRUE(chain.Add(Ints(0, 100)).has_value());
  EXPECT_EQ(writes_seen_by_hooks, 2u * 3u);  // only Create's two inserts, seen by each hook
  EXPECT_EQ(store_.counts().inserts - created.inserts, 3u);
}

TEST_F(ChainTest, AFailingHookFailsTheAddAndWritesNothing) {
  ChainOptions options;
  int calls = 0;
  options.new_block = [&](Value&, const Value&) {
    return ++calls == 2 ? Status::Aborted("no hash") : Status::Ok();
  };
  Chain chain = Filled(10, options);
  const auto before = store_.counts();
  Result<ChainPath> path = chain.Add(Ints(11, 100));
  ASSERT_FALSE(path.has_value());
  EXPECT_EQ(path.error().code(), StatusCode::kAborted);
  EXPECT_EQ(store_.counts().inserts, before.inserts);
  EXPECT_EQ(store_.counts().updates, before.updates);
  EXPECT_TRUE(Shape(chain, Range(1, 11)));
}

TEST_F(ChainTest, TheHookGetsTheImmediatelyPrecedingBlock) {
  struct Call {
    BlockId new_prior;
    BlockId predecessor;
    size_t predecessor_size;
    bool predecessor_has_next;
  };
  std::vector<Call> calls;
  ChainOptions options;
  options.new_block = [&](Value& new_block, const Value& predecessor) {
    calls.push_back({*LinkOf(new_block, kPriorIdMember), IdOf(predecessor),
                     EntriesOf(predecessor).size(),
                     LinkOf(predecessor, kNextIdMember).has_value()});
    new_block["stamp"] = IdOf(predecessor);
    return Status::Ok();
  };
  Chain chain = Filled(10, options);
  EXPECT_TRUE(calls.empty());  // the tail had room
  const BlockId first = Ends(store_, chain.id()).tail_id;
  ASSERT_TRUE(chain.Add(Ints(11, 140)).has_value());  // 22 fill, then 32, 32, 32, 11
  ASSERT_EQ(calls.size(), 4u);
  BlockId expected = first;
  std::optional<BlockId> id = LinkOf(Raw(store_, first), kNextIdMember);
  for (const Call& call : calls) {
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(call.predecessor, expected);
    EXPECT_EQ(call.new_prior, expected);
    EXPECT_EQ(call.predecessor_size, 32u);
    EXPECT_FALSE(call.predecessor_has_next);
    Value block = Raw(store_, *id);
    EXPECT_EQ(block["stamp"], expected);  // the hook's member was inserted with the block
    expected = *id;
    id = LinkOf(block, kNextIdMember);
  }
}

TEST_F(ChainTest, AHookThatRewritesLinksIsRejected) {
  ChainOptions options;
  options.new_block = [](Value& new_block, const Value&) {
    new_block.erase("priorId");
    return Status::Ok();
  };
  Chain chain = Filled(32, options);
  EXPECT_EQ(chain.Add(Ints(0, 1)).error().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Shape(chain, Range(1, 33)));
}

// ---- UpdateAt --------------------------------------------------------------------------------

TEST_F(ChainTest, UpdateAtReplacesOneEntry) {
  Chain chain = Filled(40);
  Result<ChainPath> last = chain.Add(Ints(41, 42));
  Result<ChainPath> updated = chain.UpdateAt(*last, Value("changed"));
  ASSERT_TRUE(updated.has_value()) << updated.status().ToString();
  EXPECT_EQ(*updated->At(), "changed");
  EXPECT_EQ(EntriesOf(Raw(store_, last->block_id))[8], "changed");
  EXPECT_EQ(EntriesOf(Raw(store_, last->block_id)).size(), 9u);
  Result<std::optional<ChainPath>> head = chain.Head();
  ASSERT_TRUE(chain.UpdateAt(**head, Value(-1)).has_value());
  EXPECT_EQ(Forward(chain).front(), -1);
}

TEST_F(ChainTest, UpdateAtRejectsAnInvalidPath) {
  Chain chain = Filled(3);
  const auto before = store_.counts();
  Result<ChainPath> tail = **chain.Tail();
  Result<ChainPath> past = chain.Next(*tail);  // index 3: past the end
  Result<ChainPath> before_head = chain.Prior(**chain.Head());
  for (const ChainPath& path : {*past, *before_head, ChainPath{}}) {
    Result<ChainPath> r = chain.UpdateAt(path, Value(0));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.error().message().find("Invalid path"), std::string::npos);
  }
  EXPECT_EQ(store_.counts().updates, before.updates);
}

TEST_F(ChainTest, UpdateAtChecksTheStoredBlockNotOnlyTheSnapshot) {
  Chain chain = Filled(10);
  ChainPath ninth = *chain.Add({});  // index 9 (entry 10)
  ninth.index = 8;
  ASSERT_TRUE(chain.Pop(5).has_value());
  Result<ChainPath> r = chain.UpdateAt(ninth, Value(0));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Forward(chain), Range(1, 6));
}

// ---- Pop -------------------------------------------------------------------------------------

TEST_F(ChainTest, PopReturnsEntriesInChainOrder) {
  Chain chain = Filled(3);
  EXPECT_EQ(AsInts(*chain.Pop(2)), (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(Shape(chain, {1}));
}

TEST_F(ChainTest, PopTakesOneByDefault) {
  Chain chain = Filled(3);
  EXPECT_EQ(AsInts(*chain.Pop()), (std::vector<int64_t>{3}));
  EXPECT_EQ(Forward(chain), Range(1, 3));
}

TEST_F(ChainTest, PopOfZeroOrLessReturnsNothingAndWritesNothing) {
  Chain chain = Filled(3);
  const auto before = store_.counts();
  const size_t reads = store_.reads();
  EXPECT_TRUE(chain.Pop(0)->empty());
  EXPECT_TRUE(chain.Pop(-5)->empty());
  EXPECT_EQ(store_.counts().updates, before.updates);
  EXPECT_EQ(store_.reads(), reads);
  EXPECT_EQ(Forward(chain), Range(1, 4));
}

TEST_F(ChainTest, PopAcrossABlockBoundaryDeletesTheEmptiedBlock) {
  Chain chain = Filled(40);
  const ChainEnds before = Ends(store_, chain.id());
  EXPECT_EQ(AsInts(*chain.Pop(10)), Range(31, 41));
  EXPECT_FALSE(store_.Contains(before.tail_id));
  const ChainEnds after = Ends(store_, chain.id());
  EXPECT_EQ(after.tail_id, before.head_id);
  EXPECT_FALSE(Raw(store_, after.tail_id).contains("nextId"));
  EXPECT_TRUE(Shape(chain, Range(1, 31)));
}

TEST_F(ChainTest, PopOfExactlyTheTailBlock) {
  Chain chain = Filled(40);
  EXPECT_EQ(AsInts(*chain.Pop(8)), Range(33, 41));
  EXPECT_EQ(RawBlocks(store_, chain.id()), (Blocks{Range(1, 33)}));
  EXPECT_TRUE(Shape(chain, Range(1, 33)));
}

TEST_F(ChainTest, PopOverSeveralBlocks) {
  Chain chain = Filled(100);
  EXPECT_EQ(AsInts(*chain.Pop(70)), Range(31, 101));
  EXPECT_TRUE(Shape(chain, Range(1, 31)));
}

TEST_F(ChainTest, PopOfMoreThanExistEmptiesTheChainAndKeepsTheHead) {
  Chain chain = Filled(70);
  const BlockId head = Ends(store_, chain.id()).head_id;
  EXPECT_EQ(AsInts(*chain.Pop(1000)), Range(1, 71));
  ChainEnds ends = Ends(store_, chain.id());
  EXPECT_EQ(ends.head_id, head);
  EXPECT_EQ(ends.tail_id, head);
  EXPECT_TRUE(Shape(chain, {}));
  EXPECT_EQ(store_.size(), 2u);
  ASSERT_TRUE(chain.Add(Ints(1, 3)).has_value());
  EXPECT_TRUE(Shape(chain, Range(1, 3)));
}

TEST_F(ChainTest, PopOfAnEmptyChainReturnsNothingAndWritesNothing) {
  Chain chain = Make();
  const auto before = store_.counts();
  EXPECT_TRUE(chain.Pop(3)->empty());
  EXPECT_EQ(store_.counts().updates, before.updates);
  EXPECT_EQ(store_.counts().deletes, before.deletes);
}

TEST_F(ChainTest, PopAndDequeueOfAnAbsentChainReturnNothing) {
  Chain chain = Filled(3);
  ASSERT_TRUE(store_.Delete(chain.id()).ok());
  EXPECT_TRUE(chain.Pop(2)->empty());
  EXPECT_TRUE(chain.Dequeue(2)->empty());
}

// ---- Dequeue ---------------------------------------------------------------------------------

TEST_F(ChainTest, DequeueReturnsEntriesInFifoOrder) {
  Chain chain = Filled(3);
  EXPECT_EQ(AsInts(*chain.Dequeue(2)), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(AsInts(*chain.Dequeue()), (std::vector<int64_t>{3}));
  EXPECT_TRUE(Shape(chain, {}));
}

TEST_F(ChainTest, DequeueAcrossABlockBoundaryDeletesTheEmptiedHead) {
  Chain chain = Filled(70);
  const ChainEnds before = Ends(store_, chain.id());
  EXPECT_EQ(AsInts(*chain.Dequeue(40)), Range(1, 41));
  EXPECT_FALSE(store_.Contains(before.head_id));
  const ChainEnds after = Ends(store_, chain.id());
  EXPECT_NE(after.head_id, before.head_id);
  EXPECT_FALSE(Raw(store_, after.head_id).contains("priorId"));
  EXPECT_EQ(RawBlocks(store_, chain.id()), (Blocks{Range(41, 65), Range(65, 71)}));
  EXPECT_TRUE(Shape(chain, Range(41, 71)));
}

TEST_F(ChainTest, DequeueOfExactlyTheHeadBlock) {
  Chain chain = Filled(40);
  EXPECT_EQ(AsInts(*chain.Dequeue(32)), Range(1, 33));
  EXPECT_TRUE(Shape(chain, Range(33, 41)));
  EXPECT_EQ(store_.size(), 2u);
}

TEST_F(ChainTest, DequeueOfMoreThanExistEmptiesTheChainAndKeepsTheTail) {
  Chain chain = Filled(70);
  const BlockId tail = Ends(store_, chain.id()).tail_id;
  EXPECT_EQ(AsInts(*chain.Dequeue(71)), Range(1, 71));
  ChainEnds ends = Ends(store_, chain.id());
  EXPECT_EQ(ends.head_id, tail);
  EXPECT_EQ(ends.tail_id, tail);
  EXPECT_TRUE(Shape(chain, {}));
  ASSERT_TRUE(chain.Add(Ints(1, 40)).has_value());
  EXPECT_TRUE(Shape(chain, Range(1, 40)));
}

TEST_F(ChainTest, DequeueOfZeroOrLessOrOfAnEmptyChainWritesNothing) {
  Chain chain = Make();
  const auto before = store_.counts();
  EXPECT_TRUE(chain.Dequeue(0)->empty());
  EXPECT_TRUE(chain.Dequeue(-1)->empty());
  EXPECT_TRUE(chain.Dequeue(4)->empty());
  EXPECT_EQ(store_.counts().updates, before.updates);
}

TEST_F(ChainTest, DequeueRepairsALaggingTailHintThatNamedADeletedBlock) {
  Chain chain = Filled(70);
  const ChainEnds ends = Ends(store_, chain.id());
  ASSERT_TRUE(store_.Update(chain.id(), BlockOperation::Assign("tailId", ends.head_id)).ok());
  EXPECT_EQ(AsInts(*chain.Dequeue(40)), Range(1, 41));
  ASSERT_TRUE(chain.Tail().has_value());
  EXPECT_EQ((*chain.Tail())->block_id, ends.tail_id);
  ASSERT_TRUE(chain.Add(Ints(71, 75)).has_value());
  EXPECT_TRUE(Shape(chain, Range(41, 75)));
}

TEST_F(ChainTest, StackAndQueueUseTogether) {
  Chain chain = Filled(50);
  EXPECT_EQ(AsInts(*chain.Dequeue(20)), Range(1, 21));
  EXPECT_EQ(AsInts(*chain.Pop(20)), Range(31, 51));
  EXPECT_EQ(RawBlocks(store_, chain.id()), (Blocks{Range(21, 31)}));
  EXPECT_TRUE(Shape(chain, Range(21, 31)));
}

// ---- Select, Next, Prior, Head, Tail ---------------------------------------------------------

TEST_F(ChainTest, SelectOfAnEmptyOrAbsentChainYieldsNothing) {
  Chain chain = Make();
  EXPECT_TRUE(Forward(chain).empty());
  EXPECT_TRUE(Backward(chain).empty());
  ASSERT_TRUE(store_.Delete(chain.id()).ok());
  EXPECT_TRUE(Forward(chain).empty());
  EXPECT_FALSE(chain.Head()->has_value());
  EXPECT_FALSE(chain.Tail()->has_value());
}

TEST_F(ChainTest, SelectForwardAndBackwardCrossBlocks) {
  Chain chain = Filled(70);
  EXPECT_EQ(Forward(chain), Range(1, 71));
  EXPECT_EQ(Backward(chain), Reversed(Range(1, 71)));
}

TEST_F(ChainTest, SelectYieldsValidPathsNamingTheirBlocks) {
  Chain chain = Filled(40);
  auto paths = *test::CollectPaths(*chain.Select());
  ASSERT_EQ(paths.size(), 40u);
  const ChainEnds ends = Ends(store_, chain.id());
  EXPECT_EQ(paths[0], (ChainPath{ends.head_id, 0, nullptr}));
  EXPECT_EQ(paths[31], (ChainPath{ends.head_id, 31, nullptr}));
  EXPECT_EQ(paths[32], (ChainPath{ends.tail_id, 0, nullptr}));
  for (const ChainPath& p : paths) {
    EXPECT_TRUE(p.IsValid());
  }
}

TEST_F(ChainTest, SelectFromAPathStartsThereInclusive) {
  Chain chain = Filled(70);
  auto paths = *test::CollectPaths(*chain.Select());
  const ChainPath& at40 = paths[39];
  EXPECT_EQ(*test::CollectInts(*chain.SelectFrom(at40)), Range(40, 71));
  EXPECT_EQ(*test::CollectInts(*chain.SelectFrom(at40, Direction::kBackward)),
            Reversed(Range(1, 41)));
}

TEST_F(ChainTest, SelectFromCracksBeginsAtTheNearestEntry) {
  Chain chain = Filled(40);
  ChainPath tail = **chain.Tail();
  ChainPath past_end = *chain.Next(tail);  // index 8 of the tail block
  EXPECT_EQ(past_end.index, 8);
  EXPECT_TRUE(test::CollectInts(*chain.SelectFrom(past_end))->empty());
  EXPECT_EQ(*test::CollectInts(*chain.SelectFrom(past_end, Direction::kBackward)),
            Reversed(Range(1, 41)));
  ChainPath before_start = *chain.Prior(**chain.Head());
  EXPECT_EQ(before_start.index, -1);
  EXPECT_TRUE(test::CollectInts(*chain.SelectFrom(before_start, Direction::kBackward))->empty());
  EXPECT_EQ(*test::CollectInts(*chain.SelectFrom(before_start)), Range(1, 41));
  // A crack at the end of an interior block continues in the next block.
  ChainPath head_end{before_start.block_id, 32, before_start.block};
  EXPECT_EQ(*test::CollectInts(*chain.SelectFrom(head_end)), Range(33, 41));
  EXPECT_EQ(*test::CollectInts(*chain.SelectFrom(head_end, Direction::kBackward)),
            Reversed(Range(1, 33)));
}

// Hand-built chain A[1,2] <-> B[] <-> C[3] (an empty interior block never arises from the
// operations, but a reader must cope with one).
TEST_F(ChainTest, SelectSkipsEmptyBlocks) {
  auto data = [](const char* id, Value entries) {
    Value b = block::MakeBlock({id, "CHD", "test"});
    b["entries"] = std::move(entries);
    return b;
  };
  Value a = data("A", {1, 2});
  a["nextId"] = "B";
  Value b = data("B", Value::array());
  b["priorId"] = "A";
  b["nextId"] = "C";
  Value c = data("C", {3});
  c["priorId"] = "B";
  Value header = block::MakeBlock({"H", "CHH", "test"});
  header["headId"] = "A";
  header["tailId"] = "C";
  for (const Value& v : {a, b, c, header}) {
    ASSERT_TRUE(store_.Insert(v).ok());
  }
  Chain chain = **Chain::Open(store_, "H");
  EXPECT_EQ(Forward(chain), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(Backward(chain), (std::vector<int64_t>{3, 2, 1}));
  ChainPath on_b = *chain.Next(*chain.Next(**chain.Head()));  // A[1] is A's last entry: on to B[0]
  EXPECT_EQ(on_b.block_id, "B");
  EXPECT_FALSE(on_b.IsValid());
  EXPECT_EQ(*test::CollectInts(*chain.SelectFrom(on_b)), (std::vector<int64_t>{3}));
}

TEST_F(ChainTest, SelectReportsAMissingLinkedBlock) {
  Chain chain = Filled(40);
  ASSERT_TRUE(store_.Delete(Ends(store_, chain.id()).tail_id).ok());
  ChainCursor cursor = *chain.SelectFrom(**chain.Head());
  Result<std::vector<ChainPath>> paths = test::CollectPaths(cursor);
  ASSERT_FALSE(paths.has_value());
  EXPECT_EQ(paths.error().code(), StatusCode::kNotFound);
}

TEST_F(ChainTest, SelectFromADefaultPathIsRejected) {
  Chain chain = Filled(3);
  EXPECT_EQ(chain.SelectFrom(ChainPath{}).error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(chain.Next(ChainPath{}).error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(chain.Prior(ChainPath{}).error().code(), StatusCode::kInvalidArgument);
}

TEST_F(ChainTest, NextAndPriorWalkTheWholeChainAndStopAtCracks) {
  Chain chain = Filled(70);
  ChainPath path = **chain.Head();
  std::vector<int64_t> seen;
  while (path.IsValid()) {
    seen.push_back(*path.At()->get_ptr<const int64_t*>());
    path = *chain.Next(path);
  }
  EXPECT_EQ(seen, Range(1, 71));
  EXPECT_EQ(path.block_id, Ends(store_, chain.id()).tail_id);
  EXPECT_EQ(path.index, 6);  // past the last entry of the tail
  seen.clear();
  path = **chain.Tail();
  while (path.IsValid()) {
    seen.push_back(*path.At()->get_ptr<const int64_t*>());
    path = *chain.Prior(path);
  }
  EXPECT_EQ(seen, Reversed(Range(1, 71)));
  EXPECT_EQ(path.block_id, Ends(store_, chain.id()).head_id);
  EXPECT_EQ(path.index, -1);
}

TEST_F(ChainTest, NextFromBeyondTheLastIndexGoesToTheSuccessor) {
  Chain chain = Filled(40);
  ChainPath head = **chain.Head();
  ChainPath beyond{head.block_id, 45, head.block};
  ChainPath next = *chain.Next(beyond);
  EXPECT_EQ(next.block_id, Ends(store_, chain.id()).tail_id);
  EXPECT_EQ(next.index, 0);
  EXPECT_EQ(*next.At(), 33);
  ChainPath tail_start{next.block_id, 0, next.block};
  ChainPath prior = *chain.Prior(tail_start);
  EXPECT_EQ(prior.block_id, head.block_id);
  EXPECT_EQ(prior.index, 31);
}

TEST_F(ChainTest, HeadAndTailOfAnEmptyChain) {
  Chain chain = Make();
  ChainPath head = **chain.Head();
  ChainPath tail = **chain.Tail();
  EXPECT_EQ(head.block_id, tail.block_id);
  EXPECT_EQ(head.index, 0);
  EXPECT_EQ(tail.index, -1);
  EXPECT_FALSE(head.IsValid());
  EXPECT_EQ(head.At(), nullptr);
  EXPECT_EQ(head.block_size(), 0u);
}

TEST_F(ChainTest, HeadAndTailFollowLaggingHints) {
  Chain chain = Filled(100);
  const ChainEnds ends = Ends(store_, chain.id());
  const BlockId second = *LinkOf(Raw(store_, ends.head_id), kNextIdMember);
  ASSERT_TRUE(store_.Update(chain.id(), BlockOperation::Assign("headId", second)).ok());
  ASSERT_TRUE(store_.Update(chain.id(), BlockOperation::Assign("tailId", second)).ok());
  EXPECT_EQ((*chain.Head())->block_id, ends.head_id);
  EXPECT_EQ((*chain.Tail())->block_id, ends.tail_id);
  EXPECT_EQ(Forward(chain), Range(1, 101));
}

TEST_F(ChainTest, ARingOfLinksIsCorruption) {
  Chain chain = Make();
  const BlockId only = Ends(store_, chain.id()).tail_id;
  ASSERT_TRUE(store_.Update(only, BlockOperation::Assign("nextId", only)).ok());
  EXPECT_EQ(chain.Tail().error().code(), StatusCode::kCorruption);
}

TEST(ChainPath, DefaultPathIsNotValid) {
  ChainPath path;
  EXPECT_FALSE(path.IsValid());
  EXPECT_EQ(path.At(), nullptr);
  EXPECT_EQ(path.block_size(), 0u);
}

// ---- Stores ----------------------------------------------------------------------------------

TEST_F(ChainTest, WorksOverATrackerWithoutTouchingTheSource) {
  block::Tracker tracker(store_);
  Chain chain = std::move(Chain::Create(tracker)).value();
  ASSERT_TRUE(chain.Add(Ints(1, 80)).has_value());
  ASSERT_EQ(AsInts(*chain.Dequeue(40)), Range(1, 41));
  ASSERT_EQ(AsInts(*chain.Pop(5)), Range(75, 80));
  EXPECT_EQ(store_.size(), 0u);
  ASSERT_TRUE(block::ApplyTransformsToStore(tracker.Reset(), store_).ok());
  Chain reopened = **Chain::Open(store_, chain.id());
  EXPECT_TRUE(Shape(reopened, Range(41, 75)));
}

TEST_F(ChainTest, WorksInsideAnAtomicThatRollsBack) {
  Chain direct = Filled(50);
  block::Atomic atomic(store_);
  Chain chain = **Chain::Open(atomic, direct.id());
  ASSERT_EQ(AsInts(*chain.Dequeue(40)), Range(1, 41));
  ASSERT_TRUE(chain.Add(Ints(51, 120)).has_value());
  EXPECT_EQ(Forward(chain), Range(41, 120));
  EXPECT_EQ(Forward(direct), Range(1, 51));  // nothing reached the store yet
  atomic.Rollback();
  EXPECT_TRUE(Shape(direct, Range(1, 51)));
}

TEST_F(ChainTest, WorksInAtomicProxyScopes) {
  block::AtomicProxy proxy(store_);
  Chain chain = std::move(Chain::Create(proxy)).value();
  ASSERT_TRUE(proxy
                  .Run([&](block::Atomic&) -> Status {
                    OPTIMYSTIC_RETURN_IF_ERROR(chain.Add(Ints(1, 100)).status());
                    return chain.Dequeue(10).status();
                  })
                  .ok());
  EXPECT_TRUE(Shape(chain, Range(11, 100)));
  Status failed = proxy.Run([&](block::Atomic&) -> Status {
    OPTIMYSTIC_RETURN_IF_ERROR(chain.Pop(80).status());
    EXPECT_EQ(Forward(chain), Range(11, 20));
    return Status::Aborted("changed my mind");
  });
  EXPECT_EQ(failed.code(), StatusCode::kAborted);
  EXPECT_TRUE(Shape(chain, Range(11, 100)));
}

// ---- Format ----------------------------------------------------------------------------------

TEST(ChainFormat, ValidateDataBlockChecksEntriesAndLinks) {
  Value good = block::MakeBlock({"d", "CHD", "test"});
  good["entries"] = Value::array();
  EXPECT_TRUE(ValidateDataBlock(good).ok());
  Value null_link = good;
  null_link["nextId"] = nullptr;
  EXPECT_TRUE(ValidateDataBlock(null_link).ok());
  EXPECT_FALSE(LinkOf(null_link, kNextIdMember).has_value());
  Value no_entries = block::MakeBlock({"d", "CHD", "test"});
  EXPECT_EQ(ValidateDataBlock(no_entries).code(), StatusCode::kCorruption);
  Value bad_link = good;
  bad_link["priorId"] = 3;
  EXPECT_EQ(ValidateDataBlock(bad_link).code(), StatusCode::kCorruption);
  Value empty_link = good;
  empty_link["priorId"] = "";
  EXPECT_EQ(ValidateDataBlock(empty_link).code(), StatusCode::kCorruption);
  EXPECT_EQ(ValidateDataBlock(Value("x")).code(), StatusCode::kCorruption);
}

TEST(ChainFormat, LinkFreePayloadDropsOnlyTheLinks) {
  Value block = block::MakeBlock({"d", "LGD", "test"});
  block["entries"] = {1};
  block["priorHash"] = "h";
  Value linked = block;
  linked["priorId"] = "p";
  linked["nextId"] = "n";
  EXPECT_EQ(LinkFreePayload(linked), block);
}

TEST(ChainFormat, EndsOfReadsBothEndsOrNone) {
  Value header = block::MakeBlock({"h", "CHH", "test"});
  EXPECT_FALSE(EndsOf(header)->has_value());
  header["headId"] = "a";
  EXPECT_FALSE(EndsOf(header)->has_value());
  header["tailId"] = "b";
  EXPECT_EQ(**EndsOf(header), (ChainEnds{"a", "b"}));
  header["tailId"] = Value::array();
  EXPECT_EQ(EndsOf(header).error().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace optimystic::chain
