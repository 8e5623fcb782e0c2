// SPDX-License-Identifier: Apache-2.0
// AntiEntropy: repair between the replicas of a block (SPEC.md §7.5), in the background and on
// reads. Every interval it compares, with each other reachable member, the digests of the blocks
// both hold by placement (heads_digest.h); for a bucket that differs it asks that peer for its
// heads there, and each block the peer is ahead on (or holds and this node lacks) is repaired:
// - Corroboration: the block's other replicas are asked for their heads of it. The target is the
//   highest revision at least `floor` of them hold, floor = min(2, replicas - 1): two peers
//   other than this node, or the one other replica of a pair. One peer's claim alone moves
//   nothing.
// - The missing actions (this node's latest rev to the target) are fetched from `floor` peers at
//   or past the target; their histories must be identical and touch only this block, or nothing
//   is applied.
// - They are replayed through the ClusterMember (consensus/cluster_member.h, Repair), under its
//   lock, in rev order. A block this node holds at or past the target is never moved backward,
//   and a missing revision is never skipped (invariants P and L stay the repository's).
// A block missing here entirely is restored the same way, from rev 0 (restoration of missing
// revisions from replicas).
// Read repair: a replicated get that finds a replica behind the newest answer reports it
// (ReportBehind). This node's own blocks are queued for a repair; another replica is sent
// "repo.repair" naming them, and queues them itself (RequestRepair, from RepairService). The loop
// runs what is queued as soon as it is queued, with the same RepairBlock: a hint is only a hint,
// the repair corroborates on its own. Each block is hinted to a peer at most once per
// hint_window_ms, and the queues are bounded (what does not fit is dropped and counted).
// Hand-off (joining, leaving and replacing a dead member, docs/operations.md): while the ring
// changes, HandOff fetches the blocks the next ring gives this node from whoever holds them:
// each reachable peer lists, a few buckets per "repo.heads" request ("next"), its blocks whose
// next cluster holds this node; each one this node is behind on is fetched from the block's
// current cluster's reachable replicas, to the highest revision two of them hold, or, when one
// of the replicas is down, any of them: a decided commit is held by a majority, which may leave
// a single live replica, and the next cluster must hold every decided commit. HandedOn tells whether each of this node's blocks
// (those a given member holds by placement, or all) is held at this node's revision by every
// member of its next cluster that answers, and by a majority at least.
// Thread-safety: every method but Start/Stop may be called from any thread at once; Start/Stop
// from one thread.
// Errors: RepairBlock is Unavailable when too few replicas answer, Aborted when their histories
// disagree or do not reach the target; RunOnce and RunRequested report per-block failures to
// events and go on.
#pragma once

#include <optimystic/base/result.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cluster/consensus/cluster_member.h"
#include "cluster/repair/repair_peers.h"
#include "core/repository/repository.h"

namespace optimystic::cluster::repair {

struct AntiEntropyOptions {
  uint32_t buckets = 64;               // ranges of the ring each comparison splits blocks into
  int64_t interval_ms = 30'000;        // between rounds of the background loop
  size_t max_repairs_per_round = 1000;  // blocks repaired per round at most (the rest next time)
  // Read repair: blocks queued for a repair here, and blocks queued to be hinted to peers, at
  // most (each); more are dropped.
  size_t max_queued_repairs = 10'000;
  // A block reported behind on a peer is not hinted to it again within this window (SPEC.md
  // §7.5 readRepairWindowMs); 0: every time.
  int64_t hint_window_ms = 10'000;
};

// What one round did.
struct RoundReport {
  size_t peers_compared = 0;     // peers whose digests were compared
  size_t buckets_differing = 0;  // buckets whose digests differed, over all peers
  size_t blocks_behind = 0;      // blocks a peer claimed to be ahead on
  size_t blocks_repaired = 0;    // blocks brought forward
  size_t actions_replayed = 0;
  size_t failures = 0;           // peers or blocks that could not be compared or repaired
};

// What one pass over the read-repair queues did.
struct ReadRepairReport {
  size_t hints_sent = 0;       // blocks other replicas were asked to repair
  size_t blocks_repaired = 0;  // of this node's, brought forward
  size_t actions_replayed = 0;
  size_t failures = 0;         // hints that could not be sent, blocks that could not be repaired
  size_t dropped = 0;          // requests and hints dropped since the last pass: queues were full
};

// What one hand-off pass did.
struct HandOffReport {
  size_t peers_asked = 0;      // peers that listed their blocks for this node
  size_t blocks_found = 0;     // blocks the next ring gives this node that some peer holds
  size_t blocks_checked = 0;   // of those, fetched or found current so far
  size_t blocks_fetched = 0;   // brought here or forward
  size_t actions_replayed = 0;
  size_t failures = 0;         // peers that could not list, blocks that could not be fetched
  bool complete() const { return failures == 0 && blocks_checked == blocks_found; }
};

// What HandedOn found.
struct HandedOnReport {
  size_t blocks = 0;        // this node's blocks
  size_t handed_on = 0;     // held at this node's revision by their next cluster (see above)
  std::string first_short;  // the first block that is not, and why
};

struct AntiEntropyEvents {
  // A block was brought forward by `actions` replayed actions, to `rev`.
  std::function<void(const block::BlockId&, size_t actions, uint64_t rev)> on_repaired;
  // A peer could not be compared, or a block repaired; `what` says which and why.
  std::function<void(const std::string& what)> on_failure;
  // A round ended.
  std::function<void(const RoundReport&)> on_round;
  // A pass over the read-repair queues ended.
  std::function<void(const ReadRepairReport&)> on_read_repair;
  // A hand-off pass listed what to fetch, and again after each batch of blocks fetched.
  std::function<void(const HandOffReport&)> on_hand_off;
};

class AntiEntropy final {
 public:
  // OWNERSHIP: `repository`, `peers` and `member` must outlive this.
  AntiEntropy(std::string self, core::repository::Repository& repository, RepairPeers& peers,
              consensus::ClusterMember& member, AntiEntropyOptions options = {},
              AntiEntropyEvents events = {});
  ~AntiEntropy();  // Stop()s
  AntiEntropy(const AntiEntropy&) = delete;
  AntiEntropy& operator=(const AntiEntropy&) = delete;

