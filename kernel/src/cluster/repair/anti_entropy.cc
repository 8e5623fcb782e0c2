// SPDX-License-Identifier: Apache-2.0
#include "cluster/repair/anti_entropy.h"

#include <optimystic/block/transform.h>

#include <algorithm>
#include <chrono>
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

Result<std::vector<BlockId>> AntiEntropy::Compare(const std::string& peer, RoundReport& report) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<BlockHead> shared, Shared(peer));
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

RoundReport AntiEntropy::RunOnce() {
  RoundReport report;
  std::set<BlockId> behind;  // a block several peers are ahead on is repaired once
  for (const std::string& peer : peers_.Peers()) {
    Result<std::vector<BlockId>> ahead = Compare(peer, report);
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
  size_t tried = 0;
  for (const BlockId& id : behind) {
    if (tried++ == options_.max_repairs_per_round) {
      break;
    }
    Result<size_t> replayed = RepairBlock(id);
    if (!replayed) {
      ++report.failures;
      if (events_.on_failure) {
        events_.on_failure("repairing block " + id + ": " + replayed.error().ToString());
      }
    } else if (*replayed > 0) {
      ++report.blocks_repaired;
      report.actions_replayed += *replayed;
    }
  }
  if (events_.on_round) {
    events_.on_round(report);
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
  if (loop_.joinable() || options_.interval_ms <= 0) {
    return;
  }
  stopping_ = false;
  loop_ = std::thread([this] {
    std::unique_lock lock(loop_mu_);
    while (!loop_cv_.wait_for(lock, std::chrono::milliseconds(options_.interval_ms),
                              [this] { return stopping_; })) {
      lock.unlock();
      RunOnce();
      lock.lock();
    }
  });
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
