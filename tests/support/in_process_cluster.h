// SPDX-License-Identifier: Apache-2.0
// InProcessCluster: several nodes of a consensus cluster in one process, for tests of
// cluster/consensus and of the NetworkTransactor over replicated blocks. Each node has its own
// memory engine, repository, Ed25519 key, ClusterMember and ConsensusRepo (its coordinator);
// blocks are placed on a real Ring. The cluster is also a PeerNetwork whose peers are the
// nodes' coordinators. A node can be taken down (every request to it fails "cannot reach ...",
// as a transport would) and restarted over its storage, and a hook can rewrite the records one
// node sends, to forge votes. For a simulation (tests/sim), Options add a fault hook that
// decides the fate of every request on both layers (a client's request to a coordinator, a
// member's cluster.update or history request to a member): delivered, lost, executed with its
// reply lost, delivered twice, or delivered and delivered again later; and a scheduler that runs
// each node's background work (ConsensusOptions::schedule, with ClusterMember::Recover as the
// tick) instead of the nodes' threads, so that a seeded run replays exactly. Each node also has
// an AntiEntropy (cluster/repair) over the same faults ("digest", "heads", "history"), whose
// rounds the test runs (RunOnce); it has no background thread here.
// Thread-safety: the network's methods may be called from any thread at once; SetDown, Restart
// and SetTamper from the test's thread between operations. The hooks are called from any
// thread at once.
#pragma once

#include <optimystic/base/base32.h>
#include <optimystic/block/transform.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cluster/consensus/cluster_member.h"
#include "cluster/consensus/consensus_peers.h"
#include "cluster/consensus/consensus_repo.h"
#include "cluster/identity/node_key.h"
#include "cluster/network/peer_network.h"
#include "cluster/network/peer_repo.h"
#include "cluster/repair/anti_entropy.h"
#include "cluster/repair/repair_peers.h"
#include "cluster/ring/ring.h"
#include "core/repository/repository.h"
#include "storage/memory/memory_storage_engine.h"

namespace optimystic::test {

class InProcessCluster final : public cluster::network::PeerNetwork {
 public:
  struct Counts {
    std::atomic<int> votes_refused{0};
    std::atomic<int> divergences{0};
    std::atomic<int> catch_ups{0};
  };

  // One request as the fault hook sees it.
  struct Call {
    bool member = false;  // false: a client's PeerRepo request to `to`'s coordinator
    std::string from;     // the sending member (empty for a client's request)
    std::string to;
    std::string what;     // "get", "status", "pend", "commit", "cancel" | "update", "history"
    std::string key;      // what the request says: equal requests have equal keys
    const cluster::wire::ClusterRecord* record = nullptr;  // for "update"
  };
  enum class Fate {
    kDeliver,
    kLoseRequest,  // not executed; the caller is told "cannot reach ..."
    kLoseReply,    // executed; the caller is told "cannot reach ..."
    kDuplicate,    // executed twice, the second reply returned
    kEchoLater,    // delivered, and a stale copy is handed to Options::echo to deliver later
  };
  struct Options {
    uint32_t promise_quorum = 0;
    std::function<Fate(const Call&)> fault;
    // Takes the stale copy of a kEchoLater request; calling it delivers the copy (dropped if
    // its target is down then). It must not be called after the cluster is destroyed.
    std::function<void(std::function<void()> deliver)> echo;
    // Runs node `node`'s background work when the clock reaches `due_unix_ms`. Work queued by a
    // node before its Restart does nothing when run.
    std::function<void(const std::string& node, int64_t due_unix_ms, std::function<void()> work)>
        schedule;
  };

  InProcessCluster(const std::vector<std::string>& ids, uint32_t replication,
                   const time::Clock& clock, uint32_t promise_quorum = 0)
      : InProcessCluster(ids, replication, clock, Options{promise_quorum, {}, {}, {}}) {}

