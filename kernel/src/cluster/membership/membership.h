// SPDX-License-Identifier: Apache-2.0
// Membership: the peers this node knows, whether each is up, its role, and the rings over them
// (DESIGN.md §7). It starts from this node and the `cluster.seeds` URLs. Every probe interval it
// pings each known member (a member that has not answered for `down_after_ms` is down; one that
// answers is up again) and exchanges member lists ("cluster.members", docs/protocol.md) with
// every seed and with one other member, so that a list any node learns reaches all. A member
// heard of only through another keeps the state it has; one heard from directly is up.
// Roles (wire::MemberRole): the ring that places blocks holds the active and leaving members;
// the next ring, what placement becomes once the pending changes are made, holds the active and
// joining ones. A joining member fetches what the next ring gives it before it turns active; a
// leaving one hands its ranges on before it turns left (cluster/repair/handoff.h). Only a member
// changes its own role, with a higher epoch; the newest epoch heard of wins.
// The ring holds every known active member, up or down, so that a member that is down keeps its
// blocks (they are unavailable, not moved); the NetworkTransactor picks each block's first
// reachable peer.
// Replacement of a dead member: each node tells, in its own entry of every exchange, which
// members have answered it no probe for replace_after_ms (a setting apart from down_after_ms,
// so that a restart is not a replacement). Once every other active or leaving member, asked at
// once (as Announce does), says so of a member this node sees down that long too, and those
// vouching (this node among them) are a majority of the ring, the node gives it the role down
// (its epoch + 1), which the others hear at their next exchange. It stays in the ring, so its
// blocks keep their quorums, and leaves the next one, so the hand-off passes move its ranges to
// the next peers on the ring. Each node then says, in the same entry, whether every block it holds of that
// member's is held by its next owners (SetHandedOn, from AntiEntropy::HandedOn); once all of
// them say so, the member is given the role left (epoch + 2) and placement no longer counts it.
// Every other member must agree because a member that some see down and others not may be cut
// off with a few of them, still writing its blocks; so one change is made at a time, and two
// members down at once are not replaced (nor a member with replication 1: no copy is left to
// hand on, so the server sets replace_after_ms to 0). A replaced member that comes back (an "active" word
// about a member that left, newer or not) is taken as joining, and the member, hearing it was
// replaced (replaced()), joins again: its blocks may be stale.
// The cluster is formed once every seed has answered, has been heard of by its URL, or is
// this node: before that the node cannot place blocks (ClusterFor is Unavailable), so that no
// block lands on a ring that is about to change.
// Thread-safety: every method may be called from any thread at once; views are immutable
// snapshots.
// Errors: Create refuses an empty peer id and a bad ring setting (InvalidArgument).
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/time/clock.h>
#include <optimystic/transport/transport.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cluster/membership/cluster_view.h"
#include "cluster/ring/ring.h"
#include "cluster/wire/repo_messages.h"

namespace optimystic::cluster::membership {

struct MembershipOptions {
  uint32_t replication = 1;
  uint32_t virtual_nodes = ring::kDefaultVirtualNodes;
  std::vector<std::string> seeds;  // URLs of nodes to exchange member lists with
  int64_t probe_interval_ms = 1000;
  int64_t down_after_ms = 3000;  // a member is down once no probe succeeded for this long
  int64_t replace_after_ms = 0;  // a member down this long may be replaced (see above); 0: never
  size_t max_members = 4096;     // members beyond this, heard of from others, are ignored
};

// One immutable snapshot of what the node knows.
struct MembershipView {
  std::vector<Member> members;  // this node first, then by peer id
  std::shared_ptr<const ring::Ring> ring;       // places blocks: active and leaving members
  std::shared_ptr<const ring::Ring> next_ring;  // once joins and leaves are done
  bool changing = false;                        // a member is joining or leaving
  bool formed = false;
  std::vector<std::string> waiting_for;  // seeds not yet answered or heard of
  const Member* Find(const std::string& peer_id) const;
};

// What the probe loop reports, for logs and metrics (optional).
struct MembershipEvents {
  std::function<void(const Member&)> on_up;    // a member came up (or was first heard of)
  std::function<void(const Member&)> on_down;  // a member went down
  std::function<void()> on_formed;             // the cluster formed
  std::function<void(const Member&)> on_role;  // another member's role changed
};

// What one Announce reached.
struct Announced {
  size_t asked = 0;
  size_t answered = 0;
};

class Membership final {
 public:
  // `self` is this node as peers reach it. OWNERSHIP: `clock` must outlive the membership.
  static Result<std::unique_ptr<Membership>> Create(wire::PeerInfo self, MembershipOptions options,
                                                    const time::Clock& clock,
                                                    MembershipEvents events = {});
  ~Membership();  // stops probing
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  std::shared_ptr<const MembershipView> View() const;
  wire::PeerInfo self() const;
  const std::string& peer_id() const noexcept { return peer_id_; }
  // Where peers reach this node, once its transport has bound (a listen port 0 is resolved
  // only then).
  void SetUrl(std::string url);
  const MembershipOptions& options() const noexcept { return options_; }

