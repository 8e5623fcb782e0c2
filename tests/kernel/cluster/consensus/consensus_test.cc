// SPDX-License-Identifier: Apache-2.0
// Cluster consensus (SPEC.md §7.4) among in-process members, each over its own repository:
// decided writes reach every replica, a minority down does not stop writes and a majority does,
// rivals never both commit, forged votes count for nothing, a replica that missed commits
// catches up, votes survive a restart, and an abandoned commit is finished (with the late votes
// of the members still holding its promise) or given up. Then the
// NetworkTransactor over the replicated cluster.
#include "cluster/consensus/consensus_repo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "cluster/consensus/cluster_member.h"
#include "cluster/network/network_transactor.h"
#include "kernel/core/repository/repository_test_util.h"
#include "support/in_process_cluster.h"
#include "support/test_host.h"

namespace optimystic::cluster::consensus {
namespace {

using namespace core::repository::test_util;  // NOLINT(build/namespaces): test helpers
using core::repository::ActionRecord;
using ::testing::HasSubstr;
using transactor::ActionRev;
using transactor::CommitRequest;
using transactor::FailureOf;
using transactor::PendRequest;

constexpr const char* kBlock = "d";

class ConsensusTest : public ::testing::Test {
 protected:
  explicit ConsensusTest(uint32_t replication = 5) : cluster_(kIds, replication, clock_) {}

  static inline const std::vector<std::string> kIds = {"n1", "n2", "n3", "n4", "n5"};

