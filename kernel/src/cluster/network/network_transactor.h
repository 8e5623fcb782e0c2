// SPDX-License-Identifier: Apache-2.0
// NetworkTransactor: the Transactor (SPEC.md §6.1, §7.3) over the peers of a cluster. Each
// block is served by its coordinator, the first reachable peer of its cluster (PeerNetwork);
// blocks are batched per coordinator and batches run in parallel.
// - get: a block several peers hold (replication > 1) is asked of every reachable replica and
//   needs a majority of answers; the latest revision wins, and the replicas that answered an
//   older one are reported (on_replicas_behind, read repair). Other blocks: batches by coordinator; a peer that fails is excluded and its blocks retried with the
//   next peer of their clusters; an answer that is missing, unavailable or "unconfirmed ahead"
//   gets one second chance from another peer; answers merge by rank (SPEC.md §7.3 get step 3).
//   A block no peer answered for is Unavailable "some peers did not complete: ...".
// - pend: batches by coordinator, each with its blocks' transforms and the read dependencies
//   of the blocks that peer coordinates; the peers of a successful pend are remembered for the
//   commit. When any batch fails, the batches that pended are cancelled in the background, and
//   the result is one StaleFailure merged from the refusals (conflict when any is, the first
//   reason, the highest stale_at, missing grouped by action) or else the first error.
// - commit: log-first (CommitLogFirst): when one peer holds every block it commits them all in
//   one step, as a single node does; otherwise header, then tail, then the rest in parallel.
//   A block that did not take the commit after its tail had (a lagging block) is committed
//   again in the background: the action has its place in the log, so the block's commit stays
//   valid, and its pending record would otherwise refuse the block's later pends.
// - getStatus: like get, a block several peers hold is asked of every reachable replica and
//   needs a majority; a replica that committed the action wins over one that holds it pending
//   or not at all (a commit is only applied once decided).
// - cancel: batched by coordinator. A cancel that fails is sent again in the
//   background (through the blocks' coordinators of the moment).
// Background work (cancels of failed pends, failed cancels, lagging commits) is retried with
// backoff (retry_initial_ms doubling to retry_max_ms, retry_attempts times in all).
// A node that is its own whole cluster (replication 1, no seeds) runs exactly this path with
// one local peer, which is the single-node behaviour.
// Thread-safety: every method may be called from any thread at once.
// Errors: as Transactor; Unavailable naming the block and its cluster when every peer that
// holds a block has failed.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/transactor/transactor.h>
#include <optimystic/transactor/transactor_types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/network/peer_network.h"
#include "core/transactor/log_first_commit.h"

namespace optimystic::cluster::network {

struct NetworkTransactorOptions {
  // Called once per block that did not take an action after its tail had (optional; must be
  // thread-safe). Core has no logger; the owner logs or counts.
  std::function<void(const transactor::LaggingCommit&)> on_lagging_commit;
  // Pends whose peers are remembered for their commit; the oldest is forgotten first (its
  // commit then asks the blocks' coordinators again).
  size_t remembered_pends = 1000;
  // Runs background work `delay_ms` from now. Unset: the transactor's own thread. A
  // simulation passes one that queues the work and runs it when its clock reaches it, so that
  // a seeded run replays exactly.
  std::function<void(int64_t delay_ms, std::function<void()> work)> run_in_background;
  int64_t retry_initial_ms = 250;
  int64_t retry_max_ms = 8'000;
  int retry_attempts = 8;
  // Called after a replicated get, once per replica that answered with an older latest revision
  // than another replica of the same block (read repair, SPEC.md §7.5), with those blocks
  // (optional; must be thread-safe and must not block: it runs on the get's thread).
  std::function<void(const std::string& peer, const std::vector<transactor::BlockId>& blocks)>
      on_replicas_behind;
};

class NetworkTransactor final : public transactor::Transactor {
 public:
  // OWNERSHIP: `network` must outlive the transactor.
  explicit NetworkTransactor(PeerNetwork& network, NetworkTransactorOptions options = {});
  // Runs the background work that is due and drops the retries that wait.
  ~NetworkTransactor() override;
  NetworkTransactor(const NetworkTransactor&) = delete;
  NetworkTransactor& operator=(const NetworkTransactor&) = delete;

