// SPDX-License-Identifier: Apache-2.0
#include "cluster/repair/anti_entropy.h"

#include <optimystic/block/transform.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <map>
#include <set>
#include <utility>

#include "cluster/repair/heads_digest.h"

namespace optimystic::cluster::repair {

namespace {

using block::BlockId;
using transactor::ActionTransforms;

uint64_t RevOf(const std::optional<transactor::ActionRev>& latest) {
  return latest ? latest->rev : 0;
}

}  // namespace

AntiEntropy::AntiEntropy(std::string self, core::repository::Repository& repository,
                         RepairPeers& peers, consensus::ClusterMember& member,
                         AntiEntropyOptions options, AntiEntropyEvents events)
    : self_(std::move(self)),
      repository_(repository),
      peers_(peers),
      member_(member),
      options_(options),
      events_(std::move(events)) {}

AntiEntropy::~AntiEntropy() { Stop(); }

Result<std::vector<BlockHead>> AntiEntropy::Shared(const std::string& peer) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<BlockHead> heads, repository_.Heads());
  return SharedHeads(heads, self_, peer,
                     [this](const BlockId& id) { return peers_.ClusterFor(id); });
}

Result<std::vector<std::string>> AntiEntropy::DigestFor(const wire::DigestRequest& request) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<BlockHead> shared, Shared(request.peer));
  return DigestHeads(shared, request.buckets);
}

Result<std::vector<BlockHead>> AntiEntropy::HeadsFor(const wire::HeadsRequest& request) {
  std::vector<BlockHead> out;
  if (!request.of.empty()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<BlockHead> shared, Shared(request.peer));
    out = HeadsIn(shared, request.buckets, request.of);
  }
  for (const BlockId& id : request.block_ids) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<transactor::ActionRev> latest,
                                repository_.Latest(id));
    if (latest) {
      out.push_back(BlockHead{id, *latest});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const BlockHead& a, const BlockHead& b) { return a.block_id < b.block_id; });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Result<std::vector<BlockId>> AntiEntropy::Compare(const std::string& peer,
                                                  const std::vector<BlockHead>& heads,
                                                  RoundReport& report) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      std::vector<BlockHead> shared,
      SharedHeads(heads, self_, peer, [this](const BlockId& id) { return peers_.ClusterFor(id); }));
  const std::vector<std::string> mine = DigestHeads(shared, options_.buckets);
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<std::string> theirs,
                              peers_.Digest(peer, wire::DigestRequest{self_, options_.buckets}));
  ++report.peers_compared;
  wire::HeadsRequest ask{self_, options_.buckets, {}, {}};
  for (uint32_t b = 0; b < options_.buckets; ++b) {
    if (mine[b] != theirs[b]) {
      ask.of.push_back(b);
    }
  }
  report.buckets_differing += ask.of.size();
  if (ask.of.empty()) {
    return std::vector<BlockId>();
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<BlockHead> their_heads, peers_.Heads(peer, ask));
  std::map<BlockId, uint64_t> here;
  for (const BlockHead& head : shared) {
    here[head.block_id] = head.latest.rev;
  }
  std::vector<BlockId> behind;
  for (const BlockHead& head : their_heads) {
    auto it = here.find(head.block_id);
    if (it == here.end() || it->second < head.latest.rev) {
      behind.push_back(head.block_id);
    }
  }
  return behind;
}

AntiEntropy::Repaired AntiEntropy::RepairEach(const std::set<BlockId>& ids, size_t limit) {
  Repaired out;
  size_t tried = 0;
  for (const BlockId& id : ids) {
    if (tried++ == limit) {
      break;
    }
    Result<size_t> replayed = RepairBlock(id);
    if (!replayed) {
      ++out.failures;
      if (events_.on_failure) {
        events_.on_failure("repairing block " + id + ": " + replayed.error().ToString());
      }
    } else if (*replayed > 0) {
      ++out.blocks;
      out.actions += *replayed;
    }
  }
  return out;
}

