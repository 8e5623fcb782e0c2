// SPDX-License-Identifier: Apache-2.0
// InProcessNetwork: a PeerNetwork (cluster/network/peer_network.h) whose peers are repositories
// in this process, placed on a real Ring, for tests of the NetworkTransactor. A peer can be
// taken down (every request to it fails Unavailable "cannot reach ..." as a transport would)
// or made to fail while still thought reachable, and each peer's requests are counted.
// Thread-safety: the network's methods may be called from any thread at once; AddPeer and
// SetDown from the test's thread between operations.
#pragma once

#include <optimystic/storage/storage_engine.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cluster/network/peer_network.h"
#include "cluster/network/peer_repo.h"
#include "cluster/ring/ring.h"
#include "core/repository/repository.h"
#include "storage/memory/memory_storage_engine.h"

namespace optimystic::test {

class InProcessNetwork final : public cluster::network::PeerNetwork {
 public:
  explicit InProcessNetwork(uint32_t replication = 1, size_t virtual_nodes = 64)
      : replication_(replication), virtual_nodes_(virtual_nodes) {}

  // A peer over its own memory engine and repository.
  void AddPeer(const std::string& id) {
    auto owned = std::make_unique<Owned>();
    AddPeer(id, owned->repository);
    owned_.push_back(std::move(owned));
  }
  // A peer over `repository`. OWNERSHIP: `repository` must outlive the network.
  void AddPeer(const std::string& id, core::repository::Repository& repository) {
    std::lock_guard lock(mu_);
    peers_[id] = std::make_unique<Peer>(id, repository, *this);
    std::vector<cluster::ring::RingPeer> ring_peers;
    for (const auto& [peer, _] : peers_) ring_peers.push_back({peer, true});
    ring_ = std::make_unique<cluster::ring::Ring>(
        std::move(*cluster::ring::Ring::Create(std::move(ring_peers), virtual_nodes_)));
  }

  void SetDown(const std::string& id, bool down) {
    std::lock_guard lock(mu_);
    if (down) {
      down_.insert(id);
    } else {
      down_.erase(id);
    }
  }
  // A failing peer is thought reachable, yet every request to it fails in transit.
  void SetFailing(const std::string& id, bool failing) {
    std::lock_guard lock(mu_);
    if (failing) {
      failing_.insert(id);
    } else {
      failing_.erase(id);
    }
  }
  bool Fails(const std::string& id) {
    std::lock_guard lock(mu_);
    return down_.count(id) != 0 || failing_.count(id) != 0;
  }
  core::repository::Repository& RepositoryOf(const std::string& id) {
    return peers_.at(id)->repository;
  }
  // Requests that reached `id` (including refused ones while it is down).
  uint64_t Requests(const std::string& id) { return peers_.at(id)->requests.load(); }
  std::vector<std::string> unreachable_reports() {
    std::lock_guard lock(mu_);
    return reports_;
  }
  // The peer that, on this ring, holds `block_id` first.
  std::string Home(const std::string& block_id) {
    std::lock_guard lock(mu_);
    return ring_->ClusterFor(block_id, 1).front();
  }

  Result<std::vector<std::string>> ClusterFor(const block::BlockId& block_id) override {
    std::lock_guard lock(mu_);
    return ring_->ClusterFor(block_id, replication_);
  }
  bool IsReachable(const std::string& peer_id) override {
    std::lock_guard lock(mu_);
    return down_.count(peer_id) == 0;
  }
  cluster::network::PeerRepo& RepoOf(const std::string& peer_id) override {
    return *peers_.at(peer_id);
  }
  void ReportUnreachable(const std::string& peer_id) override {
    std::lock_guard lock(mu_);
    reports_.push_back(peer_id);
  }

 private:
  struct Owned {
    plugins::storage_memory::MemoryStorageEngine engine;
    core::repository::Repository repository{engine};
  };
  // The local repo of one peer behind a switch that the test can turn off.
  class Peer final : public cluster::network::PeerRepo {
   public:
    Peer(std::string id, core::repository::Repository& repository, InProcessNetwork& network)
        : id_(std::move(id)), repository(repository), local(repository), network_(network) {}
    Result<transactor::GetBlockResults> Get(const transactor::BlockGets& gets) override {
      OPTIMYSTIC_RETURN_IF_ERROR(Reach());
      return local.Get(gets);
    }
    Result<std::vector<transactor::BlockActionStatus>> GetStatus(
        const std::vector<transactor::ActionBlocks>& actions) override {
      OPTIMYSTIC_RETURN_IF_ERROR(Reach());
      return local.GetStatus(actions);
    }
    Result<transactor::PendResult> Pend(const transactor::PendRequest& request) override {
      OPTIMYSTIC_RETURN_IF_ERROR(Reach());
      return local.Pend(request);
    }
    Result<transactor::CommitResult> Commit(const transactor::CommitRequest& request) override {
      OPTIMYSTIC_RETURN_IF_ERROR(Reach());
      return local.Commit(request);
    }
    Status Cancel(const transactor::ActionBlocks& actions) override {
      OPTIMYSTIC_RETURN_IF_ERROR(Reach());
      return local.Cancel(actions);
    }

   private:
    Status Reach() {
      requests.fetch_add(1);
      if (network_.Fails(id_)) {
        return Status::Unavailable("cannot reach mem://" + id_ + ": peer is down");
      }
      return Status::Ok();
    }
    std::string id_;

   public:
    core::repository::Repository& repository;
    cluster::network::LocalPeerRepo local;
    std::atomic<uint64_t> requests{0};

   private:
    InProcessNetwork& network_;
  };

  const uint32_t replication_;
  const size_t virtual_nodes_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Peer>> peers_;
  std::unique_ptr<cluster::ring::Ring> ring_;
  std::set<std::string> down_;
  std::set<std::string> failing_;
  std::vector<std::string> reports_;
  std::vector<std::unique_ptr<Owned>> owned_;
};

}  // namespace optimystic::test
