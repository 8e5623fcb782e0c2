// SPDX-License-Identifier: Apache-2.0
// SimNetwork: a PeerNetwork of in-process peers (each a repository on its own memory engine,
// which survives a crash like a durable store) whose every request meets seeded faults: the
// request lost (not executed), the reply lost (executed, the asker told "cannot reach"), the
// request delivered twice, a peer crashed for a while (down, and known down) or cut off by a
// partition (unreachable, yet still thought up). Each peer draws its faults from its own
// random stream, so a run is a pure function of its seed as long as each peer is asked by one
// thread at a time (the harness runs one operation at a time and the background work between
// operations). Delays and reordering need concurrent askers and are not modelled.
// Thread-safety: each peer serializes its requests; Step and Heal run between operations.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "cluster/network/peer_network.h"
#include "cluster/network/peer_repo.h"
#include "cluster/ring/ring.h"
#include "core/repository/repository.h"
#include "storage/memory/memory_storage_engine.h"

namespace optimystic::sim {

struct SimFaults {
  double lose_request = 0.03;
  double lose_reply = 0.03;
  double duplicate = 0.03;
  double crash = 0.04;      // per step: one peer goes down for 1 to 4 steps
  double partition = 0.04;  // per step: one peer is cut off for 1 to 4 steps
};

struct SimCounts {
  uint64_t requests = 0, lost_requests = 0, lost_replies = 0, duplicates = 0, refused = 0;
};

class SimNetwork final : public cluster::network::PeerNetwork {
 public:
  SimNetwork(uint64_t seed, int peers, uint32_t replication, SimFaults faults)
      : faults_(faults), replication_(replication), random_(seed) {
    std::vector<cluster::ring::RingPeer> ring_peers;
    for (int i = 0; i < peers; ++i) {
      const std::string id = "p" + std::to_string(i);
      peers_.emplace(id, std::make_unique<Peer>(id, seed * 7919 + i, *this));
      ring_peers.push_back({id, true});
    }
    ring_ = std::make_unique<cluster::ring::Ring>(
        std::move(*cluster::ring::Ring::Create(std::move(ring_peers), 32)));
  }

  // Between operations: windows run down and new crashes and partitions may start.
  void Step() {
    std::lock_guard lock(mu_);
    for (auto& [id, p] : peers_) {
      if (p->down_for > 0) --p->down_for;
      if (p->cut_for > 0) --p->cut_for;
    }
    std::uniform_real_distribution<double> u(0, 1);
    std::uniform_int_distribution<int> pick(0, static_cast<int>(peers_.size()) - 1);
    std::uniform_int_distribution<int> span(1, 4);
    if (u(random_) < faults_.crash) {
      Nth(pick(random_)).down_for = span(random_);
    }
    if (u(random_) < faults_.partition) {
      Nth(pick(random_)).cut_for = span(random_);
    }
  }
  // Faults start (a network is made calm, for set-up).
  void Unleash() {
    std::lock_guard lock(mu_);
    healed_ = false;
  }
  // Every fault ends; requests from now on are delivered faithfully.
  void Heal() {
    std::lock_guard lock(mu_);
    healed_ = true;
    for (auto& [id, p] : peers_) p->down_for = p->cut_for = 0;
  }

  Result<std::vector<std::string>> ClusterFor(const block::BlockId& block_id) override {
    return ring_->ClusterFor(block_id, replication_);
  }
  bool IsReachable(const std::string& peer_id) override {
    std::lock_guard lock(mu_);
    return peers_.at(peer_id)->down_for == 0;  // a partition is not noticed
  }
  cluster::network::PeerRepo& RepoOf(const std::string& peer_id) override {
    return *peers_.at(peer_id);
  }
  void ReportUnreachable(const std::string&) override {}

  core::repository::Repository& RepositoryOf(const std::string& id) {
    return peers_.at(id)->repository;
  }
  SimCounts counts() {
    std::lock_guard lock(mu_);
    return counts_;
  }

