// SPDX-License-Identifier: Apache-2.0
#include "cluster/consensus/cluster_member.h"

#include <optimystic/block/codec.h>
#include <optimystic/block/transform.h>

#include <algorithm>
#include <utility>

#include "core/transactor/log_first_commit.h"
#include "core/transactor/repository_ops.h"

namespace optimystic::cluster::consensus {

namespace {

using transactor::ActionTransforms;
using transactor::BlockId;
using transactor::FailureOf;
using wire::ConsensusOp;
using wire::VoteType;

// Where a member keeps the records it voted to commit, in its node's storage engine.
constexpr std::string_view kVotePrefix = "v/";

std::string VoteKey(const std::string& message_hash) {
  return std::string(kVotePrefix) + message_hash;
}

bool IsPeer(const wire::ClusterRecord& record, const std::string& peer_id) {
  return std::any_of(record.peers.begin(), record.peers.end(),
                     [&](const wire::ClusterPeer& p) { return p.peer_id == peer_id; });
}

// SPEC.md §7.4 resolveRace: more approvals wins, then the higher priority (the writer's
// consecutive losses, carried by its pend), then the higher message hash. Approvals come first:
// a priority must never displace a commit a quorum already promised (SPEC.md §10 item 17).
bool Beats(const wire::ClusterRecord& a, uint32_t a_priority, const wire::ClusterRecord& b,
           uint32_t b_priority) {
  const size_t pa = Count(a.promises).approvals;
  const size_t pb = Count(b.promises).approvals;
  if (pa != pb) {
    return pa > pb;
  }
  if (a_priority != b_priority) {
    return a_priority > b_priority;
  }
  return a.message_hash > b.message_hash;
}

bool Overlaps(const std::vector<BlockId>& a, const std::vector<BlockId>& b) {
  return std::any_of(a.begin(), a.end(),
                     [&](const BlockId& id) { return std::find(b.begin(), b.end(), id) != b.end(); });
}

std::string DescribeStale(const transactor::StaleFailure& failure) {
  if (failure.reason) {
    return *failure.reason;
  }
  std::string out = "stale: " + std::to_string(failure.missing.size()) + " missing action(s)";
  if (failure.stale_at) {
    out += ", block " + failure.stale_at->block_id + " at rev " +
           std::to_string(failure.stale_at->rev);
  }
  return out;
}

class RecordSink final : public storage::ScanSink {
 public:
  bool OnEntry(std::string_view key, std::string_view value) noexcept override {
    entries.emplace_back(std::string(key), std::string(value));
    return true;
  }
  std::vector<std::pair<std::string, std::string>> entries;
};

}  // namespace

ClusterMember::ClusterMember(std::string self, const identity::NodeKey& key,
                             core::repository::Repository& repository,
                             storage::StorageEngine& engine, ConsensusPeers& peers,
                             const time::Clock& clock, MemberOptions options, MemberEvents events)
    : self_(std::move(self)),
      key_(key),
      repository_(repository),
      engine_(engine),
      peers_(peers),
      clock_(clock),
      options_(options),
      events_(std::move(events)) {}

Result<std::unique_ptr<ClusterMember>> ClusterMember::Open(
    std::string self, const identity::NodeKey& key, core::repository::Repository& repository,
    storage::StorageEngine& engine, ConsensusPeers& peers, const time::Clock& clock,
    MemberOptions options, MemberEvents events) {
  std::unique_ptr<ClusterMember> member(new ClusterMember(
      std::move(self), key, repository, engine, peers, clock, options, std::move(events)));
  RecordSink sink;
  OPTIMYSTIC_RETURN_IF_ERROR(engine.Scan(storage::ScanRange::Prefix(kVotePrefix), sink));
  for (const auto& [key_bytes, value] : sink.entries) {
    Result<block::Value> decoded = block::DecodeValue(value, block::DecodeMode::kTrusted);
    Result<wire::ClusterRecord> record =
        decoded ? wire::ClusterUpdateFromPayload(*decoded) : Result<wire::ClusterRecord>(decoded.error());
    if (!record) {
      return Status::Corruption("consensus vote record '" + key_bytes +
                                "' does not read: " + record.error().ToString());
    }
    Entry entry;
    entry.record = std::move(*record);
    entry.stored = true;
    const std::string hash = entry.record.message_hash;
    member->entries_.emplace(hash, std::move(entry));
  }
  return member;
}

Result<wire::ClusterUpdateOk> ClusterMember::Update(const wire::ClusterRecord& incoming) {
  OPTIMYSTIC_RETURN_IF_ERROR(CheckRecordHashes(incoming));
  if (!IsPeer(incoming, self_)) {
    return Status::InvalidArgument("cluster record " + incoming.message_hash + ": this node (" +
                                   self_ + ") is not one of its peers");
  }
  if (incoming.message.BlockIds().empty()) {
    return Status::InvalidArgument("cluster record " + incoming.message_hash +
                                   ": its message names no block");
  }
  std::lock_guard lock(mu_);
  const int64_t now = clock_.NowUnixMs();
  Sweep(now);
  auto [it, fresh] = entries_.try_emplace(incoming.message_hash);
  Entry& entry = it->second;
  if (fresh) {
    entry.record = incoming;
    entry.record.promises.clear();
    entry.record.commits.clear();
  }
  MergeVotes(entry, incoming);
  if (fresh) {
    const bool expired = static_cast<uint64_t>(now) > entry.record.message.expiration_ms;
    if (expired && entry.record.message.op == ConsensusOp::kCommit) {
      // A peer finishing an old commit asks whether it was applied here.
      bool all = true;
      for (const BlockId& id : entry.record.message.BlockIds()) {
        OPTIMYSTIC_ASSIGN_OR_RETURN(core::repository::ActionRecord held,
                                    repository_.RecordOf(id, entry.record.message.commit->action_id));
        all = all && held == core::repository::ActionRecord::kCommitted;
      }
      if (all) {
        entry.executed = true;
        entry.finished = true;
        return Reply(entry);
      }
    }
    std::string refusal;
    if (expired) {
      refusal = "expired";
    } else if (Status admitted = Admit(entry.record); !admitted.ok()) {
      refusal = admitted.message();
    }
    if (!refusal.empty()) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(entry.record.promises[self_],
                                  Sign(entry, Phase::kPromise, VoteType::kReject, refusal));
      entry.released = true;
      entry.finished = true;
      return Reply(entry);
    }
  }
  OPTIMYSTIC_RETURN_IF_ERROR(Advance(entry, now));
  return Reply(entry);
}