RoundReport AntiEntropy::RunOnce() {
  RoundReport report;
  // One scan of this node's heads serves the comparison with every peer.
  Result<std::vector<BlockHead>> heads = repository_.Heads();
  if (!heads) {
    ++report.failures;
    if (events_.on_failure) {
      events_.on_failure("listing this node's blocks: " + heads.error().ToString());
    }
    if (events_.on_round) {
      events_.on_round(report);
    }
    return report;
  }
  std::set<BlockId> behind;  // a block several peers are ahead on is repaired once
  for (const std::string& peer : peers_.Peers()) {
    Result<std::vector<BlockId>> ahead = Compare(peer, *heads, report);
    if (!ahead) {
      ++report.failures;
      if (events_.on_failure) {
        events_.on_failure("comparing with " + peer + ": " + ahead.error().ToString());
      }
      continue;
    }
    behind.insert(ahead->begin(), ahead->end());
  }
  report.blocks_behind = behind.size();
  const Repaired done = RepairEach(behind, options_.max_repairs_per_round);
  report.blocks_repaired = done.blocks;
  report.actions_replayed = done.actions;
  report.failures += done.failures;
  if (events_.on_round) {
    events_.on_round(report);
  }
  return report;
}

size_t AntiEntropy::RequestRepair(const std::vector<BlockId>& block_ids) {
  size_t queued = 0;
  {
    std::lock_guard lock(loop_mu_);
    for (const BlockId& id : block_ids) {
      if (requested_.count(id) != 0) {
        continue;
      }
      if (requested_.size() >= options_.max_queued_repairs) {
        ++dropped_;
        continue;
      }
      requested_.insert(id);
      ++queued;
    }
  }
  if (queued > 0) {
    loop_cv_.notify_all();
  }
  return queued;
}

void AntiEntropy::ReportBehind(const std::string& peer, const std::vector<BlockId>& block_ids) {
  using Clock = std::chrono::steady_clock;
  const auto now = Clock::now();
  const auto window = std::chrono::milliseconds(options_.hint_window_ms);
  std::vector<BlockId> mine;
  bool queued = false;
  {
    std::lock_guard lock(loop_mu_);
    if (reported_.size() >= options_.max_queued_repairs) {  // forget what is past its window
      std::erase_if(reported_, [&](const auto& entry) { return now - entry.second >= window; });
    }
    for (const BlockId& id : block_ids) {
      auto key = std::make_pair(peer, id);
      auto last = reported_.find(key);
      if (last != reported_.end() && now - last->second < window) {
        continue;
      }
      if (peer == self_) {
        mine.push_back(id);
      } else if (hints_queued_ >= options_.max_queued_repairs) {
        ++dropped_;
        continue;
      } else if (hints_[peer].insert(id).second) {
        ++hints_queued_;
        queued = true;
      }
      reported_[key] = now;
    }
  }
  if (!mine.empty()) {
    RequestRepair(mine);
  }
  if (queued) {
    loop_cv_.notify_all();
  }
}

ReadRepairReport AntiEntropy::RunRequested() {
  ReadRepairReport report;
  std::set<BlockId> repair;
  std::map<std::string, std::set<BlockId>> hints;
  {
    std::lock_guard lock(loop_mu_);
    repair.swap(requested_);
    hints.swap(hints_);
    hints_queued_ = 0;
    report.dropped = std::exchange(dropped_, 0);
  }
  for (const auto& [peer, ids] : hints) {
    const std::vector<BlockId> all(ids.begin(), ids.end());
    for (size_t at = 0; at < all.size(); at += wire::kMaxRepairBlocks) {
      const size_t end = std::min(all.size(), at + wire::kMaxRepairBlocks);
      const std::vector<BlockId> some(all.begin() + static_cast<std::ptrdiff_t>(at),
                                      all.begin() + static_cast<std::ptrdiff_t>(end));
      Result<uint64_t> queued = peers_.RequestRepair(peer, some);
      if (!queued) {
        ++report.failures;
        if (events_.on_failure) {
          events_.on_failure("asking " + peer + " to repair " + std::to_string(all.size() - at) +
                             " block(s): " + queued.error().ToString());
        }
        break;  // the rest would fail the same way; a later read reports them again
      }
      report.hints_sent += some.size();
    }
  }
  const Repaired done = RepairEach(repair, repair.size());
  report.blocks_repaired = done.blocks;
  report.actions_replayed = done.actions;
  report.failures += done.failures;
  if (events_.on_read_repair) {
    events_.on_read_repair(report);
  }
  return report;
}