  // One round over every reachable peer.
  RoundReport RunOnce();
  // Brings `block_id` to the highest revision its other replicas corroborate. Returns how many
  // actions were replayed (0: not behind).
  Result<size_t> RepairBlock(const block::BlockId& block_id);

  // This node's digests and heads of what it shares with `peer` (the responder's side of
  // repo.digest and repo.heads, RepairService).
  Result<std::vector<std::string>> DigestFor(const wire::DigestRequest& request);
  Result<std::vector<core::repository::BlockHead>> HeadsFor(const wire::HeadsRequest& request);

  // Read repair. Queues `block_ids` for a RepairBlock here by the loop soon; how many were
  // queued (the others already were, or did not fit).
  size_t RequestRepair(const std::vector<block::BlockId>& block_ids);
  // A read found `peer` (this node or another) behind on `block_ids`: queues this node's repair
  // or a hint to `peer`, for each block not reported on `peer` within hint_window_ms.
  void ReportBehind(const std::string& peer, const std::vector<block::BlockId>& block_ids);
  // Sends the queued hints and repairs the queued blocks, now.
  ReadRepairReport RunRequested();

  // Hand-off: fetches what the next ring gives this node (one pass; repeat until complete).
  HandOffReport HandOff();
  // Whether this node's blocks are held by their next clusters: all of them (a leaving node's
  // check), or with `of`, those whose current cluster holds `of` (a member given the role down).
  Result<HandedOnReport> HandedOn(const std::optional<std::string>& of = std::nullopt);

  // The background loop: a round every interval_ms (the first after one interval; none when
  // it is 0), and a RunRequested whenever something is queued.
  void Start();
  void Stop();

 private:
  struct Repaired {
    size_t blocks = 0;
    size_t actions = 0;
    size_t failures = 0;
  };

  Result<std::vector<core::repository::BlockHead>> Shared(const std::string& peer);
  // The blocks `peer` is ahead on, from this node's `heads` (all of them), or Unavailable/etc.
  // when it cannot be compared.
  Result<std::vector<block::BlockId>> Compare(const std::string& peer,
                                              const std::vector<core::repository::BlockHead>& heads,
                                              RoundReport& report);
  // Brings `block_id` to the highest revision `corroboration` of `others` (replicas other than
  // this node) hold, or all of them when fewer.
  Result<size_t> RepairFrom(const block::BlockId& block_id, const std::vector<std::string>& others,
                            size_t corroboration = 2);
  // Repairs the first `limit` of `ids`, each failure reported to events.
  Repaired RepairEach(const std::set<block::BlockId>& ids, size_t limit);
  void Loop();

  const std::string self_;
  core::repository::Repository& repository_;
  RepairPeers& peers_;
  consensus::ClusterMember& member_;
  const AntiEntropyOptions options_;
  const AntiEntropyEvents events_;

  std::mutex loop_mu_;  // guards the loop's state and the read-repair queues
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  std::set<block::BlockId> requested_;                  // to repair here
  std::map<std::string, std::set<block::BlockId>> hints_;  // to hint, by peer
  size_t hints_queued_ = 0;
  std::map<std::pair<std::string, block::BlockId>, std::chrono::steady_clock::time_point>
      reported_;  // when each (peer, block) was last queued
  size_t dropped_ = 0;
  std::thread loop_;
};

}  // namespace optimystic::cluster::repair
