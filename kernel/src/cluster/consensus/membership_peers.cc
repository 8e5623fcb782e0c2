// SPDX-License-Identifier: Apache-2.0
#include "cluster/consensus/membership_peers.h"

namespace optimystic::cluster::consensus {

Result<std::vector<wire::ClusterPeer>> MembershipPeers::ClusterOf(
    const transactor::BlockId& block_id) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<std::string> ids, membership_.ClusterFor(block_id));
  std::shared_ptr<const membership::MembershipView> view = membership_.View();
  std::vector<wire::ClusterPeer> out;
  out.reserve(ids.size());
  for (std::string& id : ids) {
    const membership::Member* member = view->Find(id);
    if (member == nullptr) {
      return Status::Unavailable("cluster of block " + block_id + ": member " + id +
                                 " is not known here");
    }
    out.push_back(wire::ClusterPeer{std::move(id), member->public_key});
  }
  return out;
}

bool MembershipPeers::IsReachable(const std::string& peer_id) {
  return peer_id == membership_.peer_id() || membership_.IsReachable(peer_id);
}

Result<block::Value> MembershipPeers::Call(const std::string& peer_id, wire::MessageType type,
                                           block::Value payload, wire::MessageType reply_type) {
  std::shared_ptr<const membership::MembershipView> view = membership_.View();
  const membership::Member* member = view->Find(peer_id);
  if (member == nullptr || member->url.empty() || transport_ == nullptr) {
    return Status::Unavailable("no way to reach peer " + peer_id);
  }
  Result<block::Value> reply = wire::CallAndWait(*transport_, member->url, type, std::move(payload),
                                                 reply_type, next_request_id_.fetch_add(1), call_);
  if (!reply && wire::IsUnreachable(reply.error())) {
    membership_.ReportUnreachable(peer_id);
  }
  return reply;
}

Result<wire::ClusterUpdateOk> MembershipPeers::Update(const std::string& peer_id,
                                                      const wire::ClusterRecord& record) {
  if (peer_id == membership_.peer_id()) {
    return local_->Update(record);
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      block::Value reply, Call(peer_id, wire::MessageType::kClusterUpdate,
                               wire::ClusterUpdateToPayload(record),
                               wire::MessageType::kClusterUpdateOk));
  Result<wire::ClusterUpdateOk> ok = wire::ClusterUpdateOkFromPayload(reply);
  if (!ok) {
    return ok.error().WithContext("cluster.update.ok from " + peer_id);
  }
  return ok;
}

Result<std::vector<transactor::ActionTransforms>> MembershipPeers::HistoryOf(
    const std::string& peer_id, const transactor::BlockId& block_id, uint64_t after_rev) {
  if (peer_id == membership_.peer_id()) {
    return local_->History(block_id, after_rev);
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      block::Value reply,
      Call(peer_id, wire::MessageType::kRepoHistory,
           wire::RepoHistoryToPayload(wire::HistoryRequest{block_id, after_rev}),
           wire::MessageType::kRepoHistoryOk));
  Result<std::vector<transactor::ActionTransforms>> actions =
      wire::RepoHistoryOkFromPayload(reply);
  if (!actions) {
    return actions.error().WithContext("repo.history.ok from " + peer_id);
  }
  return actions;
}

}  // namespace optimystic::cluster::consensus
