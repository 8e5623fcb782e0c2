// SPDX-License-Identifier: Apache-2.0
#include "cluster/wire/message_type.h"

#include <array>
#include <utility>

namespace optimystic::cluster::wire {

namespace {

constexpr std::array<std::pair<MessageType, std::string_view>, kMessageTypeCount> kNames = {{
    {MessageType::kError, "error"},
    {MessageType::kPing, "ping"},
    {MessageType::kPong, "pong"},
    {MessageType::kCollectionAct, "collection.act"},
    {MessageType::kActOk, "act.ok"},
    {MessageType::kCollectionQuery, "collection.query"},
    {MessageType::kQueryOk, "query.ok"},
    {MessageType::kCollectionVerify, "collection.verify"},
    {MessageType::kVerifyOk, "verify.ok"},
    {MessageType::kNodeStatus, "node.status"},
    {MessageType::kStatusOk, "status.ok"},
    {MessageType::kTransaction, "transaction"},
    {MessageType::kTransactionOk, "transaction.ok"},
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
}};

}  // namespace

std::string_view MessageTypeName(MessageType type) noexcept {
  for (const auto& [t, name] : kNames) {
    if (t == type) {
      return name;
    }
  }
  return "invalid";  // only reachable through a cast of an out-of-range number
}

std::optional<MessageType> ParseMessageType(std::string_view name) noexcept {
  for (const auto& [t, n] : kNames) {
    if (n == name) {
      return t;
    }
  }
  return std::nullopt;
}

}  // namespace optimystic::cluster::wire