  // The peers that hold `block_id` (SPEC.md §7.2), or Unavailable while the cluster forms.
  Result<std::vector<std::string>> ClusterFor(const std::string& block_id) const;
  // The peers that will hold `block_id` once the joins and leaves under way are done.
  Result<std::vector<std::string>> NextClusterFor(const std::string& block_id) const;
  bool IsReachable(const std::string& peer_id) const;

  // The answer to a "cluster.members" request: `request.from` is heard from directly (up), its
  // members are heard of; the reply lists every member this node knows, itself included.
  wire::MembersOk OnMembers(const wire::ClusterMembers& request);
  // A request to `peer_id` failed in transit: it is down once down_after_ms has passed since
  // its last answer.
  void ReportUnreachable(const std::string& peer_id);

  // This node's role; SetRole changes it under a new epoch (Announce tells the others now).
  wire::MemberRole role() const;
  void SetRole(wire::MemberRole role);
  // Exchanges member lists with every known member that has not left, now, and waits for the
  // answers: how a role change reaches the cluster before this node acts on it.
  Announced Announce(transport::Transport& transport);

  // Whether another member's word says this node was replaced (given the role left, or taken
  // as joining) while it was active: it must join again. SetRole clears it.
  bool replaced() const;
  // The down members whose blocks this node holds are all held by their next owners, as this
  // node tells the others.
  void SetHandedOn(std::vector<std::string> peer_ids);

  // One probe round, over `transport`: what the background loop runs every interval.
  void ProbeOnce(transport::Transport& transport);
  // Starts the background probe loop. OWNERSHIP: `transport` must outlive Stop.
  void Start(transport::Transport& transport);
  void Stop();

 private:
  struct Known {
    wire::PeerInfo info;  // without its sees_down and handed_on: those are kept below
    bool up = true;
    int64_t last_answer_ms = 0;
    // The member's own word, as it last came from it directly, and when.
    std::vector<std::string> sees_down{}, handed_on{};
    int64_t word_ms = -1;
  };

  Membership(wire::PeerInfo self, MembershipOptions options, const time::Clock& clock,
             MembershipEvents events);
  // Merges `info` (heard from directly when `direct`). REQUIRES: mu_ held. Returns whether the
  // member set changed.
  struct Changes {
    std::vector<Member> came_up, went_down, roles;
    bool formed_now = false;
  };
  bool MergeLocked(const wire::PeerInfo& info, bool direct, int64_t now_ms, Changes& changes);
  // Merges the answer to a member-list exchange with `url`. REQUIRES: mu_ held.
  bool MergeExchangeLocked(const std::string& url, const Result<block::Value>& reply,
                           int64_t now_ms, Changes& changes);
  // Publishes when `changed`, noting a formation. REQUIRES: mu_ held.
  void PublishIfLocked(bool changed, Changes& changes);
  void SetUpLocked(Known& known, bool up, Changes& changes);
  // Rebuilds the published view. REQUIRES: mu_ held.
  void PublishLocked();
  std::vector<wire::PeerInfo> ListLocked() const;
  void Notify(const Changes& changes);
  // Takes the replacement steps that every other member's word, heard since `since_ms`, agrees
  // on (with `apply` false, only says whether there is one). REQUIRES: mu_ held. Returns
  // whether a role changed.
  bool DecideLocked(int64_t now_ms, int64_t since_ms, Changes& changes, bool apply = true);
  // The members this node sees down, as its own entry tells them. REQUIRES: mu_ held.
  std::vector<std::string> SeesDownLocked() const;
  // Gives `k` the role down (epoch + 1). REQUIRES: mu_ held.
  void GiveDownLocked(Known& k, Changes& changes);
  // Drops `peer_id` from what this node says it has handed on. REQUIRES: mu_ held.
  void ForgetHandedOnLocked(const std::string& peer_id);
  Member AsMember(const Known& known) const;

  const std::string peer_id_;
  wire::PeerInfo self_;  // guarded by mu_
  const MembershipOptions options_;
  const time::Clock& clock_;
  const MembershipEvents events_;

  mutable std::mutex mu_;
  std::vector<Known> known_;                 // others, sorted by peer id
  std::vector<std::string> seeds_answered_;  // seed URLs that answered an exchange
  std::shared_ptr<const MembershipView> view_;
  bool formed_ = false;
  bool replaced_ = false;
  uint64_t rejoined_epoch_ = 0;  // the epoch this node turned active at after a join
  std::vector<std::string> handed_on_;
  std::mt19937_64 random_;
  std::atomic<uint64_t> next_request_id_{1};

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  std::thread loop_;
};

}  // namespace optimystic::cluster::membership
