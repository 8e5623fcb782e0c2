// SPDX-License-Identifier: Apache-2.0
// LocalTransactor (SPEC.md §6.1–6.7) over a real repository on the memory engine, with a fault
// injecting engine between them to observe and break the order of commit steps. Every test runs
// twice: on the LocalTransactor, and on the NetworkTransactor over a network of one peer (this
// repository), which is what a node without a cluster runs: both must behave the same.
#include "core/transactor/local_transactor.h"

#include "cluster/network/network_transactor.h"
#include "support/in_process_network.h"

#include "kernel/core/repository/repository_test_util.h"
#include "support/fault_storage_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace optimystic::transactor {
namespace {

using namespace core::repository::test_util;  // NOLINT(build/namespaces): test helpers
using ::testing::HasSubstr;

// A log tail block as a collection's first action makes it: one entry naming the action.
Value TailWith(const BlockId& id, const ActionId& action) {
  Value block = block::MakeBlock(block::BlockHeader{id, "LGD", "users"});
  block["entries"] = Value::array({Value{{"actionId", action}}});
  return block;
}

CommitRequest CommitOf(const ActionId& action, uint64_t rev, const BlockId& tail,
                       std::vector<BlockId> ids, std::optional<BlockId> header = std::nullopt) {
  CommitRequest request;
  request.action_id = action;
  request.rev = rev;
  request.tail_id = tail;
  request.block_ids = std::move(ids);
  request.header_id = std::move(header);
  return request;
}

enum class Kind { kLocal, kNetworkOfOne };

class LocalTransactorTest : public ::testing::TestWithParam<Kind> {
 protected:
  LocalTransactorTest() { network_.AddPeer("self", repo_); }
  uint64_t Lagging() const {
    return GetParam() == Kind::kLocal ? local_.lagging_commits() : networked_.lagging_commits();
  }

  PendSuccess PendOk(const PendRequest& request) {
    auto result = txn_.Pend(request);
    EXPECT_TRUE(result) << result.error().ToString();
    if (!result || !std::holds_alternative<PendSuccess>(*result)) {
      ADD_FAILURE() << "pend " << request.action_id << " failed";
      return {};
    }
    return std::get<PendSuccess>(*result);
  }
  StaleFailure PendFails(const PendRequest& request) {
    auto result = txn_.Pend(request);
    EXPECT_TRUE(result) << result.error().ToString();
    if (!result || FailureOf(*result) == nullptr) {
      ADD_FAILURE() << "pend " << request.action_id << " succeeded";
      return {};
    }
    return *FailureOf(*result);
  }
  void CommitOk(const CommitRequest& request) {
    auto result = txn_.Commit(request);
    ASSERT_TRUE(result) << result.error().ToString();
    const StaleFailure* failure = FailureOf(*result);
    ASSERT_EQ(failure, nullptr) << "commit " << request.action_id
                                << " failed: " << failure->reason.value_or("(stale)");
  }
  // Pend (policy c) and commit with `tail` as the log tail.
  void Land(const ActionId& action, uint64_t rev, const BlockId& tail,
            const Transforms& transforms) {
    PendOk(MakePend(action, rev, transforms));
    CommitOk(CommitOf(action, rev, tail, block::BlockIdsForTransforms(transforms)));
  }
  GetBlockResult Read(const BlockId& id, std::optional<ActionContext> ctx = std::nullopt) {
    BlockGets gets;
    gets.block_ids = {id};
    gets.context = std::move(ctx);
    auto result = txn_.Get(gets);
    EXPECT_TRUE(result) << result.error().ToString();
    return result && result->count(id) != 0 ? result->at(id) : GetBlockResult{};
  }
  std::optional<ActionRev> LatestOf(const BlockId& id) { return Read(id).state.latest; }
  std::vector<ActionStatus> StatusOf(const ActionId& action, std::vector<BlockId> ids) {
    auto result = txn_.GetStatus({ActionBlocks{ids, action}});
    EXPECT_TRUE(result) << result.error().ToString();
    if (!result || result->size() != 1) {
      return {};
    }
    EXPECT_EQ(result->at(0).block_ids, ids);
    EXPECT_EQ(result->at(0).action_id, action);
    return result->at(0).statuses;
  }

