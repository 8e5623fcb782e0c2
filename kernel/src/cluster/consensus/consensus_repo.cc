// SPDX-License-Identifier: Apache-2.0
#include "cluster/consensus/consensus_repo.h"

#include <optimystic/block/transform.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <utility>

#include "cluster/network/id_list.h"
#include "cluster/network/parallel_for.h"
#include "cluster/wire/wire_call.h"

namespace optimystic::cluster::consensus {

namespace {

using transactor::ActionBlocks;
using transactor::BlockId;
using transactor::CommitRequest;
using transactor::CommitResult;
using transactor::FailureOf;
using transactor::PendRequest;
using transactor::PendResult;
using transactor::PendSuccess;
using transactor::StaleFailure;
using wire::ConsensusOp;
using wire::VoteType;

std::string GroupKey(const std::vector<wire::ClusterPeer>& peers) {
  std::string key;
  for (const wire::ClusterPeer& p : peers) {
    key += p.peer_id;
    key += '\n';
  }
  return key;
}

// The reasons of the rejecting and conflicting promises, for an error message.
std::string Refusals(const wire::ClusterRecord& record) {
  std::string out;
  for (const auto& [peer, vote] : record.promises) {
    if (vote.type == VoteType::kApprove) {
      continue;
    }
    out += (out.empty() ? "" : "; ") + peer + ": " +
           (vote.type == VoteType::kConflict ? "conflicts with " : "") + vote.reason;
  }
  return out;
}

std::string Shortfall(std::string_view what, size_t have, size_t n, size_t need,
                      const wire::ClusterRecord& record) {
  std::string out = std::string(what) + ": " + std::to_string(have) + " of " + std::to_string(n) +
                    " peers, " + std::to_string(need) + " needed";
  const std::string refusals = Refusals(record);
  if (!refusals.empty()) {
    out += " (" + refusals + ")";
  }
  return out;
}

}  // namespace

ConsensusRepo::ConsensusRepo(std::string self, network::PeerRepo& local, ConsensusPeers& peers,
                             const time::Clock& clock, ConsensusOptions options,
                             ConsensusEvents events)
    : self_(std::move(self)),
      local_(local),
      peers_(peers),
      clock_(clock),
      options_(std::move(options)),
      events_(std::move(events)) {
  if (options_.schedule) {
    ScheduleTick();
  } else {
    loop_ = std::thread([this] { Loop(); });
  }
}

ConsensusRepo::~ConsensusRepo() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (loop_.joinable()) {
    loop_.join();
  }
}

Result<transactor::GetBlockResults> ConsensusRepo::Get(const transactor::BlockGets& gets) {
  return local_.Get(gets);
}

Result<std::vector<transactor::BlockActionStatus>> ConsensusRepo::GetStatus(
    const std::vector<ActionBlocks>& actions) {
  return local_.GetStatus(actions);
}

Result<std::vector<ConsensusRepo::Group>> ConsensusRepo::GroupByCluster(
    const std::vector<BlockId>& ids) {
  std::map<std::string, size_t> index;
  std::vector<Group> groups;
  for (const BlockId& id : ids) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<wire::ClusterPeer> peers, peers_.ClusterOf(id));
    std::sort(peers.begin(), peers.end(),
              [](const wire::ClusterPeer& a, const wire::ClusterPeer& b) {
                return a.peer_id < b.peer_id;
              });
    auto [it, added] = index.emplace(GroupKey(peers), groups.size());
    if (added) {
      groups.push_back(Group{std::move(peers), {}});
    }
    std::vector<BlockId>& blocks = groups[it->second].blocks;
    if (std::find(blocks.begin(), blocks.end(), id) == blocks.end()) {
      blocks.push_back(id);
    }
  }
  return groups;
}

bool ConsensusRepo::IsSelfOnly(const Group& group) const {
  return group.peers.size() == 1 && group.peers.front().peer_id == self_;
}

wire::ClusterRecord ConsensusRepo::Start(wire::ConsensusMessage message,
                                         std::vector<wire::ClusterPeer> peers) {
  message.expiration_ms = static_cast<uint64_t>(clock_.NowUnixMs() + options_.expiration_ms);
  message.coordinator = self_;
  return NewRecord(std::move(message), std::move(peers));
}

