// SPDX-License-Identifier: Apache-2.0
// Anti-entropy among three in-process replicas (SPEC.md §7.5): a replica that was down while
// commits were decided, or that lacks a block, is brought forward by a round, to the same
// contents and digests as its peers; a pending record of a committed action is committed; one
// peer's claim alone moves nothing, nor do peers whose histories differ; a replica ahead of its
// cohort is never moved backward; a round with a peer down repairs from the others it needs.
// Read repair: a replicated get through the NetworkTransactor that finds a replica behind has it
// repaired the same way; hints are windowed, batched and bounded, and move nothing alone.
#include "cluster/repair/anti_entropy.h"
#include "cluster/network/network_transactor.h"
#include "cluster/repair/repair_service.h"
#include "cluster/wire/repo_messages.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "kernel/core/repository/repository_test_util.h"
#include "support/in_process_cluster.h"
#include "support/test_host.h"

namespace optimystic::cluster::repair {
namespace {

using namespace core::repository::test_util;  // NOLINT(build/namespaces): test helpers
using core::repository::ActionRecord;
using ::testing::HasSubstr;
using transactor::FailureOf;

constexpr const char* kBlock = "d";

class AntiEntropyTest : public ::testing::Test {
 protected:
  AntiEntropyTest() : cluster_({"n1", "n2", "n3"}, 3, clock_, /*promise_quorum=*/2) {}

  // Pends and commits through `via`'s coordinator (consensus among the replicas that are up).
  void Land(const std::string& via, const std::string& action, uint64_t rev,
            const Transforms& transforms) {
    auto& coordinator = cluster_.CoordinatorOf(via);
    auto pended = coordinator.Pend(MakePend(action, rev, transforms));
    ASSERT_TRUE(pended) << pended.error().ToString();
    ASSERT_EQ(FailureOf(*pended), nullptr) << "pend " << action << " refused";
    auto committed =
        coordinator.Commit(MakeCommit(action, rev, block::BlockIdsForTransforms(transforms)));
    ASSERT_TRUE(committed) << committed.error().ToString();
    ASSERT_EQ(FailureOf(*committed), nullptr) << "commit " << action;
  }
  // Writes straight into one node's repository, past consensus: a replica that diverged or ran
  // ahead.
  void LandLocally(const std::string& node, const std::string& action, uint64_t rev,
                   const Transforms& transforms, bool commit = true) {
    auto& repository = cluster_.RepositoryOf(node);
    auto pended = repository.Pend(MakePend(action, rev, transforms));
    ASSERT_TRUE(pended && FailureOf(*pended) == nullptr) << "pend " << action << " at " << node;
    if (commit) {
      auto committed =
          repository.Commit(MakeCommit(action, rev, block::BlockIdsForTransforms(transforms)));
      ASSERT_TRUE(committed && FailureOf(*committed) == nullptr) << "commit " << action;
    }
  }
  uint64_t RevAt(const std::string& node, const BlockId& block = kBlock) {
    auto latest = cluster_.RepositoryOf(node).Latest(block);
    EXPECT_TRUE(latest) << latest.error().ToString();
    return latest && *latest ? (*latest)->rev : 0;
  }
  int64_t ValueAt(const std::string& node, const BlockId& block = kBlock) {
    auto got = cluster_.RepositoryOf(node).Get(transactor::BlockGets{{block}, std::nullopt});
    EXPECT_TRUE(got) << got.error().ToString();
    if (!got || !got->at(block).block) return -1;
    return (*got->at(block).block)["v"].get<int64_t>();
  }
  std::vector<std::string> Digests(const std::string& node, const std::string& peer) {
    auto digests = cluster_.AntiEntropyOf(node).DigestFor(wire::DigestRequest{peer, 64});
    EXPECT_TRUE(digests) << digests.error().ToString();
    return digests ? *digests : std::vector<std::string>();
  }

