// SPDX-License-Identifier: Apache-2.0
// NetworkTransactor (SPEC.md §7.3) over peers in this process: blocks go to the peer the ring
// gives them, a peer that is down is skipped for the next of the block's cluster, a pend that
// fails anywhere is cancelled everywhere, and commits are log-first across peers.
#include "cluster/network/network_transactor.h"

#include "kernel/core/repository/repository_test_util.h"
#include "support/in_process_network.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace optimystic::cluster::network {
namespace {

using namespace core::repository::test_util;  // NOLINT(build/namespaces): test helpers
using ::testing::HasSubstr;
using transactor::ActionBlocks;
using transactor::ActionStatus;
using transactor::BlockGets;
using transactor::CommitRequest;
using transactor::FailureOf;
using transactor::PendSuccess;
using transactor::ReadDependency;

Value TailWith(const BlockId& id, const ActionId& action) {
  Value block = block::MakeBlock(block::BlockHeader{id, "LGD", "users"});
  block["entries"] = Value::array({Value{{"actionId", action}}});
  return block;
}

CommitRequest CommitOf(const ActionId& action, uint64_t rev, const BlockId& tail,
                       std::vector<BlockId> ids) {
  CommitRequest request;
  request.action_id = action;
  request.rev = rev;
  request.tail_id = tail;
  request.block_ids = std::move(ids);
  return request;
}

class NetworkTransactorTest : public ::testing::Test {
 protected:
  explicit NetworkTransactorTest(uint32_t replication = 1) : network_(replication) {
    for (const char* peer : {"p1", "p2", "p3"}) network_.AddPeer(peer);
  }

  // A block id the ring places first on `peer`, distinct from earlier ones.
  BlockId HomedOn(const std::string& peer) {
    for (;;) {
      BlockId id = "blk" + std::to_string(next_id_++);
      if (network_.Home(id) == peer) return id;
    }
  }
  std::optional<ActionRev> LatestOn(const std::string& peer, const BlockId& id) {
    auto latest = network_.RepositoryOf(peer).Latest(id);
    EXPECT_TRUE(latest) << latest.error().ToString();
    return latest ? *latest : std::nullopt;
  }
  void PendOk(const PendRequest& request) {
    auto result = txn_.Pend(request);
    ASSERT_TRUE(result) << result.error().ToString();
    ASSERT_EQ(FailureOf(*result), nullptr) << FailureOf(*result)->reason.value_or("(stale)");
  }
  void CommitOk(const CommitRequest& request) {
    auto result = txn_.Commit(request);
    ASSERT_TRUE(result) << result.error().ToString();
    ASSERT_EQ(FailureOf(*result), nullptr) << FailureOf(*result)->reason.value_or("(stale)");
  }

