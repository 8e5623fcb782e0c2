// SPDX-License-Identifier: Apache-2.0
// Five real optimystic-node processes from config/cluster-5, where every block has five copies
// agreed by signed two-phase consensus:
// - a node killed with SIGKILL during a stream of writes stops none of them (a failed write is
//   retried until it lands), nothing acknowledged is lost, and the node, restarted on its data,
//   catches up: with another node down its approval is needed for every promise quorum (4 of
//   5), and the writes still go through;
// - votes forged into a "cluster.update" sent to a real node are dropped and counted in its
//   metrics, and win the forger nothing;
// - a node that missed writes while down is brought forward by anti-entropy alone, or by read
//   repair alone when reads find it behind;
// - nodes join with their ranges and leave handing them on; dead nodes are replaced one at a
//   time, and join again when restarted.
#include <optimystic/block/value.h>

#include "cluster/consensus/record.h"
#include "cluster/identity/node_key.h"
#include "cluster/wire/repo_messages.h"
#include "cluster/wire/wire_call.h"
#include "integration/cluster_nodes.h"
#include "support/tcp_test_transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace optimystic {
namespace {

using block::Value;
using ::testing::HasSubstr;
using test::RunResult;
using test::Succeeded;
using namespace std::chrono_literals;

constexpr int kFive = 5;

class ReplicatedCluster : public test::ClusterNodes {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartCluster("cluster-5", kFive)); }

  // Puts `key` into the tree "stream" through node `node`, again after each failure, until it
  // is acknowledged (true) or it kept failing for 60 s (a held round yields within about 12 s).
  bool PutUntilAcknowledged(int node, const std::string& key) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      RunResult put = Cli(node, {"tree", "put", "stream", key, "{\"key\":\"" + key + "\"}"});
      if (put.exit_code == 0) {
        acknowledged_.insert(key);
        return true;
      }
      ++retries_;
      last_failure_ = put.err;
      std::this_thread::sleep_for(500ms);
    }
    for (int i = 0; i < kFive; ++i) last_failure_ += "\n" + LogTail(i);
    return false;
  }

  // The keys of "stream" as node `node` reads them (majority reads of every block).
  std::set<std::string> KeysThrough(int node) {
    RunResult range = Cli(node, {"--json", "tree", "range", "stream"});
    EXPECT_TRUE(Succeeded(range)) << "through node " << node;
    std::set<std::string> keys;
    Value entries = Value::parse(range.out, nullptr, false);
    if (!entries.is_array()) return keys;
    for (const Value& entry : entries) {
      keys.insert(entry[0].get<std::string>());
      EXPECT_EQ(entry[1]["key"], entry[0]) << "entry of " << entry[0];
    }
    return keys;
  }

  void MissWrites(int victim, const std::vector<std::string>& extra = {});
  // Node `node`'s repo.digest of what it shares with node `peer`, asked over the wire as `peer`
  // (after MissWrites, which learns the peer ids).
  std::vector<std::string> Digests(int node, int peer);
  // Node `node`'s latest revision of `block`, asked over the wire as `peer`; nullopt if none.
  std::optional<uint64_t> HeadOf(int node, int peer, const std::string& block);
  // Node `node`'s heads of every block it shares with node `peer` by placement, asked as `peer`.
  std::vector<core::repository::BlockHead> HeadsShared(int node, int peer);
  // Node `i`'s peer id, from its status, into peer_ids_.
  void LearnPeerId(int i);
  // Node `node`'s role as node `seen_by` sees it ("" when unknown).
  std::string RoleOf(int seen_by, int node);
  // Until nodes 0..nodes-1 all see node `node` in `role` (or 90 s pass).
  bool WaitForRole(int node, const std::string& role, int nodes);

  static std::string KeyOf(int k) {
    std::string digits = std::to_string(k);
    return "k" + std::string(3 - digits.size(), '0') + digits;
  }

  std::set<std::string> acknowledged_;
  int retries_ = 0;
  std::string last_failure_;
  std::vector<std::string> peer_ids_ = std::vector<std::string>(kFive);  // by node, LearnPeerId
};