  InProcessCluster(const std::vector<std::string>& ids, uint32_t replication,
                   const time::Clock& clock, Options options)
      : replication_(replication),
        clock_(clock),
        promise_quorum_(options.promise_quorum),
        options_(std::move(options)) {
    std::vector<cluster::ring::RingPeer> ring_peers;
    for (const std::string& id : ids) {
      ring_peers.push_back({id, true});
      auto node = std::make_unique<Node>(id, *this);
      nodes_.emplace(id, std::move(node));
    }
    ring_ = std::make_unique<cluster::ring::Ring>(
        std::move(*cluster::ring::Ring::Create(std::move(ring_peers), 64)));
    for (const std::string& id : ids) {
      Open(*nodes_.at(id));
    }
  }

  // Every coordinator's background thread stops before any node goes: a retry in flight calls
  // the other nodes' members.
  ~InProcessCluster() override {
    for (auto& [id, node] : nodes_) node->coordinator.reset();
    for (auto& [id, node] : nodes_) node->anti_entropy.reset();
  }
  InProcessCluster(const InProcessCluster&) = delete;
  InProcessCluster& operator=(const InProcessCluster&) = delete;

  // A record `from` sends may be rewritten before it arrives (to forge votes).
  using Tamper = std::function<void(const std::string& from, const std::string& to,
                                    cluster::wire::ClusterRecord& record)>;
  void SetTamper(Tamper tamper) {
    std::lock_guard lock(mu_);
    tamper_ = std::move(tamper);
  }

  void SetDown(const std::string& id, bool down) {
    std::lock_guard lock(mu_);
    if (down) {
      down_.insert(id);
    } else {
      down_.erase(id);
    }
  }
  bool IsDown(const std::string& id) {
    std::lock_guard lock(mu_);
    return down_.count(id) != 0;
  }
  // Unavailable, as a transport says it, when `from` or `to` is down.
  Status Reach(const std::string& from, const std::string& to) {
    if (IsDown(from) || IsDown(to)) {
      return Status::Unavailable("cannot reach mem://" + to + ": peer is down");
    }
    return Status::Ok();
  }
  // The node starts again over its storage: what it kept in memory is gone.
  void Restart(const std::string& id) {
    Node& node = *nodes_.at(id);
    *node.alive = false;
    node.coordinator.reset();
    node.anti_entropy.reset();
    node.member.reset();
    Open(node);
  }

  core::repository::Repository& RepositoryOf(const std::string& id) {
    return nodes_.at(id)->repository;
  }
  cluster::consensus::ClusterMember& MemberOf(const std::string& id) {
    return *nodes_.at(id)->member;
  }
  cluster::consensus::ConsensusRepo& CoordinatorOf(const std::string& id) {
    return *nodes_.at(id)->coordinator;
  }
  cluster::repair::AntiEntropy& AntiEntropyOf(const std::string& id) {
    return *nodes_.at(id)->anti_entropy;
  }
  cluster::consensus::ConsensusPeers& PeersOf(const std::string& id) {
    return nodes_.at(id)->peers;
  }
  const cluster::identity::NodeKey& KeyOf(const std::string& id) { return nodes_.at(id)->key; }
  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (const auto& [id, node] : nodes_) out.push_back(id);
    return out;
  }
  Counts& counts() { return counts_; }
  // What each member reported through MemberEvents::on_divergence, as "<node>: <what>".
  std::vector<std::string> divergences() {
    std::lock_guard lock(mu_);
    return divergences_;
  }

  Result<std::vector<std::string>> ClusterFor(const block::BlockId& block_id) override {
    return ring_->ClusterFor(block_id, replication_);
  }
  bool IsReachable(const std::string& peer_id) override { return !IsDown(peer_id); }
  cluster::network::PeerRepo& RepoOf(const std::string& peer_id) override {
    return nodes_.at(peer_id)->gate;
  }
  void ReportUnreachable(const std::string&) override {}

 private:
  struct Node;

