// SPDX-License-Identifier: Apache-2.0
// Unit tests for Log (SPEC.md §4): appends, the §4.4 queries and their tested examples, the
// priorHash chain over multi-block appends (SPEC.md §10.7) and VerifyLog's reports.
#include <optimystic/block/codec.h>
#include <optimystic/block/operation.h>
#include <optimystic/block/tracker.h>
#include <optimystic/chain/chain.h>
#include <optimystic/log/log.h>

#include "support/memory_block_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace optimystic::log {
namespace {

using block::BlockId;
using block::BlockOperation;
using block::Value;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using transactor::ActionContext;
using transactor::ActionRev;

std::vector<Value> OneAction(const std::string& key) {
  return {Value{{"type", "replace"}, {"data", Value::array({key})}}};
}

std::vector<std::string> ActionIds(const std::vector<ActionEntry>& entries) {
  std::vector<std::string> out;
  for (const ActionEntry& e : entries) {
    out.push_back(e.action_id);
  }
  return out;
}

class LogTest : public ::testing::Test {
 protected:
  Log Make(size_t entries_per_block = chain::kEntriesPerBlock) {
    Result<Log> log = Log::Create(store_, std::nullopt, entries_per_block);
    EXPECT_TRUE(log) << log.error().ToString();
    return std::move(log).value();
  }
  AppendResult Act(const Log& log, const std::string& action_id, uint64_t rev) {
    Result<AppendResult> added = log.AddActions(
        OneAction(action_id), action_id, rev, [] { return std::vector<BlockId>(); }, {},
        std::nullopt, static_cast<int64_t>(rev) * 1000);
    EXPECT_TRUE(added) << added.error().ToString();
    return added ? *added : AppendResult{};
  }
  void Checkpoint(const Log& log, std::vector<ActionRev> pendings, uint64_t rev) {
    Result<AppendResult> added = log.AddCheckpoint(std::move(pendings), rev, 0);
    EXPECT_TRUE(added) << added.error().ToString();
  }
  // The log's data blocks from head to tail, read raw.
  std::vector<Value> Blocks(const BlockId& log_id) {
    std::vector<Value> out;
    Value header = *block::GetBlock(store_, log_id);
    std::optional<BlockId> id = (*chain::EndsOf(header))->head_id;
    while (id.has_value() && out.size() < 1000) {
      out.push_back(*block::GetBlock(store_, *id));
      id = chain::LinkOf(out.back(), chain::kNextIdMember);
    }
    return out;
  }
  // Assigns member `member` of block `id` behind the log's back.
  void Tamper(const BlockId& id, const std::string& member, Value value) {
    ASSERT_TRUE(store_.Update(id, BlockOperation::Assign(member, std::move(value))).ok());
  }
  // Every priorHash equals the hash of the block immediately before it.
  void ExpectHashChain(const BlockId& log_id) {
    std::vector<Value> blocks = Blocks(log_id);
    ASSERT_FALSE(blocks.empty());
    EXPECT_EQ(blocks[0].count(kPriorHashMember), 0u) << "the head has no priorHash";
    for (size_t i = 1; i < blocks.size(); ++i) {
      ASSERT_EQ(blocks[i].count(kPriorHashMember), 1u) << "block " << i;
      EXPECT_EQ(blocks[i][kPriorHashMember], PriorHashOf(blocks[i - 1])) << "block " << i;
    }
  }

  test::MemoryBlockStore store_;
};

// ---- creation ------------------------------------------------------------------------------

TEST_F(LogTest, CreateMakesAnLghHeaderAndAnEmptyLgdBlock) {
  Log log = Make();
  Value header = *block::GetBlock(store_, log.id());
  EXPECT_EQ(header["header"]["type"], "LGH");
  std::vector<Value> blocks = Blocks(log.id());
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0]["header"]["type"], "LGD");
  EXPECT_EQ(blocks[0]["entries"], Value::array());
  auto context = log.GetActionContext();
  ASSERT_TRUE(context);
  EXPECT_FALSE(context->has_value()) << "an empty log has no context";
  auto since = log.GetFrom(0);
  ASSERT_TRUE(since);
  EXPECT_FALSE(since->context.has_value());
  EXPECT_TRUE(since->entries.empty());
  EXPECT_TRUE(VerifyLog(store_, log.id()).ok());
}

