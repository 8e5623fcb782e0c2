// SPDX-License-Identifier: Apache-2.0
// TransactorSource, ReadCollector and ReadRecordingSource (SPEC.md §5.1, §6.5–6.6, §10.10–12)
// over a scripted transactor.
#include <optimystic/base/seeded_random.h>
#include <optimystic/block/cache_source.h>
#include <optimystic/block/tracker.h>

#include "core/collection/transactor_source.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace optimystic::core::collection {
namespace {

using block::BlockId;
using block::ReadPurpose;
using block::Value;
using transactor::ActionRev;
using transactor::GetBlockResult;
using transactor::ReadDependency;
using transactor::StaleFailure;

// Answers gets from a table; pend and commit answers are set by the test; records everything.
class ScriptedTransactor final : public transactor::Transactor {
 public:
  std::map<BlockId, GetBlockResult> blocks;
  transactor::PendResult pend_result = transactor::PendSuccess{};
  transactor::CommitResult commit_result = transactor::CommitSuccess{};
  Status commit_error = Status::Ok();
  std::vector<transactor::BlockGets> gets;
  std::vector<transactor::PendRequest> pends;
  std::vector<transactor::CommitRequest> commits;
  std::vector<transactor::ActionBlocks> cancels;

  Result<transactor::GetBlockResults> Get(const transactor::BlockGets& request) override {
    gets.push_back(request);
    transactor::GetBlockResults out;
    for (const BlockId& id : request.block_ids) {
      auto it = blocks.find(id);
      out[id] = it != blocks.end() ? it->second : GetBlockResult{};
    }
    return out;
  }
  Result<std::vector<transactor::BlockActionStatus>> GetStatus(
      const std::vector<transactor::ActionBlocks>&) override {
    return std::vector<transactor::BlockActionStatus>{};
  }
  Result<transactor::PendResult> Pend(const transactor::PendRequest& request) override {
    pends.push_back(request);
    return pend_result;
  }
  Result<transactor::CommitResult> Commit(const transactor::CommitRequest& request) override {
    commits.push_back(request);
    if (!commit_error.ok()) {
      return commit_error;
    }
    return commit_result;
  }
  Status Cancel(const transactor::ActionBlocks& actions) override {
    cancels.push_back(actions);
    return Status::Ok();
  }
};

Value TestBlock(const BlockId& id) {
  Value block = block::MakeBlock(block::BlockHeader{id, "TL", "c"});
  block["v"] = 1;
  return block;
}

GetBlockResult Present(const BlockId& id, uint64_t latest, std::optional<uint64_t> materialized) {
  GetBlockResult r;
  r.block = TestBlock(id);
  r.state.latest = ActionRev{"a" + std::to_string(latest), latest};
  r.materialized_rev = materialized;
  return r;
}

class TransactorSourceTest : public ::testing::Test {
 protected:
  ScriptedTransactor transactor_;
  base::SeededRandom random_{7};
  ReadCollector collector_;
  TransactorSource source_{"c", transactor_, random_, &collector_};
};

TEST_F(TransactorSourceTest, PresentReadRecordsMaterializedRevision) {
  transactor_.blocks["b"] = Present("b", 9, 4);  // a pinned read: content at 4, replica at 9
  Result<std::optional<Value>> read = source_.TryGet("b", ReadPurpose::kValue);
  ASSERT_TRUE(read.has_value()) << read.error().ToString();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ(collector_.ValueReads(), (std::vector<ReadDependency>{{"b", 4}}));
}

TEST_F(TransactorSourceTest, FallsBackToLatestThenZero) {
  transactor_.blocks["b"] = Present("b", 9, std::nullopt);
  GetBlockResult pending_only;
  pending_only.block = TestBlock("p");
  transactor_.blocks["p"] = pending_only;
  ASSERT_TRUE(source_.TryGet("b", ReadPurpose::kValue).has_value());
  ASSERT_TRUE(source_.TryGet("p", ReadPurpose::kValue).has_value());
  EXPECT_EQ(collector_.ValueReads(), (std::vector<ReadDependency>{{"b", 9}, {"p", 0}}));
}

TEST_F(TransactorSourceTest, AbsentReadRecordsNothing) {
  Result<std::optional<Value>> read = source_.TryGet("missing", ReadPurpose::kValue);
  ASSERT_TRUE(read.has_value());
  EXPECT_FALSE(read->has_value());
  EXPECT_TRUE(collector_.ValueReads().empty());
}

TEST_F(TransactorSourceTest, UnavailableIsAnErrorNamingBlockAndReason) {
  GetBlockResult r;
  r.unavailable = transactor::UnavailableReason::kPeersUnreachable;
  transactor_.blocks["b"] = r;
  Result<std::optional<Value>> read = source_.TryGet("b", ReadPurpose::kValue);
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code(), StatusCode::kUnavailable);
  EXPECT_EQ(read.error().message(), "block b unavailable: peers-unreachable");
  EXPECT_TRUE(collector_.ValueReads().empty());
}