TEST_F(ReplicatedCluster, AKilledNodeStopsNoWriteLosesNothingAndCatchesUpAfterARestart) {
  constexpr int kVictim = 3;
  constexpr int kSecond = 4;
  for (int k = 0; k < 10; ++k) {
    ASSERT_TRUE(PutUntilAcknowledged(k % 3, KeyOf(k))) << last_failure_;
  }
  // The kill lands in the middle of the stream: a writer keeps writing through node 0.
  std::jthread killer([&] {  // joined however the loop below ends
    std::this_thread::sleep_for(300ms);
    (void)nodes_[kVictim]->Signal(SIGKILL);
  });
  for (int k = 10; k < 30; ++k) {
    ASSERT_TRUE(PutUntilAcknowledged(0, KeyOf(k))) << KeyOf(k) << ": " << last_failure_;
  }
  killer.join();
  (void)nodes_[kVictim]->Wait(10s);
  ASSERT_TRUE(WaitForMembers(0, 4, 1)) << ClusterSeenBy(0).dump();
  for (int k = 30; k < 40; ++k) {
    ASSERT_TRUE(PutUntilAcknowledged(k % 3, KeyOf(k))) << KeyOf(k) << ": " << last_failure_;
  }
  for (int reader : {1, 2, kSecond}) {
    EXPECT_EQ(KeysThrough(reader), acknowledged_) << "with node " << kVictim << " down";
  }

  // Restarted on its data, the node writes and reads again.
  StartNode(kVictim);
  ASSERT_NO_FATAL_FAILURE(WaitReady(kVictim));
  for (int i = 0; i < kFive; ++i) ASSERT_TRUE(WaitForMembers(i, kFive, 0)) << "node " << i;
  for (int k = 40; k < 45; ++k) {
    ASSERT_TRUE(PutUntilAcknowledged(kVictim, KeyOf(k))) << KeyOf(k) << ": " << last_failure_;
  }
  // With another node gone, every promise quorum (4 of 5) needs the restarted node's approval:
  // the writes go through only because it caught up on what it missed.
  ASSERT_TRUE(nodes_[kSecond]->Signal(SIGKILL));
  (void)nodes_[kSecond]->Wait(10s);
  for (int k = 45; k < 55; ++k) {
    ASSERT_TRUE(PutUntilAcknowledged(1, KeyOf(k))) << KeyOf(k) << ": " << last_failure_;
  }
  EXPECT_EQ(acknowledged_.size(), 55u);
  for (int reader : {0, 2, kVictim}) {
    EXPECT_EQ(KeysThrough(reader), acknowledged_) << "through node " << reader;
  }
  EXPECT_GT(Metric(kVictim, "optimystic_consensus_repairs_total"), 0)
      << "the restarted node replayed the commits it missed from a peer";
  // Whichever nodes coordinated the commits (the first reachable replica of each block).
  double decided = 0;
  for (int i : {0, 1, 2, kVictim}) {
    decided += Metric(i, "optimystic_consensus_rounds_total{op=\"commit\",outcome=\"decided\"}");
  }
  EXPECT_GE(decided, 10) << "a decided commit round per write since node " << kSecond << " died";
  // Every node but a block's coordinator gets its records over the wire.
  double received = 0, sent = 0;
  for (int i : {0, 1, 2, kVictim}) {
    received += Metric(i, "optimystic_wire_received_bytes_total{type=\"cluster.update\"}");
    sent += Metric(i, "optimystic_wire_sent_bytes_total{type=\"cluster.update\"}");
  }
  EXPECT_GT(received, 0);
  EXPECT_GT(sent, 0);
  RecordProperty("write_retries", retries_);
}