Result<size_t> AntiEntropy::RepairBlock(const BlockId& block_id) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<std::string> cluster, peers_.ClusterFor(block_id));
  if (std::find(cluster.begin(), cluster.end(), self_) == cluster.end()) {
    return size_t{0};  // not this node's to hold
  }
  std::vector<std::string> others;
  for (const std::string& peer : cluster) {
    if (peer != self_) {
      others.push_back(peer);
    }
  }
  const size_t floor = std::min<size_t>(2, others.size());
  if (floor == 0) {
    return size_t{0};
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<transactor::ActionRev> latest,
                              repository_.Latest(block_id));
  const uint64_t here = RevOf(latest);

  // The other replicas' heads; one that does not answer is not counted.
  std::vector<std::pair<uint64_t, std::string>> claims;  // (rev, peer)
  std::string silent;
  for (const std::string& peer : others) {
    Result<std::vector<BlockHead>> heads =
        peers_.Heads(peer, wire::HeadsRequest{self_, 1, {}, {block_id}});
    if (!heads) {
      silent += (silent.empty() ? "" : "; ") + heads.error().ToString();
      continue;
    }
    uint64_t rev = 0;
    for (const BlockHead& head : *heads) {
      if (head.block_id == block_id) {
        rev = head.latest.rev;
      }
    }
    claims.emplace_back(rev, peer);
  }
  if (claims.size() < floor) {
    return Status::Unavailable(std::to_string(claims.size()) + " of " +
                               std::to_string(others.size()) + " other replicas answered, " +
                               std::to_string(floor) + " needed" +
                               (silent.empty() ? "" : ": " + silent));
  }
  std::sort(claims.begin(), claims.end(), std::greater<>());
  const uint64_t target = claims[floor - 1].first;  // the highest rev `floor` peers hold
  if (target <= here) {
    return size_t{0};  // not behind, or only one peer claims more: nothing moves
  }

  std::optional<std::vector<ActionTransforms>> agreed;
  std::string first;
  for (size_t i = 0; i < floor; ++i) {
    const std::string& peer = claims[i].second;
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<ActionTransforms> history,
                                peers_.HistoryOf(peer, block_id, here));
    std::erase_if(history, [target](const ActionTransforms& a) { return !a.rev || *a.rev > target; });
    // A block's history carries only its own transforms; replaying another block's here would
    // leave a pending record there that no commit ever finishes.
    for (const ActionTransforms& action : history) {
      for (const BlockId& touched : block::BlockIdsForTransforms(action.transforms)) {
        if (touched != block_id) {
          return Status::Aborted("the history of block " + block_id + " from " + peer +
                                 " has action " + action.action_id + " touching block " +
                                 touched);
        }
      }
    }
    if (history.empty() || *history.back().rev != target) {
      return Status::Aborted("the history of block " + block_id + " from " + peer +
                             " does not reach rev " + std::to_string(target));
    }
    if (!agreed) {
      agreed = std::move(history);
      first = peer;
    } else if (*agreed != history) {
      return Status::Aborted("the histories of block " + block_id + " from " + first + " and " +
                             peer + " differ after rev " + std::to_string(here));
    }
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(size_t replayed, member_.Repair(block_id, *agreed));
  if (replayed > 0 && events_.on_repaired) {
    events_.on_repaired(block_id, replayed, target);
  }
  return replayed;
}

void AntiEntropy::Start() {
  std::lock_guard lock(loop_mu_);
  if (loop_.joinable()) {
    return;
  }
  stopping_ = false;
  loop_ = std::thread([this] { Loop(); });
}

void AntiEntropy::Loop() {
  using Clock = std::chrono::steady_clock;
  const bool rounds = options_.interval_ms > 0;
  const auto interval = std::chrono::milliseconds(options_.interval_ms);
  auto next_round = Clock::now() + interval;
  auto woken = [this] { return stopping_ || !requested_.empty() || !hints_.empty(); };
  std::unique_lock lock(loop_mu_);
  while (true) {
    if (rounds) {
      loop_cv_.wait_until(lock, next_round, woken);
    } else {
      loop_cv_.wait(lock, woken);
    }
    if (stopping_) {
      return;
    }
    const bool requested = !requested_.empty() || !hints_.empty();
    lock.unlock();
    if (requested) {
      RunRequested();
    }
    if (rounds && Clock::now() >= next_round) {
      RunOnce();
      next_round = Clock::now() + interval;
    }
    lock.lock();
  }
}

void AntiEntropy::Stop() {
  {
    std::lock_guard lock(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (loop_.joinable()) {
    loop_.join();
  }
}

}  // namespace optimystic::cluster::repair