  test::InProcessNetwork network_;
  std::vector<transactor::LaggingCommit> lagging_;
  NetworkTransactor txn_{
      network_, NetworkTransactorOptions{[this](const auto& lag) { lagging_.push_back(lag); }}};
  int next_id_ = 0;
};

TEST_F(NetworkTransactorTest, EachBlockLandsOnlyOnThePeerTheRingGivesIt) {
  const BlockId tail = HomedOn("p1"), a = HomedOn("p2"), b = HomedOn("p3");
  const Transforms all = Both(Both(InsertOf(TailWith(tail, "x")), InsertOf(TestBlock(a, 1))),
                              InsertOf(TestBlock(b, 2)));
  PendOk(MakePend("x", 1, all));
  CommitOk(CommitOf("x", 1, tail, {tail, a, b}));
  EXPECT_EQ(LatestOn("p1", tail), (ActionRev{"x", 1}));
  EXPECT_EQ(LatestOn("p2", a), (ActionRev{"x", 1}));
  EXPECT_EQ(LatestOn("p3", b), (ActionRev{"x", 1}));
  for (const char* other : {"p2", "p3"}) EXPECT_EQ(LatestOn(other, tail), std::nullopt);
  EXPECT_EQ(LatestOn("p1", a), std::nullopt);

  auto read = txn_.Get(BlockGets{{a, b, tail, a}, std::nullopt});
  ASSERT_TRUE(read) << read.error().ToString();
  ASSERT_EQ(read->size(), 3u) << "one entry per distinct id";
  EXPECT_EQ((*read->at(a).block)["v"], 1);
  EXPECT_EQ((*read->at(b).block)["v"], 2);
  EXPECT_EQ(read->at(tail).state.latest, (ActionRev{"x", 1}));

  auto status = txn_.GetStatus({ActionBlocks{{b, tail, a}, "x"}});
  ASSERT_TRUE(status) << status.error().ToString();
  EXPECT_EQ(status->at(0).statuses,
            (std::vector<ActionStatus>{ActionStatus::kCommitted, ActionStatus::kCommitted,
                                       ActionStatus::kCommitted}));
  EXPECT_TRUE(lagging_.empty());
}

TEST_F(NetworkTransactorTest, AnAbsentBlockIsAuthoritativelyAbsent) {
  const BlockId missing = HomedOn("p2");
  auto read = txn_.Get(BlockGets{{missing}, std::nullopt});
  ASSERT_TRUE(read) << read.error().ToString();
  ASSERT_EQ(read->count(missing), 1u);
  EXPECT_FALSE(read->at(missing).block.has_value());
  EXPECT_FALSE(read->at(missing).unavailable.has_value());
}

TEST_F(NetworkTransactorTest, ABlockWhosePeerIsDownIsUnavailableNamingItsCluster) {
  const BlockId tail = HomedOn("p1"), a = HomedOn("p2");
  network_.SetDown("p2", true);
  auto pend =
      txn_.Pend(MakePend("x", 1, Both(InsertOf(TailWith(tail, "x")), InsertOf(TestBlock(a)))));
  ASSERT_FALSE(pend);
  EXPECT_EQ(pend.error().code(), StatusCode::kUnavailable);
  EXPECT_THAT(pend.error().ToString(), HasSubstr("cannot reach mem://p2"));
  // The part that did pend on p1 is cancelled in the background.
  txn_.WaitForBackgroundWork();
  auto status = network_.RepositoryOf("p1").RecordOf(tail, "x");
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, core::repository::ActionRecord::kNone);

  auto read = txn_.Get(BlockGets{{a}, std::nullopt});
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code(), StatusCode::kUnavailable);
  EXPECT_THAT(read.error().ToString(), HasSubstr("some peers did not complete"));
  EXPECT_THAT(read.error().ToString(), HasSubstr(a));
  EXPECT_THAT(network_.unreachable_reports(), ::testing::Contains("p2"));

  network_.SetDown("p2", false);
  PendOk(MakePend("x", 1, Both(InsertOf(TailWith(tail, "x")), InsertOf(TestBlock(a)))));
  CommitOk(CommitOf("x", 1, tail, {tail, a}));
  EXPECT_EQ(LatestOn("p2", a), (ActionRev{"x", 1}));
}

TEST_F(NetworkTransactorTest, AStaleBatchFailsThePendAndTheOthersAreCancelled) {
  const BlockId tail = HomedOn("p1"), a = HomedOn("p2"), b = HomedOn("p3");
  PendOk(MakePend("w", 1, InsertOf(TestBlock(b, 7))));
  CommitOk(CommitOf("w", 1, b, {b}));

  auto pend = txn_.Pend(MakePend(
      "x", 1, Both(Both(InsertOf(TailWith(tail, "x")), InsertOf(TestBlock(a))), SetV(b, 8))));
  ASSERT_TRUE(pend) << pend.error().ToString();
  const transactor::StaleFailure* failure = FailureOf(*pend);
  ASSERT_NE(failure, nullptr) << "b is already at rev 1";
  EXPECT_TRUE(transactor::IsConflictFailure(*failure));
  ASSERT_EQ(failure->missing.size(), 1u);
  EXPECT_EQ(failure->missing[0].action_id, "w");
  EXPECT_EQ(failure->stale_at, (transactor::StaleAt{b, 1}));
  txn_.WaitForBackgroundWork();
  auto status = txn_.GetStatus({ActionBlocks{{tail, a}, "x"}});
  ASSERT_TRUE(status) << status.error().ToString();
  EXPECT_EQ(status->at(0).statuses,
            (std::vector<ActionStatus>{ActionStatus::kAborted, ActionStatus::kAborted}))
      << "the pends on p1 and p2 were cancelled";
}