std::vector<std::optional<wire::ClusterUpdateOk>> ConsensusRepo::Broadcast(
    wire::ClusterRecord& record) {
  std::vector<std::optional<wire::ClusterUpdateOk>> replies(record.peers.size());
  const wire::ClusterRecord sent = record;
  network::ParallelFor(record.peers.size(), [&](size_t i) {
    const std::string& peer = sent.peers[i].peer_id;
    if (peer != self_ && !peers_.IsReachable(peer)) {
      return;
    }
    Result<wire::ClusterUpdateOk> reply = peers_.Update(peer, sent);
    if (!reply && wire::IsUnreachable(reply.error())) {
      reply = peers_.Update(peer, sent);  // one immediate retry (SPEC.md §7.4 step 2)
    }
    if (reply) {
      replies[i] = std::move(*reply);
    }
  });
  auto merge = [&](std::map<std::string, wire::Vote>& into,
                   const std::map<std::string, wire::Vote>& from, Phase phase) {
    for (const auto& [peer, vote] : from) {
      if (into.count(peer) != 0) {
        continue;
      }
      const std::string refused = RefuseVote(record, peer, phase, vote);
      if (!refused.empty()) {
        if (events_.on_vote_refused) {
          events_.on_vote_refused(refused, peer);
        }
        continue;
      }
      into.emplace(peer, vote);
    }
  };
  for (const auto& reply : replies) {
    if (reply && reply->record.message_hash == record.message_hash) {
      merge(record.promises, reply->record.promises, Phase::kPromise);
      merge(record.commits, reply->record.commits, Phase::kCommit);
    }
  }
  return replies;
}

void ConsensusRepo::Report(ConsensusOp op, std::string_view outcome, int64_t start_ns,
                           int64_t mid_ns, int64_t end_ns) {
  if (events_.on_round) {
    events_.on_round(RoundReport{op, outcome, (mid_ns - start_ns) / 1e9, (end_ns - mid_ns) / 1e9});
  }
}

Result<PendResult> ConsensusRepo::Pend(const PendRequest& request) {
  std::vector<BlockId> ids = block::BlockIdsForTransforms(request.transforms);
  std::vector<BlockId> all = ids;
  for (const transactor::ReadDependency& read : request.reads) {
    all.push_back(read.block_id);
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<Group> groups, GroupByCluster(all));
  if (groups.size() == 1 && IsSelfOnly(groups.front())) {
    return local_.Pend(request);
  }
  // Each cluster gets its blocks' transforms and the reads of its blocks.
  std::vector<PendRequest> parts(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    PendRequest& part = parts[g];
    part = request;
    part.transforms = {};
    part.reads.clear();
    for (const BlockId& id : groups[g].blocks) {
      if (std::find(ids.begin(), ids.end(), id) != ids.end()) {
        part.transforms = block::ConcatTransform(part.transforms, id,
                                                 block::TransformForBlockId(request.transforms, id));
      }
      for (const transactor::ReadDependency& read : request.reads) {
        if (read.block_id == id) {
          part.reads.push_back(read);
        }
      }
    }
  }
  std::vector<std::optional<Result<PendResult>>> results(groups.size());
  std::vector<std::string> rounds(groups.size());
  network::ParallelFor(groups.size(), [&](size_t g) {
    results[g].emplace(PendGroup(groups[g], parts[g], rounds[g]));
  });
  PendSuccess success;
  std::optional<Result<PendResult>> failed;
  std::vector<size_t> pended;
  for (size_t g = 0; g < groups.size(); ++g) {
    Result<PendResult>& result = *results[g];
    if (result && FailureOf(*result) == nullptr) {
      const PendSuccess& part = std::get<PendSuccess>(*result);
      success.pending.insert(success.pending.end(), part.pending.begin(), part.pending.end());
      success.block_ids.insert(success.block_ids.end(), part.block_ids.begin(),
                               part.block_ids.end());
      pended.push_back(g);
    } else if (!failed || (*failed && !result)) {
      failed = std::move(result);  // a refusal is kept over an error: the writer can rebase
    }
  }
  if (!failed) {
    return PendResult(std::move(success));
  }
  // Each cancel names its round: the writer may retry this pend through another coordinator,
  // whose rounds reach the same members, perhaps before these cancels do.
  for (size_t g : pended) {
    ActionBlocks cancel{groups[g].blocks, request.action_id};
    Group group = groups[g];
    std::optional<std::string> round;
    if (!rounds[g].empty()) {
      round = rounds[g];
    }
    RunInBackground([this, group = std::move(group), cancel = std::move(cancel), round] {
      (void)CancelGroup(group, cancel, round);
    });
  }
  return std::move(*failed);
}

