// SPDX-License-Identifier: Apache-2.0
#include "cluster/network/membership_network.h"

namespace optimystic::cluster::network {

// A peer without a URL this node can use (no transport, or the member is unknown): every
// operation is Unavailable, which the NetworkTransactor treats like an unreachable peer.
class MembershipNetwork::Unreachable final : public PeerRepo {
 public:
  explicit Unreachable(std::string peer_id) : peer_id_(std::move(peer_id)) {}
  Result<transactor::GetBlockResults> Get(const transactor::BlockGets&) override { return Error(); }
  Result<std::vector<transactor::BlockActionStatus>> GetStatus(
      const std::vector<transactor::ActionBlocks>&) override {
    return Error();
  }
  Result<transactor::PendResult> Pend(const transactor::PendRequest&) override { return Error(); }
  Result<transactor::CommitResult> Commit(const transactor::CommitRequest&) override {
    return Error();
  }
  Status Cancel(const transactor::ActionBlocks&) override { return Error(); }

 private:
  Status Error() const { return Status::Unavailable("no way to reach peer " + peer_id_); }
  const std::string peer_id_;
};

Result<std::vector<std::string>> MembershipNetwork::ClusterFor(const block::BlockId& block_id) {
  return membership_.ClusterFor(block_id);
}

bool MembershipNetwork::IsReachable(const std::string& peer_id) {
  return peer_id == membership_.peer_id() || membership_.IsReachable(peer_id);
}

PeerRepo& MembershipNetwork::RepoOf(const std::string& peer_id) {
  if (peer_id == membership_.peer_id()) {
    return local_;
  }
  std::shared_ptr<const membership::MembershipView> view = membership_.View();
  const membership::Member* member = view->Find(peer_id);
  std::lock_guard lock(mu_);
  if (member == nullptr || member->url.empty() || transport_ == nullptr) {
    PeerRepo*& unreachable = unreachable_[peer_id];
    if (unreachable == nullptr) {
      repos_.push_back(std::make_unique<Unreachable>(peer_id));
      unreachable = repos_.back().get();
    }
    return *unreachable;
  }
  auto it = current_.find(peer_id);
  if (it != current_.end() && it->second->url() == member->url) {
    return *it->second;
  }
  auto repo = std::make_unique<RemotePeerRepo>(*transport_, member->url, call_);
  RemotePeerRepo* raw = repo.get();
  repos_.push_back(std::move(repo));
  current_[peer_id] = raw;
  return *raw;
}

void MembershipNetwork::ReportUnreachable(const std::string& peer_id) {
  membership_.ReportUnreachable(peer_id);
}

}  // namespace optimystic::cluster::network