void ClusterMember::MergeVotes(Entry& into, const wire::ClusterRecord& from) {
  auto merge = [&](std::map<std::string, wire::Vote>& votes,
                   const std::map<std::string, wire::Vote>& incoming, Phase phase) {
    for (const auto& [peer, vote] : incoming) {
      if (votes.count(peer) != 0) {
        continue;  // the first vote seen of a peer stays
      }
      const std::string refused = RefuseVote(into.record, peer, phase, vote);
      if (!refused.empty()) {
        if (events_.on_vote_refused) {
          events_.on_vote_refused(refused, peer);
        }
        continue;
      }
      votes.emplace(peer, vote);
    }
  };
  merge(into.record.promises, from.promises, Phase::kPromise);
  merge(into.record.commits, from.commits, Phase::kCommit);
}

Status ClusterMember::Admit(const wire::ClusterRecord& record) {
  const std::vector<BlockId> blocks = record.message.BlockIds();
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<wire::ClusterPeer> expected,
                              peers_.ClusterOf(blocks.front()));
  std::sort(expected.begin(), expected.end(),
            [](const wire::ClusterPeer& a, const wire::ClusterPeer& b) {
              return a.peer_id < b.peer_id;
            });
  if (expected != record.peers) {
    std::string ids;
    for (const wire::ClusterPeer& p : expected) {
      ids += (ids.empty() ? "" : ", ") + p.peer_id;
    }
    return Status::Unavailable("membership mismatch: block " + blocks.front() +
                                      " is held here by " + ids);
  }
  return Status::Ok();
}