TEST_F(NetworkTransactorTest, AReadOfABlockElsewhereIsValidatedByItsPeer) {
  const BlockId tail = HomedOn("p1"), read_block = HomedOn("p3");
  PendOk(MakePend("w", 1, InsertOf(TestBlock(read_block, 1))));
  CommitOk(CommitOf("w", 1, read_block, {read_block}));

  PendRequest stale = MakePend("x", 1, InsertOf(TailWith(tail, "x")));
  stale.reads = {ReadDependency{read_block, 0}};  // read before w committed
  auto refused = txn_.Pend(stale);
  ASSERT_TRUE(refused) << refused.error().ToString();
  ASSERT_NE(FailureOf(*refused), nullptr);
  EXPECT_THAT(FailureOf(*refused)->reason.value_or(""),
              HasSubstr("Stale read: block " + read_block + " was at revision 0 but is now at 1"));

  PendRequest fresh = MakePend("y", 1, InsertOf(TailWith(tail, "y")));
  fresh.reads = {ReadDependency{read_block, 1}};
  PendOk(fresh);
  CommitOk(CommitOf("y", 1, tail, {tail}));
  EXPECT_EQ(network_.Requests("p3"), 4u) << "w's pend, commit, and two read validations";
}

TEST_F(NetworkTransactorTest, ACommitRefusedOnTheTailCommitsNothingElse) {
  const BlockId tail = HomedOn("p1"), a = HomedOn("p2");
  PendOk(MakePend("x", 1, Both(InsertOf(TailWith(tail, "x")), InsertOf(TestBlock(a, 1)))));
  PendOk(MakePend("y", 1, Both(InsertOf(TailWith(tail, "y")), InsertOf(TestBlock(a, 2)))));
  CommitOk(CommitOf("x", 1, tail, {tail, a}));
  auto loser = txn_.Commit(CommitOf("y", 1, tail, {tail, a}));
  ASSERT_TRUE(loser) << loser.error().ToString();
  ASSERT_NE(FailureOf(*loser), nullptr);
  EXPECT_EQ(FailureOf(*loser)->missing.at(0).action_id, "x");
  EXPECT_EQ(LatestOn("p2", a), (ActionRev{"x", 1}));
  EXPECT_TRUE(lagging_.empty());
}

TEST_F(NetworkTransactorTest, ABlockThatFailsAfterTheTailCommittedIsReportedLagging) {
  const BlockId tail = HomedOn("p1"), a = HomedOn("p2");
  PendOk(MakePend("x", 1, Both(InsertOf(TailWith(tail, "x")), InsertOf(TestBlock(a, 1)))));
  network_.SetDown("p2", true);
  CommitOk(CommitOf("x", 1, tail, {tail, a}));  // the tail decides
  ASSERT_EQ(lagging_.size(), 1u);
  EXPECT_EQ(lagging_[0].block_id, a);
  EXPECT_EQ(txn_.lagging_commits(), 1u);
  EXPECT_EQ(LatestOn("p1", tail), (ActionRev{"x", 1}));
}

// Background work the test runs by hand: (delay, work) in the order it was queued.
struct ManualBackground {
  std::vector<std::pair<int64_t, std::function<void()>>> queued;
  NetworkTransactorOptions Options() {
    NetworkTransactorOptions options;
    options.run_in_background = [this](int64_t delay_ms, std::function<void()> work) {
      queued.emplace_back(delay_ms, std::move(work));
    };
    return options;
  }
  // Runs what is queued now (work it queues waits for the next call); returns how many ran.
  size_t RunQueued() {
    auto now = std::move(queued);
    queued.clear();
    for (auto& [delay, work] : now) work();
    return now.size();
  }
};

TEST_F(NetworkTransactorTest, ALaggingBlockIsCommittedAgainInTheBackground) {
  ManualBackground background;
  NetworkTransactor txn(network_, background.Options());
  const BlockId tail = HomedOn("p1"), a = HomedOn("p2");
  ASSERT_TRUE(txn.Pend(MakePend("x", 1, Both(InsertOf(TailWith(tail, "x")),
                                             InsertOf(TestBlock(a, 1))))));
  network_.SetDown("p2", true);
  auto committed = txn.Commit(CommitOf("x", 1, tail, {tail, a}));
  ASSERT_TRUE(committed) << committed.error().ToString();
  EXPECT_EQ(FailureOf(*committed), nullptr) << "the tail decided";
  EXPECT_EQ(LatestOn("p2", a), std::nullopt);
  ASSERT_EQ(background.queued.size(), 1u);
  EXPECT_EQ(background.queued[0].first, 250) << "the first retry waits retry_initial_ms";
  EXPECT_EQ(background.RunQueued(), 1u);  // p2 still down: tried, and queued again
  ASSERT_EQ(background.queued.size(), 1u);
  EXPECT_EQ(background.queued[0].first, 500) << "backoff doubles";
  network_.SetDown("p2", false);
  background.RunQueued();
  EXPECT_EQ(LatestOn("p2", a), (ActionRev{"x", 1})) << "the lagging block took the commit";
  EXPECT_TRUE(background.queued.empty()) << "done: no further retry";
}