Result<PendResult> ConsensusRepo::PendGroup(const Group& group, PendRequest request,
                                            std::string& round) {
  if (IsSelfOnly(group)) {
    return local_.Pend(request);
  }
  const int64_t start = clock_.SteadyNs();
  wire::ConsensusMessage message;
  message.op = ConsensusOp::kPend;
  message.pend = request;
  wire::ClusterRecord record = Start(std::move(message), group.peers);
  round = record.message_hash;
  std::vector<std::optional<wire::ClusterUpdateOk>> replies = Broadcast(record);
  const size_t n = record.peers.size();
  const size_t quorum = PromiseQuorum(n, options_.promise_quorum);
  const Tally promises = Count(record.promises);
  const int64_t end = clock_.SteadyNs();
  // This node's own answer first: it is what a single node would have said.
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) {
    order[i] = i;
  }
  std::stable_partition(order.begin(), order.end(),
                        [&](size_t i) { return record.peers[i].peer_id == self_; });
  if (promises.approvals >= quorum) {
    Report(ConsensusOp::kPend, "decided", start, end, end);
    for (size_t i : order) {
      if (replies[i] && replies[i]->pend && FailureOf(*replies[i]->pend) == nullptr) {
        PendSuccess out = std::get<PendSuccess>(*replies[i]->pend);
        out.block_ids = block::BlockIdsForTransforms(request.transforms);
        return PendResult(std::move(out));
      }
    }
    return PendResult(PendSuccess{{}, block::BlockIdsForTransforms(request.transforms)});
  }
  // Not pended: the peers that did pend it are cancelled in the background. The cancel names
  // this round, so that it does not undo the writer's retry of the pend through another
  // coordinator, which may reach the same members first.
  RunInBackground([this, group, action = request.action_id, hash = record.message_hash,
                   blocks = block::BlockIdsForTransforms(request.transforms)] {
    (void)CancelGroup(group, ActionBlocks{blocks, action}, hash);
  });
  for (size_t i : order) {
    if (replies[i] && replies[i]->pend && FailureOf(*replies[i]->pend) != nullptr) {
      Report(ConsensusOp::kPend, "rejected", start, end, end);
      return *replies[i]->pend;
    }
  }
  Report(ConsensusOp::kPend, "no-quorum", start, end, end);
  return Status::Unavailable(
      Shortfall("pend " + request.action_id + " promised by", promises.approvals, n, quorum, record));
}

Result<CommitResult> ConsensusRepo::Commit(const CommitRequest& request) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<Group> groups, GroupByCluster(request.block_ids));
  if (groups.size() == 1 && IsSelfOnly(groups.front())) {
    return local_.Commit(request);
  }
  // The log tail's cluster decides first (SPEC.md §6.4), then the rest at once.
  std::stable_partition(groups.begin(), groups.end(), [&](const Group& g) {
    return std::find(g.blocks.begin(), g.blocks.end(), request.tail_id) != g.blocks.end();
  });
  auto part = [&](const Group& g) {
    CommitRequest sub = request;
    sub.block_ids = g.blocks;
    return sub;
  };
  Result<CommitResult> first = CommitGroup(groups.front(), part(groups.front()));
  if (!first || FailureOf(*first) != nullptr || groups.size() == 1) {
    return first;
  }
  std::vector<std::optional<Result<CommitResult>>> rest(groups.size() - 1);
  network::ParallelFor(rest.size(), [&](size_t i) {
    rest[i].emplace(CommitGroup(groups[i + 1], part(groups[i + 1])));
  });
  for (auto& result : rest) {
    if (!*result || FailureOf(**result) != nullptr) {
      return std::move(*result);
    }
  }
  return first;
}

