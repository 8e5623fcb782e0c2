// SPDX-License-Identifier: Apache-2.0
// ClusterMember: one peer's part in the consensus of the clusters it belongs to (SPEC.md §7.4
// "Member algorithm"). Update merges a record ("cluster.update"), adds this member's signed votes
// where they are due, and applies the operation to this node's repository once it is decided.
// - Votes are checked: a vote from a peer outside the record's cluster, or whose signature does
//   not verify against the key the record declares for it, is dropped and reported. The record's
//   cluster must be the one this node places the message's first block on, keys included.
// - Pend and cancel take one phase: the member applies them when it promises (a pend's promise is
//   its pending record, as on a single node; a stale pend is a rejection carrying the refusal).
//   A coordinator's cancel of its own failed pend round names the round: it leaves the blocks
//   another, not cancelled, pend round of the action pended here (the writer's retry through
//   another coordinator), and a pend round that arrives after its cancel is refused. A cancel
//   of blocks a commit of the action holds here is refused until that commit is applied or
//   given up (the writer cancels when told a commit failed, which a quorum may still decide).
// - A commit promise this member never followed with its commit vote is released
//   race_stale_ms after the record's expiration (it never votes then).
// - Commit takes two. The promise checks the commit against the repository (CheckCommit) and
//   holds a lock on its blocks: while this member holds a promise for one commit it promises no
//   other on those blocks (it votes "conflict" naming the holder; a record of the same commit,
//   as a coordinator's retry makes, is no rival and is promised too), unless the rival beats the
//   holder (more approvals, then the higher priority of its pend, then the higher hash) or the
//   holder expired race_stale_ms ago, and never once it voted to commit the holder. With a
//   promise quorum of approvals it signs a commit vote; with a commit quorum of commit votes it
//   commits. Each member votes to commit at most one of two rival commits, and each is decided
//   by a majority of such votes, so two rival commits are never both decided.
// - A holder signs its commit vote even after the expiration: when a coordinator dies after
//   some members voted to commit, their Recover collects the holders' votes and decides the
//   record, where otherwise the blocks would stay locked until the coordinator came back. A
//   member that gave way (released) never votes to commit, so a member that answered Recover
//   without a vote never votes later, and giving a record up stays safe.
// - Before voting to commit it writes the record to its storage engine (synced, under keys
//   "v/<hash>"), so that a restarted node remembers the votes it gave; Recover finishes them.
// - At most once: a record is applied once per message hash; a record stays known until
//   done_keep_ms past its expiration, and an expired record gets no new promises.
// - A replica that missed commits (its latest rev of a block is below the highest head among the
//   approving promises) first replays the missing actions from a peer at that head
//   (ConsensusPeers::HistoryOf); one that missed the pend of the decided action itself replays
//   it from a peer that applied it. When it cannot yet, it reports the divergence and keeps the
//   record unfinished (and its blocks locked), so the coordinator's retries and Recover try
//   again; it never applies a later action over a missing one.
// Thread-safety: every method may be called from any thread at once (one lock; storage writes
// and catch-up calls are made under it).
// Errors: Update is InvalidArgument for a record whose hashes do not match or that does not name
// this node; storage errors come back as they are.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/storage/storage_engine.h>
#include <optimystic/time/clock.h>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/consensus/consensus_peers.h"
#include "cluster/consensus/record.h"
#include "cluster/identity/node_key.h"
#include "core/repository/repository.h"

namespace optimystic::cluster::consensus {

struct MemberOptions {
  uint32_t promise_quorum = 0;     // 0: ceil(0.75·n) (record.h)
  // A promised, not commit-voted commit yields to a rival this long after its expiration.
  int64_t race_stale_ms = 2000;
  int64_t done_keep_ms = 60'000;   // how long past its expiration a record is remembered
};

struct MemberEvents {
  // A vote was dropped: reason "bad-signature" or "non-member".
  std::function<void(std::string_view reason, const std::string& peer)> on_vote_refused;
  // This member fell behind, or could not apply a decided operation; `what` says which.
  std::function<void(const std::string& what)> on_divergence;
  // A lagging replica replayed `actions` missed actions on `block_id`.
  std::function<void(const std::string& block_id, size_t actions)> on_catch_up;
};

class ClusterMember final {
 public:
  // Loads the records this node voted to commit before it stopped (keys "v/..." of `engine`).
  // OWNERSHIP: `key`, `repository`, `engine`, `peers` and `clock` must outlive the member.
  static Result<std::unique_ptr<ClusterMember>> Open(std::string self, const identity::NodeKey& key,
                                                     core::repository::Repository& repository,
                                                     storage::StorageEngine& engine,
                                                     ConsensusPeers& peers, const time::Clock& clock,
                                                     MemberOptions options = {},
                                                     MemberEvents events = {});