TEST_F(TransactorSourceTest, PossiblyStaleIsAnErrorNamingClaimedRev) {
  GetBlockResult r = Present("b", 3, 3);
  r.unconfirmed_ahead_rev = 5;
  transactor_.blocks["b"] = r;
  Result<std::optional<Value>> read = source_.TryGet("b", ReadPurpose::kValue);
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code(), StatusCode::kUnavailable);
  EXPECT_EQ(read.error().message(), "block b possibly stale: a replica claims rev 5");

  // A reader whose context is below the claimed rev does not expect it: the read stands.
  source_.set_context(transactor::ActionContext{{}, 4, std::nullopt});
  EXPECT_TRUE(source_.TryGet("b", ReadPurpose::kValue).has_value());
}

TEST_F(TransactorSourceTest, ReadsCarryTheContext) {
  transactor::ActionContext context{{ActionRev{"x", 2}}, 2, std::nullopt};
  source_.set_context(context);
  (void)source_.TryGet("b", ReadPurpose::kValue);
  ASSERT_EQ(transactor_.gets.size(), 1u);
  EXPECT_EQ(transactor_.gets[0].context, context);
  EXPECT_EQ(transactor_.gets[0].block_ids, std::vector<BlockId>{"b"});
}

TEST_F(TransactorSourceTest, HeadersAreStampedWithTheCollection) {
  Result<block::BlockHeader> fresh = source_.CreateBlockHeader("TL", std::nullopt);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->collection_id, "c");
  EXPECT_EQ(fresh->id.size(), 52u);
  Result<block::BlockHeader> named = source_.CreateBlockHeader("TRE", BlockId("c"));
  ASSERT_TRUE(named.has_value());
  EXPECT_EQ(named->id, "c");
}

TEST_F(TransactorSourceTest, NavigationOnlyReadsAreNotValueReads) {
  transactor_.blocks["n"] = Present("n", 2, 2);
  transactor_.blocks["v"] = Present("v", 3, 3);
  (void)source_.TryGet("n", ReadPurpose::kNavigation);
  (void)source_.TryGet("v", ReadPurpose::kNavigation);
  (void)source_.TryGet("v", ReadPurpose::kValue);
  EXPECT_EQ(collector_.ValueReads(), (std::vector<ReadDependency>{{"v", 3}}));
  collector_.Clear();
  EXPECT_TRUE(collector_.ValueReads().empty());
}

TEST_F(TransactorSourceTest, CacheHitsRecordAtTheCachedRevision) {
  block::CacheSource cache(source_);
  source_.set_cache(&cache);
  ReadRecordingSource reading(cache, collector_);
  transactor_.blocks["b"] = Present("b", 6, 6);
  ASSERT_TRUE(reading.TryGet("b", ReadPurpose::kValue).has_value());
  EXPECT_EQ(transactor_.gets.size(), 1u);
  EXPECT_EQ(cache.RevisionOf("b"), std::optional<uint64_t>(6));
  collector_.Clear();
  // A hit: the transactor is not asked, the read is still recorded.
  ASSERT_TRUE(reading.TryGetRef("b", ReadPurpose::kValue).has_value());
  EXPECT_EQ(transactor_.gets.size(), 1u);
  EXPECT_EQ(collector_.ValueReads(), (std::vector<ReadDependency>{{"b", 6}}));
  // After a fold at rev 8 the hit records 8.
  block::Transforms t;
  t.updates["b"] = {block::BlockOperation::Assign("v", 2)};
  cache.TransformCache(t, 8);
  collector_.Clear();
  block::Tracker tracker(reading);
  ASSERT_TRUE(tracker.TryGet("b", ReadPurpose::kValue).has_value());
  EXPECT_EQ(collector_.ValueReads(), (std::vector<ReadDependency>{{"b", 8}}));
}