TEST_F(LogTest, OpenInitializesAFreshCollectionHeader) {
  Value header = block::MakeBlock(block::BlockHeader{"users", "TRE", "users"});
  header["fanout"] = 64;
  ASSERT_TRUE(store_.Insert(header).ok());
  auto log = Log::Open(store_, "users");
  ASSERT_TRUE(log) << log.error().ToString();
  ASSERT_TRUE(log->has_value());
  Value after = *block::GetBlock(store_, "users");
  EXPECT_EQ(after["fanout"], 64) << "the collection's own members are kept";
  EXPECT_EQ(after["header"]["type"], "TRE");
  EXPECT_EQ(Blocks("users").at(0)["header"]["type"], "LGD");
  Act(**log, "a1", 1);
  EXPECT_TRUE(VerifyLog(store_, "users").ok());
}

TEST_F(LogTest, OpenOfAnAbsentHeaderIsNoLog) {
  auto log = Log::Open(store_, "nothing");
  ASSERT_TRUE(log);
  EXPECT_FALSE(log->has_value());
}

// ---- appends -------------------------------------------------------------------------------

TEST_F(LogTest, AddActionsFillsBlockIdsAfterTheAppend) {
  Log log = Make(1);  // every append makes a new block
  Act(log, "a1", 1);
  block::Tracker tracker(store_);
  auto opened = Log::Open(tracker, log.id(), 1);
  ASSERT_TRUE(opened && opened->has_value());
  Result<AppendResult> added = (*opened)->AddActions(
      OneAction("k"), "a2", 2, [&tracker] { return tracker.TransformedBlockIds(); }, {"orders"},
      std::vector<ReadDependency>{{"block-9", 4}}, 42);
  ASSERT_TRUE(added) << added.error().ToString();
  const std::vector<Value> before = Blocks(log.id());  // the store has not seen the append
  ASSERT_EQ(before.size(), 1u);
  const BlockId old_tail = chain::IdOf(before[0]);
  // The append dirtied the old tail (nextId), the new tail and the header (tailId).
  EXPECT_NE(added->tail_id, old_tail);
  EXPECT_THAT(added->entry.action->block_ids,
              UnorderedElementsAre(log.id(), old_tail, added->tail_id));
  // The stored entry was rewritten with that list.
  auto tail = block::GetBlock(tracker, added->tail_id);
  ASSERT_TRUE(tail);
  Result<LogEntry> stored = LogEntryFromValue((*tail)["entries"][0]);
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, added->entry);
  EXPECT_EQ(stored->timestamp_ms, 42);
  EXPECT_EQ(stored->action->collection_ids, std::vector<std::string>{"orders"});
  EXPECT_EQ(stored->action->reads, (std::vector<ReadDependency>{{"block-9", 4}}));
}

TEST_F(LogTest, AppendResultNamesTheTailBlock) {
  Log log = Make(2);
  AppendResult first = Act(log, "a1", 1);
  AppendResult second = Act(log, "a2", 2);
  AppendResult third = Act(log, "a3", 3);
  std::vector<Value> blocks = Blocks(log.id());
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(first.tail_id, chain::IdOf(blocks[0]));
  EXPECT_EQ(second.tail_id, chain::IdOf(blocks[0]));
  EXPECT_EQ(third.tail_id, chain::IdOf(blocks[1]));
}

// ---- queries (SPEC.md §4.4) ----------------------------------------------------------------

TEST_F(LogTest, CheckpointRestatesTheCommittedSet) {
  // Tested example 1: actions rev 1..3, checkpoint rev 4 [a1@1, a2@2].
  Log log = Make();
  Act(log, "a1", 1);
  Act(log, "a2", 2);
  Act(log, "a3", 3);
  Checkpoint(log, {{"a1", 1}, {"a2", 2}}, 4);
  auto context = log.GetActionContext();
  ASSERT_TRUE(context) << context.error().ToString();
  ASSERT_TRUE(context->has_value());
  EXPECT_EQ((*context)->committed, (std::vector<ActionRev>{{"a1", 1}, {"a2", 2}}));
  EXPECT_EQ((*context)->rev, 4u);
  EXPECT_FALSE((*context)->action_id.has_value());
}