  plugins::storage_memory::MemoryStorageEngine memory_;
  // Two fault layers, so that two writes of one commit can be made to fail.
  test::FaultStorageEngine inner_{memory_};
  test::FaultStorageEngine engine_{static_cast<storage::StorageEngine&>(inner_)};
  core::repository::Repository repo_{engine_};
  std::vector<LaggingCommit> lagging_;
  LocalTransactor local_{
      repo_, LocalTransactorOptions{[this](const LaggingCommit& lag) { lagging_.push_back(lag); }}};
  test::InProcessNetwork network_;
  cluster::network::NetworkTransactor networked_{
      network_, cluster::network::NetworkTransactorOptions{
                    [this](const LaggingCommit& lag) { lagging_.push_back(lag); }}};
  Transactor& txn_ = GetParam() == Kind::kLocal ? static_cast<Transactor&>(local_) : networked_;
};

// ---- two writers (SPEC.md §6.3–6.4) --------------------------------------------------------

TEST_P(LocalTransactorTest, TwoWritersPendAtRevOneAndOnlyOneCommits) {
  const Transforms winner = Both(InsertOf(TailWith("tail", "a")), InsertOf(TestBlock("d", 1)));
  const Transforms loser = Both(InsertOf(TailWith("tail", "b")), InsertOf(TestBlock("d", 2)));
  PendOk(MakePend("a", 1, winner));
  PendSuccess second = PendOk(MakePend("b", 1, loser));  // policy c: pends beside "a"
  EXPECT_EQ(second.pending.size(), 2u) << "b saw a pending on both blocks";
  CommitOk(CommitOf("a", 1, "tail", {"tail", "d"}));

  auto result = txn_.Commit(CommitOf("b", 1, "tail", {"tail", "d"}));
  ASSERT_TRUE(result) << result.error().ToString();
  const StaleFailure* failure = FailureOf(*result);
  ASSERT_NE(failure, nullptr) << "the loser must not commit";
  ASSERT_EQ(failure->missing.size(), 1u);
  EXPECT_EQ(failure->missing[0].action_id, "a");
  EXPECT_EQ(failure->missing[0].rev, std::optional<uint64_t>(1));
  // The tail is the arbiter: the loser learns the winner's tail transform, the log entry.
  EXPECT_EQ(failure->missing[0].transforms, InsertOf(TailWith("tail", "a")));
  EXPECT_FALSE(failure->conflict.has_value()) << "commit failures never set conflict";
  EXPECT_TRUE(IsConflictFailure(*failure));
  EXPECT_EQ(failure->stale_at, (StaleAt{"tail", 1}));
  // Nothing of the loser landed, on the tail or elsewhere.
  EXPECT_EQ(LatestOf("tail"), (ActionRev{"a", 1}));
  EXPECT_EQ(LatestOf("d"), (ActionRev{"a", 1}));
  EXPECT_EQ((*Read("d").block)["v"], 1);
  EXPECT_EQ(StatusOf("b", {"tail", "d"}),
            (std::vector<ActionStatus>{ActionStatus::kPending, ActionStatus::kPending}));
  ASSERT_TRUE(txn_.Cancel(ActionBlocks{{"tail", "d"}, "b"}).ok());
  EXPECT_EQ(StatusOf("b", {"tail", "d"}),
            (std::vector<ActionStatus>{ActionStatus::kAborted, ActionStatus::kAborted}));
  // Retrying the pend at the same rev is now stale with the winner's transforms.
  StaleFailure retry = PendFails(MakePend("b", 1, loser));
  EXPECT_EQ(retry.conflict, std::optional<bool>(true));
  ASSERT_EQ(retry.missing.size(), 2u);  // one entry per touched block
  EXPECT_EQ(block::ConcatTransforms({retry.missing[0].transforms, retry.missing[1].transforms}),
            winner);
  EXPECT_TRUE(lagging_.empty());
}

// ---- read dependencies (SPEC.md §6.6) ------------------------------------------------------

TEST_P(LocalTransactorTest, PendRejectsAStaleRead) {
  Land("a1", 1, "tail", Both(InsertOf(TailWith("tail", "a1")), InsertOf(TestBlock("r", 1))));
  PendRequest fresh = MakePend("a2", 2, InsertOf(TestBlock("w", 0)));
  fresh.reads = {{"r", 1}, {"never", 0}};  // an absent block is at revision 0
  PendOk(fresh);
  ASSERT_TRUE(txn_.Cancel(ActionBlocks{{"w"}, "a2"}).ok());

  Land("a3", 2, "tail", Both(UpdateOf("tail", {BlockOperation::Assign("n", 2)}), SetV("r", 7)));
  PendRequest stale = MakePend("a4", 3, InsertOf(TestBlock("w", 0)));
  stale.reads = {{"never", 0}, {"r", 1}};
  StaleFailure failure = PendFails(stale);
  EXPECT_EQ(failure.reason,
            std::optional<std::string>("Stale read: block r was at revision 1 but is now at 2"));
  EXPECT_EQ(failure.conflict, std::optional<bool>(true));
  EXPECT_TRUE(IsConflictFailure(failure));
  EXPECT_TRUE(failure.missing.empty());
  EXPECT_TRUE(Read("w").state.pendings.empty()) << "a refused pend writes nothing";

  PendRequest ahead = MakePend("a5", 3, InsertOf(TestBlock("w", 0)));
  ahead.reads = {{"never", 1}};  // recorded at a revision the block never had
  EXPECT_EQ(
      PendFails(ahead).reason,
      std::optional<std::string>("Stale read: block never was at revision 1 but is now at 0"));
}

// ---- log-first commit (SPEC.md §6.4, I2) ---------------------------------------------------

TEST_P(LocalTransactorTest, ATailFailureLeavesNothingCommitted) {
  const Transforms t = Both(InsertOf(TailWith("tail", "a1")),
                            Both(InsertOf(TestBlock("d1", 1)), InsertOf(TestBlock("d2", 2))));
  PendOk(MakePend("a1", 1, t));
  engine_.FailNthWrite(1);  // the one-batch commit of every block
  inner_.FailNthWrite(1);   // then, log-first, the tail's own commit
  auto result = txn_.Commit(CommitOf("a1", 1, "tail", {"d1", "d2", "tail"}));
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().ToString(), HasSubstr("injected fault"));
  for (const char* id : {"tail", "d1", "d2"}) {
    EXPECT_FALSE(LatestOf(id).has_value()) << id << " committed before the tail";
    EXPECT_EQ(Read(id).state.pendings, (std::vector<ActionId>{"a1"})) << id;
  }
  // The retry commits everything.
  CommitOk(CommitOf("a1", 1, "tail", {"d1", "d2", "tail"}));
  for (const char* id : {"tail", "d1", "d2"}) {
    EXPECT_EQ(LatestOf(id), (ActionRev{"a1", 1})) << id;
  }
}