  // ConsensusPeers as one node sees the cluster.
  class Peers final : public cluster::consensus::ConsensusPeers {
   public:
    Peers(std::string self, InProcessCluster& cluster)
        : self_(std::move(self)), cluster_(cluster) {}
    Result<std::vector<cluster::wire::ClusterPeer>> ClusterOf(
        const transactor::BlockId& block_id) override {
      std::vector<cluster::wire::ClusterPeer> out;
      for (const std::string& id : cluster_.ring_->ClusterFor(block_id, cluster_.replication_)) {
        out.push_back({id, base::Base32Encode(cluster_.nodes_.at(id)->key.public_key())});
      }
      return out;
    }
    bool IsReachable(const std::string& peer_id) override { return !cluster_.IsDown(peer_id); }
    Result<cluster::wire::ClusterUpdateOk> Update(
        const std::string& peer_id, const cluster::wire::ClusterRecord& record) override {
      OPTIMYSTIC_RETURN_IF_ERROR(Reach(peer_id));
      cluster::wire::ClusterRecord sent = record;
      Tamper tamper;
      {
        std::lock_guard lock(cluster_.mu_);
        tamper = cluster_.tamper_;
      }
      if (tamper) tamper(self_, peer_id, sent);
      Node& to = *cluster_.nodes_.at(peer_id);
      Call call{true, self_, peer_id, "update", UpdateKey(sent), &sent};
      return cluster_.Deliver<cluster::wire::ClusterUpdateOk>(
          call, [&to, sent] { return to.member->Update(sent); });
    }
    Result<std::vector<transactor::ActionTransforms>> HistoryOf(
        const std::string& peer_id, const transactor::BlockId& block_id,
        uint64_t after_rev) override {
      OPTIMYSTIC_RETURN_IF_ERROR(Reach(peer_id));
      Node& to = *cluster_.nodes_.at(peer_id);
      Call call{true, self_, peer_id, "history", block_id + "@" + std::to_string(after_rev)};
      return cluster_.Deliver<std::vector<transactor::ActionTransforms>>(
          call, [&to, block_id, after_rev] { return to.member->History(block_id, after_rev); });
    }

   private:
    Status Reach(const std::string& peer_id) { return cluster_.Reach(self_, peer_id); }
    const std::string self_;
    InProcessCluster& cluster_;
  };

  // RepairPeers as one node sees the cluster: the other nodes that are up.
  class RepairView final : public cluster::repair::RepairPeers {
   public:
    RepairView(std::string self, InProcessCluster& cluster)
        : self_(std::move(self)), cluster_(cluster) {}
    std::vector<std::string> Peers() override {
      std::vector<std::string> out;
      for (const auto& [id, node] : cluster_.nodes_) {
        if (id != self_ && !cluster_.IsDown(id)) out.push_back(id);
      }
      return out;
    }
    Result<std::vector<std::string>> ClusterFor(const block::BlockId& block_id) override {
      return cluster_.ClusterFor(block_id);
    }
    Result<std::vector<std::string>> Digest(const std::string& peer,
                                            const cluster::wire::DigestRequest& request) override {
      OPTIMYSTIC_RETURN_IF_ERROR(Reach(peer));
      Node& to = *cluster_.nodes_.at(peer);
      return cluster_.Deliver<std::vector<std::string>>(
          Call{true, self_, peer, "digest", request.peer},
          [&to, request] { return to.anti_entropy->DigestFor(request); });
    }
    Result<std::vector<core::repository::BlockHead>> Heads(
        const std::string& peer, const cluster::wire::HeadsRequest& request) override {
      OPTIMYSTIC_RETURN_IF_ERROR(Reach(peer));
      Node& to = *cluster_.nodes_.at(peer);
      std::string key = request.peer + ":" + Ids(request.block_ids);
      for (uint32_t b : request.of) key += std::to_string(b) + ",";
      return cluster_.Deliver<std::vector<core::repository::BlockHead>>(
          Call{true, self_, peer, "heads", key},
          [&to, request] { return to.anti_entropy->HeadsFor(request); });
    }
    Result<std::vector<transactor::ActionTransforms>> HistoryOf(
        const std::string& peer, const block::BlockId& block_id, uint64_t after_rev) override {
      return cluster_.nodes_.at(self_)->peers.HistoryOf(peer, block_id, after_rev);
    }
    Result<uint64_t> RequestRepair(const std::string& peer,
                                   const std::vector<block::BlockId>& block_ids) override {
      OPTIMYSTIC_RETURN_IF_ERROR(Reach(peer));
      Node& to = *cluster_.nodes_.at(peer);
      return cluster_.Deliver<uint64_t>(Call{true, self_, peer, "repair", Ids(block_ids)},
                                        [&to, block_ids]() -> Result<uint64_t> {
                                          return to.anti_entropy->RequestRepair(block_ids);
                                        });
    }