Status ClusterMember::Advance(Entry& entry, int64_t now_ms) {
  const size_t n = entry.record.peers.size();
  const size_t promise_quorum = PromiseQuorum(n, options_.promise_quorum);
  const size_t commit_quorum = CommitQuorum(n);
  while (!entry.finished) {
    const Tally promises = Count(entry.record.promises);
    const Tally commits = Count(entry.record.commits);
    const bool commit_op = entry.record.message.op == ConsensusOp::kCommit;
    if (commit_op && commits.approvals >= commit_quorum) {
      OPTIMYSTIC_RETURN_IF_ERROR(Execute(entry));
      return Finish(entry);
    }
    // Once a promise quorum approved, at most n - quorum rejects can exist: a decided record is
    // never released here.
    if (promises.rejects > n - promise_quorum || commits.rejects >= commit_quorum ||
        (promises.conflicts > 0 && promises.rejects + promises.conflicts > n - promise_quorum)) {
      Release(entry);
      return Finish(entry);
    }
    if (entry.record.promises.count(self_) == 0) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(wire::Vote vote, Promise(entry, now_ms));
      entry.record.promises[self_] = std::move(vote);
      continue;
    }
    if (!commit_op) {
      entry.finished = true;  // pend and cancel were applied with the promise
      return Status::Ok();
    }
    if (entry.record.commits.count(self_) != 0 || promises.approvals < promise_quorum) {
      return Status::Ok();
    }
    const bool approve =
        entry.record.promises[self_].type == VoteType::kApprove && !entry.released;
    if (!approve) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(entry.record.commits[self_],
                                  Sign(entry, Phase::kCommit, VoteType::kReject, "superseded"));
      continue;
    }
    // Past the expiration this member still votes, as the holder of the promise: a coordinator
    // that died after some commit votes leaves the record to Recover, which needs the holders'
    // votes to decide it. A member that gave way to a rival (released) never votes again, so
    // what Recover counts as "will never vote" stays true.
    OPTIMYSTIC_ASSIGN_OR_RETURN(wire::Vote vote,
                                Sign(entry, Phase::kCommit, VoteType::kApprove));
    entry.record.commits[self_] = std::move(vote);
    if (Status stored = Store(entry); !stored.ok()) {
      entry.record.commits.erase(self_);  // a vote is given only once it is durable
      return stored;
    }
  }
  return Status::Ok();
}

Result<wire::Vote> ClusterMember::Promise(Entry& entry, int64_t now_ms) {
  const wire::ConsensusMessage& message = entry.record.message;
  switch (message.op) {
    case ConsensusOp::kPend: {
      // Its coordinator's cancel overtook it (a cancel names the round it undoes).
      const bool cancelled = std::any_of(entries_.begin(), entries_.end(), [&](const auto& e) {
        return e.second.record.message.pend_hash == entry.record.message_hash;
      });
      if (cancelled) {
        entry.undone = true;
        return Sign(entry, Phase::kPromise, VoteType::kReject, "cancelled by its coordinator");
      }
      Result<transactor::PendResult> pended = transactor::ValidateAndPend(repository_, *message.pend);
      if (!pended) {
        return Sign(entry, Phase::kPromise, VoteType::kReject,
                    "storage: " + pended.error().ToString());
      }
      entry.pend = *pended;
      if (const transactor::StaleFailure* failure = FailureOf(*pended)) {
        return Sign(entry, Phase::kPromise, VoteType::kReject, DescribeStale(*failure));
      }
      entry.executed = true;
      return Sign(entry, Phase::kPromise, VoteType::kApprove);
    }
    case ConsensusOp::kCancel: {
      transactor::ActionBlocks cancel = *message.cancel;
      if (message.pend_hash) {
        // Blocks another pend round of the action pended here stay pended: the writer retried
        // the failed round this cancel undoes through another coordinator.
        if (auto undone = entries_.find(*message.pend_hash); undone != entries_.end()) {
          undone->second.undone = true;
        }
        for (const auto& [hash, other] : entries_) {
          if (other.record.message.op != ConsensusOp::kPend || !other.executed || other.undone ||
              other.record.message.pend->action_id != cancel.action_id) {
            continue;
          }
          const std::vector<BlockId> kept = other.record.message.BlockIds();
          std::erase_if(cancel.block_ids, [&](const BlockId& id) {
            return std::find(kept.begin(), kept.end(), id) != kept.end();
          });
        }
      }
      // A commit of the action this member holds may still be decided (its writer was told it
      // failed, and cancels): its pending records stay until the commit is applied or given up.
      // The refusal makes the writer's transactor send the cancel again later.
      for (const auto& [hash, held] : entries_) {
        if (held.record.message.op == ConsensusOp::kCommit && Holds(held) &&
            held.record.message.commit->action_id == cancel.action_id &&
            Overlaps(held.record.message.BlockIds(), cancel.block_ids)) {
          return Sign(entry, Phase::kPromise, VoteType::kReject,
                      "a commit of " + cancel.action_id + " is in flight: " + hash);
        }
      }
      Status cancelled =
          cancel.block_ids.empty() ? Status::Ok() : repository_.Cancel(cancel);
      if (!cancelled.ok()) {
        return Sign(entry, Phase::kPromise, VoteType::kReject, "storage: " + cancelled.ToString());
      }
      entry.executed = true;
      return Sign(entry, Phase::kPromise, VoteType::kApprove);
    }
    case ConsensusOp::kCommit:
      return PromiseCommit(entry, now_ms);
  }
  return Status::Internal("cluster record " + entry.record.message_hash + ": unknown op");
}

