// SPDX-License-Identifier: Apache-2.0
// AntiEntropy: background repair between the replicas of a block (SPEC.md §7.5). Every interval
// it compares, with each other reachable member, the digests of the blocks both hold by
// placement (heads_digest.h); for a bucket that differs it asks that peer for its heads there,
// and each block the peer is ahead on (or holds and this node lacks) is repaired:
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
// revisions from replicas). Repair of a block is also what read repair or a join would call.
// Thread-safety: RunOnce and RepairBlock may be called from any thread at once; Start/Stop from
// one thread.
// Errors: RepairBlock is Unavailable when too few replicas answer, Aborted when their histories
// disagree or do not reach the target; RunOnce reports per-block failures to events and goes on.
#pragma once

#include <optimystic/base/result.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "cluster/consensus/cluster_member.h"
#include "cluster/repair/repair_peers.h"
#include "core/repository/repository.h"

namespace optimystic::cluster::repair {

struct AntiEntropyOptions {
  uint32_t buckets = 64;               // ranges of the ring each comparison splits blocks into
  int64_t interval_ms = 30'000;        // between rounds of the background loop
  size_t max_repairs_per_round = 1000;  // blocks repaired per round at most (the rest next time)
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

struct AntiEntropyEvents {
  // A block was brought forward by `actions` replayed actions, to `rev`.
  std::function<void(const block::BlockId&, size_t actions, uint64_t rev)> on_repaired;
  // A peer could not be compared, or a block repaired; `what` says which and why.
  std::function<void(const std::string& what)> on_failure;
  // A round ended.
  std::function<void(const RoundReport&)> on_round;
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

  // The background loop: a round every interval_ms (the first after one interval).
  void Start();
  void Stop();

 private:
  Result<std::vector<core::repository::BlockHead>> Shared(const std::string& peer);
  // The blocks `peer` is ahead on, or Unavailable/etc. when it cannot be compared.
  Result<std::vector<block::BlockId>> Compare(const std::string& peer, RoundReport& report);

  const std::string self_;
  core::repository::Repository& repository_;
  RepairPeers& peers_;
  consensus::ClusterMember& member_;
  const AntiEntropyOptions options_;
  const AntiEntropyEvents events_;

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  std::thread loop_;
};

}  // namespace optimystic::cluster::repair