// A tcp client transport of this process, to speak the peer protocol to a node.
class Forger {
 public:
  Forger() { EXPECT_TRUE(transport_.ok()) << transport_.status().ToString(); }

  Result<Value> Send(const std::string& url, const cluster::wire::ClusterRecord& record,
                     const std::string& sender) {
    return Call(url, cluster::wire::MessageType::kClusterUpdate,
                cluster::wire::ClusterUpdateToPayload(record),
                cluster::wire::MessageType::kClusterUpdateOk, sender);
  }

  Result<Value> Call(const std::string& url, cluster::wire::MessageType type, Value payload,
                     cluster::wire::MessageType reply_type, const std::string& sender) {
    cluster::wire::CallOptions options;
    options.sender = sender;
    return cluster::wire::CallAndWait(*transport_, url, type, std::move(payload), reply_type,
                                      ++request_id_, options);
  }

 private:
  test::TcpTestTransport transport_{"forger"};
  uint64_t request_id_ = 0;
};

TEST_F(ReplicatedCluster, ForgedVotesSentToARealNodeAreDroppedAndCounted) {
  ASSERT_TRUE(Succeeded(Cli(0, {"tree", "put", "stream", "k", "{\"key\":\"k\"}"})));
  // The cluster as the nodes know it (every block is on all five), keys included, so that the
  // record passes the node's admission check and only the votes are at fault.
  std::vector<cluster::wire::ClusterPeer> peers;
  const Value cluster = ClusterSeenBy(0);
  for (const Value& m : cluster["members"]) {
    peers.push_back({m["peerId"].get<std::string>(), m["publicKey"].get<std::string>()});
  }
  ASSERT_EQ(peers.size(), 5u);
  cluster::wire::ConsensusMessage message;
  message.op = cluster::wire::ConsensusOp::kCommit;
  message.commit = transactor::CommitRequest{{"forged-block"}, "forged-action", 1, "forged-block",
                                             std::nullopt};
  message.expiration_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count() +
      10'000);
  cluster::wire::ClusterRecord record = cluster::consensus::NewRecord(message, peers);
  // A commit quorum of votes in the names of three members, signed with a key none of them has,
  // and one from a peer outside the cluster.
  const cluster::identity::NodeKey rogue = *cluster::identity::NodeKey::Generate();
  std::vector<std::string> impersonated;
  for (const cluster::wire::ClusterPeer& p : peers) {
    if (impersonated.size() < 3) impersonated.push_back(p.peer_id);
  }
  for (const std::string& id : impersonated) {
    record.commits[id] = *cluster::consensus::SignVote(rogue, record.message_hash,
                                                      cluster::consensus::Phase::kCommit, {});
  }
  record.commits["intruder"] = *cluster::consensus::SignVote(
      rogue, record.message_hash, cluster::consensus::Phase::kCommit, {});

  Forger forger;
  Result<Value> reply = forger.Send(Url(0), record, "intruder");
  ASSERT_TRUE(reply.has_value()) << reply.status().ToString();
  auto ok = cluster::wire::ClusterUpdateOkFromPayload(*reply);
  ASSERT_TRUE(ok.has_value()) << ok.status().ToString();
  EXPECT_FALSE(ok->executed) << "forged votes decided nothing";
  for (const std::string& id : impersonated) {
    EXPECT_EQ(ok->record.commits.count(id), 0u) << "the forged vote of " << id << " was kept";
  }
  EXPECT_EQ(ok->record.commits.count("intruder"), 0u);
  EXPECT_EQ(Metric(0, "optimystic_consensus_votes_refused_total{reason=\"bad-signature\"}"), 3);
  EXPECT_EQ(Metric(0, "optimystic_consensus_votes_refused_total{reason=\"non-member\"}"), 1);
  // The node's own vote refuses the commit of an action nobody pended.
  ASSERT_EQ(ok->record.promises.size(), 1u);
  EXPECT_NE(ok->record.promises.begin()->second.type, cluster::wire::VoteType::kApprove);

  // Without a sender it is a client, and clients cannot send peer messages at all.
  Result<Value> as_client = forger.Send(Url(0), record, "");
  ASSERT_FALSE(as_client.has_value());
  EXPECT_NE(as_client.status().ToString().find("is a peer message"), std::string::npos)
      << as_client.status().ToString();
  // The cluster still serves what it had.
  RunResult got = Cli(2, {"--json", "tree", "get", "stream", "k"});
  ASSERT_TRUE(Succeeded(got));
  EXPECT_NE(got.out.find("\"key\":\"k\""), std::string::npos) << got.out;
}