Result<wire::Vote> ClusterMember::PromiseCommit(Entry& entry, int64_t now_ms) {
  const std::vector<BlockId> blocks = entry.record.message.BlockIds();
  // A commit's priority is that of its action's pend as this member took it (0 if unknown).
  auto priority_of = [&](const Entry& commit) {
    uint32_t priority = 0;
    for (const auto& [hash, pend] : entries_) {
      if (pend.record.message.op == ConsensusOp::kPend && pend.executed &&
          pend.record.message.pend->action_id == commit.record.message.commit->action_id) {
        priority = std::max(priority, pend.record.message.pend->priority.value_or(0));
      }
    }
    return priority;
  };
  const uint32_t priority = priority_of(entry);
  std::vector<Entry*> beaten;
  for (auto& [other_hash, rival] : entries_) {
    if (&rival == &entry || !Holds(rival) || !Overlaps(rival.record.message.BlockIds(), blocks)) {
      continue;
    }
    // A commit retried through another coordinator is a new record of the same action (perhaps
    // over other blocks of it): not a rival, so the retry is not refused while the first
    // round's promises are still held.
    if (rival.record.message.commit->action_id == entry.record.message.commit->action_id &&
        rival.record.message.commit->rev == entry.record.message.commit->rev) {
      continue;
    }
    // A holder whose coordinator went quiet may still be decided by the commit votes others
    // gave it: it yields only race_stale_ms after its expiration, once the voters' Recover had
    // the chance to collect this member's late vote (Advance) and finish it.
    const bool quiet = now_ms > static_cast<int64_t>(rival.record.message.expiration_ms) +
                                    options_.race_stale_ms;
    if (VotedToCommit(rival) ||
        (!quiet && !Beats(entry.record, priority, rival.record, priority_of(rival)))) {
      entry.released = true;
      return Sign(entry, Phase::kPromise, VoteType::kConflict, rival.record.message_hash);
    }
    beaten.push_back(&rival);
  }
  Result<transactor::CommitResult> check = repository_.CheckCommit(*entry.record.message.commit);
  if (!check) {
    return Sign(entry, Phase::kPromise, VoteType::kReject, "storage: " + check.error().ToString());
  }
  if (const transactor::StaleFailure* failure = FailureOf(*check)) {
    entry.commit = *check;
    entry.released = true;
    return Sign(entry, Phase::kPromise, VoteType::kReject, DescribeStale(*failure));
  }
  std::map<BlockId, uint64_t> heads;
  for (const BlockId& id : blocks) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<transactor::ActionRev> latest,
                                repository_.Latest(id));
    heads[id] = latest ? latest->rev : 0;
  }
  for (Entry* rival : beaten) {
    Release(*rival);
  }
  return Sign(entry, Phase::kPromise, VoteType::kApprove, "", std::move(heads));
}

