// SPDX-License-Identifier: Apache-2.0
// The record's hashes, vote signatures and quorums (SPEC.md §7.4), and its wire codec.
#include "cluster/consensus/record.h"

#include <optimystic/base/base32.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cluster/identity/node_key.h"
#include "cluster/wire/repo_messages.h"

namespace optimystic::cluster::consensus {
namespace {

using ::testing::HasSubstr;

struct Keyed {
  std::string id;
  identity::NodeKey key;
};

std::vector<Keyed> Keys(std::initializer_list<const char*> ids) {
  std::vector<Keyed> out;
  for (const char* id : ids) out.push_back({id, *identity::NodeKey::Generate()});
  return out;
}

std::vector<wire::ClusterPeer> PeersOf(const std::vector<Keyed>& keys) {
  std::vector<wire::ClusterPeer> out;
  for (const Keyed& k : keys) out.push_back({k.id, base::Base32Encode(k.key.public_key())});
  return out;
}

wire::ConsensusMessage CommitMessage(uint64_t rev) {
  wire::ConsensusMessage m;
  m.op = wire::ConsensusOp::kCommit;
  m.commit = transactor::CommitRequest{{"b2", "b1"}, "a1", rev, "b1", std::nullopt};
  m.expiration_ms = 1'700'000'010'000;
  return m;
}

TEST(ClusterRecord, HashesBindTheMessageAndTheCluster) {
  const auto keys = Keys({"p3", "p1", "p2"});
  wire::ClusterRecord record = NewRecord(CommitMessage(7), PeersOf(keys));
  EXPECT_EQ(record.peers.front().peer_id, "p1") << "peers are sorted";
  EXPECT_TRUE(CheckRecordHashes(record).ok());
  EXPECT_EQ(NewRecord(CommitMessage(7), PeersOf(keys)).message_hash, record.message_hash)
      << "deterministic";
  EXPECT_EQ(record.message.BlockIds(), (std::vector<std::string>{"b1", "b2"}));

  wire::ClusterRecord other_rev = record;
  other_rev.message.commit->rev = 8;
  EXPECT_THAT(CheckRecordHashes(other_rev).ToString(),
              HasSubstr("messageHash does not match its message"));
  wire::ClusterRecord other_peers = record;
  other_peers.peers.pop_back();
  EXPECT_THAT(CheckRecordHashes(other_peers).ToString(),
              HasSubstr("membershipDigest does not match its peers"));
  EXPECT_NE(NewRecord(CommitMessage(7), PeersOf(Keys({"p1", "p2"}))).message_hash,
            record.message_hash)
      << "the same message for another cluster is another record";
}

TEST(ClusterRecord, AVoteCountsOnlyForItsSignerRecordAndPhase) {
  const auto keys = Keys({"p1", "p2", "p3"});
  const wire::ClusterRecord record = NewRecord(CommitMessage(7), PeersOf(keys));
  wire::Vote approve;
  approve.heads = {{"b1", 6}, {"b2", 0}};
  Result<wire::Vote> signed_vote =
      SignVote(keys[1].key, record.message_hash, Phase::kPromise, approve);
  ASSERT_TRUE(signed_vote) << signed_vote.error().ToString();
  EXPECT_EQ(RefuseVote(record, "p2", Phase::kPromise, *signed_vote), "");
  EXPECT_EQ(RefuseVote(record, "p2", Phase::kCommit, *signed_vote), "bad-signature")
      << "a promise is no commit vote";
  EXPECT_EQ(RefuseVote(record, "p3", Phase::kPromise, *signed_vote), "bad-signature")
      << "another peer's key";
  EXPECT_EQ(RefuseVote(record, "intruder", Phase::kPromise, *signed_vote), "non-member");
  wire::Vote altered = *signed_vote;
  altered.heads["b1"] = 5;
  EXPECT_EQ(RefuseVote(record, "p2", Phase::kPromise, altered), "bad-signature")
      << "the heads are signed";
  altered = *signed_vote;
  altered.type = wire::VoteType::kReject;
  EXPECT_EQ(RefuseVote(record, "p2", Phase::kPromise, altered), "bad-signature");
  wire::ClusterRecord other = NewRecord(CommitMessage(8), PeersOf(keys));
  EXPECT_EQ(RefuseVote(other, "p2", Phase::kPromise, *signed_vote), "bad-signature")
      << "a vote for another record";
  altered = *signed_vote;
  altered.signature = "not base32!";
  EXPECT_EQ(RefuseVote(record, "p2", Phase::kPromise, altered), "bad-signature");
}

TEST(ClusterRecord, Quorums) {
  // Default promise quorum ceil(0.75·n); configured ones are clamped to (n/2, n].
  EXPECT_EQ(PromiseQuorum(1, 0), 1u);
  EXPECT_EQ(PromiseQuorum(2, 0), 2u);
  EXPECT_EQ(PromiseQuorum(3, 0), 3u);
  EXPECT_EQ(PromiseQuorum(4, 0), 3u);
  EXPECT_EQ(PromiseQuorum(5, 0), 4u);
  EXPECT_EQ(PromiseQuorum(10, 0), 8u);
  EXPECT_EQ(PromiseQuorum(3, 2), 2u);
  EXPECT_EQ(PromiseQuorum(5, 1), 3u) << "never half or less";
  EXPECT_EQ(PromiseQuorum(5, 9), 5u);
  EXPECT_EQ(CommitQuorum(1), 1u);
  EXPECT_EQ(CommitQuorum(3), 2u);
  EXPECT_EQ(CommitQuorum(4), 3u);
  EXPECT_EQ(CommitQuorum(5), 3u);
  // A partition never gives both sides a promise quorum, and any two promise quorums share a
  // member.
  for (size_t n = 1; n <= 12; ++n) {
    EXPECT_GT(2 * PromiseQuorum(n, 0), n) << n;
    EXPECT_GT(2 * CommitQuorum(n), n) << n;
  }
}

TEST(ClusterRecord, WireRoundTripAndRefusals) {
  const auto keys = Keys({"p1", "p2"});
  wire::ClusterRecord record = NewRecord(CommitMessage(3), PeersOf(keys));
  wire::Vote vote;
  vote.heads = {{"b1", 2}};
  record.promises["p1"] = *SignVote(keys[0].key, record.message_hash, Phase::kPromise, vote);
  wire::Vote conflict;
  conflict.type = wire::VoteType::kConflict;
  conflict.reason = "otherhash";
  record.promises["p2"] = *SignVote(keys[1].key, record.message_hash, Phase::kPromise, conflict);
  record.commits["p1"] = *SignVote(keys[0].key, record.message_hash, Phase::kCommit, {});

  auto back = wire::ClusterUpdateFromPayload(wire::ClusterUpdateToPayload(record));
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(*back, record);
  EXPECT_TRUE(CheckRecordHashes(*back).ok());

  wire::ClusterUpdateOk ok{record, true, std::nullopt,
                           transactor::CommitResult(transactor::CommitSuccess{})};
  auto ok_back = wire::ClusterUpdateOkFromPayload(wire::ClusterUpdateOkToPayload(ok));
  ASSERT_TRUE(ok_back) << ok_back.error().ToString();
  EXPECT_EQ(*ok_back, ok);

  block::Value bad = wire::ClusterUpdateToPayload(record);
  bad["record"]["message"]["op"] = "pend";  // names a member the message does not have
  EXPECT_THAT(wire::ClusterUpdateFromPayload(bad).error().ToString(),
              HasSubstr("cluster.update payload member 'record.message': expected exactly the "
                        "member its op 'pend' names"));
  bad = wire::ClusterUpdateToPayload(record);
  bad["record"]["promises"]["p1"]["type"] = "maybe";
  EXPECT_THAT(wire::ClusterUpdateFromPayload(bad).error().ToString(),
              HasSubstr("'record.promises.p1.type'"));
  bad = wire::ClusterUpdateToPayload(record);
  bad["record"]["peers"] = block::Value::array();
  EXPECT_THAT(wire::ClusterUpdateFromPayload(bad).error().ToString(),
              HasSubstr("'record.peers': expected at least one peer"));
  bad = wire::ClusterUpdateToPayload(record);
  bad["record"]["promises"]["p1"]["heads"]["b1"] = -1;
  EXPECT_THAT(wire::ClusterUpdateFromPayload(bad).error().ToString(),
              HasSubstr("'record.promises.p1.heads.b1'"));

  // A cancel of one pend round names it; the coordinator is part of what is hashed.
  wire::ConsensusMessage cancel;
  cancel.op = wire::ConsensusOp::kCancel;
  cancel.cancel = transactor::ActionBlocks{{"b1"}, "a3"};
  cancel.pend_hash = "roundhash";
  cancel.coordinator = "p1";
  cancel.expiration_ms = 99;
  wire::ClusterRecord cancelled = NewRecord(cancel, PeersOf(keys));
  auto cancel_back = wire::ClusterUpdateFromPayload(wire::ClusterUpdateToPayload(cancelled));
  ASSERT_TRUE(cancel_back) << cancel_back.error().ToString();
  EXPECT_EQ(*cancel_back, cancelled);
  cancel.coordinator = "p2";
  EXPECT_NE(NewRecord(cancel, PeersOf(keys)).message_hash, cancelled.message_hash);
  bad = wire::ClusterUpdateToPayload(record);
  bad["record"]["message"]["pendHash"] = "roundhash";
  EXPECT_THAT(wire::ClusterUpdateFromPayload(bad).error().ToString(),
              HasSubstr("'record.message.pendHash': only a cancel names a pend round"));

  auto history = wire::RepoHistoryFromPayload(
      wire::RepoHistoryToPayload(wire::HistoryRequest{"b1", 4}));
  ASSERT_TRUE(history);
  EXPECT_EQ(history->after_rev, 4u);
  EXPECT_THAT(wire::RepoHistoryFromPayload(block::Value::object({{"blockId", "b1"}}))
                  .error()
                  .ToString(),
              HasSubstr("repo.history payload member 'afterRev': missing"));
}

}  // namespace
}  // namespace optimystic::cluster::consensus