TEST_P(LocalTransactorTest, AStaleTailFailsTheCommitBeforeAnyOtherBlock) {
  Land("a1", 1, "tail", Both(InsertOf(TailWith("tail", "a1")), InsertOf(TestBlock("d", 1))));
  // a2 pends only "d" at rev 2 while a3 takes the tail at rev 2.
  PendOk(MakePend("a2", 2, Both(UpdateOf("tail", {BlockOperation::Assign("n", 2)}), SetV("d", 2))));
  Land("a3", 2, "tail", UpdateOf("tail", {BlockOperation::Assign("n", 3)}));
  auto result = txn_.Commit(CommitOf("a2", 2, "tail", {"d", "tail"}));
  ASSERT_TRUE(result);
  ASSERT_NE(FailureOf(*result), nullptr);
  EXPECT_EQ(LatestOf("d"), (ActionRev{"a1", 1})) << "d must not take a2: its tail lost";
}

TEST_P(LocalTransactorTest, AHeaderOutsideBlockIdsCommitsFirst) {
  const Transforms t = Both(InsertOf(TestBlock("users", 0)),
                            Both(InsertOf(TailWith("tail", "a1")), InsertOf(TestBlock("d", 1))));
  PendOk(MakePend("a1", 1, t));
  const uint64_t before = engine_.writes();
  engine_.FailNthWrite(1);  // the one-batch commit, so that the log-first sequence runs
  inner_.FailNthWrite(2);   // its second step, the tail (the header is the first)
  auto result = txn_.Commit(CommitOf("a1", 1, "tail", {"tail", "d"}, "users"));
  ASSERT_FALSE(result) << "a failed tail commit fails the call";
  EXPECT_EQ(engine_.writes() - before, 3u);
  EXPECT_EQ(LatestOf("users"), (ActionRev{"a1", 1})) << "the header went first";
  EXPECT_FALSE(LatestOf("tail").has_value());
  EXPECT_FALSE(LatestOf("d").has_value());

  // A header failure is the call's result, and nothing else is tried.
  PendOk(MakePend("a2", 2, Both(SetV("users", 2), SetV("d", 2))));
  // The one batch is refused without a write (the tail holds no pending a2); then the header
  // alone fails.
  engine_.FailNthWrite(1);
  const uint64_t again = engine_.writes();
  EXPECT_FALSE(txn_.Commit(CommitOf("a2", 2, "tail", {"d"}, "users")));
  EXPECT_EQ(engine_.writes() - again, 1u);
  EXPECT_EQ(engine_.injected_failures(), 2u);
}

