// SPDX-License-Identifier: Apache-2.0
// ConsensusRepo: this node as the coordinator of the blocks it is asked to write (SPEC.md §7.4
// "CoordinatorRepo"). It is the PeerRepo the repo service and this node's NetworkTransactor use
// for this node: reads are this node's own (a reader asks a majority of replicas, see
// NetworkTransactor), and each write runs one consensus round per cluster among its blocks:
// - pend: one phase. Every peer of the cluster applies the pend as its promise; it succeeds
//   once a promise quorum approved. Otherwise the peers that pended are cancelled in the
//   background and the answer is the peers' refusal (a StaleFailure, this node's own first) or
//   Unavailable naming how many of how many promised.
// - commit: the promise phase (each peer checks the commit and locks its blocks), the commit
//   phase (each signs a commit vote once it sees a promise quorum), then the decision goes to
//   every peer, which applies it once it sees a commit quorum of votes. A commit succeeds once
//   decided; peers that did not apply it are sent it again in the background (backoff from
//   retry_initial_ms, doubling to retry_max_ms, retry_attempts times). A refused promise is a
//   StaleFailure (stale, missing pending record, or a lost race: "lost a race to <hash>"). The
//   cluster of the log tail commits first, then the others in parallel.
// - cancel: one phase; done once a commit quorum of peers cancelled. Peers that did not answer
//   are sent it again in the background, like a decided commit.
// A block whose cluster is this node alone is written directly, the single-node path.
// Thread-safety: every method may be called from any thread at once.
// Errors: as PeerRepo; Unavailable when too few peers answer.
#pragma once

#include <optimystic/time/clock.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cluster/consensus/consensus_peers.h"
#include "cluster/consensus/record.h"
#include "cluster/network/peer_repo.h"

namespace optimystic::cluster::consensus {

struct ConsensusOptions {
  uint32_t promise_quorum = 0;    // 0: ceil(0.75·n)
  int64_t expiration_ms = 10'000; // a round's deadline: no peer votes on it after this
  int64_t retry_initial_ms = 250;
  int64_t retry_max_ms = 8'000;
  int retry_attempts = 5;
  // Called about every second from the background thread (the node runs ClusterMember::Recover).
  std::function<void()> tick;
  // Runs the background work (cancels of failed pends, due at once; retries of decided records;
  // the tick) at a time on `clock` (unix ms). Unset: the repo's own thread, which waits for the
  // clock. A simulation passes one that queues the work and runs what is due between operations,
  // so that a seeded run replays exactly; work a repo queued must not run after it is destroyed.
  std::function<void(int64_t due_unix_ms, std::function<void()> work)> schedule;
};

// One round's outcome, for metrics: op, "decided" | "rejected" | "conflict" | "no-quorum", and
// the time the promise and commit phases took (commit 0 for one-phase ops and failed rounds).
struct RoundReport {
  wire::ConsensusOp op = wire::ConsensusOp::kPend;
  std::string_view outcome;
  double promise_seconds = 0;
  double commit_seconds = 0;
};

struct ConsensusEvents {
  std::function<void(const RoundReport&)> on_round;
  std::function<void(std::string_view reason, const std::string& peer)> on_vote_refused;
  std::function<void()> on_retry;  // a decided record was sent again to a peer
};

class ConsensusRepo final : public network::PeerRepo {
 public:
  // OWNERSHIP: `local`, `peers` and `clock` must outlive the repo.
  ConsensusRepo(std::string self, network::PeerRepo& local, ConsensusPeers& peers,
                const time::Clock& clock, ConsensusOptions options = {},
                ConsensusEvents events = {});
  ~ConsensusRepo() override;  // stops the background thread (pending retries are dropped)
  ConsensusRepo(const ConsensusRepo&) = delete;
  ConsensusRepo& operator=(const ConsensusRepo&) = delete;

  Result<transactor::GetBlockResults> Get(const transactor::BlockGets& gets) override;
  Result<std::vector<transactor::BlockActionStatus>> GetStatus(
      const std::vector<transactor::ActionBlocks>& actions) override;
  Result<transactor::PendResult> Pend(const transactor::PendRequest& request) override;
  Result<transactor::CommitResult> Commit(const transactor::CommitRequest& request) override;
  Status Cancel(const transactor::ActionBlocks& actions) override;

  // Blocks until no background work (cancels of failed pends) is queued or running; retries,
  // which wait on the clock, are not waited for. For tests; with options.schedule it returns
  // at once.
  void WaitForBackgroundWork();

 private:
  struct Group {
    std::vector<wire::ClusterPeer> peers;  // sorted by id
    std::vector<transactor::BlockId> blocks;
  };
  struct Retry {
    wire::ClusterRecord record;
    std::vector<std::string> peers;
    int attempt = 0;
    int64_t due_ms = 0;
  };

  Result<std::vector<Group>> GroupByCluster(const std::vector<transactor::BlockId>& ids);
  bool IsSelfOnly(const Group& group) const;
  // Sends `record` to each of its peers at once (one immediate retry each) and merges the valid
  // votes of the replies into it. A reply per peer, in record.peers order (nullopt: no answer).
  std::vector<std::optional<wire::ClusterUpdateOk>> Broadcast(wire::ClusterRecord& record);
  wire::ClusterRecord Start(wire::ConsensusMessage message, std::vector<wire::ClusterPeer> peers);
  // `round`: the hash of the round it ran (empty for a self-only group).
  Result<transactor::PendResult> PendGroup(const Group& group, transactor::PendRequest request,
                                           std::string& round);
  Result<transactor::CommitResult> CommitGroup(const Group& group,
                                               transactor::CommitRequest request);
  // `pend_hash`: the failed pend round it undoes (wire::ConsensusMessage::pend_hash).
  Status CancelGroup(const Group& group, const transactor::ActionBlocks& actions,
                     std::optional<std::string> pend_hash = std::nullopt);
  void Report(wire::ConsensusOp op, std::string_view outcome, int64_t start_ns, int64_t mid_ns,
              int64_t end_ns);
  // Queues `record` for `peers` (background, with backoff).
  void RetryLater(wire::ClusterRecord record, std::vector<std::string> peers);
  void Queue(Retry retry);
  // Sends a due retry; queues the next attempt for the peers that did not take it.
  void RunRetry(Retry retry);
  void RunInBackground(std::function<void()> work);
  void ScheduleTick();  // with options.schedule
  void Loop();

  const std::string self_;
  network::PeerRepo& local_;
  ConsensusPeers& peers_;
  const time::Clock& clock_;
  const ConsensusOptions options_;
  const ConsensusEvents events_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Retry> retries_;
  std::deque<std::function<void()>> work_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread loop_;
};

}  // namespace optimystic::cluster::consensus