block::Transforms InsertHeaderAndTail() {
  block::Transforms t;
  t.inserts["c"] = block::MakeBlock(block::BlockHeader{"c", "TKV", "c"});
  t.inserts["tail"] = block::MakeBlock(block::BlockHeader{"tail", "LGD", "c"});
  return t;
}

TEST_F(TransactorSourceTest, TransactPendsWithPolicyReturnThenCommitsWithHeader) {
  transactor_.pend_result = transactor::PendSuccess{{}, {"c", "tail"}};
  Result<std::optional<StaleFailure>> r =
      source_.Transact(InsertHeaderAndTail(), "act", 1, "tail", 0);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_FALSE(r->has_value());
  ASSERT_EQ(transactor_.pends.size(), 1u);
  EXPECT_EQ(transactor_.pends[0].policy, transactor::PendPolicy::kReturn);
  EXPECT_EQ(transactor_.pends[0].rev, std::optional<uint64_t>(1));
  EXPECT_FALSE(transactor_.pends[0].priority.has_value());  // only sent when > 0
  ASSERT_EQ(transactor_.commits.size(), 1u);
  EXPECT_EQ(transactor_.commits[0].header_id, std::optional<BlockId>("c"));
  EXPECT_EQ(transactor_.commits[0].tail_id, "tail");
  EXPECT_EQ(transactor_.commits[0].block_ids, (std::vector<BlockId>{"c", "tail"}));
  EXPECT_TRUE(transactor_.cancels.empty());
}

TEST_F(TransactorSourceTest, TransactOmitsHeaderWhenOnlyUpdatedAndSendsPriority) {
  block::Transforms t;
  t.updates["c"] = {block::BlockOperation::Assign("v", 1)};
  t.updates["tail"] = {block::BlockOperation::Assign("v", 1)};
  transactor_.pend_result = transactor::PendSuccess{{}, {"c", "tail"}};
  ASSERT_TRUE(source_.Transact(t, "act", 4, "tail", 3).has_value());
  EXPECT_EQ(transactor_.pends[0].priority, std::optional<uint32_t>(3));
  EXPECT_FALSE(transactor_.commits[0].header_id.has_value());
}

TEST_F(TransactorSourceTest, RefusedPendIsReturnedWithoutCommit) {
  StaleFailure stale;
  stale.reason = "stale";
  stale.conflict = true;
  transactor_.pend_result = stale;
  Result<std::optional<StaleFailure>> r =
      source_.Transact(InsertHeaderAndTail(), "a", 1, "tail", 0);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->reason, std::optional<std::string>("stale"));
  EXPECT_TRUE(transactor_.commits.empty());
  EXPECT_TRUE(transactor_.cancels.empty());
}

TEST_F(TransactorSourceTest, RefusedCommitCancelsThePend) {
  transactor_.pend_result = transactor::PendSuccess{{}, {"c", "tail"}};
  StaleFailure stale;
  stale.reason = "tail moved";
  transactor_.commit_result = stale;
  Result<std::optional<StaleFailure>> r =
      source_.Transact(InsertHeaderAndTail(), "a", 1, "tail", 0);
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->has_value());
  ASSERT_EQ(transactor_.cancels.size(), 1u);
  EXPECT_EQ(transactor_.cancels[0].action_id, "a");
  EXPECT_EQ(transactor_.cancels[0].block_ids, (std::vector<BlockId>{"c", "tail"}));
}

TEST_F(TransactorSourceTest, CommitErrorCancelsAndPropagates) {
  transactor_.pend_result = transactor::PendSuccess{{}, {"c", "tail"}};
  transactor_.commit_error = Status::IOError("disk");
  Result<std::optional<StaleFailure>> r =
      source_.Transact(InsertHeaderAndTail(), "a", 1, "tail", 0);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kIOError);
  EXPECT_EQ(transactor_.cancels.size(), 1u);
}

}  // namespace
}  // namespace optimystic::core::collection