 private:
  enum class Fate { kDeliver, kRefuse, kLoseRequest, kLoseReply, kDuplicate };

  class Peer final : public cluster::network::PeerRepo {
   public:
    Peer(std::string id, uint64_t seed, SimNetwork& net)
        : id(std::move(id)), random(seed), net_(net) {}

    Result<transactor::GetBlockResults> Get(const transactor::BlockGets& gets) override {
      return Serve<transactor::GetBlockResults>([&] { return local.Get(gets); });
    }
    Result<std::vector<transactor::BlockActionStatus>> GetStatus(
        const std::vector<transactor::ActionBlocks>& actions) override {
      return Serve<std::vector<transactor::BlockActionStatus>>(
          [&] { return local.GetStatus(actions); });
    }
    Result<transactor::PendResult> Pend(const transactor::PendRequest& request) override {
      return Serve<transactor::PendResult>([&] { return local.Pend(request); });
    }
    Result<transactor::CommitResult> Commit(const transactor::CommitRequest& request) override {
      return Serve<transactor::CommitResult>([&] { return local.Commit(request); });
    }
    Status Cancel(const transactor::ActionBlocks& actions) override {
      struct Done {};
      Result<Done> r = Serve<Done>([&]() -> Result<Done> {
        OPTIMYSTIC_RETURN_IF_ERROR(local.Cancel(actions));
        return Done{};
      });
      return r ? Status::Ok() : r.error();
    }

    const std::string id;
    plugins::storage_memory::MemoryStorageEngine engine;
    core::repository::Repository repository{engine};
    cluster::network::LocalPeerRepo local{repository};
    std::mt19937_64 random;
    int down_for = 0;  // guarded by the network's mutex
    int cut_for = 0;

   private:
    template <typename R, typename F>
    Result<R> Serve(F&& execute) {
      std::lock_guard serial(mu_);
      const Fate fate = net_.FateOf(*this);
      const Status unreachable =
          Status::Unavailable("cannot reach sim://" + id + ": " +
                              (fate == Fate::kLoseReply ? "reply lost" : "request lost"));
      switch (fate) {
        case Fate::kRefuse:
        case Fate::kLoseRequest:
          return unreachable;
        case Fate::kLoseReply: {
          (void)execute();
          return unreachable;
        }
        case Fate::kDuplicate:
          (void)execute();
          return execute();
        case Fate::kDeliver:
          break;
      }
      return execute();
    }
    std::mutex mu_;
    SimNetwork& net_;
  };

  Peer& Nth(int i) {
    auto it = peers_.begin();
    std::advance(it, i);
    return *it->second;
  }

  Fate FateOf(Peer& p) {
    std::lock_guard lock(mu_);
    ++counts_.requests;
    if (p.down_for > 0 || p.cut_for > 0) {
      ++counts_.refused;
      return Fate::kRefuse;
    }
    if (healed_) return Fate::kDeliver;
    const double r = std::uniform_real_distribution<double>(0, 1)(p.random);
    if (r < faults_.lose_request) {
      ++counts_.lost_requests;
      return Fate::kLoseRequest;
    }
    if (r < faults_.lose_request + faults_.lose_reply) {
      ++counts_.lost_replies;
      return Fate::kLoseReply;
    }
    if (r < faults_.lose_request + faults_.lose_reply + faults_.duplicate) {
      ++counts_.duplicates;
      return Fate::kDuplicate;
    }
    return Fate::kDeliver;
  }

  const SimFaults faults_;
  const uint32_t replication_;
  std::mutex mu_;
  std::mt19937_64 random_;
  bool healed_ = true;
  SimCounts counts_;
  std::map<std::string, std::unique_ptr<Peer>> peers_;
  std::unique_ptr<cluster::ring::Ring> ring_;
};

}  // namespace optimystic::sim