TEST_F(LogTest, GetFromCombinesCheckpointAndLaterActions) {
  // Tested example 2: a1@1, a2@2, checkpoint@3 [a1], a3@4.
  Log log = Make(2);  // spread over blocks, so the walk crosses block boundaries
  Act(log, "a1", 1);
  Act(log, "a2", 2);
  Checkpoint(log, {{"a1", 1}}, 3);
  Act(log, "a3", 4);
  auto all = log.GetFrom(0);
  ASSERT_TRUE(all) << all.error().ToString();
  EXPECT_EQ(ActionIds(all->entries), (std::vector<std::string>{"a1", "a2", "a3"}));
  ASSERT_TRUE(all->context.has_value());
  EXPECT_EQ(all->context->committed, (std::vector<ActionRev>{{"a1", 1}, {"a3", 4}}));
  EXPECT_EQ(all->context->rev, 4u);
  auto recent = log.GetFrom(2);
  ASSERT_TRUE(recent);
  EXPECT_EQ(ActionIds(recent->entries), (std::vector<std::string>{"a3"}));
  EXPECT_EQ(recent->context, all->context);
  auto none = log.GetFrom(4);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->entries.empty());
  EXPECT_EQ(none->context, all->context);
  auto context = log.GetActionContext();
  ASSERT_TRUE(context && context->has_value());
  EXPECT_EQ(**context, *all->context);
}

TEST_F(LogTest, EmptyCheckpointCommitsNothing) {
  // Tested example 3: checkpoint [] → committed [].
  Log log = Make();
  Act(log, "a1", 1);
  Checkpoint(log, {}, 2);
  auto context = log.GetActionContext();
  ASSERT_TRUE(context && context->has_value());
  EXPECT_TRUE((*context)->committed.empty());
  EXPECT_EQ((*context)->rev, 2u);
}

TEST_F(LogTest, WithoutACheckpointEveryActionIsCommitted) {
  Log log = Make(3);
  for (uint64_t rev = 1; rev <= 7; ++rev) {
    Act(log, "a" + std::to_string(rev), rev);
  }
  auto context = log.GetActionContext();
  ASSERT_TRUE(context && context->has_value());
  std::vector<ActionRev> expected;
  for (uint64_t rev = 1; rev <= 7; ++rev) {
    expected.push_back({"a" + std::to_string(rev), rev});
  }
  EXPECT_EQ((*context)->committed, expected);
  EXPECT_EQ((*context)->rev, 7u);
  auto since = log.GetFrom(5);
  ASSERT_TRUE(since);
  EXPECT_EQ(ActionIds(since->entries), (std::vector<std::string>{"a6", "a7"}));
}

TEST_F(LogTest, OnlyTheLatestCheckpointCounts) {
  Log log = Make();
  Act(log, "a1", 1);
  Checkpoint(log, {{"a1", 1}}, 2);
  Act(log, "a3", 3);
  Checkpoint(log, {{"a3", 3}}, 4);
  Act(log, "a5", 5);
  auto since = log.GetFrom(0);
  ASSERT_TRUE(since && since->context.has_value());
  EXPECT_EQ(since->context->committed, (std::vector<ActionRev>{{"a3", 3}, {"a5", 5}}));
  EXPECT_EQ(ActionIds(since->entries), (std::vector<std::string>{"a1", "a3", "a5"}));
}

TEST_F(LogTest, SelectReturnsEveryEntryInEitherDirection) {
  Log log = Make(2);
  Act(log, "a1", 1);
  Checkpoint(log, {{"a1", 1}}, 2);
  Act(log, "a3", 3);
  auto forward = log.Select();
  ASSERT_TRUE(forward) << forward.error().ToString();
  ASSERT_EQ(forward->size(), 3u);
  EXPECT_EQ((*forward)[0].rev, 1u);
  EXPECT_TRUE((*forward)[1].checkpoint.has_value());
  EXPECT_EQ((*forward)[2].action->action_id, "a3");
  auto backward = log.Select(chain::Direction::kBackward);
  ASSERT_TRUE(backward);
  std::vector<LogEntry> reversed(forward->rbegin(), forward->rend());
  EXPECT_EQ(*backward, reversed);
}