TEST_P(LocalTransactorTest, AHeaderInsideBlockIdsCommitsWithTheRest) {
  const Transforms t = Both(InsertOf(TestBlock("users", 0)),
                            Both(InsertOf(TailWith("tail", "a1")), InsertOf(TestBlock("d", 1))));
  PendOk(MakePend("a1", 1, t));
  const uint64_t before = engine_.writes();
  CommitOk(CommitOf("a1", 1, "tail", {"users", "tail", "d"}, "users"));
  EXPECT_EQ(engine_.writes() - before, 1u) << "every block in one batch";
  EXPECT_EQ(LatestOf("users"), (ActionRev{"a1", 1}));
}

TEST_P(LocalTransactorTest, FailuresAfterTheTailCommittedDoNotFailTheCall) {
  const Transforms t = Both(InsertOf(TailWith("tail", "a1")),
                            Both(InsertOf(TestBlock("d1", 1)), InsertOf(TestBlock("d2", 2))));
  PendOk(MakePend("a1", 1, t));
  // Write 1, the one batch, fails; log-first, the tail lands (inner write 1) and the rest's
  // batch (inner write 2) fails; block by block, both then land.
  engine_.FailNthWrite(1);
  inner_.FailNthWrite(2);
  auto result = txn_.Commit(CommitOf("a1", 1, "tail", {"tail", "d1", "d2"}));
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(FailureOf(*result), nullptr) << "the action has its place once the tail committed";
  EXPECT_EQ(LatestOf("tail"), (ActionRev{"a1", 1}));
  EXPECT_EQ(LatestOf("d1"), (ActionRev{"a1", 1}));
  EXPECT_EQ(LatestOf("d2"), (ActionRev{"a1", 1}));
  EXPECT_TRUE(lagging_.empty()) << "both landed after the batch failed";
  EXPECT_EQ(Lagging(), 0u);
}