  test::TestClock clock_;
  test::InProcessCluster cluster_;
};

TEST_F(AntiEntropyTest, AReplicaDownDuringCommitsIsBroughtForward) {
  cluster_.SetDown("n3", true);
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  Land("n1", "a2", 2, SetV(kBlock, 2));
  Land("n2", "a3", 5, SetV(kBlock, 5));
  Land("n1", "e1", 6, InsertOf(TestBlock("e", 9)));
  cluster_.SetDown("n3", false);
  ASSERT_EQ(RevAt("n3"), 0u);
  EXPECT_NE(Digests("n3", "n1"), Digests("n1", "n3"));

  const RoundReport report = cluster_.AntiEntropyOf("n3").RunOnce();
  EXPECT_EQ(report.peers_compared, 2u);
  EXPECT_GE(report.buckets_differing, 2u);  // d and e, with both peers
  EXPECT_EQ(report.blocks_behind, 2u);
  EXPECT_EQ(report.blocks_repaired, 2u);
  EXPECT_EQ(report.actions_replayed, 4u);
  EXPECT_EQ(report.failures, 0u);
  EXPECT_EQ(RevAt("n3"), 5u);
  EXPECT_EQ(ValueAt("n3"), 5);
  EXPECT_EQ(RevAt("n3", "e"), 6u);
  EXPECT_EQ(ValueAt("n3", "e"), 9);
  EXPECT_EQ(Digests("n3", "n1"), Digests("n1", "n3"));
  EXPECT_EQ(Digests("n3", "n2"), Digests("n2", "n3"));

  // Nothing differs now: a second round, and the others' rounds, change nothing.
  const RoundReport again = cluster_.AntiEntropyOf("n3").RunOnce();
  EXPECT_EQ(again.buckets_differing, 0u);
  EXPECT_EQ(again.blocks_repaired, 0u);
  EXPECT_EQ(cluster_.AntiEntropyOf("n1").RunOnce().blocks_repaired, 0u);

  // The repaired replica takes part in later commits like the others.
  cluster_.SetDown("n1", true);
  Land("n2", "a4", 7, SetV(kBlock, 7));
  EXPECT_EQ(ValueAt("n3"), 7);
}

TEST_F(AntiEntropyTest, APendingRecordOfACommittedActionIsCommitted) {
  // The lagging-block case: n3 holds a1's pend but never took its commit.
  LandLocally("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  LandLocally("n2", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  LandLocally("n3", "a1", 1, InsertOf(TestBlock(kBlock, 1)), /*commit=*/false);
  ASSERT_EQ(*cluster_.RepositoryOf("n3").RecordOf(kBlock, "a1"), ActionRecord::kPending);

  EXPECT_EQ(cluster_.AntiEntropyOf("n3").RunOnce().blocks_repaired, 1u);
  EXPECT_EQ(*cluster_.RepositoryOf("n3").RecordOf(kBlock, "a1"), ActionRecord::kCommitted);
  EXPECT_EQ(ValueAt("n3"), 1);
}

TEST_F(AntiEntropyTest, OnePeersClaimAloneMovesNothingAndAnAheadReplicaStays) {
  // n1 alone is ahead (as a faulty or diverged peer would claim to be).
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  LandLocally("n1", "x2", 2, SetV(kBlock, 99));
  ASSERT_EQ(RevAt("n1"), 2u);

  const RoundReport report = cluster_.AntiEntropyOf("n3").RunOnce();
  EXPECT_EQ(report.blocks_behind, 1u);  // n1 claims more
  EXPECT_EQ(report.blocks_repaired, 0u);
  EXPECT_EQ(RevAt("n3"), 1u);
  EXPECT_EQ(ValueAt("n3"), 1);

  // n1 is ahead of its cohort: its own round never moves it back.
  EXPECT_EQ(cluster_.AntiEntropyOf("n1").RunOnce().blocks_repaired, 0u);
  EXPECT_EQ(RevAt("n1"), 2u);
  EXPECT_EQ(ValueAt("n1"), 99);
}

TEST_F(AntiEntropyTest, DifferingHistoriesApplyNothing) {
  LandLocally("n1", "x1", 1, InsertOf(TestBlock(kBlock, 1)));
  LandLocally("n2", "y1", 1, InsertOf(TestBlock(kBlock, 2)));
  auto repaired = cluster_.AntiEntropyOf("n3").RepairBlock(kBlock);
  ASSERT_FALSE(repaired);
  EXPECT_EQ(repaired.error().code(), StatusCode::kAborted);
  EXPECT_THAT(repaired.error().message(), HasSubstr("differ"));
  EXPECT_EQ(RevAt("n3"), 0u);
  EXPECT_EQ(cluster_.AntiEntropyOf("n3").RunOnce().failures, 1u);
}

TEST_F(AntiEntropyTest, TooFewAnsweringReplicasAreUnavailable) {
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  LandLocally("n3", "z", 1, InsertOf(TestBlock("other", 0)));  // keeps n3 from being empty
  cluster_.SetDown("n2", true);
  // n3 is at rev 0 on d; with n2 down only n1 answers, and one answer is not corroboration.
  auto repaired = cluster_.AntiEntropyOf("n3").RepairBlock(kBlock);
  ASSERT_FALSE(repaired);
  EXPECT_EQ(repaired.error().code(), StatusCode::kUnavailable);
  EXPECT_THAT(repaired.error().message(), HasSubstr("1 of 2 other replicas answered, 2 needed"));
}

TEST_F(AntiEntropyTest, ARestartedEmptyReplicaIsRestored) {
  // n2 and n3 hold the history; n1 is "rebuilt" empty: its storage never saw the block.
  cluster_.SetDown("n1", true);
  Land("n2", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  for (uint64_t rev = 2; rev <= 40; ++rev) {
    Land("n2", "a" + std::to_string(rev), rev, SetV(kBlock, static_cast<int64_t>(rev)));
  }
  cluster_.SetDown("n1", false);
  cluster_.Restart("n1");
  const RoundReport report = cluster_.AntiEntropyOf("n1").RunOnce();
  EXPECT_EQ(report.actions_replayed, 40u);
  EXPECT_EQ(RevAt("n1"), 40u);
  EXPECT_EQ(ValueAt("n1"), 40);
  // Past a checkpoint (every 32 revisions), an older revision reads back as its peers' does.
  auto old = cluster_.RepositoryOf("n1").Get(transactor::BlockGets{{kBlock}, AtRev(10)});
  ASSERT_TRUE(old) << old.error().ToString();
  ASSERT_TRUE(old->at(kBlock).block.has_value());
  EXPECT_EQ((*old->at(kBlock).block)["v"].get<int64_t>(), 10);
}

TEST_F(AntiEntropyTest, TheRepairServiceAnswersOnlyAPeerAskingForItself) {
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  RepairService service(cluster_.AntiEntropyOf("n1"));
  wire::Envelope request;
  request.type = wire::MessageType::kRepoHeads;
  request.sender = "n2";
  request.payload = wire::RepoHeadsToPayload(wire::HeadsRequest{"n2", 1, {0}, {}});
  auto answered = service.Handle(request);
  ASSERT_TRUE(answered) << answered.error().ToString();
  ASSERT_EQ(answered->type, wire::MessageType::kRepoHeadsOk);
  auto heads = wire::RepoHeadsOkFromPayload(answered->payload);
  ASSERT_TRUE(heads) << heads.error().ToString();
  EXPECT_EQ(*heads, (std::vector<core::repository::BlockHead>{{kBlock, ActionRev{"a1", 1}}}));

  request.sender = "n3";  // asks for n2's view: what n1 shares with another peer is not its own
  auto impostor = service.Handle(request);
  ASSERT_FALSE(impostor);
  EXPECT_THAT(impostor.error().message(),
              HasSubstr("repo.heads payload member 'peer': 'n2' is not the sender 'n3'"));
  request.sender.clear();
  request.type = wire::MessageType::kRepoDigest;
  request.payload = wire::RepoDigestToPayload(wire::DigestRequest{"n2", 4});
  auto client = service.Handle(request);
  ASSERT_FALSE(client);
  EXPECT_THAT(client.error().message(),
              HasSubstr("'repo.digest' is a peer message; clients cannot send it"));
}

// Peers that answer what a test scripts: two replicas agreeing on rev 1 of "d".
class ScriptedPeers final : public RepairPeers {
 public:
  std::vector<std::string> Peers() override { return {"n2", "n3"}; }
  Result<std::vector<std::string>> ClusterFor(const BlockId&) override {
    return std::vector<std::string>{"n1", "n2", "n3"};
  }
  Result<std::vector<std::string>> Digest(const std::string&, const wire::DigestRequest&) override {
    return Status::Unavailable("not scripted");
  }
  Result<std::vector<core::repository::BlockHead>> Heads(const std::string&,
                                                         const wire::HeadsRequest&) override {
    return std::vector<core::repository::BlockHead>{{kBlock, ActionRev{"a1", 1}}};
  }
  Result<std::vector<transactor::ActionTransforms>> HistoryOf(const std::string&, const BlockId&,
                                                              uint64_t) override {
    return history;
  }
  Result<uint64_t> RequestRepair(const std::string& peer,
                                 const std::vector<BlockId>& block_ids) override {
    asked.emplace_back(peer, block_ids);
    if (unreachable) {
      return Status::Unavailable("cannot reach mem://" + peer + ": peer is down");
    }
    return uint64_t{block_ids.size()};
  }
  std::vector<transactor::ActionTransforms> history;
  std::vector<std::pair<std::string, std::vector<BlockId>>> asked;  // RequestRepair's calls
  bool unreachable = false;
};

TEST_F(AntiEntropyTest, AHistoryTouchingAnotherBlockAppliesNothing) {
  ScriptedPeers peers;
  Transforms both = InsertOf(TestBlock(kBlock, 1));
  both.inserts.emplace("elsewhere", TestBlock("elsewhere", 1));
  peers.history = {transactor::ActionTransforms{"a1", 1, both}};
  AntiEntropy repair("n1", cluster_.RepositoryOf("n1"), peers, cluster_.MemberOf("n1"));
  auto refused = repair.RepairBlock(kBlock);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), StatusCode::kAborted);
  EXPECT_THAT(refused.error().message(), HasSubstr("has action a1 touching block elsewhere"));
  EXPECT_EQ(RevAt("n1"), 0u);
  EXPECT_EQ(cluster_.RepositoryOf("n1").RecordOf("elsewhere", "a1").value(), ActionRecord::kNone);

  peers.history = {transactor::ActionTransforms{"a1", 1, InsertOf(TestBlock(kBlock, 1))}};
  auto repaired = repair.RepairBlock(kBlock);
  ASSERT_TRUE(repaired) << repaired.error().ToString();
  EXPECT_EQ(*repaired, 1u);
  EXPECT_EQ(ValueAt("n1"), 1);
}


// Read repair: reads go through a NetworkTransactor over the cluster; n1 is the reading node,
// which reports what its gets find behind to its own AntiEntropy.
class ReadRepairTest : public AntiEntropyTest {
 protected:
  ReadRepairTest() : reads_(cluster_, ReportingTo("n1")) {}