// ---- hash chain (SPEC.md §4.3, §10.7) ------------------------------------------------------

TEST_F(LogTest, EveryBlockAfterTheHeadCarriesItsPredecessorsHash) {
  Log log = Make(2);
  for (uint64_t rev = 1; rev <= 9; ++rev) {
    Act(log, "a" + std::to_string(rev), rev);
  }
  ASSERT_EQ(Blocks(log.id()).size(), 5u);
  ExpectHashChain(log.id());
  EXPECT_TRUE(VerifyLog(store_, log.id()).ok());
  // The stamp is the link-free payload's hash: the predecessor's nextId was set after hashing.
  std::vector<Value> blocks = Blocks(log.id());
  EXPECT_EQ(blocks[1][kPriorHashMember], block::ContentHash(chain::LinkFreePayload(blocks[0])));
  EXPECT_NE(blocks[1][kPriorHashMember], block::ContentHash(blocks[0]));
  EXPECT_EQ(blocks[1][kPriorHashMember].get<std::string>().size(), 52u) << "base32 SHA-256";
}

TEST_F(LogTest, OneAddThatMakesSeveralBlocksChainsEachToItsImmediatePredecessor) {
  Log log = Make(2);
  Act(log, "a1", 1);
  // Seven entries at once onto a tail holding one: fill it, then four new blocks.
  auto chain = chain::Chain::Open(store_, log.id(), LogChainOptions(2));
  ASSERT_TRUE(chain && chain->has_value());
  std::vector<Value> entries;
  for (uint64_t rev = 2; rev <= 8; ++rev) {
    LogEntry entry;
    entry.rev = rev;
    entry.action = ActionEntry{"a" + std::to_string(rev), OneAction("k"), {"x"}, {}, {}};
    entries.push_back(LogEntryToValue(entry));
  }
  ASSERT_TRUE((*chain)->Add(std::move(entries)));
  std::vector<Value> blocks = Blocks(log.id());
  ASSERT_EQ(blocks.size(), 4u);
  ExpectHashChain(log.id());
  // Not all stamped with the hash of the tail the Add started from (the §10.7 bug).
  EXPECT_NE(blocks[2][kPriorHashMember], PriorHashOf(blocks[0]));
  EXPECT_NE(blocks[3][kPriorHashMember], PriorHashOf(blocks[0]));
  EXPECT_TRUE(VerifyLog(store_, log.id()).ok());
}

TEST_F(LogTest, AppendsAfterVerificationKeepTheChainValid) {
  // Appending rewrites links (the old tail gains nextId, the header's tailId moves) of blocks
  // that were hashed already; links are outside the hash.
  Log log = Make(1);
  for (uint64_t rev = 1; rev <= 3; ++rev) {
    Act(log, "a" + std::to_string(rev), rev);
    ASSERT_TRUE(VerifyLog(store_, log.id()).ok()) << "after rev " << rev;
  }
  // A lagging tailId hint is not a broken link either.
  std::vector<Value> blocks = Blocks(log.id());
  Tamper(log.id(), "tailId", chain::IdOf(blocks[0]));
  EXPECT_TRUE(VerifyLog(store_, log.id()).ok());
  Act(log, "a4", 4);
  EXPECT_TRUE(VerifyLog(store_, log.id()).ok());
  ExpectHashChain(log.id());
}

// ---- VerifyLog reports ---------------------------------------------------------------------