Result<CommitResult> ConsensusRepo::CommitGroup(const Group& group, CommitRequest request) {
  if (IsSelfOnly(group)) {
    return local_.Commit(request);
  }
  const int64_t start = clock_.SteadyNs();
  wire::ConsensusMessage message;
  message.op = ConsensusOp::kCommit;
  message.commit = request;
  wire::ClusterRecord record = Start(std::move(message), group.peers);
  const size_t n = record.peers.size();
  const size_t promise_quorum = PromiseQuorum(n, options_.promise_quorum);
  const size_t commit_quorum = CommitQuorum(n);

  // Promise phase.
  std::vector<std::optional<wire::ClusterUpdateOk>> replies = Broadcast(record);
  const Tally promises = Count(record.promises);
  const int64_t promised = clock_.SteadyNs();
  if (promises.approvals < promise_quorum) {
    // Let the peers that promised release their locks now rather than after race_stale_ms.
    if (promises.rejects + promises.conflicts > n - promise_quorum) {
      RetryLater(record, {});
    }
    // A stale commit: the writer rebases on the refusal's `missing`; this node's own first.
    for (size_t pass = 0; pass < 2; ++pass) {
      for (size_t i = 0; i < n; ++i) {
        const bool own = record.peers[i].peer_id == self_;
        if ((pass == 0) != own || !replies[i] || !replies[i]->commit) {
          continue;
        }
        if (FailureOf(*replies[i]->commit) != nullptr) {
          Report(ConsensusOp::kCommit, "rejected", start, promised, promised);
          return *replies[i]->commit;
        }
      }
    }
    if (promises.conflicts > 0) {
      Report(ConsensusOp::kCommit, "conflict", start, promised, promised);
      StaleFailure lost;
      lost.reason = Shortfall("commit " + request.action_id + " lost a race: promised by",
                              promises.approvals, n, promise_quorum, record);
      return CommitResult(std::move(lost));
    }
    Report(ConsensusOp::kCommit, promises.rejects > 0 ? "rejected" : "no-quorum", start, promised,
           promised);
    if (promises.rejects > n - promise_quorum) {
      StaleFailure refused;
      refused.reason = Shortfall("commit " + request.action_id + " promised by",
                                 promises.approvals, n, promise_quorum, record);
      return CommitResult(std::move(refused));
    }
    return Status::Unavailable(Shortfall("commit " + request.action_id + " promised by",
                                         promises.approvals, n, promise_quorum, record));
  }

  // Commit phase: each peer that promised signs its commit vote.
  Broadcast(record);
  const size_t votes = Count(record.commits).approvals;
  if (votes < commit_quorum) {
    const int64_t end = clock_.SteadyNs();
    Report(ConsensusOp::kCommit, "no-quorum", start, promised, end);
    RetryLater(record, {});  // peers that voted learn the outcome when the record returns
    return Status::Unavailable(Shortfall("commit " + request.action_id + " voted by", votes, n,
                                         commit_quorum, record));
  }

  // Decided: every peer applies it once it sees the votes.
  replies = Broadcast(record);
  std::vector<std::string> behind;
  for (size_t i = 0; i < n; ++i) {
    if (!replies[i] || !replies[i]->executed) {
      behind.push_back(record.peers[i].peer_id);
    }
  }
  if (!behind.empty()) {
    RetryLater(record, std::move(behind));
  }
  Report(ConsensusOp::kCommit, "decided", start, promised, clock_.SteadyNs());
  return CommitResult(transactor::CommitSuccess{});
}

Status ConsensusRepo::Cancel(const ActionBlocks& actions) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<Group> groups, GroupByCluster(actions.block_ids));
  Status first = Status::Ok();
  for (const Group& group : groups) {
    ActionBlocks part{group.blocks, actions.action_id};
    Status done = CancelGroup(group, part);
    if (!done.ok() && first.ok()) {
      first = done;
    }
  }
  return first;
}

Status ConsensusRepo::CancelGroup(const Group& group, const ActionBlocks& actions,
                                  std::optional<std::string> pend_hash) {
  if (IsSelfOnly(group)) {
    return local_.Cancel(actions);
  }
  const int64_t start = clock_.SteadyNs();
  wire::ConsensusMessage message;
  message.op = ConsensusOp::kCancel;
  message.cancel = actions;
  message.pend_hash = std::move(pend_hash);
  wire::ClusterRecord record = Start(std::move(message), group.peers);
  Broadcast(record);
  const size_t n = record.peers.size();
  const size_t cancelled = Count(record.promises).approvals;
  const int64_t end = clock_.SteadyNs();
  // A replica left with the pending record would refuse the block's later pends.
  std::vector<std::string> missed;
  for (const wire::ClusterPeer& peer : record.peers) {
    auto vote = record.promises.find(peer.peer_id);
    if (vote == record.promises.end() || vote->second.type != wire::VoteType::kApprove) {
      missed.push_back(peer.peer_id);
    }
  }
  if (!missed.empty()) {
    RetryLater(record, std::move(missed));
  }
  if (cancelled >= CommitQuorum(n)) {
    Report(ConsensusOp::kCancel, "decided", start, end, end);
    return Status::Ok();
  }
  Report(ConsensusOp::kCancel, "no-quorum", start, end, end);
  return Status::Unavailable(Shortfall("cancel " + actions.action_id + " done by", cancelled, n,
                                       CommitQuorum(n), record));
}

