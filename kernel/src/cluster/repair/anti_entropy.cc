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
  if (request.next && !request.of.empty()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<BlockHead> heads, repository_.Heads());
    std::vector<BlockHead> given;  // what the next ring gives the requester, in block id order
    for (BlockHead& head : heads) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<std::string> next,
                                  peers_.NextClusterFor(head.block_id));
      if (std::find(next.begin(), next.end(), request.peer) != next.end()) {
        given.push_back(std::move(head));
      }
    }
    out = HeadsIn(given, request.buckets, request.of);
  } else if (!request.of.empty()) {
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

namespace {

std::vector<std::string> Without(std::vector<std::string> peers, const std::string& self) {
  std::erase(peers, self);
  return peers;
}

}  // namespace

Result<size_t> AntiEntropy::RepairBlock(const BlockId& block_id) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<std::string> cluster, peers_.ClusterFor(block_id));
  if (std::find(cluster.begin(), cluster.end(), self_) == cluster.end()) {
    return size_t{0};  // not this node's to hold
  }
  return RepairFrom(block_id, Without(std::move(cluster), self_));
}

HandOffReport AntiEntropy::HandOff() {
  constexpr uint32_t kBucketsPerRequest = 8;  // a batch: the heads of a few buckets at a time
  constexpr size_t kReportEvery = 100;        // blocks fetched between progress reports
  HandOffReport report;
  std::map<BlockId, uint64_t> found;  // block -> the highest rev a peer listed
  const std::vector<std::string> reachable = peers_.Peers();
  for (const std::string& peer : reachable) {
    bool listed = true;
    for (uint32_t b = 0; b < options_.buckets && listed; b += kBucketsPerRequest) {
      wire::HeadsRequest ask{self_, options_.buckets, {}, {}, /*next=*/true};
      for (uint32_t i = b; i < std::min(options_.buckets, b + kBucketsPerRequest); ++i) {
        ask.of.push_back(i);
      }
      Result<std::vector<BlockHead>> heads = peers_.Heads(peer, ask);
      if (!heads) {
        listed = false;
        ++report.failures;
        if (events_.on_failure) {
          events_.on_failure("listing the blocks " + peer + " hands on: " +
                             heads.error().ToString());
        }
        break;
      }
      for (const BlockHead& head : *heads) {
        uint64_t& rev = found[head.block_id];
        rev = std::max(rev, head.latest.rev);
      }
    }
    report.peers_asked += listed ? 1 : 0;
  }
  report.blocks_found = found.size();
  if (events_.on_hand_off) {
    events_.on_hand_off(report);
  }
  for (const auto& [id, rev] : found) {
    Result<std::optional<transactor::ActionRev>> latest = repository_.Latest(id);
    Result<size_t> replayed = size_t{0};
    if (!latest) {
      replayed = latest.error();
    } else if (RevOf(*latest) < rev) {
      Result<std::vector<std::string>> cluster = peers_.ClusterFor(id);
      if (!cluster) {
        replayed = cluster.error();
      } else {
        // Only replicas thought reachable are asked: a dead one would hold each fetch to its
        // timeout. With one of them down a decided commit may be on a single live replica, so
        // then the highest revision any holds is taken; else two must agree, as in a round.
        std::vector<std::string> others = Without(std::move(*cluster), self_);
        const size_t replicas = others.size();
        std::erase_if(others, [&](const std::string& peer) {
          return std::find(reachable.begin(), reachable.end(), peer) == reachable.end();
        });
        replayed = RepairFrom(id, others, /*corroboration=*/others.size() < replicas ? 1 : 2);
      }
    }
    ++report.blocks_checked;
    if (!replayed) {
      ++report.failures;
      if (events_.on_failure) {
        events_.on_failure("fetching block " + id + ": " + replayed.error().ToString());
      }
    } else if (*replayed > 0) {
      ++report.blocks_fetched;
      report.actions_replayed += *replayed;
    }
    if (report.blocks_checked % kReportEvery == 0 && events_.on_hand_off) {
      events_.on_hand_off(report);
    }
  }
  if (report.blocks_checked % kReportEvery != 0 && events_.on_hand_off) {
    events_.on_hand_off(report);
  }
  return report;
}

Result<HandedOnReport> AntiEntropy::HandedOn(const std::optional<std::string>& of) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<BlockHead> heads, repository_.Heads());
  if (of) {
    std::vector<BlockHead> held;
    for (BlockHead& head : heads) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<std::string> cluster,
                                  peers_.ClusterFor(head.block_id));
      if (std::find(cluster.begin(), cluster.end(), *of) != cluster.end()) {
        held.push_back(std::move(head));
      }
    }
    heads = std::move(held);
  }
  HandedOnReport report;
  report.blocks = heads.size();
  // Asks each next owner about all of its blocks at once, a request per wire::kMaxRepairBlocks.
  std::map<std::string, std::vector<const BlockHead*>> by_peer;
  std::map<BlockId, std::vector<std::string>> next_of;
  std::set<BlockId> self_next;  // blocks whose next cluster holds this node (it holds them)
  for (const BlockHead& head : heads) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<std::string> next,
                                peers_.NextClusterFor(head.block_id));
    if (std::find(next.begin(), next.end(), self_) != next.end()) self_next.insert(head.block_id);
    next = Without(std::move(next), self_);
    for (const std::string& peer : next) by_peer[peer].push_back(&head);
    next_of[head.block_id] = std::move(next);
  }
  std::map<BlockId, size_t> holders;
  std::set<std::string> answered;
  for (const auto& [peer, mine] : by_peer) {
    for (size_t at = 0; at < mine.size(); at += wire::kMaxRepairBlocks) {
      wire::HeadsRequest ask{self_, 1, {}, {}};
      std::map<BlockId, uint64_t> want;
      for (size_t i = at; i < std::min(mine.size(), at + wire::kMaxRepairBlocks); ++i) {
        ask.block_ids.push_back(mine[i]->block_id);
        want[mine[i]->block_id] = mine[i]->latest.rev;
      }
      Result<std::vector<BlockHead>> theirs = peers_.Heads(peer, ask);
      if (!theirs) {
        answered.erase(peer);  // a peer that stops answering is not waited for
        break;
      }
      answered.insert(peer);
      for (const BlockHead& head : *theirs) {
        auto it = want.find(head.block_id);
        if (it != want.end() && head.latest.rev >= it->second) ++holders[head.block_id];
      }
    }
  }
  for (const BlockHead& head : heads) {
    const std::vector<std::string>& others = next_of[head.block_id];
    const size_t self_holds = self_next.count(head.block_id);
    const size_t owners = others.size() + self_holds;
    // Every next owner that answers must hold the block, and a majority of them at least.
    size_t reachable = self_holds;
    for (const std::string& peer : others) reachable += answered.count(peer);
    const size_t needed = std::max(owners / 2 + 1, reachable);
    const size_t held = holders[head.block_id] + self_holds;
    if (owners > 0 && held >= needed) {
      ++report.handed_on;
    } else if (report.first_short.empty()) {
      report.first_short = owners == 0 ? "block " + head.block_id + " has no next owner"
                                       : "block " + head.block_id + " is at rev " +
                                             std::to_string(head.latest.rev) + " on " +
                                             std::to_string(held) + " of its " +
                                             std::to_string(owners) + " next owners, " +
                                             std::to_string(needed) + " needed";
    }
  }
  return report;
}

Result<size_t> AntiEntropy::RepairFrom(const BlockId& block_id,
                                       const std::vector<std::string>& others,
                                       size_t corroboration) {
  const size_t floor = std::min(corroboration, others.size());
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