Status ClusterMember::Execute(Entry& entry) {
  const transactor::CommitRequest& commit = *entry.record.message.commit;
  std::map<BlockId, uint64_t> bases;  // the highest head any approving promise reported
  for (const auto& [peer, vote] : entry.record.promises) {
    if (vote.type != VoteType::kApprove) {
      continue;
    }
    for (const auto& [id, rev] : vote.heads) {
      bases[id] = std::max(bases[id], rev);
    }
  }
  for (const BlockId& id : entry.record.message.BlockIds()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<transactor::ActionRev> latest,
                                repository_.Latest(id));
    if (latest && latest->action_id == commit.action_id) {
      continue;
    }
    uint64_t here = latest ? latest->rev : 0;
    Status caught = Status::Ok();
    if (here < bases[id]) {
      caught = CatchUp(entry, id, here, bases[id], /*through_action=*/false);
      here = bases[id];
    }
    if (caught.ok()) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(core::repository::ActionRecord held,
                                  repository_.RecordOf(id, commit.action_id));
      if (held == core::repository::ActionRecord::kNone) {
        // This replica missed the pend (a quorum took it): the action itself comes from a peer
        // that applied the decision.
        caught = CatchUp(entry, id, here, commit.rev, /*through_action=*/true);
      }
    }
    if (!caught.ok()) {
      if (events_.on_divergence) {
        events_.on_divergence("behind on block " + id + " (rev " + std::to_string(here) +
                              ", cluster at " + std::to_string(bases[id]) + "), not applying " +
                              commit.action_id + " yet: " + caught.ToString());
      }
      // The record stays unfinished and locked: the coordinator's retries and Recover try
      // again, and a later action must not be applied over the missing one (invariant L).
      return caught;
    }
  }
  Result<transactor::CommitResult> committed = repository_.Commit(commit);
  if (!committed) {
    return committed.error().WithContext("applying decided commit " + commit.action_id);
  }
  entry.commit = *committed;
  if (const transactor::StaleFailure* failure = FailureOf(*committed)) {
    if (events_.on_divergence) {
      events_.on_divergence("decided commit " + commit.action_id + " at rev " +
                            std::to_string(commit.rev) + " refused here: " +
                            DescribeStale(*failure));
    }
  } else {
    entry.executed = true;
    // Rivals at this rev or below on these blocks can never be decided now: their locks go.
    const std::vector<BlockId> blocks = entry.record.message.BlockIds();
    for (auto& [hash, rival] : entries_) {
      if (&rival != &entry && Holds(rival) && rival.record.message.commit->rev <= commit.rev &&
          rival.record.message.commit->action_id != commit.action_id &&
          Overlaps(rival.record.message.BlockIds(), blocks)) {
        OPTIMYSTIC_RETURN_IF_ERROR(Finish(rival));
      }
    }
  }
  Release(entry);
  return Status::Ok();
}

Status ClusterMember::CatchUp(Entry& entry, const BlockId& block_id, uint64_t from, uint64_t to,
                              bool through_action) {
  const transactor::CommitRequest& commit = *entry.record.message.commit;
  std::string last_error = "no peer reported rev " + std::to_string(to);
  for (const wire::ClusterPeer& member : entry.record.peers) {
    const std::string& peer = member.peer_id;
    auto vote = entry.record.promises.find(peer);
    if (peer == self_) {
      continue;
    }
    if (!through_action) {
      // A peer whose promise reported the head holds everything up to it.
      if (vote == entry.record.promises.end() || vote->second.type != VoteType::kApprove) {
        continue;
      }
      auto head = vote->second.heads.find(block_id);
      if (head == vote->second.heads.end() || head->second < to) {
        continue;
      }
    }
    Result<std::vector<ActionTransforms>> history = peers_.HistoryOf(peer, block_id, from);
    if (!history) {
      last_error = history.error().ToString();
      continue;
    }
    if (through_action &&
        std::none_of(history->begin(), history->end(), [&](const ActionTransforms& a) {
          return a.action_id == commit.action_id && a.rev == commit.rev;
        })) {
      last_error = peer + " has not applied " + commit.action_id;
      continue;
    }
    size_t replayed = 0;
    Status applied = Status::Ok();
    for (const ActionTransforms& action : *history) {
      const bool own = action.action_id == commit.action_id;
      if (!action.rev || *action.rev > to || (own && !through_action)) {
        continue;
      }
      applied = ReplayAction(block_id, action, peer);
      if (!applied.ok()) {
        break;
      }
      ++replayed;
    }
    if (applied.ok()) {
      if (events_.on_catch_up) {
        events_.on_catch_up(block_id, replayed);
      }
      return Status::Ok();
    }
    last_error = applied.ToString();
  }
  return Status::Unavailable("cannot catch up block " + block_id + ": " + last_error);
}