TEST_P(LocalTransactorTest, ALaggingBlockIsReportedAndTheOthersLand) {
  Land("a0", 1, "tail", Both(InsertOf(TailWith("tail", "a0")), InsertOf(TestBlock("d1", 1))));
  // a1 pends at rev 2 on the tail, d1 and d2, but d1 is taken at rev 2 by a rival that did not
  // go through the log (the situation a replica that missed a broadcast is in).
  PendOk(MakePend("a1", 2,
                  Both(UpdateOf("tail", {BlockOperation::Assign("n", 2)}),
                       Both(SetV("d1", 2), InsertOf(TestBlock("d2", 2))))));
  PendOk(MakePend("rival", 2, SetV("d1", 9)));
  ASSERT_NO_FATAL_FAILURE(CommitOk(CommitOf("rival", 2, "d1", {"d1"})));
  CommitOk(CommitOf("a1", 2, "tail", {"tail", "d1", "d2"}));
  EXPECT_EQ(LatestOf("tail"), (ActionRev{"a1", 2}));
  EXPECT_EQ(LatestOf("d2"), (ActionRev{"a1", 2})) << "the block that could land did";
  EXPECT_EQ(LatestOf("d1"), (ActionRev{"rival", 2}));
  ASSERT_EQ(lagging_.size(), 1u);
  EXPECT_EQ(lagging_[0].action_id, "a1");
  EXPECT_EQ(lagging_[0].rev, 2u);
  EXPECT_EQ(lagging_[0].block_id, "d1");
  EXPECT_FALSE(lagging_[0].reason.empty());
  EXPECT_EQ(Lagging(), 1u);
  EXPECT_EQ(StatusOf("a1", {"tail", "d1", "d2"}),
            (std::vector<ActionStatus>{ActionStatus::kCommitted, ActionStatus::kPending,
                                       ActionStatus::kCommitted}));
}

TEST_P(LocalTransactorTest, APendingRestConvergesThroughReadDrivenPromotion) {
  const Transforms t = Both(InsertOf(TailWith("tail", "a1")), InsertOf(TestBlock("d", 1)));
  PendOk(MakePend("a1", 1, t));
  // Outer write 1, the one batch, fails; then the tail lands (inner write 1), and the rest's
  // batch and d alone (inner writes 2 and 3) fail.
  engine_.FailNthWrite(1);
  inner_.FailNthWrite(2, 2);
  CommitOk(CommitOf("a1", 1, "tail", {"tail", "d"}));
  EXPECT_EQ(LatestOf("tail"), (ActionRev{"a1", 1}));
  EXPECT_FALSE(LatestOf("d").has_value());
  EXPECT_EQ(Lagging(), 1u);
  // A reader that learned from the log that a1 committed at rev 1 promotes d's pending record.
  GetBlockResult d = Read("d", AtRev(1, {{"a1", 1}}));
  ASSERT_TRUE(d.block);
  EXPECT_EQ(d.state.latest, (ActionRev{"a1", 1}));
  EXPECT_EQ(StatusOf("a1", {"d"}), std::vector<ActionStatus>{ActionStatus::kCommitted});
}

TEST_P(LocalTransactorTest, APendIsNotSyncedAndTheCommitIsOneSyncedBatch) {
  const Transforms t = Both(InsertOf(TestBlock("users", 0)),
                            Both(InsertOf(TailWith("tail", "a1")), InsertOf(TestBlock("d", 1))));
  const uint64_t writes = engine_.writes();
  const uint64_t synced = engine_.synced_writes();
  PendOk(MakePend("a1", 1, t));
  EXPECT_EQ(engine_.writes() - writes, 1u);
  EXPECT_EQ(engine_.synced_writes() - synced, 0u) << "a pend acknowledges nothing";
  CommitOk(CommitOf("a1", 1, "tail", {"tail", "d"}, "users"));
  EXPECT_EQ(engine_.writes() - writes, 2u);
  EXPECT_EQ(engine_.synced_writes() - synced, 1u) << "one fsync per transaction";
  for (const char* id : {"users", "tail", "d"}) {
    EXPECT_EQ(LatestOf(id), (ActionRev{"a1", 1})) << id;
  }

  // A repository whose pends are promises syncs them.
  plugins::storage_memory::MemoryStorageEngine memory;
  test::FaultStorageEngine engine{memory};
  core::repository::Repository promising(
      engine, core::repository::RepositoryOptions{.sync = true, .sync_pends = true});
  LocalTransactor txn(promising);
  ASSERT_TRUE(txn.Pend(MakePend("a1", 1, t)));
  EXPECT_EQ(engine.synced_writes(), 1u);
  // And one that syncs nothing syncs neither.
  core::repository::Repository unsynced(engine, core::repository::RepositoryOptions{.sync = false});
  ASSERT_TRUE(LocalTransactor(unsynced).Pend(MakePend("a2", 1, InsertOf(TestBlock("e", 1)))));
  EXPECT_EQ(engine.synced_writes(), 1u);
}