TEST_F(NetworkTransactorTest, AFailedCancelIsSentAgainUntilItTakesOrRunsOutOfAttempts) {
  ManualBackground background;
  NetworkTransactorOptions options = background.Options();
  options.retry_attempts = 3;
  NetworkTransactor txn(network_, options);
  const BlockId a = HomedOn("p2");
  ASSERT_TRUE(txn.Pend(MakePend("x", 1, InsertOf(TestBlock(a, 1)))));
  network_.SetDown("p2", true);
  EXPECT_FALSE(txn.Cancel(ActionBlocks{{a}, "x"}).ok());
  EXPECT_EQ(*network_.RepositoryOf("p2").RecordOf(a, "x"),
            core::repository::ActionRecord::kPending);
  EXPECT_EQ(background.RunQueued(), 1u);  // attempt 2 of 3 fails too
  network_.SetDown("p2", false);
  EXPECT_EQ(background.RunQueued(), 1u);  // attempt 3 takes
  EXPECT_EQ(*network_.RepositoryOf("p2").RecordOf(a, "x"), core::repository::ActionRecord::kNone);
  EXPECT_TRUE(background.queued.empty());

  ASSERT_TRUE(txn.Pend(MakePend("y", 1, InsertOf(TestBlock(a, 2)))));
  network_.SetDown("p2", true);
  EXPECT_FALSE(txn.Cancel(ActionBlocks{{a}, "y"}).ok());
  EXPECT_EQ(background.RunQueued(), 1u);
  EXPECT_EQ(background.RunQueued(), 1u);
  EXPECT_TRUE(background.queued.empty()) << "three attempts in all";
}

class ReplicatedNetworkTransactorTest : public NetworkTransactorTest {
 protected:
  ReplicatedNetworkTransactorTest() : NetworkTransactorTest(2) {}
};

TEST_F(ReplicatedNetworkTransactorTest, ADownCoordinatorIsSkippedForTheNextPeerOfTheCluster) {
  const BlockId a = HomedOn("p2");
  auto cluster = network_.ClusterFor(a);
  ASSERT_TRUE(cluster);
  ASSERT_EQ(cluster->size(), 2u);
  const std::string second = (*cluster)[1];
  network_.SetDown("p2", true);
  PendOk(MakePend("x", 1, InsertOf(TestBlock(a, 1))));
  CommitOk(CommitOf("x", 1, a, {a}));
  EXPECT_EQ(LatestOn(second, a), (ActionRev{"x", 1}));
  EXPECT_EQ(network_.Requests("p2"), 0u) << "a peer known to be down is not asked first";
  EXPECT_EQ(txn_.retries(), 0u);
}

TEST_F(ReplicatedNetworkTransactorTest, APeerThatFailsIsExcludedAndTheBatchRetriedOnTheNext) {
  const BlockId a = HomedOn("p2");
  auto cluster = network_.ClusterFor(a);
  ASSERT_TRUE(cluster);
  const std::string second = (*cluster)[1];
  network_.SetFailing("p2", true);  // thought reachable, yet every request fails
  PendOk(MakePend("x", 1, InsertOf(TestBlock(a, 1))));
  EXPECT_EQ(txn_.retries(), 1u);
  EXPECT_THAT(network_.unreachable_reports(), ::testing::ElementsAre("p2"));
  CommitOk(CommitOf("x", 1, a, {a}));  // with the peer that pended, remembered
  EXPECT_EQ(LatestOn(second, a), (ActionRev{"x", 1}));
  // A block two peers hold is read from both (a majority of two): with one failing, the
  // latest revision cannot be known.
  auto read = txn_.Get(BlockGets{{a}, std::nullopt});
  ASSERT_FALSE(read);
  EXPECT_THAT(read.error().ToString(), HasSubstr("(1 of 2 replicas answered, 2 needed)"));
  network_.SetFailing("p2", false);
  read = txn_.Get(BlockGets{{a}, std::nullopt});
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ((*read->at(a).block)["v"], 1) << "the later revision of the two replicas";
}

}  // namespace
}  // namespace optimystic::cluster::network