  Result<wire::ClusterUpdateOk> Update(const wire::ClusterRecord& incoming);

  // Finishes the commits this member voted for whose record expired undecided here: it gathers
  // the other peers' copies; it commits when a commit quorum voted or a peer has applied it, and
  // gives it up when too few peers could have voted; otherwise it keeps it for the next round.
  // The node calls it every second.
  void Recover();

  // This node's committed history of a block, for a peer that missed it (repo.history).
  Result<std::vector<transactor::ActionTransforms>> History(const transactor::BlockId& block_id,
                                                            uint64_t after_rev);

  // Replays `actions` (committed actions of `block_id`, ascending rev, which the caller had
  // corroborated by other replicas: cluster/repair) whose rev is above this node's latest, each
  // pended then committed at its rev, under the member's lock so that no decided commit is
  // applied in between. An action at or below the latest is skipped: a replica is never moved
  // backward. Returns how many were replayed; stops at the first that does not apply (Aborted).
  Result<size_t> Repair(const transactor::BlockId& block_id,
                        const std::vector<transactor::ActionTransforms>& actions);

  // Records held and not yet finished; for tests and status.
  size_t active() const;
  const std::string& self() const noexcept { return self_; }

 private:
  struct Entry {
    wire::ClusterRecord record;
    bool released = false;  // gave way to a rival or was refused: never votes to commit
    bool finished = false;  // applied, or decided against
    bool executed = false;
    bool stored = false;    // its "v/" key is written
    bool undone = false;    // a pend its coordinator cancelled (a cancel naming its hash)
    std::optional<transactor::PendResult> pend;
    std::optional<transactor::CommitResult> commit;
  };

  ClusterMember(std::string self, const identity::NodeKey& key,
                core::repository::Repository& repository, storage::StorageEngine& engine,
                ConsensusPeers& peers, const time::Clock& clock, MemberOptions options,
                MemberEvents events);

  // Adds the valid votes of `from` that `into` lacks (the first vote seen of a peer stays).
  // REQUIRES: mu_ held.
  void MergeVotes(Entry& into, const wire::ClusterRecord& from);
  // Runs the member's phases to a fixpoint. REQUIRES: mu_ held.
  Status Advance(Entry& entry, int64_t now_ms);
  Result<wire::Vote> Promise(Entry& entry, int64_t now_ms);
  Result<wire::Vote> PromiseCommit(Entry& entry, int64_t now_ms);
  Status Execute(Entry& entry);
  // Replays block_id's committed actions after `from` up to `to` from a peer: one whose promise
  // reported a head at `to`, or (through_action) any peer whose history holds the entry's own
  // action at its rev, which is replayed too.
  Status CatchUp(Entry& entry, const transactor::BlockId& block_id, uint64_t from, uint64_t to,
                 bool through_action);
  // Pends then commits one of a peer's committed actions on `block_id`. REQUIRES: mu_ held.
  Status ReplayAction(const transactor::BlockId& block_id,
                      const transactor::ActionTransforms& action, const std::string& from);
  Status Admit(const wire::ClusterRecord& record);
  void Release(Entry& entry);
  Status Finish(Entry& entry);
  Status Store(Entry& entry);
  void Sweep(int64_t now_ms);
  Result<wire::Vote> Sign(const Entry& entry, Phase phase, wire::VoteType type,
                          std::string reason = "", std::map<transactor::BlockId, uint64_t> heads = {});
  wire::ClusterUpdateOk Reply(const Entry& entry) const;
  bool VotedToCommit(const Entry& entry) const;
  // Whether `entry` is a live commit this member promised (or voted for): a lock on its blocks.
  bool Holds(const Entry& entry) const;

  const std::string self_;
  const identity::NodeKey& key_;
  core::repository::Repository& repository_;
  storage::StorageEngine& engine_;
  ConsensusPeers& peers_;
  const time::Clock& clock_;
  const MemberOptions options_;
  const MemberEvents events_;

  mutable std::mutex mu_;
  // By message hash. The commits an entry Holds are this member's locks on their blocks.
  std::map<std::string, Entry> entries_;
};

}  // namespace optimystic::cluster::consensus
