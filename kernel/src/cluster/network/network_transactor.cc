// SPDX-License-Identifier: Apache-2.0
#include "cluster/network/network_transactor.h"

#include <optimystic/block/transform.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "cluster/network/id_list.h"
#include "cluster/network/parallel_for.h"
#include "cluster/wire/wire_call.h"

namespace optimystic::cluster::network {

namespace {

using transactor::ActionBlocks;
using transactor::BlockId;
using transactor::CommitRequest;
using transactor::CommitResult;
using transactor::GetBlockResult;
using transactor::GetBlockResults;
using transactor::PendRequest;
using transactor::PendResult;
using transactor::PendSuccess;
using transactor::StaleFailure;
using transactor::UnavailableReason;

std::vector<BlockId> Distinct(std::vector<BlockId> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// SPEC.md §7.3 get step 3: which of two answers for one block is better.
int Rank(const GetBlockResult& r) {
  if (r.block) {
    return r.unconfirmed_ahead_rev ? 5 : 6;
  }
  if (!r.unavailable) {
    return r.unconfirmed_ahead_rev ? 3 : 4;
  }
  switch (*r.unavailable) {
    case UnavailableReason::kClaimedElsewhere:
    case UnavailableReason::kUnmaterializable:
      return 2;
    case UnavailableReason::kPeersUnreachable:
      return 1;
    case UnavailableReason::kCohortUnreachable:
      return 0;
  }
  return 0;
}

uint64_t RevOf(const GetBlockResult& r) { return r.state.latest ? r.state.latest->rev : 0; }

// Whether `a` is a better answer than `b` from replicas of one block: a higher rank, or at
// the same rank a later revision (a replica that missed commits answers an older one).
bool Better(const GetBlockResult& a, const GetBlockResult& b) {
  if (Rank(a) != Rank(b)) {
    return Rank(a) > Rank(b);
  }
  return RevOf(a) > RevOf(b);
}

// Calls `report` once per peer that answered an older latest revision of a block than another
// replica did, with those blocks; `revs` holds each block's (peer, latest rev) answers.
void ReportBehind(
    const std::map<BlockId, std::vector<std::pair<std::string, uint64_t>>>& revs,
    const std::function<void(const std::string&, const std::vector<BlockId>&)>& report) {
  std::map<std::string, std::vector<BlockId>> behind;
  for (const auto& [id, answers] : revs) {
    uint64_t newest = 0;
    for (const auto& [peer, rev] : answers) {
      newest = std::max(newest, rev);
    }
    for (const auto& [peer, rev] : answers) {
      if (rev < newest) {
        behind[peer].push_back(id);
      }
    }
  }
  for (const auto& [peer, ids] : behind) {
    report(peer, ids);
  }
}

// An answer that another peer should be asked to improve on (SPEC.md §7.3 get step 2).
bool WantsSecondChance(const GetBlockResult& r) {
  return r.unavailable.has_value() || r.unconfirmed_ahead_rev.has_value();
}

// The part of `transforms` that touches `ids`.
block::Transforms Restrict(const block::Transforms& transforms, const std::vector<BlockId>& ids) {
  block::Transforms out;
  for (const BlockId& id : ids) {
    block::Transform t = block::TransformForBlockId(transforms, id);
    out = block::ConcatTransform(out, id, t);
  }
  return out;
}

// SPEC.md §7.3 pend step 4: one refusal from the refusals of several batches.
StaleFailure MergeFailures(const std::vector<const StaleFailure*>& failures) {
  StaleFailure out;
  bool conflict = false;
  std::map<transactor::ActionId, size_t> missing_at;
  for (const StaleFailure* f : failures) {
    conflict = conflict || transactor::IsConflictFailure(*f);
    if (!out.reason && f->reason) {
      out.reason = f->reason;
    }
    if (f->stale_at && (!out.stale_at || f->stale_at->rev > out.stale_at->rev)) {
      out.stale_at = f->stale_at;
    }
    for (const transactor::ActionTransforms& m : f->missing) {
      auto [it, added] = missing_at.emplace(m.action_id, out.missing.size());
      if (added) {
        out.missing.push_back(m);
      } else {
        transactor::ActionTransforms& into = out.missing[it->second];
        into.transforms = block::MergeTransforms(into.transforms, m.transforms);
        if (!into.rev) {
          into.rev = m.rev;
        }
      }
    }
    out.pending.insert(out.pending.end(), f->pending.begin(), f->pending.end());
  }
  out.conflict = conflict;
  return out;
}

using Clusters = std::map<BlockId, std::vector<std::string>>;

// The blocks of `clusters` grouped by each reachable replica that holds them.
std::map<std::string, std::vector<BlockId>> ByReachableReplica(PeerNetwork& network,
                                                               const Clusters& clusters) {
  std::map<std::string, std::vector<BlockId>> by_peer;
  for (const auto& [id, cluster] : clusters) {
    for (const std::string& peer : cluster) {
      if (network.IsReachable(peer)) {
        by_peer[peer].push_back(id);
      }
    }
  }
  return by_peer;
}

// "b0 (1 of 3 replicas answered, 2 needed), ..." for each block fewer than a majority of its
// replicas answered; empty when every block has its majority.
std::string ShortOfMajority(const Clusters& clusters, std::map<BlockId, size_t>& answers) {
  std::string short_of;
  for (const auto& [id, cluster] : clusters) {
    const size_t need = cluster.size() / 2 + 1;
    if (answers[id] < need) {
      short_of += (short_of.empty() ? "" : ", ") + id + " (" + std::to_string(answers[id]) +
                  " of " + std::to_string(cluster.size()) + " replicas answered, " +
                  std::to_string(need) + " needed)";
    }
  }
  return short_of;
}

}  // namespace

NetworkTransactor::NetworkTransactor(PeerNetwork& network, NetworkTransactorOptions options)
    : network_(network), options_(std::move(options)) {}

NetworkTransactor::~NetworkTransactor() {
  {
    std::lock_guard lock(background_mu_);
    stopping_ = true;
  }
  background_cv_.notify_all();
  if (background_thread_.joinable()) {
    background_thread_.join();
  }
}

Result<std::string> NetworkTransactor::CoordinatorOf(const BlockId& block_id,
                                                     const std::set<std::string>& excluded) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<std::string> cluster, network_.ClusterFor(block_id));
  const std::string* fallback = nullptr;
  for (const std::string& peer : cluster) {
    if (excluded.count(peer) != 0) {
      continue;
    }
    if (network_.IsReachable(peer)) {
      return peer;
    }
    if (fallback == nullptr) {
      fallback = &peer;
    }
  }
  if (fallback != nullptr) {
    return *fallback;
  }
  return Status::Unavailable("no peer left to ask for block " + block_id +
                             " (its cluster: " + ListIds(cluster) + ")");
}