void ConsensusRepo::RetryLater(wire::ClusterRecord record, std::vector<std::string> peers) {
  if (peers.empty()) {
    for (const wire::ClusterPeer& p : record.peers) {
      peers.push_back(p.peer_id);
    }
  }
  Queue(Retry{std::move(record), std::move(peers), 0,
              clock_.NowUnixMs() + options_.retry_initial_ms});
}

void ConsensusRepo::Queue(Retry retry) {
  if (options_.schedule) {
    const int64_t due = retry.due_ms;
    options_.schedule(due, [this, retry = std::move(retry)] { RunRetry(retry); });
    return;
  }
  {
    std::lock_guard lock(mu_);
    retries_.push_back(std::move(retry));
  }
  cv_.notify_all();
}

void ConsensusRepo::RunRetry(Retry retry) {
  std::vector<std::string> failed;
  for (const std::string& peer : retry.peers) {
    Result<wire::ClusterUpdateOk> reply = peers_.Update(peer, retry.record);
    if (events_.on_retry) {
      events_.on_retry();
    }
    const bool done = reply && (retry.record.message.op != ConsensusOp::kCommit ||
                                reply->executed ||
                                Count(retry.record.commits).approvals <
                                    CommitQuorum(retry.record.peers.size()));
    if (!done) {
      failed.push_back(peer);
    }
  }
  if (!failed.empty() && retry.attempt + 1 < options_.retry_attempts) {
    const int64_t delay = std::min(options_.retry_max_ms,
                                   options_.retry_initial_ms << std::min(retry.attempt + 1, 20));
    Queue(Retry{std::move(retry.record), std::move(failed), retry.attempt + 1,
                clock_.NowUnixMs() + delay});
  }
}

void ConsensusRepo::RunInBackground(std::function<void()> work) {
  if (options_.schedule) {
    options_.schedule(clock_.NowUnixMs(), std::move(work));
    return;
  }
  {
    std::lock_guard lock(mu_);
    work_.push_back(std::move(work));
  }
  cv_.notify_all();
}

void ConsensusRepo::ScheduleTick() {
  if (!options_.tick) {
    return;
  }
  options_.schedule(clock_.NowUnixMs() + 1000, [this] {
    options_.tick();
    ScheduleTick();
  });
}

void ConsensusRepo::WaitForBackgroundWork() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return stopping_ || (work_.empty() && !busy_); });
}

void ConsensusRepo::Loop() {
  int64_t next_tick = clock_.NowUnixMs() + 1000;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const int64_t now = clock_.NowUnixMs();
    if (!work_.empty()) {
      std::function<void()> work = std::move(work_.front());
      work_.pop_front();
      busy_ = true;
      lock.unlock();
      work();
      lock.lock();
      busy_ = false;
      cv_.notify_all();
      continue;
    }
    auto due = std::find_if(retries_.begin(), retries_.end(),
                            [&](const Retry& r) { return r.due_ms <= now; });
    if (due != retries_.end()) {
      Retry retry = std::move(*due);
      retries_.erase(due);
      busy_ = true;
      lock.unlock();
      RunRetry(std::move(retry));
      lock.lock();
      busy_ = false;
      cv_.notify_all();
      continue;
    }
    if (now >= next_tick) {
      next_tick = now + 1000;
      if (options_.tick) {
        busy_ = true;
        lock.unlock();
        options_.tick();
        lock.lock();
        busy_ = false;
      }
      continue;
    }
    int64_t wake = next_tick;
    for (const Retry& r : retries_) {
      wake = std::min(wake, r.due_ms);
    }
    cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(wake - now, 1)));
  }
}

}  // namespace optimystic::cluster::consensus