TEST_P(LocalTransactorTest, CommitWithoutATailIsInvalid) {
  PendOk(MakePend("a1", 1, InsertOf(TestBlock("d", 1))));
  auto result = txn_.Commit(CommitOf("a1", 1, "", {"d"}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(LatestOf("d").has_value());
}

TEST_P(LocalTransactorTest, CommitIsIdempotent) {
  const Transforms t = Both(InsertOf(TailWith("tail", "a1")), InsertOf(TestBlock("d", 1)));
  PendOk(MakePend("a1", 1, t));
  CommitOk(CommitOf("a1", 1, "tail", {"tail", "d"}));
  const auto snapshot = Snapshot(memory_);
  CommitOk(CommitOf("a1", 1, "tail", {"tail", "d"}));  // a retried commit (I9)
  EXPECT_EQ(Snapshot(memory_), snapshot) << "the second commit changed nothing";
  EXPECT_TRUE(lagging_.empty());
  ExpectInvariants(memory_, {"tail", "d"});
}

// ---- getStatus (SPEC.md §6.7) --------------------------------------------------------------

TEST_P(LocalTransactorTest, GetStatusReportsEachStatus) {
  Land("a1", 1, "tail", Both(InsertOf(TailWith("tail", "a1")), InsertOf(TestBlock("d", 1))));
  Land("a2", 2, "tail", Both(UpdateOf("tail", {BlockOperation::Assign("n", 2)}), SetV("d", 2)));
  PendOk(MakePend("p", 3, SetV("d", 3)));
  PendOk(MakePend("c", 3, SetV("d", 4)));
  ASSERT_TRUE(txn_.Cancel(ActionBlocks{{"d"}, "c"}).ok());

  auto result = txn_.GetStatus({ActionBlocks{{"tail", "d"}, "a1"}, ActionBlocks{{"d"}, "p"},
                                ActionBlocks{{"d"}, "c"}, ActionBlocks{{"unknown"}, "a1"},
                                ActionBlocks{{}, "a1"}});
  ASSERT_TRUE(result) << result.error().ToString();
  ASSERT_EQ(result->size(), 5u);
  // a1 is no block's latest any more but is in both revision histories.
  EXPECT_EQ((*result)[0].statuses,
            (std::vector<ActionStatus>{ActionStatus::kCommitted, ActionStatus::kCommitted}));
  EXPECT_EQ((*result)[1].statuses, std::vector<ActionStatus>{ActionStatus::kPending});
  EXPECT_EQ((*result)[2].statuses, std::vector<ActionStatus>{ActionStatus::kAborted});
  EXPECT_EQ((*result)[3].statuses, std::vector<ActionStatus>{ActionStatus::kAborted})
      << "a block with no state: aborted";
  EXPECT_TRUE((*result)[4].statuses.empty());
}

INSTANTIATE_TEST_SUITE_P(Transactors, LocalTransactorTest,
                         ::testing::Values(Kind::kLocal, Kind::kNetworkOfOne),
                         [](const ::testing::TestParamInfo<Kind>& info) {
                           return info.param == Kind::kLocal ? "Local" : "NetworkOfOne";
                         });

}  // namespace
}  // namespace optimystic::transactor