Result<NetworkTransactor::PeerBlocks> NetworkTransactor::GroupByCoordinator(
    const std::vector<BlockId>& block_ids, const std::set<std::string>& excluded) {
  PeerBlocks out;
  for (const BlockId& id : block_ids) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::string peer, CoordinatorOf(id, excluded));
    out[peer].push_back(id);
  }
  return out;
}

template <typename R>
struct NetworkTransactor::Batches {
  struct Done {
    std::string peer;
    std::vector<BlockId> blocks;
    R result;
  };
  std::vector<Done> done;
  std::optional<Status> error;  // set when some blocks could not be served by any peer
};

template <typename R>
NetworkTransactor::Batches<R> NetworkTransactor::RunBatches(const std::vector<BlockId>& block_ids,
                                                            std::set<std::string> excluded,
                                                            const BatchOp<R>& op) {
  Batches<R> out;
  std::optional<Status> first_error;  // the root cause, kept over the retries' errors
  std::vector<BlockId> todo = block_ids;
  while (!todo.empty()) {
    Result<PeerBlocks> groups = GroupByCoordinator(todo, excluded);
    if (!groups) {
      out.error = first_error ? *first_error : groups.error();
      return out;
    }
    std::vector<std::pair<std::string, std::vector<BlockId>>> batches(groups->begin(),
                                                                      groups->end());
    std::vector<std::optional<Result<R>>> results(batches.size());
    ParallelFor(batches.size(),
                [&](size_t i) { results[i].emplace(op(batches[i].first, batches[i].second)); });
    todo.clear();
    for (size_t i = 0; i < batches.size(); ++i) {
      Result<R>& result = *results[i];
      if (result) {
        out.done.push_back({batches[i].first, std::move(batches[i].second), std::move(*result)});
        continue;
      }
      if (!first_error) {
        first_error = result.error();
      }
      if (wire::IsUnreachable(result.error())) {
        network_.ReportUnreachable(batches[i].first);
      }
      excluded.insert(batches[i].first);
      todo.insert(todo.end(), batches[i].second.begin(), batches[i].second.end());
      retries_.fetch_add(1);
    }
  }
  return out;
}