Status ClusterMember::ReplayAction(const BlockId& block_id, const ActionTransforms& action,
                                   const std::string& from) {
  transactor::PendRequest pend;
  pend.action_id = action.action_id;
  pend.rev = action.rev;
  pend.transforms = action.transforms;
  Result<transactor::PendResult> pended = repository_.Pend(pend);
  Result<transactor::CommitResult> committed =
      pended && FailureOf(*pended) == nullptr
          ? repository_.Commit(transactor::CommitRequest{{block_id}, action.action_id, *action.rev,
                                                         block_id, std::nullopt})
          : Result<transactor::CommitResult>(Status::Aborted(
                "replaying " + action.action_id + ": " +
                (pended ? DescribeStale(*FailureOf(*pended)) : pended.error().ToString())));
  if (transactor::CommitFailed(committed)) {
    return Status::Aborted("replaying " + action.action_id + " from " + from + ": " +
                           transactor::DescribeCommit(committed));
  }
  return Status::Ok();
}

Result<size_t> ClusterMember::Repair(const BlockId& block_id,
                                     const std::vector<ActionTransforms>& actions) {
  std::lock_guard lock(mu_);
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<transactor::ActionRev> latest,
                              repository_.Latest(block_id));
  size_t replayed = 0;
  for (const ActionTransforms& action : actions) {
    if (!action.rev) {
      return Status::InvalidArgument("repairing block " + block_id + ": action " +
                                     action.action_id + " has no rev");
    }
    if (latest && *action.rev <= latest->rev) {
      continue;  // held here already (or past): a replica is never moved backward
    }
    OPTIMYSTIC_RETURN_IF_ERROR(ReplayAction(block_id, action, "repair"));
    latest = transactor::ActionRev{action.action_id, *action.rev};
    ++replayed;
  }
  return replayed;  // the caller reports it (on_catch_up is consensus's own catch-up)
}

void ClusterMember::Release(Entry& entry) { entry.released = true; }

bool ClusterMember::Holds(const Entry& entry) const {
  if (entry.finished || entry.released || entry.record.message.op != ConsensusOp::kCommit) {
    return false;
  }
  auto promise = entry.record.promises.find(self_);
  return VotedToCommit(entry) ||
         (promise != entry.record.promises.end() && promise->second.type == VoteType::kApprove);
}

Status ClusterMember::Finish(Entry& entry) {
  entry.finished = true;
  Release(entry);
  if (!entry.stored) {
    return Status::Ok();
  }
  storage::WriteBatch batch;
  batch.Delete(VoteKey(entry.record.message_hash));
  OPTIMYSTIC_RETURN_IF_ERROR(engine_.Write(batch, storage::WriteOptions{false}));
  entry.stored = false;
  return Status::Ok();
}

Status ClusterMember::Store(Entry& entry) {
  storage::WriteBatch batch;
  batch.Put(VoteKey(entry.record.message_hash),
            block::EncodeValue(wire::ClusterUpdateToPayload(entry.record)));
  OPTIMYSTIC_RETURN_IF_ERROR(engine_.Write(batch, storage::WriteOptions{true}));
  entry.stored = true;
  return Status::Ok();
}