// Node `victim` misses writes: killed after 3 keys, 10 more written, restarted (with `extra`
// arguments) once coordinators no longer resend what it missed, and seen by every node again.
void ReplicatedCluster::MissWrites(int victim, const std::vector<std::string>& extra) {
  for (int k = 0; k < 3; ++k) {
    ASSERT_TRUE(PutUntilAcknowledged(k, KeyOf(k))) << last_failure_;
  }
  ASSERT_TRUE(nodes_[victim]->Signal(SIGKILL));
  (void)nodes_[victim]->Wait(10s);
  ASSERT_TRUE(WaitForMembers(0, 4, 1)) << ClusterSeenBy(0).dump();
  for (int k = 3; k < 13; ++k) {
    ASSERT_TRUE(PutUntilAcknowledged(0, KeyOf(k))) << KeyOf(k) << ": " << last_failure_;
  }
  // Coordinators resend a decided record to a peer that missed it for about 8 s (5 attempts
  // from 250 ms, doubling); past that only repair brings the node forward.
  std::this_thread::sleep_for(10s);
  StartNode(victim, extra);
  ASSERT_NO_FATAL_FAILURE(WaitReady(victim));
  for (int i = 0; i < kFive; ++i) ASSERT_TRUE(WaitForMembers(i, kFive, 0)) << "node " << i;
  for (int i = 0; i < kFive; ++i) ASSERT_NO_FATAL_FAILURE(LearnPeerId(i));
}

void ReplicatedCluster::LearnPeerId(int i) {
  if (peer_ids_.size() <= static_cast<size_t>(i)) peer_ids_.resize(i + 1);
  const Value cluster = ClusterSeenBy(i);  // held: a range-for over a temporary's member dangles
  for (const Value& m : cluster["members"]) {
    if (m["self"].get<bool>()) peer_ids_[i] = m["peerId"].get<std::string>();
  }
  ASSERT_FALSE(peer_ids_[i].empty()) << "node " << i;
}

std::string ReplicatedCluster::RoleOf(int seen_by, int node) {
  const Value cluster = ClusterSeenBy(seen_by);
  if (!cluster.is_object() || !cluster["members"].is_array()) return "";
  for (const Value& m : cluster["members"]) {
    if (m["url"] == Url(node)) return m["role"].get<std::string>();
  }
  return "";
}

bool ReplicatedCluster::WaitForRole(int node, const std::string& role, int nodes) {
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  while (std::chrono::steady_clock::now() < deadline) {
    int seen = 0;
    for (int i = 0; i < nodes; ++i) seen += RoleOf(i, node) == role ? 1 : 0;
    if (seen == nodes) return true;
    std::this_thread::sleep_for(250ms);
  }
  return false;
}

std::vector<core::repository::BlockHead> ReplicatedCluster::HeadsShared(int node, int peer) {
  Forger asker;
  Result<Value> reply = asker.Call(
      Url(node), cluster::wire::MessageType::kRepoHeads,
      cluster::wire::RepoHeadsToPayload(cluster::wire::HeadsRequest{peer_ids_[peer], 1, {0}, {}}),
      cluster::wire::MessageType::kRepoHeadsOk, peer_ids_[peer]);
  EXPECT_TRUE(reply.has_value()) << reply.status().ToString();
  if (!reply) return {};
  auto heads = cluster::wire::RepoHeadsOkFromPayload(*reply);
  EXPECT_TRUE(heads.has_value()) << heads.status().ToString();
  return heads ? *heads : std::vector<core::repository::BlockHead>();
}