   private:
    Status Reach(const std::string& peer_id) { return cluster_.Reach(self_, peer_id); }
    const std::string self_;
    InProcessCluster& cluster_;
  };

  // A node's coordinator behind the switch SetDown turns.
  class Gate final : public cluster::network::PeerRepo {
   public:
    Gate(Node& node, InProcessCluster& cluster) : node_(node), cluster_(cluster) {}
    Result<transactor::GetBlockResults> Get(const transactor::BlockGets& gets) override {
      OPTIMYSTIC_RETURN_IF_ERROR(Reach());
      std::string key = Ids(gets.block_ids);
      if (gets.context) key += "@" + std::to_string(gets.context->rev);
      return cluster_.Deliver<transactor::GetBlockResults>(
          Call{false, "", node_.id, "get", key},
          [this, gets] { return node_.coordinator->Get(gets); });
    }
    Result<std::vector<transactor::BlockActionStatus>> GetStatus(
        const std::vector<transactor::ActionBlocks>& actions) override {
      OPTIMYSTIC_RETURN_IF_ERROR(Reach());
      std::string key;
      for (const transactor::ActionBlocks& a : actions) key += a.action_id + ":" + Ids(a.block_ids);
      return cluster_.Deliver<std::vector<transactor::BlockActionStatus>>(
          Call{false, "", node_.id, "status", key},
          [this, actions] { return node_.coordinator->GetStatus(actions); });
    }
    Result<transactor::PendResult> Pend(const transactor::PendRequest& request) override {
      OPTIMYSTIC_RETURN_IF_ERROR(Reach());
      const std::string key = request.action_id + "@" + std::to_string(request.rev.value_or(0)) +
                              ":" + Ids(block::BlockIdsForTransforms(request.transforms));
      return cluster_.Deliver<transactor::PendResult>(
          Call{false, "", node_.id, "pend", key},
          [this, request] { return node_.coordinator->Pend(request); });
    }
    Result<transactor::CommitResult> Commit(const transactor::CommitRequest& request) override {
      OPTIMYSTIC_RETURN_IF_ERROR(Reach());
      const std::string key =
          request.action_id + "@" + std::to_string(request.rev) + ":" + Ids(request.block_ids);
      return cluster_.Deliver<transactor::CommitResult>(
          Call{false, "", node_.id, "commit", key},
          [this, request] { return node_.coordinator->Commit(request); });
    }
    Status Cancel(const transactor::ActionBlocks& actions) override {
      OPTIMYSTIC_RETURN_IF_ERROR(Reach());
      struct Done {};
      Result<Done> done = cluster_.Deliver<Done>(
          Call{false, "", node_.id, "cancel", actions.action_id + ":" + Ids(actions.block_ids)},
          [this, actions]() -> Result<Done> {
            OPTIMYSTIC_RETURN_IF_ERROR(node_.coordinator->Cancel(actions));
            return Done{};
          });
      return done ? Status::Ok() : done.error();
    }

   private:
    Status Reach() {
      if (cluster_.IsDown(node_.id)) {
        return Status::Unavailable("cannot reach mem://" + node_.id + ": peer is down");
      }
      return Status::Ok();
    }
    Node& node_;
    InProcessCluster& cluster_;
  };

  struct Node {
    Node(std::string node_id, InProcessCluster& cluster)
        : id(std::move(node_id)),
          key(*cluster::identity::NodeKey::Generate()),
          peers(id, cluster),
          repair(id, cluster),
          gate(*this, cluster) {}
    std::string id;
    plugins::storage_memory::MemoryStorageEngine engine;
    core::repository::Repository repository{
        engine, core::repository::RepositoryOptions{true, true, /*replicated=*/true}};
    cluster::network::LocalPeerRepo local{repository};
    cluster::identity::NodeKey key;
    Peers peers;
    RepairView repair;
    Gate gate;
    std::shared_ptr<bool> alive = std::make_shared<bool>(true);  // this incarnation runs
    std::unique_ptr<cluster::consensus::ClusterMember> member;
    std::unique_ptr<cluster::consensus::ConsensusRepo> coordinator;
    std::unique_ptr<cluster::repair::AntiEntropy> anti_entropy;
  };