  Result<transactor::GetBlockResults> Get(const transactor::BlockGets& gets) override;
  Result<std::vector<transactor::BlockActionStatus>> GetStatus(
      const std::vector<transactor::ActionBlocks>& actions) override;
  Result<transactor::PendResult> Pend(const transactor::PendRequest& request) override;
  Result<transactor::CommitResult> Commit(const transactor::CommitRequest& request) override;
  Status Cancel(const transactor::ActionBlocks& actions) override;

  uint64_t lagging_commits() const noexcept { return lagging_commits_.load(); }
  // Requests retried with another peer after one failed, since construction.
  uint64_t retries() const noexcept { return retries_.load(); }

  // Blocks until no background work that is due is queued or running; retries that wait on
  // their backoff are not waited for. For tests.
  void WaitForBackgroundWork();

 private:
  using PeerBlocks = std::map<std::string, std::vector<transactor::BlockId>>;

  // The coordinator of `block_id`: the first reachable peer of its cluster not in `excluded`,
  // else the first not excluded (reachability may be stale), else Unavailable.
  Result<std::string> CoordinatorOf(const transactor::BlockId& block_id,
                                    const std::set<std::string>& excluded);
  Result<PeerBlocks> GroupByCoordinator(const std::vector<transactor::BlockId>& block_ids,
                                        const std::set<std::string>& excluded);
  // The blocks of `clusters` (each held by several peers) from every reachable replica, merged
  // by rank and then revision; Unavailable for a block fewer than a majority of replicas
  // answered (a majority holds every decided commit).
  Status GetReplicated(const std::map<transactor::BlockId, std::vector<std::string>>& clusters,
                       const std::optional<transactor::ActionContext>& context,
                       transactor::GetBlockResults& out);
  // The status of `action_id` on each block of `clusters` (each held by several peers) from
  // every reachable replica, merged (committed over pending over aborted); Unavailable for a
  // block fewer than a majority of replicas answered.
  Status StatusReplicated(const transactor::ActionId& action_id,
                          const std::map<transactor::BlockId, std::vector<std::string>>& clusters,
                          std::map<transactor::BlockId, transactor::ActionStatus>& out);
  // The blocks each from its coordinator, with one second chance (the file comment's get).
  Result<transactor::GetBlockResults> GetFromCoordinators(const transactor::BlockGets& gets);
  template <typename R>
  struct Batches;
  template <typename R>
  using BatchOp = std::function<Result<R>(const std::string& peer,
                                          const std::vector<transactor::BlockId>& blocks)>;
  // Runs `op` on each coordinator's batch of `block_ids`, in parallel; a batch whose peer fails
  // is regrouped without that peer and retried, until it succeeds or its blocks have no peer
  // left (then Batches::error holds the first failure, the root cause).
  template <typename R>
  Batches<R> RunBatches(const std::vector<transactor::BlockId>& block_ids,
                        std::set<std::string> excluded, const BatchOp<R>& op);
  // The peers that pended `action_id`'s blocks, when remembered.
  std::map<transactor::BlockId, std::string> RememberedPeers(const transactor::ActionId& id);
  void Remember(const transactor::ActionId& id, std::map<transactor::BlockId, std::string> peers);
  void Forget(const transactor::ActionId& id);
  Status CancelNow(const transactor::ActionBlocks& actions);
  void CancelInBackground(std::map<std::string, transactor::ActionBlocks> batches);
  // Commits the lagging `block_id` of `request` (its tail committed) through the block's
  // coordinator of the moment; true when it took.
  bool CommitLagging(const transactor::CommitRequest& request, const transactor::BlockId& block_id);
  // Runs `attempt` in the background after `delay_ms`; while it returns false, again after
  // twice the delay (at least retry_initial_ms, at most retry_max_ms), until
  // options_.retry_attempts attempts were made (`attempts_made` of them already).
  void Retry(std::function<bool()> attempt, int64_t delay_ms, int attempts_made = 0);
  void Later(int64_t delay_ms, std::function<void()> work);
  void RunBackground();

  PeerNetwork& network_;
  const NetworkTransactorOptions options_;
  std::atomic<uint64_t> lagging_commits_{0};
  std::atomic<uint64_t> retries_{0};

  std::mutex remembered_mu_;
  std::map<transactor::ActionId, std::map<transactor::BlockId, std::string>> remembered_;
  std::deque<transactor::ActionId> remembered_order_;

  std::mutex background_mu_;
  std::condition_variable background_cv_;
  // By due time on the steady clock.
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> background_;
  size_t background_running_ = 0;
  bool stopping_ = false;
  std::thread background_thread_;  // started with the first background task
};

}  // namespace optimystic::cluster::network