std::vector<std::string> ReplicatedCluster::Digests(int node, int peer) {
  Forger asker;
  Result<Value> reply = asker.Call(
      Url(node), cluster::wire::MessageType::kRepoDigest,
      cluster::wire::RepoDigestToPayload(cluster::wire::DigestRequest{peer_ids_[peer], 64}),
      cluster::wire::MessageType::kRepoDigestOk, peer_ids_[peer]);
  EXPECT_TRUE(reply.has_value()) << reply.status().ToString();
  if (!reply) return {};
  auto read = cluster::wire::RepoDigestOkFromPayload(*reply);
  EXPECT_TRUE(read.has_value()) << read.status().ToString();
  return read ? *read : std::vector<std::string>();
}

std::optional<uint64_t> ReplicatedCluster::HeadOf(int node, int peer, const std::string& block) {
  Forger asker;
  Result<Value> reply = asker.Call(
      Url(node), cluster::wire::MessageType::kRepoHeads,
      cluster::wire::RepoHeadsToPayload(
          cluster::wire::HeadsRequest{peer_ids_[peer], 1, {}, {block}}),
      cluster::wire::MessageType::kRepoHeadsOk, peer_ids_[peer]);
  EXPECT_TRUE(reply.has_value()) << reply.status().ToString();
  if (!reply) return std::nullopt;
  auto heads = cluster::wire::RepoHeadsOkFromPayload(*reply);
  EXPECT_TRUE(heads.has_value()) << heads.status().ToString();
  if (!heads) return std::nullopt;
  for (const core::repository::BlockHead& head : *heads) {
    if (head.block_id == block) return head.latest.rev;
  }
  return std::nullopt;
}

// A node that missed writes while it was down is brought forward by anti-entropy
// (cluster.anti_entropy_ms, 10 s in config/cluster-5), with no further write to its blocks: its
// digests then equal each peer's, as the peers answer them over the wire.
TEST_F(ReplicatedCluster, ANodeThatMissedWritesIsBroughtForwardWithoutAnotherWrite) {
  constexpr int kVictim = 2;
  // No reads until the round has run: read repair would get there first.
  ASSERT_NO_FATAL_FAILURE(MissWrites(kVictim));
  EXPECT_NE(Digests(kVictim, 0), Digests(0, kVictim)) << "the restarted node is behind";

  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (Metric(kVictim, "optimystic_anti_entropy_blocks_repaired_total") <= 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(250ms);
  }
  ASSERT_GT(Metric(kVictim, "optimystic_anti_entropy_blocks_repaired_total"), 0)
      << LogTail(kVictim);
  EXPECT_GT(Metric(kVictim, "optimystic_anti_entropy_actions_replayed_total"), 0);
  EXPECT_GT(Metric(kVictim, "optimystic_anti_entropy_buckets_differing_total"), 0);
  EXPECT_EQ(Metric(kVictim, "optimystic_consensus_repairs_total"), 0)
      << "no write came to catch the node up";
  // A round's repairs are counted at its end: the blocks it found behind are all repaired.
  for (int peer = 0; peer < kFive; ++peer) {
    if (peer == kVictim) continue;
    EXPECT_EQ(Digests(kVictim, peer), Digests(peer, kVictim)) << "with node " << peer;
  }
  DrainNodes();
  EXPECT_NE(nodes_[kVictim]->stderr_text().find("repaired block "), std::string::npos);

  // With two of the nodes that took every write gone, the majority read through it (3 of 5)
  // still sees every acknowledged key.
  for (int gone : {0, 1}) {
    ASSERT_TRUE(nodes_[gone]->Signal(SIGKILL));
    (void)nodes_[gone]->Wait(10s);
  }
  EXPECT_EQ(KeysThrough(kVictim), acknowledged_);
}