  network::NetworkTransactorOptions ReportingTo(const std::string& reader) {
    network::NetworkTransactorOptions options;
    options.on_replicas_behind = [this, reader](const std::string& peer,
                                                const std::vector<BlockId>& blocks) {
      reported_.emplace_back(peer, blocks);
      cluster_.AntiEntropyOf(reader).ReportBehind(peer, blocks);
    };
    return options;
  }
  uint64_t ReadRev(const BlockId& block = kBlock) {
    auto got = reads_.Get(transactor::BlockGets{{block}, std::nullopt});
    EXPECT_TRUE(got) << got.error().ToString();
    return got && got->at(block).state.latest ? got->at(block).state.latest->rev : 0;
  }

  std::vector<std::pair<std::string, std::vector<BlockId>>> reported_;
  network::NetworkTransactor reads_;
};

TEST_F(ReadRepairTest, AGetThatFindsAReplicaBehindHasItRepaired) {
  cluster_.SetDown("n3", true);
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  Land("n1", "a2", 2, SetV(kBlock, 2));
  Land("n2", "a3", 5, SetV(kBlock, 5));
  cluster_.SetDown("n3", false);
  ASSERT_EQ(RevAt("n3"), 0u);

  EXPECT_EQ(ReadRev(), 5u);  // the newest of a majority
  ASSERT_EQ(reported_.size(), 1u);
  EXPECT_EQ(reported_[0], (std::pair<std::string, std::vector<BlockId>>{"n3", {kBlock}}));
  const ReadRepairReport sent = cluster_.AntiEntropyOf("n1").RunRequested();
  EXPECT_EQ(sent.hints_sent, 1u);
  EXPECT_EQ(sent.failures, 0u);
  EXPECT_EQ(RevAt("n3"), 0u) << "a hint is queued by its receiver, not run in its handler";

  const ReadRepairReport repaired = cluster_.AntiEntropyOf("n3").RunRequested();
  EXPECT_EQ(repaired.blocks_repaired, 1u);
  EXPECT_EQ(repaired.actions_replayed, 3u);
  EXPECT_EQ(repaired.failures, 0u);
  EXPECT_EQ(RevAt("n3"), 5u);
  EXPECT_EQ(ValueAt("n3"), 5);
  EXPECT_EQ(Digests("n3", "n1"), Digests("n1", "n3"));

  // Every replica agrees now: a read reports nothing.
  reported_.clear();
  EXPECT_EQ(ReadRev(), 5u);
  EXPECT_TRUE(reported_.empty());
}

TEST_F(ReadRepairTest, TheReaderItselfBehindIsQueuedHere) {
  cluster_.SetDown("n1", true);
  Land("n2", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  Land("n2", "a2", 2, SetV(kBlock, 2));
  cluster_.SetDown("n1", false);
  EXPECT_EQ(ReadRev(), 2u);
  const ReadRepairReport report = cluster_.AntiEntropyOf("n1").RunRequested();
  EXPECT_EQ(report.hints_sent, 0u);
  EXPECT_EQ(report.blocks_repaired, 1u);
  EXPECT_EQ(RevAt("n1"), 2u);
}

TEST_F(ReadRepairTest, AHintAloneMovesNothing) {
  // n1 alone claims rev 2 (diverged); n3 is told it is behind but finds one claim, not two.
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  LandLocally("n1", "x2", 2, SetV(kBlock, 99));
  ASSERT_EQ(ReadRev(), 2u);
  cluster_.AntiEntropyOf("n1").RunRequested();
  const ReadRepairReport report = cluster_.AntiEntropyOf("n3").RunRequested();
  EXPECT_EQ(report.blocks_repaired, 0u);
  EXPECT_EQ(report.failures, 0u);
  EXPECT_EQ(RevAt("n3"), 1u);
  EXPECT_EQ(RevAt("n2"), 1u);
}

TEST_F(ReadRepairTest, HintsAreWindowedBatchedAndBounded) {
  ScriptedPeers peers;
  AntiEntropyOptions options;
  options.max_queued_repairs = 400;
  AntiEntropy reader("n1", cluster_.RepositoryOf("n1"), peers, cluster_.MemberOf("n1"), options);
  std::vector<BlockId> many;
  for (int i = 0; i < 300; ++i) many.push_back("b" + std::to_string(1000 + i));
  reader.ReportBehind("n2", many);
  reader.ReportBehind("n2", many);  // within the window: not hinted again
  ReadRepairReport report = reader.RunRequested();
  EXPECT_EQ(report.hints_sent, 300u);
  ASSERT_EQ(peers.asked.size(), 2u);  // at most wire::kMaxRepairBlocks per request
  EXPECT_EQ(peers.asked[0].second.size(), wire::kMaxRepairBlocks);
  EXPECT_EQ(peers.asked[1].second.size(), 300u - wire::kMaxRepairBlocks);
  reader.ReportBehind("n2", many);
  EXPECT_EQ(reader.RunRequested().hints_sent, 0u);
  // Another peer's window is its own; past the queue's bound the rest is dropped and counted.
  reader.ReportBehind("n3", many);
  reader.ReportBehind("n3", {"c1", "c2"});
  std::vector<BlockId> more;
  for (int i = 0; i < 200; ++i) more.push_back("m" + std::to_string(i));
  reader.ReportBehind("n2", more);
  report = reader.RunRequested();
  EXPECT_EQ(report.hints_sent, 400u);
  EXPECT_EQ(report.dropped, 102u);

  // A peer that cannot be reached is a failure, reported with what it was asked.
  std::vector<std::string> failures;
  AntiEntropyEvents events;
  events.on_failure = [&failures](const std::string& what) { failures.push_back(what); };
  options.hint_window_ms = 0;
  AntiEntropy unlucky("n1", cluster_.RepositoryOf("n1"), peers, cluster_.MemberOf("n1"), options,
                      events);
  peers.unreachable = true;
  unlucky.ReportBehind("n2", {"x", "y"});
  report = unlucky.RunRequested();
  EXPECT_EQ(report.hints_sent, 0u);
  EXPECT_EQ(report.failures, 1u);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_THAT(failures[0], HasSubstr("asking n2 to repair 2 block(s): "));
  EXPECT_THAT(failures[0], HasSubstr("cannot reach mem://n2"));
  unlucky.ReportBehind("n2", {"x", "y"});  // no window: reported again, tried again
  EXPECT_EQ(unlucky.RunRequested().failures, 1u);
}

TEST_F(ReadRepairTest, RequestedRepairsAreQueuedOnceAndBounded) {
  ScriptedPeers peers;  // two replicas agreeing on rev 1 of d
  peers.history = {transactor::ActionTransforms{"a1", 1, InsertOf(TestBlock(kBlock, 1))}};
  AntiEntropyOptions options;
  options.max_queued_repairs = 2;
  AntiEntropy replica("n1", cluster_.RepositoryOf("n1"), peers, cluster_.MemberOf("n1"), options);
  EXPECT_EQ(replica.RequestRepair({kBlock, kBlock, "e"}), 2u);
  EXPECT_EQ(replica.RequestRepair({kBlock, "f"}), 0u);  // d is queued; f does not fit
  const ReadRepairReport report = replica.RunRequested();
  EXPECT_EQ(report.dropped, 1u);
  EXPECT_EQ(report.blocks_repaired, 1u);  // d; the scripted peers hold nothing of e
  EXPECT_EQ(ValueAt("n1"), 1);
}

TEST_F(ReadRepairTest, TheLoopRepairsWhatIsRequestedWithoutWaitingForARound) {
  cluster_.SetDown("n3", true);
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  cluster_.SetDown("n3", false);
  AntiEntropy& n3 = cluster_.AntiEntropyOf("n3");  // rounds every 30 s: none in this test
  n3.Start();
  EXPECT_EQ(n3.RequestRepair({kBlock}), 1u);
  for (int i = 0; i < 1000 && RevAt("n3") == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  n3.Stop();
  EXPECT_EQ(RevAt("n3"), 1u);
}

TEST_F(ReadRepairTest, TheRepairServiceQueuesAPeersHint) {
  cluster_.SetDown("n3", true);
  Land("n1", "a1", 1, InsertOf(TestBlock(kBlock, 1)));
  cluster_.SetDown("n3", false);
  RepairService service(cluster_.AntiEntropyOf("n3"));
  wire::Envelope request;
  request.type = wire::MessageType::kRepoRepair;
  request.sender = "n1";
  request.payload = wire::RepoRepairToPayload({kBlock, "e"});
  auto answered = service.Handle(request);
  ASSERT_TRUE(answered) << answered.error().ToString();
  ASSERT_EQ(answered->type, wire::MessageType::kRepoRepairOk);
  EXPECT_EQ(wire::RepoRepairOkFromPayload(answered->payload).value(), 2u);
  EXPECT_EQ(RevAt("n3"), 0u);
  EXPECT_EQ(cluster_.AntiEntropyOf("n3").RunRequested().blocks_repaired, 1u);
  EXPECT_EQ(RevAt("n3"), 1u);

  request.sender.clear();
  auto client = service.Handle(request);
  ASSERT_FALSE(client);
  EXPECT_THAT(client.error().message(),
              HasSubstr("'repo.repair' is a peer message; clients cannot send it"));
  request.sender = "n1";
  request.payload = wire::RepoRepairToPayload({});
  auto empty = service.Handle(request);
  ASSERT_FALSE(empty);
  EXPECT_THAT(empty.error().message(), HasSubstr("repo.repair payload member 'blockIds': empty"));
}

}  // namespace
}  // namespace optimystic::cluster::repair
