// SPDX-License-Identifier: Apache-2.0
#include "cluster/wire/message_type.h"

#include <gtest/gtest.h>

#include <set>
#include <string_view>
#include <utility>

namespace optimystic::cluster::wire {
namespace {

TEST(MessageType, NamesRoundTrip) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < kMessageTypeCount; ++i) {
    const auto t = static_cast<MessageType>(i);
    EXPECT_NE(MessageTypeName(t), "invalid") << i;
    EXPECT_TRUE(names.insert(MessageTypeName(t)).second) << MessageTypeName(t);
    std::optional<MessageType> back = ParseMessageType(MessageTypeName(t));
    ASSERT_TRUE(back.has_value()) << MessageTypeName(t);
    EXPECT_EQ(*back, t);
  }
  EXPECT_EQ(MessageTypeName(MessageType::kPing), "ping");
  EXPECT_EQ(MessageTypeName(MessageType::kPong), "pong");
  EXPECT_EQ(MessageTypeName(MessageType::kError), "error");
  EXPECT_EQ(MessageTypeName(static_cast<MessageType>(kMessageTypeCount)), "invalid");
}

TEST(MessageType, ClientMessagesHaveTheirDocumentedNames) {
  EXPECT_EQ(MessageTypeName(MessageType::kCollectionAct), "collection.act");
  EXPECT_EQ(MessageTypeName(MessageType::kActOk), "act.ok");
  EXPECT_EQ(MessageTypeName(MessageType::kCollectionQuery), "collection.query");
  EXPECT_EQ(MessageTypeName(MessageType::kQueryOk), "query.ok");
  EXPECT_EQ(MessageTypeName(MessageType::kCollectionVerify), "collection.verify");
  EXPECT_EQ(MessageTypeName(MessageType::kVerifyOk), "verify.ok");
  EXPECT_EQ(MessageTypeName(MessageType::kNodeStatus), "node.status");
  EXPECT_EQ(MessageTypeName(MessageType::kStatusOk), "status.ok");
  EXPECT_EQ(MessageTypeName(MessageType::kTransaction), "transaction");
  EXPECT_EQ(MessageTypeName(MessageType::kTransactionOk), "transaction.ok");
}

TEST(MessageType, PeerMessagesHaveTheirDocumentedNamesAndNumbers) {
  const std::pair<MessageType, std::string_view> peer[] = {
      {MessageType::kRepoGet, "repo.get"},
      {MessageType::kRepoGetOk, "repo.get.ok"},
      {MessageType::kRepoStatus, "repo.status"},
      {MessageType::kRepoStatusOk, "repo.status.ok"},
      {MessageType::kRepoPend, "repo.pend"},
      {MessageType::kRepoPendOk, "repo.pend.ok"},
      {MessageType::kRepoCommit, "repo.commit"},
      {MessageType::kRepoCommitOk, "repo.commit.ok"},
      {MessageType::kRepoCancel, "repo.cancel"},
      {MessageType::kRepoCancelOk, "repo.cancel.ok"},
      {MessageType::kClusterMembers, "cluster.members"},
      {MessageType::kMembersOk, "members.ok"},
      {MessageType::kClusterUpdate, "cluster.update"},
      {MessageType::kClusterUpdateOk, "cluster.update.ok"},
      {MessageType::kRepoHistory, "repo.history"},
      {MessageType::kRepoHistoryOk, "repo.history.ok"},
      {MessageType::kRepoDigest, "repo.digest"},
      {MessageType::kRepoDigestOk, "repo.digest.ok"},
      {MessageType::kRepoHeads, "repo.heads"},
      {MessageType::kRepoHeadsOk, "repo.heads.ok"},
      {MessageType::kRepoRepair, "repo.repair"},
      {MessageType::kRepoRepairOk, "repo.repair.ok"},
      {MessageType::kDebugFaults, "debug.faults"},
      {MessageType::kDebugFaultsOk, "debug.faults.ok"},
      {MessageType::kClusterLeave, "cluster.leave"},
      {MessageType::kClusterLeaveOk, "cluster.leave.ok"},
  };
  size_t number = 13;
  for (const auto& [type, name] : peer) {
    EXPECT_EQ(static_cast<size_t>(type), number++) << name;
    EXPECT_EQ(MessageTypeName(type), name);
    EXPECT_EQ(ParseMessageType(name), type);
  }
  EXPECT_EQ(kMessageTypeCount, 39u);
}

TEST(MessageType, UnknownNameIsNullopt) {
  EXPECT_FALSE(ParseMessageType("gossip").has_value());
  EXPECT_FALSE(ParseMessageType("").has_value());
  EXPECT_FALSE(ParseMessageType("PING").has_value());
}

}  // namespace
}  // namespace optimystic::cluster::wire