Result<GetBlockResults> NetworkTransactor::Get(const transactor::BlockGets& gets) {
  std::vector<BlockId> ids;  // each served by its coordinator
  std::map<BlockId, std::vector<std::string>> replicated;
  for (const BlockId& id : Distinct(gets.block_ids)) {
    Result<std::vector<std::string>> cluster = network_.ClusterFor(id);
    if (cluster && cluster->size() > 1) {
      replicated.emplace(id, std::move(*cluster));
    } else {
      ids.push_back(id);  // a lookup error comes back from the coordinator path
    }
  }
  GetBlockResults merged;
  if (!replicated.empty()) {
    OPTIMYSTIC_RETURN_IF_ERROR(GetReplicated(replicated, gets.context, merged));
  }
  if (ids.empty()) {
    return merged;
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(GetBlockResults single,
                              GetFromCoordinators(transactor::BlockGets{ids, gets.context}));
  merged.merge(single);
  return merged;
}

Status NetworkTransactor::GetReplicated(
    const std::map<BlockId, std::vector<std::string>>& clusters,
    const std::optional<transactor::ActionContext>& context, GetBlockResults& out) {
  const PeerBlocks by_peer = ByReachableReplica(network_, clusters);
  std::vector<std::pair<std::string, std::vector<BlockId>>> batches(by_peer.begin(), by_peer.end());
  std::vector<std::optional<Result<GetBlockResults>>> results(batches.size());
  ParallelFor(batches.size(), [&](size_t i) {
    results[i].emplace(
        network_.RepoOf(batches[i].first).Get(transactor::BlockGets{batches[i].second, context}));
  });
  std::map<BlockId, size_t> answers;
  std::map<BlockId, std::vector<std::pair<std::string, uint64_t>>> revs;  // (peer, latest rev)
  std::optional<Status> first_error;
  for (size_t i = 0; i < batches.size(); ++i) {
    Result<GetBlockResults>& result = *results[i];
    if (!result) {
      if (!first_error) {
        first_error = result.error();
      }
      if (wire::IsUnreachable(result.error())) {
        network_.ReportUnreachable(batches[i].first);
      }
      retries_.fetch_add(1);
      continue;
    }
    for (const BlockId& id : batches[i].second) {
      auto it = result->find(id);
      if (it == result->end()) {
        continue;
      }
      ++answers[id];
      revs[id].emplace_back(batches[i].first, RevOf(it->second));
      auto have = out.find(id);
      if (have == out.end() || Better(it->second, have->second)) {
        out[id] = std::move(it->second);
      }
    }
  }
  if (options_.on_replicas_behind) {
    ReportBehind(revs, options_.on_replicas_behind);
  }
  const std::string short_of = ShortOfMajority(clusters, answers);
  for (const auto& [id, cluster] : clusters) {
    if (answers[id] < cluster.size() / 2 + 1) {
      out.erase(id);
    }
  }
  if (!short_of.empty()) {
    std::string cause = first_error ? ": " + first_error->ToString() : "";
    return Status::Unavailable("some peers did not complete: block(s) " + short_of + cause);
  }
  return Status::Ok();
}

Result<GetBlockResults> NetworkTransactor::GetFromCoordinators(const transactor::BlockGets& gets) {
  const std::vector<BlockId> ids = Distinct(gets.block_ids);
  auto fetch = [&](const std::string& peer,
                   const std::vector<BlockId>& blocks) -> Result<GetBlockResults> {
    return network_.RepoOf(peer).Get(transactor::BlockGets{blocks, gets.context});
  };
  Batches<GetBlockResults> first = RunBatches<GetBlockResults>(ids, {}, fetch);
  GetBlockResults merged;
  std::map<BlockId, std::string> answered_by;
  auto merge = [&](const std::string& peer, const std::vector<BlockId>& blocks,
                   GetBlockResults& results) {
    for (const BlockId& id : blocks) {
      auto it = results.find(id);
      if (it == results.end()) {
        continue;
      }
      auto have = merged.find(id);
      if (have == merged.end()) {
        merged.emplace(id, std::move(it->second));
        answered_by[id] = peer;
      } else if (Rank(it->second) > Rank(have->second)) {  // only strictly better replaces
        have->second = std::move(it->second);
        answered_by[id] = peer;
      }
    }
  };
  for (auto& done : first.done) {
    merge(done.peer, done.blocks, done.result);
  }
  // One second chance, from another peer, for what the first round left open.
  PeerBlocks second;
  for (const BlockId& id : ids) {
    auto it = merged.find(id);
    if (it != merged.end() && !WantsSecondChance(it->second)) {
      continue;
    }
    std::set<std::string> excluded;
    if (auto by = answered_by.find(id); by != answered_by.end()) {
      excluded.insert(by->second);
    }
    for (const auto& done : first.done) {  // whoever had the block and said nothing of it
      if (std::find(done.blocks.begin(), done.blocks.end(), id) != done.blocks.end()) {
        excluded.insert(done.peer);
      }
    }
    Result<std::string> peer = CoordinatorOf(id, excluded);
    if (peer) {
      second[*peer].push_back(id);
    }
  }
  if (!second.empty()) {
    std::vector<std::pair<std::string, std::vector<BlockId>>> batches(second.begin(), second.end());
    std::vector<std::optional<Result<GetBlockResults>>> results(batches.size());
    ParallelFor(batches.size(),
                [&](size_t i) { results[i].emplace(fetch(batches[i].first, batches[i].second)); });
    for (size_t i = 0; i < batches.size(); ++i) {
      if (*results[i]) {
        merge(batches[i].first, batches[i].second, **results[i]);
      } else {
        retries_.fetch_add(1);
      }
    }
  }
  std::vector<BlockId> incomplete;
  for (const BlockId& id : ids) {
    if (merged.count(id) == 0) {
      incomplete.push_back(id);
    }
  }
  if (!incomplete.empty()) {
    std::string cause = first.error ? ": " + first.error->ToString() : "";
    return Status::Unavailable("some peers did not complete: no answer for block(s) " +
                               ListIds(incomplete) + cause);
  }
  return merged;
}

Status NetworkTransactor::StatusReplicated(
    const transactor::ActionId& action_id,
    const std::map<BlockId, std::vector<std::string>>& clusters,
    std::map<BlockId, transactor::ActionStatus>& out) {
  // An action committed on a block only once decided, so any replica's "committed" (or later)
  // is the answer; else pending on any; else aborted.
  auto rank = [](transactor::ActionStatus s) {
    switch (s) {
      case transactor::ActionStatus::kAborted:
        return 0;
      case transactor::ActionStatus::kPending:
        return 1;
      default:
        return 2;
    }
  };
  const PeerBlocks by_peer = ByReachableReplica(network_, clusters);
  std::vector<std::pair<std::string, std::vector<BlockId>>> batches(by_peer.begin(), by_peer.end());
  std::vector<std::optional<Result<std::vector<transactor::BlockActionStatus>>>> results(
      batches.size());
  ParallelFor(batches.size(), [&](size_t i) {
    results[i].emplace(
        network_.RepoOf(batches[i].first).GetStatus({ActionBlocks{batches[i].second, action_id}}));
  });
  std::map<BlockId, size_t> answers;
  std::map<BlockId, std::vector<std::pair<std::string, uint64_t>>> revs;  // (peer, latest rev)
  std::optional<Status> first_error;
  for (size_t i = 0; i < batches.size(); ++i) {
    auto& result = *results[i];
    if (!result) {
      if (!first_error) {
        first_error = result.error();
      }
      if (wire::IsUnreachable(result.error())) {
        network_.ReportUnreachable(batches[i].first);
      }
      continue;
    }
    for (const auto& status : *result) {
      for (size_t k = 0; k < status.block_ids.size() && k < status.statuses.size(); ++k) {
        const BlockId& id = status.block_ids[k];
        if (clusters.count(id) == 0) {
          continue;
        }
        ++answers[id];
        auto have = out.find(id);
        if (have == out.end() || rank(status.statuses[k]) > rank(have->second)) {
          out[id] = status.statuses[k];
        }
      }
    }
  }
  if (options_.on_replicas_behind) {
    ReportBehind(revs, options_.on_replicas_behind);
  }
  const std::string short_of = ShortOfMajority(clusters, answers);
  if (!short_of.empty()) {
    std::string cause = first_error ? ": " + first_error->ToString() : "";
    return Status::Unavailable("getStatus of " + action_id + ": block(s) " + short_of + cause);
  }
  return Status::Ok();
}

Result<std::vector<transactor::BlockActionStatus>> NetworkTransactor::GetStatus(
    const std::vector<ActionBlocks>& actions) {
  std::vector<transactor::BlockActionStatus> out;
  out.reserve(actions.size());
  for (const ActionBlocks& action : actions) {
    std::vector<BlockId> ids;  // each answered by its coordinator
    std::map<BlockId, std::vector<std::string>> replicated;
    for (const BlockId& id : Distinct(action.block_ids)) {
      Result<std::vector<std::string>> cluster = network_.ClusterFor(id);
      if (cluster && cluster->size() > 1) {
        replicated.emplace(id, std::move(*cluster));
      } else {
        ids.push_back(id);
      }
    }
    std::map<BlockId, transactor::ActionStatus> by_block;
    if (!replicated.empty()) {
      OPTIMYSTIC_RETURN_IF_ERROR(StatusReplicated(action.action_id, replicated, by_block));
    }
    Batches<std::vector<transactor::BlockActionStatus>> batches =
        RunBatches<std::vector<transactor::BlockActionStatus>>(
            ids, {},
            [&](const std::string& peer, const std::vector<BlockId>& blocks)
                -> Result<std::vector<transactor::BlockActionStatus>> {
              return network_.RepoOf(peer).GetStatus({ActionBlocks{blocks, action.action_id}});
            });
    if (batches.error) {
      return *batches.error;
    }
    for (const auto& done : batches.done) {
      for (const auto& status : done.result) {
        for (size_t i = 0; i < status.block_ids.size() && i < status.statuses.size(); ++i) {
          by_block[status.block_ids[i]] = status.statuses[i];
        }
      }
    }
    transactor::BlockActionStatus status{action.block_ids, action.action_id, {}};
    for (const BlockId& id : action.block_ids) {
      auto it = by_block.find(id);
      if (it == by_block.end()) {
        return Status::Internal("getStatus: no peer reported block " + id + " of action " +
                                action.action_id);
      }
      status.statuses.push_back(it->second);
    }
    out.push_back(std::move(status));
  }
  return out;
}

Result<PendResult> NetworkTransactor::Pend(const PendRequest& request) {
  const std::vector<BlockId> written = block::BlockIdsForTransforms(request.transforms);
  std::vector<BlockId> all = written;
  for (const transactor::ReadDependency& read : request.reads) {
    all.push_back(read.block_id);
  }
  all = Distinct(std::move(all));
  const std::set<BlockId> written_set(written.begin(), written.end());
  auto written_of = [&](const std::vector<BlockId>& blocks) {
    std::vector<BlockId> out;
    for (const BlockId& id : blocks) {
      if (written_set.count(id) != 0) {
        out.push_back(id);
      }
    }
    return out;
  };
  auto pend = [&](const std::string& peer,
                  const std::vector<BlockId>& blocks) -> Result<PendResult> {
    if (blocks.size() == all.size()) {
      return network_.RepoOf(peer).Pend(request);  // one peer holds it all: nothing to split
    }
    PendRequest part = request;
    part.transforms = Restrict(request.transforms, written_of(blocks));
    part.reads.clear();
    const std::set<BlockId> mine(blocks.begin(), blocks.end());
    for (const transactor::ReadDependency& read : request.reads) {
      if (mine.count(read.block_id) != 0) {
        part.reads.push_back(read);
      }
    }
    return network_.RepoOf(peer).Pend(part);
  };
  Batches<PendResult> batches = RunBatches<PendResult>(all, {}, pend);
  // One peer did it all: its answer is the answer, as on a single node.
  if (!batches.error && batches.done.size() == 1) {
    if (transactor::FailureOf(batches.done.front().result) == nullptr) {
      std::map<BlockId, std::string> peers;
      for (const BlockId& id : written) {
        peers[id] = batches.done.front().peer;
      }
      Remember(request.action_id, std::move(peers));
    }
    return std::move(batches.done.front().result);
  }
  std::vector<const StaleFailure*> failures;
  std::map<std::string, ActionBlocks> pended;  // to cancel when the pend as a whole fails
  PendSuccess success;
  std::map<BlockId, std::string> peers;
  for (const auto& done : batches.done) {
    if (const StaleFailure* failure = transactor::FailureOf(done.result)) {
      failures.push_back(failure);
      continue;
    }
    const auto& ok = std::get<PendSuccess>(done.result);
    success.pending.insert(success.pending.end(), ok.pending.begin(), ok.pending.end());
    std::vector<BlockId> mine = written_of(done.blocks);
    for (const BlockId& id : mine) {
      peers[id] = done.peer;
    }
    if (!mine.empty()) {
      ActionBlocks& cancel = pended[done.peer];
      cancel.action_id = request.action_id;
      cancel.block_ids.insert(cancel.block_ids.end(), mine.begin(), mine.end());
    }
  }
  if (batches.error || !failures.empty()) {
    // A batch that failed may have pended on some replicas all the same (a reply was lost, or
    // its coordinator stopped before it cancelled): the action is given up, so the blocks of
    // the failed batches are cancelled too, through their coordinators of the moment.
    ActionBlocks rest{{}, request.action_id};
    for (const BlockId& id : written) {
      if (peers.count(id) == 0) {
        rest.block_ids.push_back(id);
      }
    }
    CancelInBackground(std::move(pended));
    if (!rest.block_ids.empty()) {
      Retry([this, rest = std::move(rest)] { return CancelNow(rest).ok(); }, 0);
    }
    if (!failures.empty()) {
      return PendResult(MergeFailures(failures));
    }
    return *batches.error;
  }
  success.block_ids = written;
  Remember(request.action_id, std::move(peers));
  return PendResult(std::move(success));
}

Result<CommitResult> NetworkTransactor::Commit(const CommitRequest& request) {
  std::map<BlockId, std::string> peer_of = RememberedPeers(request.action_id);
  std::vector<BlockId> all = request.block_ids;
  all.push_back(request.tail_id);
  if (request.header_id) {
    all.push_back(*request.header_id);
  }
  std::set<std::string> peers;
  for (const BlockId& id : Distinct(std::move(all))) {
    if (id.empty()) {
      continue;  // CommitLogFirst refuses a request without a tail
    }
    auto it = peer_of.find(id);
    if (it == peer_of.end()) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::string peer, CoordinatorOf(id, {}));
      it = peer_of.emplace(id, std::move(peer)).first;
    }
    peers.insert(it->second);
  }
  // A batch whose coordinator cannot be reached is sent to the next reachable peer of the
  // blocks' cluster (every replica holds the pend), until no other peer is left.
  std::set<std::string> unreachable;
  auto commit_blocks = [&](std::vector<BlockId> block_ids) -> Result<CommitResult> {
    for (;;) {
      PeerBlocks groups;
      for (const BlockId& id : block_ids) {
        groups[peer_of.at(id)].push_back(id);
      }
      std::vector<std::pair<std::string, std::vector<BlockId>>> batches(groups.begin(),
                                                                        groups.end());
      std::vector<std::optional<Result<CommitResult>>> results(batches.size());
      ParallelFor(batches.size(), [&](size_t i) {
        CommitRequest step = request;
        step.block_ids = batches[i].second;
        results[i].emplace(network_.RepoOf(batches[i].first).Commit(step));
      });
      bool moved = false;
      for (size_t i = 0; i < batches.size(); ++i) {
        if (!transactor::CommitFailed(*results[i])) {
          continue;
        }
        if (*results[i] || !wire::IsUnreachable(results[i]->error())) {
          return std::move(*results[i]);
        }
        network_.ReportUnreachable(batches[i].first);
        unreachable.insert(batches[i].first);
        for (const BlockId& id : batches[i].second) {
          Result<std::string> next = CoordinatorOf(id, unreachable);
          if (!next) {
            return std::move(*results[i]);  // no other peer holds the block
          }
          peer_of[id] = *next;
        }
        moved = true;
        retries_.fetch_add(1);
      }
      if (!moved) {
        return CommitResult(transactor::CommitSuccess{});
      }
    }
  };
  auto lag = [&](const BlockId& block_id, std::string reason) {
    lagging_commits_.fetch_add(1);
    Retry([this, request, block_id] { return CommitLagging(request, block_id); },
          options_.retry_initial_ms);
    if (options_.on_lagging_commit) {
      options_.on_lagging_commit(
          transactor::LaggingCommit{request.action_id, request.rev, block_id, std::move(reason)});
    }
  };
  Result<CommitResult> result =
      transactor::CommitLogFirst(request, commit_blocks, lag, /*atomic_all=*/peers.size() == 1);
  if (!transactor::CommitFailed(result)) {
    Forget(request.action_id);
  }
  return result;
}