class LogVerifyTest : public LogTest {
 protected:
  void SetUp() override {
    Log log = Make(2);
    for (uint64_t rev = 1; rev <= 9; ++rev) {
      Act(log, "a" + std::to_string(rev), rev);
    }
    log_id_ = log.id();
    for (const Value& b : Blocks(log_id_)) {
      ids_.push_back(chain::IdOf(b));
    }
    ASSERT_EQ(ids_.size(), 5u);
    ASSERT_TRUE(VerifyLog(store_, log_id_).ok());
  }
  // VerifyLog's error, which must be Corruption.
  std::string Broken() {
    Status status = VerifyLog(store_, log_id_);
    EXPECT_EQ(status.code(), StatusCode::kCorruption) << status.ToString();
    return std::string(status.message());
  }
  std::string At(size_t position) {
    return "log " + log_id_ + ": block " + ids_[position] + " (position " +
           std::to_string(position) + "): ";
  }

  BlockId log_id_;
  std::vector<BlockId> ids_;
};

TEST_F(LogVerifyTest, ATamperedPriorHashIsReportedAtThatBlock) {
  Value block = *block::GetBlock(store_, ids_[2]);
  std::string hash = block[kPriorHashMember].get<std::string>();
  hash[0] = hash[0] == 'a' ? 'b' : 'a';
  Tamper(ids_[2], kPriorHashMember, hash);
  EXPECT_THAT(Broken(), HasSubstr(At(2) + "priorHash mismatch"));
}

TEST_F(LogVerifyTest, ATamperedEntryBreaksTheLinkToTheNextBlock) {
  // A middle block's content changes: the next block's priorHash no longer matches it. The
  // report names the first broken link and the block whose content it no longer hashes.
  Value block = *block::GetBlock(store_, ids_[2]);
  Value entries = block["entries"];
  entries[0]["action"]["actionId"] = "forged";
  Tamper(ids_[2], "entries", Value::array());
  ASSERT_TRUE(store_.Update(ids_[2], BlockOperation::Splice("entries", 0, 0, entries)).ok());
  EXPECT_THAT(Broken(),
              HasSubstr(At(3) + "priorHash mismatch (it is not the hash of block " + ids_[2]));
}

TEST_F(LogVerifyTest, AMissingPriorHashIsReported) {
  ASSERT_TRUE(store_.Update(ids_[1], BlockOperation::Clear(kPriorHashMember)).ok());
  EXPECT_EQ(Broken(), At(1) + "missing priorHash");
}

TEST_F(LogVerifyTest, AnEntryThatDoesNotDecodeIsCorruption) {
  // In the tail, which no hash covers yet: the entry check still finds it.
  Value bad = Value{{"rev", "nine"}, {"timestamp", 0}};
  ASSERT_TRUE(
      store_.Update(ids_[4], BlockOperation::Splice("entries", 0, 1, Value::array({bad}))).ok());
  EXPECT_THAT(Broken(), HasSubstr(At(4) + "entry 0: rev"));
  auto log = Log::Open(store_, log_id_, 2);
  ASSERT_TRUE(log && log->has_value());
  auto selected = (*log)->Select();
  ASSERT_FALSE(selected);
  EXPECT_EQ(selected.error().code(), StatusCode::kCorruption);
  EXPECT_THAT(std::string(selected.error().message()), HasSubstr(ids_[4] + " entry 0"));
  auto context = (*log)->GetActionContext();
  ASSERT_FALSE(context);
  EXPECT_EQ(context.error().code(), StatusCode::kCorruption);
}

TEST_F(LogVerifyTest, AMissingOrMalformedBlockIsCorruption) {
  Tamper(ids_[3], "entries", "not an array");
  EXPECT_THAT(Broken(), HasSubstr(At(3)));
  ASSERT_TRUE(store_.Delete(ids_[3]).ok());
  EXPECT_EQ(Broken(), At(3) + "linked block is missing");
}

TEST_F(LogVerifyTest, ARelinkedBlockIsCorruption) {
  // Block 3 claims a predecessor other than the block before it.
  Tamper(ids_[3], "priorId", ids_[0]);
  EXPECT_THAT(Broken(), HasSubstr(At(3) + "priorId does not name the previous block " + ids_[2]));
}

TEST_F(LogVerifyTest, ANonLogIsNotFound) {
  EXPECT_EQ(VerifyLog(store_, "absent").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store_.Insert(block::MakeBlock(block::BlockHeader{"plain", "TL", "test"})).ok());
  EXPECT_EQ(VerifyLog(store_, "plain").code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace optimystic::log