void ClusterMember::Sweep(int64_t now_ms) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& entry = it->second;
    // A promise never followed by this member's commit vote is given up once it would yield
    // to a rival anyway: it never votes then, so the voters' Recover can decide without it,
    // and its writer's cancel can take the blocks' pending records (a decision that still
    // comes is applied: the record is released, not finished).
    if (!entry.finished && !entry.released && entry.record.message.op == ConsensusOp::kCommit &&
        !VotedToCommit(entry) &&
        now_ms >
            static_cast<int64_t>(entry.record.message.expiration_ms) + options_.race_stale_ms) {
      Release(entry);
    }
    const bool old = static_cast<uint64_t>(std::max<int64_t>(now_ms - options_.done_keep_ms, 0)) >
                     entry.record.message.expiration_ms;
    // A commit this member voted for stays until it is finished: its vote must not be forgotten.
    if (old && (entry.finished || !VotedToCommit(entry))) {
      Release(entry);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

Result<wire::Vote> ClusterMember::Sign(const Entry& entry, Phase phase, VoteType type,
                                       std::string reason,
                                       std::map<BlockId, uint64_t> heads) {
  wire::Vote vote;
  vote.type = type;
  vote.reason = std::move(reason);
  vote.heads = std::move(heads);
  return SignVote(key_, entry.record.message_hash, phase, std::move(vote));
}

wire::ClusterUpdateOk ClusterMember::Reply(const Entry& entry) const {
  return wire::ClusterUpdateOk{entry.record, entry.executed, entry.pend, entry.commit};
}

bool ClusterMember::VotedToCommit(const Entry& entry) const {
  auto vote = entry.record.commits.find(self_);
  return vote != entry.record.commits.end() && vote->second.type == VoteType::kApprove;
}

void ClusterMember::Recover() {
  std::vector<wire::ClusterRecord> todo;
  {
    std::lock_guard lock(mu_);
    const int64_t now = clock_.NowUnixMs();
    Sweep(now);
    for (const auto& [hash, entry] : entries_) {
      if (!entry.finished && VotedToCommit(entry) &&
          static_cast<uint64_t>(now) > entry.record.message.expiration_ms) {
        todo.push_back(entry.record);
      }
    }
  }
  for (const wire::ClusterRecord& record : todo) {
    size_t unanswered = 0;
    bool applied_elsewhere = false;
    std::vector<wire::ClusterRecord> copies;
    for (const wire::ClusterPeer& peer : record.peers) {
      if (peer.peer_id == self_) {
        continue;
      }
      Result<wire::ClusterUpdateOk> reply = peers_.Update(peer.peer_id, record);
      if (!reply) {
        ++unanswered;
        continue;
      }
      applied_elsewhere = applied_elsewhere || reply->executed;
      copies.push_back(std::move(reply->record));
    }
    std::lock_guard lock(mu_);
    auto it = entries_.find(record.message_hash);
    if (it == entries_.end() || it->second.finished) {
      continue;
    }
    Entry& entry = it->second;
    for (const wire::ClusterRecord& copy : copies) {
      MergeVotes(entry, copy);
    }
    const size_t commit_quorum = CommitQuorum(entry.record.peers.size());
    const size_t approvals = Count(entry.record.commits).approvals;
    Status done = Status::Ok();
    if (approvals >= commit_quorum || applied_elsewhere) {
      done = Execute(entry);
      if (done.ok()) {
        done = Finish(entry);
      }
    } else if (approvals + unanswered < commit_quorum) {
      // Too few peers could have voted to commit it, and no one votes on it any more.
      Release(entry);
      done = Finish(entry);
    }
    if (!done.ok() && events_.on_divergence) {
      events_.on_divergence("finishing " + record.message_hash + ": " + done.ToString());
    }
  }
}

Result<std::vector<ActionTransforms>> ClusterMember::History(const BlockId& block_id,
                                                             uint64_t after_rev) {
  return repository_.History(block_id, after_rev);
}

size_t ClusterMember::active() const {
  std::lock_guard lock(mu_);
  return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(),
                                           [](const auto& e) { return !e.second.finished; }));
}

}  // namespace optimystic::cluster::consensus
