// SPDX-License-Identifier: Apache-2.0
// Log (SPEC.md §4): a collection's append-only, hash-linked record of its actions. A Log is a
// Chain (data blocks of type LGD) whose entries are LogEntry values; a collection log uses the
// collection's header as the chain header. Every data block after the first carries
// `priorHash` = block::ContentHash of the predecessor block without its nextId/priorId links
// (SHA-256 of its canonical encoding, in base32 like every hash text of this project: SPEC.md
// "Deliberate differences"; the reference writes base64url), stamped through the chain's
// new-block hook when the block is appended; VerifyLog walks head to tail and reports the first
// block whose priorHash does not match. A Log is a handle (store, header id); it caches nothing.
// Invalidation entries (SPEC.md §4.1) are not supported yet: nothing writes them, and an entry
// holding one does not decode.
// Thread-safety: as Chain: reads are as thread-safe as the store, mutations must be serialized
// by the caller (the collection's latch).
// Errors: store errors propagate with "log <id>: " context; entries that do not decode are
// Corruption naming the block and index; VerifyLog returns Corruption "log <id>: block <b>
// (position <n>): priorHash mismatch" (or "missing priorHash") for the first broken link.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/block.h>
#include <optimystic/block/block_store.h>
#include <optimystic/block/value.h>
#include <optimystic/chain/chain.h>
#include <optimystic/transactor/transactor_types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace optimystic::log {

inline constexpr std::string_view kLogDataType = "LGD";
inline constexpr std::string_view kLogHeaderType = "LGH";
inline constexpr const char kPriorHashMember[] = "priorHash";

using transactor::ReadDependency;

struct ActionEntry {
  transactor::ActionId action_id;
  std::vector<block::Value> actions;  // collections::ActionToValue form
  std::vector<block::BlockId> block_ids;
  std::vector<std::string> collection_ids;           // other collections it is conditional on
  std::optional<std::vector<ReadDependency>> reads;  // absent = unknown; empty = read nothing
  bool operator==(const ActionEntry&) const = default;
};

struct CheckpointEntry {
  std::vector<transactor::ActionRev> pendings;  // the full still-uncheckpointed set
  bool operator==(const CheckpointEntry&) const = default;
};

// Exactly one of action / checkpoint is set.
struct LogEntry {
  int64_t timestamp_ms = 0;
  uint64_t rev = 0;
  std::optional<ActionEntry> action;
  std::optional<CheckpointEntry> checkpoint;
  bool operator==(const LogEntry&) const = default;
};

block::Value LogEntryToValue(const LogEntry& entry);
Result<LogEntry> LogEntryFromValue(const block::Value& value);

struct AppendResult {
  LogEntry entry;
  block::BlockId tail_id;  // the log tail block: the commit's critical block (SPEC.md §4.2)
};

struct LogSince {
  std::optional<transactor::ActionContext> context;  // absent for an empty log
  std::vector<ActionEntry> entries;                  // action entries with rev > start, in order
};

class Log final {
 public:
  // A new standalone log with an LGH header (id `id` or fresh). One atomic commit.
  // `entries_per_block` is the chain's (SPEC.md §2.1: 32); tests use small values to make many
  // blocks. It is not persisted: every handle of one log should use the same value.
  // OWNERSHIP: `store` must outlive the Log.
  static Result<Log> Create(block::BlockStore& store,
                            const std::optional<block::BlockId>& id = std::nullopt,
                            size_t entries_per_block = chain::kEntriesPerBlock);
  // The log headed by block `header_id`; nullopt when there is no such block. A header without
  // headId/tailId (a new collection header) gets its first, empty LGD block.
  static Result<std::optional<Log>> Open(block::BlockStore& store, const block::BlockId& header_id,
                                         size_t entries_per_block = chain::kEntriesPerBlock);

  const block::BlockId& id() const { return chain_.id(); }

  // SPEC.md §4.2 addActions: appends the entry with empty blockIds, then fills blockIds with
  // block_ids() (evaluated after the append, so it includes the log blocks the append dirtied)
  // and rewrites the entry.
  Result<AppendResult> AddActions(std::vector<block::Value> actions, transactor::ActionId action_id,
                                  uint64_t rev,
                                  const std::function<std::vector<block::BlockId>()>& block_ids,
                                  std::vector<std::string> collection_ids,
                                  std::optional<std::vector<ReadDependency>> reads,
                                  int64_t timestamp_ms) const;
  Result<AppendResult> AddCheckpoint(std::vector<transactor::ActionRev> pendings, uint64_t rev,
                                     int64_t timestamp_ms) const;

  // SPEC.md §4.4: absent when the tail block has no entries.
  Result<std::optional<transactor::ActionContext>> GetActionContext() const;
  Result<LogSince> GetFrom(uint64_t start_rev) const;
  // Every entry, oldest first (forward) or newest first.
  Result<std::vector<LogEntry>> Select(
      chain::Direction direction = chain::Direction::kForward) const;

 private:
  explicit Log(chain::Chain chain) : chain_(std::move(chain)) {}
  chain::Chain chain_;
};

// The chain options every log uses (LGH headers, LGD data blocks, the priorHash hook).
chain::ChainOptions LogChainOptions(size_t entries_per_block = chain::kEntriesPerBlock);

// The priorHash a block appended after `predecessor` carries: block::ContentHash of
// chain::LinkFreePayload(predecessor).
std::string PriorHashOf(const block::Value& predecessor);

// Walks the log headed by `header_id` from head to tail and checks every priorHash and that
// every entry decodes. OK for an intact log; NotFound when there is no such block or it heads no
// chain; Corruption "log <id>: block <b> (position <n>): ..." for the first broken block
// (position 0 is the head), whether a priorHash mismatch, a missing priorHash, a malformed block
// or an entry that does not decode ("entry <i>: ...").
Status VerifyLog(block::BlockStore& store, const block::BlockId& header_id);

}  // namespace optimystic::log