Status NetworkTransactor::Cancel(const ActionBlocks& actions) {
  Status done = CancelNow(actions);
  if (!done.ok()) {
    // The pending records it leaves would refuse the blocks' later pends.
    Retry([this, actions] { return CancelNow(actions).ok(); }, options_.retry_initial_ms, 1);
  }
  return done;
}

Status NetworkTransactor::CancelNow(const ActionBlocks& actions) {
  std::map<BlockId, std::string> remembered = RememberedPeers(actions.action_id);
  Forget(actions.action_id);
  std::vector<BlockId> unknown;
  PeerBlocks groups;
  for (const BlockId& id : Distinct(actions.block_ids)) {
    if (auto it = remembered.find(id); it != remembered.end()) {
      groups[it->second].push_back(id);
    } else {
      unknown.push_back(id);
    }
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(PeerBlocks coordinators, GroupByCoordinator(unknown, {}));
  for (auto& [peer, ids] : coordinators) {
    groups[peer].insert(groups[peer].end(), ids.begin(), ids.end());
  }
  std::vector<std::pair<std::string, std::vector<BlockId>>> batches(groups.begin(), groups.end());
  std::vector<Status> results(batches.size());
  ParallelFor(batches.size(), [&](size_t i) {
    results[i] = network_.RepoOf(batches[i].first)
                     .Cancel(ActionBlocks{batches[i].second, actions.action_id});
  });
  for (const Status& s : results) {
    if (!s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

std::map<BlockId, std::string> NetworkTransactor::RememberedPeers(const transactor::ActionId& id) {
  std::lock_guard lock(remembered_mu_);
  auto it = remembered_.find(id);
  return it == remembered_.end() ? std::map<BlockId, std::string>{} : it->second;
}

void NetworkTransactor::Remember(const transactor::ActionId& id,
                                 std::map<BlockId, std::string> peers) {
  std::lock_guard lock(remembered_mu_);
  auto [it, added] = remembered_.insert_or_assign(id, std::move(peers));
  if (added) {
    remembered_order_.push_back(id);
  }
  while (remembered_.size() > options_.remembered_pends && !remembered_order_.empty()) {
    remembered_.erase(remembered_order_.front());
    remembered_order_.pop_front();
  }
}

void NetworkTransactor::Forget(const transactor::ActionId& id) {
  std::lock_guard lock(remembered_mu_);
  if (remembered_.erase(id) != 0) {
    remembered_order_.erase(std::find(remembered_order_.begin(), remembered_order_.end(), id));
  }
}

void NetworkTransactor::CancelInBackground(std::map<std::string, ActionBlocks> batches) {
  for (auto& [peer, blocks] : batches) {
    // The first attempt goes to the peer that pended; later ones to the coordinators then.
    Retry([this, peer = peer, blocks = std::move(blocks), first = true]() mutable {
      const bool done = first ? network_.RepoOf(peer).Cancel(blocks).ok() : CancelNow(blocks).ok();
      first = false;
      return done;
    }, 0);
  }
}

bool NetworkTransactor::CommitLagging(const CommitRequest& request, const BlockId& block_id) {
  Result<std::string> peer = CoordinatorOf(block_id, {});
  if (!peer) {
    return false;
  }
  CommitRequest step = request;
  step.block_ids = {block_id};
  return !transactor::CommitFailed(network_.RepoOf(*peer).Commit(step));
}

void NetworkTransactor::Retry(std::function<bool()> attempt, int64_t delay_ms, int attempts_made) {
  Later(delay_ms, [this, attempt = std::move(attempt), delay_ms, attempts_made]() mutable {
    if (attempt() || attempts_made + 1 >= options_.retry_attempts) {
      return;
    }
    const int64_t next =
        std::min(options_.retry_max_ms, std::max(options_.retry_initial_ms, delay_ms * 2));
    Retry(std::move(attempt), next, attempts_made + 1);
  });
}

void NetworkTransactor::Later(int64_t delay_ms, std::function<void()> work) {
  if (options_.run_in_background) {
    options_.run_in_background(delay_ms, std::move(work));
    return;
  }
  std::lock_guard lock(background_mu_);
  if (stopping_) {
    return;
  }
  background_.emplace(std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms),
                      std::move(work));
  if (!background_thread_.joinable()) {
    background_thread_ = std::thread([this] { RunBackground(); });
  }
  background_cv_.notify_all();
}

void NetworkTransactor::RunBackground() {
  std::unique_lock lock(background_mu_);
  for (;;) {
    if (background_.empty()) {
      if (stopping_) {
        return;
      }
      background_cv_.wait(lock);
      continue;
    }
    auto first = background_.begin();
    const auto now = std::chrono::steady_clock::now();
    if (first->first > now) {
      if (stopping_) {
        background_.clear();  // retries waiting on their backoff are dropped
        background_cv_.notify_all();
        return;
      }
      background_cv_.wait_until(lock, first->first);
      continue;
    }
    std::function<void()> task = std::move(first->second);
    background_.erase(first);
    ++background_running_;
    lock.unlock();
    task();
    lock.lock();
    --background_running_;
    background_cv_.notify_all();
  }
}

void NetworkTransactor::WaitForBackgroundWork() {
  std::unique_lock lock(background_mu_);
  background_cv_.wait(lock, [&] {
    return background_running_ == 0 &&
           (background_.empty() ||
            background_.begin()->first > std::chrono::steady_clock::now());
  });
}

}  // namespace optimystic::cluster::network