// A read that finds a replica behind has it repaired (cluster.read_repair): the node that missed
// writes runs no anti-entropy rounds here, and reads bring forward the blocks they find it behind
// on (only those: a collection engine reads what changed, so a block no read fetches stays).
TEST_F(ReplicatedCluster, AReadThatFindsANodeBehindHasItRepaired) {
  constexpr int kVictim = 2;
  constexpr int kReader = 0;
  ASSERT_NO_FATAL_FAILURE(MissWrites(kVictim, {"--set", "cluster.anti_entropy_ms=0"}));
  EXPECT_NE(Digests(kVictim, kReader), Digests(kReader, kVictim)) << "the restarted node is behind";

  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (Metric(kVictim, "optimystic_read_repair_blocks_repaired_total") <= 0 &&
         std::chrono::steady_clock::now() < deadline) {
    EXPECT_EQ(KeysThrough(kReader), acknowledged_);
    std::this_thread::sleep_for(250ms);
  }
  ASSERT_GT(Metric(kVictim, "optimystic_read_repair_blocks_repaired_total"), 0)
      << LogTail(kVictim) << LogTail(kReader);
  EXPECT_EQ(Metric(kVictim, "optimystic_anti_entropy_rounds_total"), 0);
  EXPECT_EQ(Metric(kVictim, "optimystic_consensus_repairs_total"), 0)
      << "no write came to catch the node up";
  // Each block repaired is where every other replica has it, as they answer repo.heads.
  DrainNodes();
  const std::string log = nodes_[kVictim]->stderr_text();
  std::set<std::string> repaired;
  for (size_t at = log.find("repaired block "); at != std::string::npos;
       at = log.find("repaired block ", at + 1)) {
    const size_t from = at + std::string("repaired block ").size();
    repaired.insert(log.substr(from, log.find(':', from) - from));
  }
  ASSERT_FALSE(repaired.empty()) << LogTail(kVictim);
  for (const std::string& block : repaired) {
    const std::optional<uint64_t> here = HeadOf(kVictim, kReader, block);
    ASSERT_TRUE(here.has_value()) << block;
    for (int peer = 0; peer < kFive; ++peer) {
      if (peer == kVictim) continue;
      EXPECT_EQ(HeadOf(peer, kVictim, block), here) << block << " at node " << peer;
    }
  }
}

}  // namespace
// Membership change (docs/operations.md "Joining and leaving"): two more nodes, not among the
// seeds, join the running cluster. Each fetches its ranges before any ring places a block on it,
// then holds each block it is given at the revision its peers hold. Writes go on over the seven;
// then one leaves through `optimystic cluster leave` and the other on SIGTERM with
// cluster.leave_on_shutdown. A leaver exits only once every next owner holds each of its blocks,
// so the nodes a block's cluster had left out during the joins are brought forward by the
// hand-off itself, before any anti-entropy round could.
TEST_F(ReplicatedCluster, NodesJoinWithTheirRangesAndLeaveHandingThemOn) {
  for (int k = 0; k < 20; ++k) {
    ASSERT_TRUE(PutUntilAcknowledged(k % kFive, KeyOf(k))) << last_failure_;
  }
  for (int i = 0; i < kFive; ++i) ASSERT_NO_FATAL_FAILURE(LearnPeerId(i));
  const int first = AddNode();
  const int second = AddNode();
  StartNode(first);
  StartNode(second, {"--set", "cluster.leave_on_shutdown=true"});
  for (int joiner : {first, second}) {
    ASSERT_NO_FATAL_FAILURE(WaitReady(joiner));
    ASSERT_TRUE(WaitForRole(joiner, "active", kFive)) << LogTail(joiner);
    ASSERT_NO_FATAL_FAILURE(LearnPeerId(joiner));
  }
  DrainNodes();
  for (int joiner : {first, second}) {
    EXPECT_THAT(nodes_[joiner]->stderr_text(), HasSubstr("joining the cluster"));
    EXPECT_THAT(nodes_[joiner]->stderr_text(), HasSubstr("joined the cluster"));
    EXPECT_GT(Metric(joiner, "optimystic_handoff_blocks_fetched_total"), 0) << joiner;
    // Every block a first node now places on the joiner is there, at that node's revision.
    // (Five of seven hold each block, so a given pair may share none of the few there are.)
    // A replica a commit reached late, or not at all, differs until an anti-entropy round
    // (30 s) brings it forward, so the two are asked again until then.
    size_t given = 0;
    for (int i = 0; i < kFive; ++i) {
      for (const core::repository::BlockHead& head : HeadsShared(i, joiner)) {
        ++given;
        std::optional<uint64_t> there = HeadOf(joiner, i, head.block_id);
        EXPECT_TRUE(there.has_value()) << head.block_id << " was not fetched by node " << joiner;
        std::optional<uint64_t> here = HeadOf(i, joiner, head.block_id);
        const auto deadline = std::chrono::steady_clock::now() + 90s;
        while (there != here && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(500ms);
          there = HeadOf(joiner, i, head.block_id);
          here = HeadOf(i, joiner, head.block_id);
        }
        EXPECT_EQ(there, here) << head.block_id << " on node " << joiner << ", as node " << i
                               << " holds it";
      }
    }
    EXPECT_GT(given, 0u) << LogTail(joiner);
  }
  EXPECT_EQ(Metric(0, "optimystic_cluster_members_by_role{role=\"active\"}"), 7);
  EXPECT_EQ(Metric(0, "optimystic_cluster_changing"), 0);

  // Writes over seven nodes leave two of the first five out of each block's cluster.
  for (int k = 20; k < 40; ++k) {
    ASSERT_TRUE(PutUntilAcknowledged(k % 7, KeyOf(k))) << last_failure_;
  }
  std::vector<core::repository::BlockHead> held;
  for (int leaver : {first, second}) {
    for (int i = 0; i < kFive; ++i) {
      const std::vector<core::repository::BlockHead> shared = HeadsShared(leaver, i);
      held.insert(held.end(), shared.begin(), shared.end());
    }
  }

  RunResult leave = Cli(first, {"cluster", "leave"});
  EXPECT_EQ(leave.exit_code, 0) << leave.out << leave.err << LogTail(first);
  EXPECT_THAT(leave.out, HasSubstr("is leaving: handing its ranges on"));
  EXPECT_THAT(leave.out, HasSubstr("has left the cluster and stopped"));
  EXPECT_EQ(nodes_[first]->Wait(30s), std::optional<int>(0)) << LogTail(first);
  ASSERT_TRUE(nodes_[second]->Signal(SIGTERM));
  EXPECT_EQ(nodes_[second]->Wait(120s), std::optional<int>(0)) << LogTail(second);
  DrainNodes();
  for (int leaver : {first, second}) {
    EXPECT_THAT(nodes_[leaver]->stderr_text(), HasSubstr("left the cluster"));
    ASSERT_TRUE(WaitForRole(leaver, "left", kFive));
  }
  EXPECT_EQ(Metric(0, "optimystic_cluster_members_by_role{role=\"left\"}"), 2);
  EXPECT_EQ(Metric(0, "optimystic_cluster_changing"), 0);
  // Each of the leavers' blocks is on all five, at least at the revision the leaver held.
  for (const core::repository::BlockHead& head : held) {
    for (int i = 0; i < kFive; ++i) {
      const std::optional<uint64_t> rev = HeadOf(i, i == 0 ? 1 : 0, head.block_id);
      EXPECT_TRUE(rev && *rev >= head.latest.rev) << head.block_id << " on node " << i;
    }
  }
  for (int k = 0; k < 40; ++k) {
    RunResult got = Cli(k % kFive, {"tree", "get", "stream", KeyOf(k)});
    EXPECT_EQ(got.exit_code, 0) << KeyOf(k) << ": " << got.err;
  }
}