  void Open(Node& node) {
    cluster::consensus::MemberOptions member_options;
    member_options.promise_quorum = promise_quorum_;
    cluster::consensus::MemberEvents events;
    events.on_vote_refused = [this](std::string_view, const std::string&) {
      counts_.votes_refused.fetch_add(1);
    };
    events.on_divergence = [this, id = node.id](const std::string& what) {
      counts_.divergences.fetch_add(1);
      std::lock_guard lock(mu_);
      divergences_.push_back(id + ": " + what);
    };
    events.on_catch_up = [this](const std::string&, size_t) { counts_.catch_ups.fetch_add(1); };
    node.member = std::move(*cluster::consensus::ClusterMember::Open(
        node.id, node.key, node.repository, node.engine, node.peers, clock_, member_options,
        std::move(events)));
    cluster::consensus::ConsensusOptions options;
    options.promise_quorum = promise_quorum_;
    if (options_.schedule) {
      node.alive = std::make_shared<bool>(true);
      options.tick = [member = node.member.get()] { member->Recover(); };
      options.schedule = [this, id = node.id, alive = node.alive](int64_t due,
                                                                  std::function<void()> work) {
        options_.schedule(id, due, [alive, work = std::move(work)] {
          if (*alive) work();
        });
      };
    }
    cluster::consensus::ConsensusEvents coordinator_events;
    coordinator_events.on_vote_refused = [this](std::string_view, const std::string&) {
      counts_.votes_refused.fetch_add(1);
    };
    node.coordinator = std::make_unique<cluster::consensus::ConsensusRepo>(
        node.id, node.local, node.peers, clock_, std::move(options),
        std::move(coordinator_events));
    node.anti_entropy = std::make_unique<cluster::repair::AntiEntropy>(
        node.id, node.repository, node.repair, *node.member);
  }

  static std::string Ids(const std::vector<transactor::BlockId>& ids) {
    std::string out;
    for (const transactor::BlockId& id : ids) out += id + ",";
    return out;
  }
  // A record's hash and the votes it carries.
  static std::string UpdateKey(const cluster::wire::ClusterRecord& record) {
    std::string key = record.message_hash + "|p";
    for (const auto& [peer, vote] : record.promises) {
      key += ":" + peer + "=" + std::to_string(static_cast<int>(vote.type));
    }
    key += "|c";
    for (const auto& [peer, vote] : record.commits) {
      key += ":" + peer + "=" + std::to_string(static_cast<int>(vote.type));
    }
    return key;
  }

  // Runs `execute` (a copyable call of the request) as the fault hook decides.
  template <typename R, typename F>
  Result<R> Deliver(const Call& call, F execute) {
    const Fate fate = options_.fault ? options_.fault(call) : Fate::kDeliver;
    auto lost = [&](const char* why) {
      return Status::Unavailable("cannot reach mem://" + call.to + ": " + why);
    };
    switch (fate) {
      case Fate::kLoseRequest:
        return lost("request lost");
      case Fate::kLoseReply:
        (void)execute();
        return lost("reply lost");
      case Fate::kDuplicate:
        (void)execute();
        break;
      case Fate::kEchoLater:
        if (options_.echo) {
          options_.echo([this, to = call.to, execute] {
            if (!IsDown(to)) (void)execute();
          });
        }
        break;
      case Fate::kDeliver:
        break;
    }
    return execute();
  }

  const uint32_t replication_;
  const time::Clock& clock_;
  const uint32_t promise_quorum_;
  const Options options_;
  std::mutex mu_;
  std::set<std::string> down_;
  Tamper tamper_;
  std::vector<std::string> divergences_;
  Counts counts_;
  std::unique_ptr<cluster::ring::Ring> ring_;
  std::map<std::string, std::unique_ptr<Node>> nodes_;
};

}  // namespace optimystic::test