  Result<transactor::PendResult> Pend(const std::string& via, const PendRequest& request) {
    return cluster_.CoordinatorOf(via).Pend(request);
  }
  Result<transactor::CommitResult> Commit(const std::string& via, const CommitRequest& request) {
    return cluster_.CoordinatorOf(via).Commit(request);
  }
  void Land(const std::string& via, const std::string& action, uint64_t rev,
            const Transforms& transforms) {
    auto pended = Pend(via, MakePend(action, rev, transforms));
    ASSERT_TRUE(pended) << pended.error().ToString();
    ASSERT_EQ(FailureOf(*pended), nullptr) << "pend " << action << " refused";
    auto committed = Commit(via, MakeCommit(action, rev, block::BlockIdsForTransforms(transforms)));
    ASSERT_TRUE(committed) << committed.error().ToString();
    ASSERT_EQ(FailureOf(*committed), nullptr)
        << "commit " << action << ": " << FailureOf(*committed)->reason.value_or("stale");
  }
  std::optional<ActionRev> LatestAt(const std::string& id, const BlockId& block) {
    auto latest = cluster_.RepositoryOf(id).Latest(block);
    EXPECT_TRUE(latest) << latest.error().ToString();
    return latest ? *latest : std::nullopt;
  }
  ActionRecord RecordAt(const std::string& id, const BlockId& block, const std::string& action) {
    auto record = cluster_.RepositoryOf(id).RecordOf(block, action);
    EXPECT_TRUE(record) << record.error().ToString();
    return record ? *record : ActionRecord::kNone;
  }
  int64_t ValueAt(const std::string& id, const BlockId& block) {
    auto got = cluster_.RepositoryOf(id).Get(transactor::BlockGets{{block}, std::nullopt});
    EXPECT_TRUE(got) << got.error().ToString();
    if (!got || !got->at(block).block) return -1;
    return (*got->at(block).block)["v"].get<int64_t>();
  }
  // A commit record for the cluster of `block`, as a coordinator starts one.
  wire::ClusterRecord CommitRecord(const std::string& action, uint64_t rev) {
    wire::ConsensusMessage message;
    message.op = wire::ConsensusOp::kCommit;
    message.commit = MakeCommit(action, rev, {kBlock});
    message.expiration_ms = static_cast<uint64_t>(clock_.NowUnixMs() + 10'000);
    return NewRecord(std::move(message), *cluster_.PeersOf("n1").ClusterOf(kBlock));
  }
  // A pend or cancel record for the cluster of `block`, as coordinator `by` starts one.
  wire::ClusterRecord PendRecord(const std::string& by, const PendRequest& pend) {
    wire::ConsensusMessage message;
    message.op = wire::ConsensusOp::kPend;
    message.pend = pend;
    message.coordinator = by;
    message.expiration_ms = static_cast<uint64_t>(clock_.NowUnixMs() + 10'000);
    return NewRecord(std::move(message), *cluster_.PeersOf("n1").ClusterOf(kBlock));
  }
  wire::ClusterRecord CancelRecord(const std::string& action,
                                   std::optional<std::string> pend_hash) {
    wire::ConsensusMessage message;
    message.op = wire::ConsensusOp::kCancel;
    message.cancel = transactor::ActionBlocks{{kBlock}, action};
    message.pend_hash = std::move(pend_hash);
    message.expiration_ms = static_cast<uint64_t>(clock_.NowUnixMs() + 10'000);
    return NewRecord(std::move(message), *cluster_.PeersOf("n1").ClusterOf(kBlock));
  }
  // Sends `record` to `to` and adds the votes of its reply.
  wire::ClusterUpdateOk Send(const std::string& to, wire::ClusterRecord& record) {
    auto reply = cluster_.MemberOf(to).Update(record);
    EXPECT_TRUE(reply) << reply.error().ToString();
    if (!reply) return {};
    for (const auto& [peer, vote] : reply->record.promises) record.promises.emplace(peer, vote);
    for (const auto& [peer, vote] : reply->record.commits) record.commits.emplace(peer, vote);
    return *reply;
  }

  // Sends one copy of `record` to every member at once, as a coordinator's phase does (each
  // sees none of the others' new votes), and adds the votes of the replies.
  void SendEach(wire::ClusterRecord& record) {
    const wire::ClusterRecord sent = record;
    for (const std::string& id : kIds) {
      wire::ClusterRecord copy = sent;
      Send(id, copy);
      for (const auto& [peer, vote] : copy.promises) record.promises.emplace(peer, vote);
      for (const auto& [peer, vote] : copy.commits) record.commits.emplace(peer, vote);
    }
  }

  test::TestClock clock_;
  test::InProcessCluster cluster_;
};

TEST_F(ConsensusTest, ADecidedCommitIsAppliedByEveryReplica) {
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  Land("n3", "a2", 2, SetV(kBlock, 2));
  for (const std::string& id : kIds) {
    EXPECT_EQ(LatestAt(id, kBlock), (ActionRev{"a2", 2})) << id;
    EXPECT_EQ(ValueAt(id, kBlock), 2) << id;
  }
  for (const std::string& id : kIds) {
    EXPECT_EQ(cluster_.MemberOf(id).active(), 0u) << id << " holds nothing undecided";
  }
}

TEST_F(ConsensusTest, OneReplicaDownKeepsWritingTwoDownStop) {
  cluster_.SetDown("n5", true);
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  for (const char* id : {"n1", "n2", "n3", "n4"}) {
    EXPECT_EQ(LatestAt(id, kBlock), (ActionRev{"a1", 1})) << id;
  }
  EXPECT_FALSE(LatestAt("n5", kBlock).has_value());

  cluster_.SetDown("n4", true);
  auto pended = Pend("n1", MakePend("a2", 2, SetV(kBlock, 2)));
  ASSERT_FALSE(pended);
  EXPECT_EQ(pended.error().code(), StatusCode::kUnavailable);
  EXPECT_THAT(pended.error().ToString(), HasSubstr("pend a2 promised by: 3 of 5 peers, 4 needed"));
  cluster_.CoordinatorOf("n1").WaitForBackgroundWork();  // the background cancel
  for (const char* id : {"n1", "n2", "n3"}) {
    EXPECT_EQ(RecordAt(id, kBlock, "a2"), ActionRecord::kNone) << id << ": the pend was cancelled";
    EXPECT_EQ(LatestAt(id, kBlock), (ActionRev{"a1", 1})) << id;
  }
}

TEST_F(ConsensusTest, AStalePendOrCommitComesBackAsARefusal) {
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  auto pended = Pend("n2", MakePend("b1", 1, SetV(kBlock, 5)));
  ASSERT_TRUE(pended) << pended.error().ToString();
  ASSERT_NE(FailureOf(*pended), nullptr) << "rev 1 is taken";
  ASSERT_EQ(FailureOf(*pended)->missing.size(), 1u);
  EXPECT_EQ(FailureOf(*pended)->missing.front().action_id, "a1") << "what the writer missed";

  // Two writers pend at rev 2; the first commit wins, the second is stale.
  ASSERT_TRUE(Pend("n1", MakePend("x", 2, SetV(kBlock, 2))));
  ASSERT_TRUE(Pend("n2", MakePend("y", 2, SetV(kBlock, 3))));
  auto x = Commit("n1", MakeCommit("x", 2, {kBlock}));
  ASSERT_TRUE(x) << x.error().ToString();
  EXPECT_EQ(FailureOf(*x), nullptr);
  auto y = Commit("n2", MakeCommit("y", 2, {kBlock}));
  ASSERT_TRUE(y) << y.error().ToString();
  ASSERT_NE(FailureOf(*y), nullptr);
  EXPECT_EQ(FailureOf(*y)->stale_at->rev, 2u);
  for (const std::string& id : kIds) {
    EXPECT_EQ(LatestAt(id, kBlock), (ActionRev{"x", 2})) << id;
  }
}

// Rivals with as many approvals are ranked by their pends' priority (a writer's consecutive
// losses) before the hash: the one that lost more often wins the tie.
TEST_F(ConsensusTest, ATieOfApprovalsGoesToTheHigherPriority) {
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  wire::ClusterRecord x = CommitRecord("x", 2);
  wire::ClusterRecord y = CommitRecord("y", 2);
  const bool x_low = x.message_hash < y.message_hash;
  const std::string low = x_low ? "x" : "y", high = x_low ? "y" : "x";
  PendRequest urgent = MakePend(low, 2, SetV(kBlock, 5));
  urgent.priority = 3;
  ASSERT_TRUE(Pend("n1", urgent));
  ASSERT_TRUE(Pend("n1", MakePend(high, 2, SetV(kBlock, 6))));
  wire::ClusterRecord held = x_low ? y : x;
  wire::ClusterRecord rival = x_low ? x : y;
  Send("n1", held);   // n1 promises the higher hash
  Send("n2", rival);  // the rival gets one approval elsewhere: a tie at n1
  Send("n1", rival);
  ASSERT_EQ(rival.promises.count("n1"), 1u);
  EXPECT_EQ(rival.promises.at("n1").type, wire::VoteType::kApprove)
      << "priority 3 beats the higher hash";
}

TEST_F(ConsensusTest, RivalCommitsAtOneRevisionNeverBothDecide) {
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  for (int round = 0; round < 10; ++round) {
    const uint64_t rev = 2 + round;
    const std::string x = "x" + std::to_string(round);
    const std::string y = "y" + std::to_string(round);
    ASSERT_TRUE(Pend("n1", MakePend(x, rev, SetV(kBlock, 100 + round))));
    ASSERT_TRUE(Pend("n4", MakePend(y, rev, SetV(kBlock, 200 + round))));
    Result<transactor::CommitResult> cx = Status::Internal("unset");
    Result<transactor::CommitResult> cy = Status::Internal("unset");
    std::thread other([&] { cy = Commit("n4", MakeCommit(y, rev, {kBlock})); });
    cx = Commit("n1", MakeCommit(x, rev, {kBlock}));
    other.join();
    const bool x_won = cx && FailureOf(*cx) == nullptr;
    const bool y_won = cy && FailureOf(*cy) == nullptr;
    EXPECT_FALSE(x_won && y_won) << "round " << round;
    // Whatever was decided, every replica that took rev `rev` took the same action.
    std::set<std::string> at_rev;
    for (const std::string& id : kIds) {
      std::optional<ActionRev> latest = LatestAt(id, kBlock);
      if (latest && latest->rev == rev) at_rev.insert(latest->action_id);
    }
    EXPECT_LE(at_rev.size(), 1u) << "round " << round;
    if (x_won) {
      EXPECT_EQ(at_rev, std::set<std::string>{x});
    }
    if (y_won) {
      EXPECT_EQ(at_rev, std::set<std::string>{y});
    }
    clock_.Advance(3000);
    if (!x_won && !y_won) {
      // Neither was decided: promises either may still hold yield once it has expired (and
      // race_stale_ms more), or sooner when its coordinator's report of the loss arrives.
      clock_.Advance(10'000);
      Land("n2", "z" + std::to_string(round), rev, SetV(kBlock, 300 + round));
    }
  }
}

TEST_F(ConsensusTest, ForgedAndForeignVotesCountForNothing) {
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  ASSERT_TRUE(Pend("n1", MakePend("a2", 2, SetV(kBlock, 2))));
  // A commit quorum of commit votes, signed by a key that is none of the peers', and one from a
  // peer outside the cluster signed with its own key.
  wire::ClusterRecord record = CommitRecord("a2", 2);
  const identity::NodeKey rogue = *identity::NodeKey::Generate();
  for (const char* peer : {"n1", "n3", "n4", "intruder"}) {
    record.commits[peer] = *SignVote(rogue, record.message_hash, Phase::kCommit, {});
  }
  auto reply = cluster_.MemberOf("n2").Update(record);
  ASSERT_TRUE(reply) << reply.error().ToString();
  EXPECT_FALSE(reply->executed);
  EXPECT_EQ(cluster_.counts().votes_refused.load(), 4);
  EXPECT_EQ(reply->record.commits.count("n1"), 0u) << "the forged votes are not kept";
  EXPECT_EQ(LatestAt("n2", kBlock), (ActionRev{"a1", 1}));
  // n2 promised (its own vote); the forgery gave it no commit quorum.
  ASSERT_EQ(reply->record.promises.count("n2"), 1u);
  EXPECT_EQ(reply->record.promises.at("n2").type, wire::VoteType::kApprove);

  // A record whose message was changed after it was hashed is refused whole.
  wire::ClusterRecord altered = CommitRecord("a2", 2);
  altered.message.commit->rev = 9;
  auto refused = cluster_.MemberOf("n3").Update(altered);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().ToString(), HasSubstr("messageHash does not match its message"));
}

TEST_F(ConsensusTest, ARecordIsAppliedAtMostOnce) {
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  wire::ConsensusMessage message;
  message.op = wire::ConsensusOp::kPend;
  message.pend = MakePend("a2", 2, SetV(kBlock, 2));
  message.expiration_ms = static_cast<uint64_t>(clock_.NowUnixMs() + 10'000);
  wire::ClusterRecord record =
      NewRecord(std::move(message), *cluster_.PeersOf("n1").ClusterOf(kBlock));
  EXPECT_TRUE(Send("n2", record).executed);
  EXPECT_EQ(RecordAt("n2", kBlock, "a2"), ActionRecord::kPending);
  ASSERT_TRUE(cluster_.RepositoryOf("n2").Cancel({{kBlock}, "a2"}).ok());
  auto again = cluster_.MemberOf("n2").Update(record);  // a duplicate delivery
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(RecordAt("n2", kBlock, "a2"), ActionRecord::kNone) << "not pended a second time";
  // An expired record gets no vote.
  clock_.Advance(11'000);
  wire::ConsensusMessage late;
  late.op = wire::ConsensusOp::kPend;
  late.pend = MakePend("a3", 2, SetV(kBlock, 3));
  late.expiration_ms = static_cast<uint64_t>(clock_.NowUnixMs() - 1);
  wire::ClusterRecord expired = NewRecord(std::move(late), *cluster_.PeersOf("n1").ClusterOf(kBlock));
  Send("n3", expired);
  ASSERT_EQ(expired.promises.count("n3"), 1u);
  EXPECT_EQ(expired.promises.at("n3").type, wire::VoteType::kReject);
  EXPECT_EQ(expired.promises.at("n3").reason, "expired");
  EXPECT_EQ(RecordAt("n3", kBlock, "a3"), ActionRecord::kNone);
}

TEST_F(ConsensusTest, AReplicaThatMissedCommitsCatchesUpBeforeItApplies) {
  cluster_.SetDown("n5", true);
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  Land("n2", "a2", 2, SetV(kBlock, 2));
  Land("n3", "a3", 4, SetV(kBlock, 4));
  cluster_.SetDown("n5", false);
  EXPECT_FALSE(LatestAt("n5", kBlock).has_value());
  Land("n1", "a4", 5, SetV(kBlock, 5));
  EXPECT_EQ(LatestAt("n5", kBlock), (ActionRev{"a4", 5}));
  EXPECT_EQ(ValueAt("n5", kBlock), 5);
  EXPECT_EQ(cluster_.counts().catch_ups.load(), 1);
  auto history = cluster_.MemberOf("n5").History(kBlock, 0);
  ASSERT_TRUE(history) << history.error().ToString();
  std::vector<std::string> actions;
  for (const auto& a : *history) actions.push_back(a.action_id);
  EXPECT_EQ(actions, (std::vector<std::string>{"a1", "a2", "a3", "a4"}))
      << "the same history as every replica";
  EXPECT_EQ(cluster_.counts().divergences.load(), 0);
}

TEST_F(ConsensusTest, AVoteToCommitSurvivesARestart) {
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  ASSERT_TRUE(Pend("n1", MakePend("a2", 2, SetV(kBlock, 2))));
  wire::ClusterRecord record = CommitRecord("a2", 2);
  SendEach(record);  // promises
  ASSERT_EQ(Count(record.promises).approvals, 5u);
  ASSERT_TRUE(record.commits.empty());
  Send("n2", record);  // n2 votes to commit, nobody has decided
  ASSERT_EQ(record.commits.count("n2"), 1u);
  cluster_.Restart("n2");
  EXPECT_EQ(cluster_.MemberOf("n2").active(), 1u) << "the vote was kept in storage";
  // So the restarted n2 still refuses a rival commit on the block.
  ASSERT_TRUE(cluster_.RepositoryOf("n2").Pend(MakePend("rival", 2, SetV(kBlock, 9))));
  wire::ClusterRecord rival = CommitRecord("rival", 2);
  Send("n2", rival);
  ASSERT_EQ(rival.promises.count("n2"), 1u);
  EXPECT_EQ(rival.promises.at("n2").type, wire::VoteType::kConflict);
  EXPECT_EQ(rival.promises.at("n2").reason, record.message_hash);
}

TEST_F(ConsensusTest, RecoverFinishesACommitItsCoordinatorAbandoned) {
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  ASSERT_TRUE(Pend("n1", MakePend("a2", 2, SetV(kBlock, 2))));
  wire::ClusterRecord record = CommitRecord("a2", 2);
  SendEach(record);  // promises
  SendEach(record);  // commit votes: each sees only its own
  ASSERT_EQ(Count(record.commits).approvals, 5u);
  for (const std::string& id : kIds) {
    EXPECT_EQ(LatestAt(id, kBlock), (ActionRev{"a1", 1})) << id << ": not decided yet";
  }
  clock_.Advance(11'000);  // the coordinator is gone and the round has expired
  cluster_.MemberOf("n3").Recover();
  EXPECT_EQ(LatestAt("n3", kBlock), (ActionRev{"a2", 2})) << "five commit votes were found";
  for (const std::string& id : kIds) cluster_.MemberOf(id).Recover();
  for (const std::string& id : kIds) {
    EXPECT_EQ(LatestAt(id, kBlock), (ActionRev{"a2", 2})) << id;
    EXPECT_EQ(cluster_.MemberOf(id).active(), 0u) << id;
  }
}

// The coordinator died after one commit vote: the others still hold their promises, so the
// voter's Recover collects their late votes and the commit is decided rather than lost.
TEST_F(ConsensusTest, RecoverDecidesACommitWithTheHoldersLateVotes) {
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  ASSERT_TRUE(Pend("n1", MakePend("a2", 2, SetV(kBlock, 2))));
  wire::ClusterRecord record = CommitRecord("a2", 2);
  SendEach(record);
  Send("n1", record);  // only n1 votes to commit before the coordinator vanishes
  clock_.Advance(11'000);
  cluster_.MemberOf("n1").Recover();
  EXPECT_EQ(LatestAt("n1", kBlock), (ActionRev{"a2", 2})) << "the holders voted late";
  for (const std::string& id : kIds) cluster_.MemberOf(id).Recover();
  for (const std::string& id : kIds) {
    EXPECT_EQ(LatestAt(id, kBlock), (ActionRev{"a2", 2})) << id;
    EXPECT_EQ(cluster_.MemberOf(id).active(), 0u) << id;
  }
}

// The others gave way to a rival once the abandoned commit had expired: they never vote for it,
// so the voter gives it up, and the rival, decided without it, is the block's next revision.
TEST_F(ConsensusTest, RecoverGivesUpACommitTooFewCouldHaveDecided) {
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  ASSERT_TRUE(Pend("n1", MakePend("a2", 2, SetV(kBlock, 2))));
  wire::ClusterRecord record = CommitRecord("a2", 2);
  SendEach(record);
  Send("n1", record);  // only n1 votes to commit
  clock_.Advance(13'000);  // expired, and past race_stale_ms: the holders yield to a rival
  Land("n2", "b2", 2, SetV(kBlock, 7));  // promised by n2..n5; n1 conflicts
  cluster_.MemberOf("n1").Recover();
  EXPECT_EQ(cluster_.MemberOf("n1").active(), 0u) << "1 vote, the rest gave way: never decided";
  for (const std::string& id : kIds) {
    EXPECT_EQ(LatestAt(id, kBlock), (ActionRev{"b2", 2})) << id;
    EXPECT_EQ(ValueAt(id, kBlock), 7) << id;
  }
}

TEST_F(ConsensusTest, RecoverWaitsWhileSilentPeersMayDecide) {
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  ASSERT_TRUE(Pend("n1", MakePend("a2", 2, SetV(kBlock, 2))));
  wire::ClusterRecord record = CommitRecord("a2", 2);
  SendEach(record);
  const wire::ClusterRecord promised = record;
  for (const char* id : {"n1", "n2"}) {
    wire::ClusterRecord copy = promised;
    Send(id, copy);
  }
  for (const char* id : {"n3", "n4", "n5"}) cluster_.SetDown(id, true);
  clock_.Advance(11'000);
  cluster_.MemberOf("n1").Recover();  // 2 votes seen, 3 peers silent: it may have been decided
  EXPECT_EQ(cluster_.MemberOf("n1").active(), 1u);
  EXPECT_EQ(LatestAt("n1", kBlock), (ActionRev{"a1", 1}));
  for (const char* id : {"n3", "n4", "n5"}) cluster_.SetDown(id, false);
  cluster_.MemberOf("n1").Recover();  // they answer, still holding their promises, and vote
  EXPECT_EQ(cluster_.MemberOf("n1").active(), 0u);
  EXPECT_EQ(LatestAt("n1", kBlock), (ActionRev{"a2", 2}));
}

// n5 missed a2's pend (it was down; four promises were enough) and then gets the decision: it
// takes a2 itself from a peer that applied it, rather than leaving its copy of the block behind,
// and while no peer can give it a2 it keeps the record undecided instead of dropping it.
TEST_F(ConsensusTest, AReplicaThatMissedThePendTakesTheDecidedActionFromAPeer) {
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  cluster_.SetDown("n5", true);
  ASSERT_TRUE(Pend("n1", MakePend("a2", 2, SetV(kBlock, 2))));
  cluster_.SetDown("n5", false);
  EXPECT_EQ(RecordAt("n5", kBlock, "a2"), ActionRecord::kNone);
  wire::ClusterRecord record = CommitRecord("a2", 2);
  SendEach(record);  // n5 refuses its promise: it holds no pending record of a2
  EXPECT_EQ(record.promises.at("n5").type, wire::VoteType::kReject);
  SendEach(record);  // commit votes
  ASSERT_GE(Count(record.commits).approvals, 3u);

  for (const char* id : {"n1", "n2", "n3", "n4"}) cluster_.SetDown(id, true);
  auto early = cluster_.MemberOf("n5").Update(record);
  ASSERT_FALSE(early) << "no peer can give it a2 yet";
  EXPECT_THAT(early.error().ToString(), HasSubstr("cannot catch up block d"));
  EXPECT_EQ(LatestAt("n5", kBlock), (ActionRev{"a1", 1}));
  EXPECT_EQ(cluster_.MemberOf("n5").active(), 1u) << "kept for the coordinator's retry";
  for (const char* id : {"n1", "n2", "n3", "n4"}) cluster_.SetDown(id, false);

  for (const char* id : {"n1", "n2", "n3", "n4"}) Send(id, record);  // they apply it
  auto applied = cluster_.MemberOf("n5").Update(record);
  ASSERT_TRUE(applied) << applied.error().ToString();
  EXPECT_TRUE(applied->executed);
  EXPECT_EQ(LatestAt("n5", kBlock), (ActionRev{"a2", 2}));
  EXPECT_EQ(ValueAt("n5", kBlock), 2);
  EXPECT_EQ(cluster_.MemberOf("n5").active(), 0u);
}

// A coordinator cancels its own failed pend round by hash. The writer meanwhile pended the same
// action through another coordinator: that round's pending records stay. A round that arrives
// after the cancel naming it is refused.
TEST_F(ConsensusTest, ACancelNamingAFailedRoundLeavesTheWritersRetry) {
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  const PendRequest pend = MakePend("a2", 2, SetV(kBlock, 2));
  wire::ClusterRecord failed = PendRecord("n1", pend);
  Send("n2", failed);  // n1's round reached only n2
  wire::ClusterRecord retried = PendRecord("n3", pend);
  ASSERT_NE(retried.message_hash, failed.message_hash) << "another coordinator, another record";
  SendEach(retried);
  wire::ClusterRecord cancel = CancelRecord("a2", failed.message_hash);
  SendEach(cancel);
  EXPECT_EQ(Count(cancel.promises).approvals, 5u);
  for (const std::string& id : kIds) {
    EXPECT_EQ(RecordAt(id, kBlock, "a2"), ActionRecord::kPending) << id << " keeps the retry";
  }

  const PendRequest late = MakePend("a3", 2, SetV(kBlock, 3));
  wire::ClusterRecord overtaken = PendRecord("n4", late);
  wire::ClusterRecord first = CancelRecord("a3", overtaken.message_hash);
  Send("n2", first);
  Send("n2", overtaken);
  ASSERT_EQ(overtaken.promises.count("n2"), 1u);
  EXPECT_EQ(overtaken.promises.at("n2").type, wire::VoteType::kReject);
  EXPECT_EQ(overtaken.promises.at("n2").reason, "cancelled by its coordinator");
  EXPECT_EQ(RecordAt("n2", kBlock, "a3"), ActionRecord::kNone);
}

// The writer was told its commit failed and cancels, but the members hold the commit's
// promises and a quorum may still decide it: the cancel is refused until they give the
// promise up (race_stale_ms past the expiration), and then takes.
TEST_F(ConsensusTest, ACancelWaitsForACommitOfTheActionInFlight) {
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  ASSERT_TRUE(Pend("n1", MakePend("a2", 2, SetV(kBlock, 2))));
  wire::ClusterRecord record = CommitRecord("a2", 2);
  SendEach(record);  // promised everywhere, no commit vote
  wire::ClusterRecord cancel = CancelRecord("a2", std::nullopt);
  SendEach(cancel);
  EXPECT_EQ(Count(cancel.promises).rejects, 5u);
  EXPECT_THAT(cancel.promises.at("n1").reason, HasSubstr("a commit of a2 is in flight"));
  for (const std::string& id : kIds) {
    EXPECT_EQ(RecordAt(id, kBlock, "a2"), ActionRecord::kPending) << id;
  }
  clock_.Advance(12'500);  // expired, and race_stale_ms more
  for (const std::string& id : kIds) cluster_.MemberOf(id).Recover();
  wire::ClusterRecord again = CancelRecord("a2", std::nullopt);
  SendEach(again);
  EXPECT_EQ(Count(again.promises).approvals, 5u);
  for (const std::string& id : kIds) {
    EXPECT_EQ(RecordAt(id, kBlock, "a2"), ActionRecord::kNone) << id;
    EXPECT_EQ(LatestAt(id, kBlock), (ActionRev{"a1", 1})) << id;
  }
}

// The NetworkTransactor over replicated blocks: each write goes to the block's coordinator,
// which runs consensus; reads ask every replica and need a majority.
class ReplicatedTransactorTest : public ConsensusTest {
 protected:
  ReplicatedTransactorTest() : ConsensusTest(3) {}
  network::NetworkTransactor txn_{cluster_};
};

TEST_F(ReplicatedTransactorTest, WritesReachThreeReplicasAndReadsTakeTheLatest) {
  std::vector<std::string> blocks;
  for (int i = 0; i < 12; ++i) blocks.push_back("b" + std::to_string(i));
  Transforms inserts;
  for (const std::string& b : blocks) inserts = Both(inserts, InsertOf(TestBlock(b, 1)));
  auto pended = txn_.Pend(MakePend("a1", 1, inserts));
  ASSERT_TRUE(pended) << pended.error().ToString();
  ASSERT_EQ(FailureOf(*pended), nullptr);
  CommitRequest commit = MakeCommit("a1", 1, blocks);
  auto committed = txn_.Commit(commit);
  ASSERT_TRUE(committed) << committed.error().ToString();
  ASSERT_EQ(FailureOf(*committed), nullptr);
  for (const std::string& b : blocks) {
    auto holders = cluster_.ClusterFor(b);
    ASSERT_EQ(holders->size(), 3u);
    for (const std::string& id : kIds) {
      const bool holds = std::find(holders->begin(), holders->end(), id) != holders->end();
      EXPECT_EQ(LatestAt(id, b).has_value(), holds) << b << " at " << id;
    }
  }
  // By default 3 replicas need all 3 promises: one down stops writes to the block.
  const std::string behind = cluster_.ClusterFor("b0")->back();
  cluster_.SetDown(behind, true);
  auto again = txn_.Pend(MakePend("a2", 2, SetV("b0", 2)));
  ASSERT_FALSE(again);
  EXPECT_THAT(again.error().ToString(), HasSubstr("promised by: 2 of 3 peers, 3 needed"));
  cluster_.SetDown(behind, false);
  // With a promise quorum of 2 of 3 the same write goes through with one replica down.
  test::InProcessCluster lenient(kIds, 3, clock_, 2);
  network::NetworkTransactor txn2(lenient);
  ASSERT_TRUE(txn2.Pend(MakePend("a1", 1, InsertOf(TestBlock("b0", 1)))));
  ASSERT_TRUE(txn2.Commit(MakeCommit("a1", 1, {"b0"})));
  const std::string off = lenient.ClusterFor("b0")->back();
  lenient.SetDown(off, true);
  auto pend2 = txn2.Pend(MakePend("a2", 2, SetV("b0", 2)));
  ASSERT_TRUE(pend2) << pend2.error().ToString();
  ASSERT_EQ(FailureOf(*pend2), nullptr);
  auto commit2 = txn2.Commit(MakeCommit("a2", 2, {"b0"}));
  ASSERT_TRUE(commit2) << commit2.error().ToString();
  ASSERT_EQ(FailureOf(*commit2), nullptr);
  lenient.SetDown(off, false);
  EXPECT_FALSE(lenient.RepositoryOf(off).Latest("b0")->has_value() &&
               (*lenient.RepositoryOf(off).Latest("b0"))->rev == 2)
      << off << " missed rev 2";
  auto read = txn2.Get(transactor::BlockGets{{"b0"}, std::nullopt});
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(read->at("b0").state.latest, (ActionRev{"a2", 2})) << "the latest of the replicas";
  EXPECT_EQ((*read->at("b0").block)["v"], 2);
  // Two of three replicas down: too few answers to know the latest.
  const auto holders = *lenient.ClusterFor("b0");
  lenient.SetDown(holders[0], true);
  lenient.SetDown(holders[1], true);
  auto unknown = txn2.Get(transactor::BlockGets{{"b0"}, std::nullopt});
  ASSERT_FALSE(unknown);
  EXPECT_THAT(unknown.error().ToString(),
              HasSubstr("b0 (1 of 3 replicas answered, 2 needed)"));
}

// getStatus asks every replica: the block's coordinator missed the commit (it was down), yet
// the action is reported committed, as a majority holds it.
TEST_F(ReplicatedTransactorTest, GetStatusAsksAMajorityOfTheReplicas) {
  test::InProcessCluster lenient(kIds, 3, clock_, 2);
  network::NetworkTransactor txn(lenient);
  ASSERT_TRUE(txn.Pend(MakePend("a1", 1, InsertOf(TestBlock("b0", 1)))));
  ASSERT_TRUE(txn.Commit(MakeCommit("a1", 1, {"b0"})));
  const auto holders = *lenient.ClusterFor("b0");
  lenient.SetDown(holders[0], true);  // the coordinator
  ASSERT_TRUE(txn.Pend(MakePend("a2", 2, SetV("b0", 2))));
  ASSERT_TRUE(txn.Commit(MakeCommit("a2", 2, {"b0"})));
  lenient.SetDown(holders[0], false);
  ASSERT_EQ(*lenient.RepositoryOf(holders[0]).RecordOf("b0", "a2"), ActionRecord::kNone);
  auto status = txn.GetStatus({transactor::ActionBlocks{{"b0"}, "a2"}});
  ASSERT_TRUE(status) << status.error().ToString();
  EXPECT_EQ(status->at(0).statuses,
            (std::vector<transactor::ActionStatus>{transactor::ActionStatus::kCommitted}));
  lenient.SetDown(holders[1], true);
  lenient.SetDown(holders[2], true);
  auto unknown = txn.GetStatus({transactor::ActionBlocks{{"b0"}, "a2"}});
  ASSERT_FALSE(unknown);
  EXPECT_THAT(unknown.error().ToString(),
              HasSubstr("getStatus of a2: block(s) b0 (1 of 3 replicas answered, 2 needed)"));
}

// The coordinator that ran the pend dies before the commit: the commit goes to the next replica
// of the cluster, which holds the pend too, instead of leaving the block behind its log.
TEST_F(ReplicatedTransactorTest, ACommitWhoseCoordinatorDiedGoesToTheNextReplica) {
  test::InProcessCluster lenient(kIds, 3, clock_, 2);
  network::NetworkTransactor txn(lenient);
  ASSERT_TRUE(txn.Pend(MakePend("a1", 1, InsertOf(TestBlock("b0", 1)))));
  ASSERT_TRUE(txn.Commit(MakeCommit("a1", 1, {"b0"})));
  auto pended = txn.Pend(MakePend("a2", 2, SetV("b0", 2)));
  ASSERT_TRUE(pended) << pended.error().ToString();
  ASSERT_EQ(FailureOf(*pended), nullptr);
  const auto holders = *lenient.ClusterFor("b0");
  lenient.SetDown(holders[0], true);  // the pend's coordinator
  auto committed = txn.Commit(MakeCommit("a2", 2, {"b0"}));
  ASSERT_TRUE(committed) << committed.error().ToString();
  ASSERT_EQ(FailureOf(*committed), nullptr);
  EXPECT_EQ(txn.lagging_commits(), 0u);
  for (size_t i = 1; i < holders.size(); ++i) {
    EXPECT_EQ(*lenient.RepositoryOf(holders[i]).Latest("b0"), (ActionRev{"a2", 2})) << holders[i];
  }
  EXPECT_GE(txn.retries(), 1u);
}

}  // namespace
}  // namespace optimystic::cluster::consensus