// Nodes that replace a member 4 s after it stopped answering (5 minutes by default).
class ReplacingCluster : public ReplicatedCluster {
 protected:
  void SetUp() override {
    every_node_args_ = {"--set", "cluster.replace_after_ms=4000"};
    ReplicatedCluster::SetUp();
  }
};

TEST_F(ReplacingCluster, DeadNodesAreReplacedOneAtATimeAndJoinAgainWhenRestarted) {
  for (int k = 0; k < 10; ++k) {
    ASSERT_TRUE(PutUntilAcknowledged(k % kFive, KeyOf(k))) << last_failure_;
  }
  // Every other member sees node 4 down: its ranges go to the rest, and it is replaced.
  ASSERT_TRUE(nodes_[4]->Signal(SIGKILL));
  (void)nodes_[4]->Wait(10s);
  ASSERT_TRUE(WaitForRole(4, "left", 4)) << LogTail(0);
  DrainNodes();
  EXPECT_THAT(nodes_[0]->stderr_text(), HasSubstr("is now down"));
  EXPECT_THAT(nodes_[0]->stderr_text(), HasSubstr("is now left"));
  EXPECT_EQ(Metric(0, "optimystic_cluster_members_by_role{role=\"left\"}"), 1);
  EXPECT_EQ(Metric(0, "optimystic_cluster_changing"), 0);
  // Then node 3. Each block's cluster is the four left, and the default promise quorum follows
  // it (3 of 4): a write goes through at once, before node 3 is replaced.
  ASSERT_TRUE(nodes_[3]->Signal(SIGKILL));
  (void)nodes_[3]->Wait(10s);
  const RunResult at_once =
      Cli(0, {"tree", "put", "stream", "at-once", "{\"key\":\"at-once\"}"});
  EXPECT_EQ(at_once.exit_code, 0) << at_once.err;
  if (at_once.exit_code == 0) acknowledged_.insert("at-once");
  // With two of five down a quorum of 4 of 5 is out of reach: the writes below go through
  // because each block's cluster is now the three that are up.
  ASSERT_TRUE(WaitForRole(3, "left", 3)) << LogTail(0);
  for (int k = 10; k < 20; ++k) {
    ASSERT_TRUE(PutUntilAcknowledged(k % 3, KeyOf(k))) << KeyOf(k) << ": " << last_failure_;
  }
  for (int reader : {0, 1, 2}) {
    EXPECT_EQ(KeysThrough(reader), acknowledged_) << "through node " << reader;
  }

  // Restarted on their stale data, both join again: they hold nothing until they fetched it.
  StartNode(4);
  StartNode(3);
  for (int node : {4, 3}) {
    ASSERT_NO_FATAL_FAILURE(WaitReady(node));
    ASSERT_TRUE(WaitForRole(node, "active", kFive)) << LogTail(node);
  }
  DrainNodes();
  for (int node : {4, 3}) {
    EXPECT_THAT(nodes_[node]->stderr_text(),
                HasSubstr("joining the cluster again: the other members replaced this node"));
    EXPECT_THAT(nodes_[node]->stderr_text(), HasSubstr("joined the cluster"));
  }
  EXPECT_EQ(Metric(0, "optimystic_cluster_members_by_role{role=\"active\"}"), kFive);
  for (int k = 20; k < 25; ++k) {
    ASSERT_TRUE(PutUntilAcknowledged(k % kFive, KeyOf(k))) << KeyOf(k) << ": " << last_failure_;
  }
  for (int reader : {3, 4}) {
    EXPECT_EQ(KeysThrough(reader), acknowledged_) << "through node " << reader;
  }
}

}  // namespace optimystic
