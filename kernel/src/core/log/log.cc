// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/codec.h>
#include <optimystic/log/log.h>

#include "core/log/log_format.h"

#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace optimystic::log {
namespace {

using block::BlockId;
using block::ReadPurpose;
using block::Value;
using transactor::ActionContext;
using transactor::ActionRev;

// The entry at `path`, decoded; Corruption naming the block and index otherwise.
Result<LogEntry> EntryAt(const chain::ChainPath& path) {
  const Value* value = path.At();
  Result<LogEntry> entry = value != nullptr
                               ? LogEntryFromValue(*value)
                               : Result<LogEntry>(Status::Corruption("no entry at this path"));
  if (!entry) {
    return entry.error().WithContext("block " + path.block_id + " entry " +
                                     std::to_string(path.index));
  }
  return entry;
}

Status StampPriorHash(Value& new_block, const Value& predecessor) {
  new_block[kPriorHashMember] = PriorHashOf(predecessor);
  return Status::Ok();
}

// What a backward walk from the tail gathered (SPEC.md §4.4).
struct Recent {
  std::optional<ActionContext> context;  // absent for an empty log
  std::vector<ActionEntry> entries;      // action entries with rev > start, newest first
};

// Walks back from the tail to the most recent checkpoint, and further while entries are newer
// than `start_rev` (none are wanted when it is nullopt). Revs decrease along the walk, so the
// first entry at or below start_rev past the checkpoint ends it.
Result<Recent> WalkBack(const chain::Chain& chain, std::optional<uint64_t> start_rev) {
  Recent out;
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<chain::ChainPath> tail, chain.Tail());
  if (!tail.has_value() || !tail->IsValid()) {
    return out;  // the tail block has no entries
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(chain::ChainCursor cursor,
                              chain.SelectFrom(*tail, chain::Direction::kBackward));
  const uint64_t start = start_rev.value_or(std::numeric_limits<uint64_t>::max());
  std::optional<uint64_t> tail_rev;
  std::optional<std::vector<ActionRev>> checkpointed;  // the latest checkpoint's pendings
  std::vector<ActionRev> after;                        // actions after it, newest first
  while (true) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<chain::ChainPath> path, cursor.Next());
    if (!path.has_value()) {
      break;
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(LogEntry entry, EntryAt(*path));
    if (!tail_rev.has_value()) {
      tail_rev = entry.rev;
    }
    if (entry.action.has_value()) {
      if (!checkpointed.has_value()) {
        after.push_back(ActionRev{entry.action->action_id, entry.rev});
      }
      if (entry.rev > start) {
        out.entries.push_back(std::move(*entry.action));
      }
    } else if (entry.checkpoint.has_value() && !checkpointed.has_value()) {
      checkpointed = std::move(entry.checkpoint->pendings);
    }
    if (checkpointed.has_value() && entry.rev <= start) {
      break;
    }
  }
  ActionContext context;
  context.rev = *tail_rev;
  context.committed = checkpointed.value_or(std::vector<ActionRev>());
  context.committed.insert(context.committed.end(), after.rbegin(), after.rend());
  out.context = std::move(context);
  return out;
}

// "log <header>: block <id> (position <n>): <what>".
Status Broken(const BlockId& header_id, const BlockId& id, size_t position, std::string_view what) {
  return Status::Corruption("log " + header_id + ": block " + id + " (position " +
                            std::to_string(position) + "): " + std::string(what));
}

// The data block `id` of the log being verified; Corruption when it is missing or malformed.
Result<Value> LoadForVerify(block::BlockStore& store, const BlockId& header_id, const BlockId& id,
                            size_t position) {
  Result<std::optional<Value>> got = store.TryGet(id, ReadPurpose::kValue);
  if (!got) {
    return got.error().WithContext("log " + header_id + ": read block " + id);
  }
  if (!got->has_value()) {
    return Broken(header_id, id, position, "linked block is missing");
  }
  if (Status valid = chain::ValidateDataBlock(**got); !valid.ok()) {
    return Broken(header_id, id, position, valid.message());
  }
  return std::move(**got);
}

// The real head of the log: the header's headId is a hint, so walk priorId to the end.
Result<Value> FindHead(block::BlockStore& store, const BlockId& header_id, const BlockId& hint) {
  std::set<BlockId> seen;
  OPTIMYSTIC_ASSIGN_OR_RETURN(Value block, LoadForVerify(store, header_id, hint, 0));
  for (std::optional<BlockId> prior = chain::LinkOf(block, chain::kPriorIdMember); prior;
       prior = chain::LinkOf(block, chain::kPriorIdMember)) {
    if (!seen.insert(chain::IdOf(block)).second) {
      return Broken(header_id, chain::IdOf(block), 0, "priorId links form a ring");
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(block, LoadForVerify(store, header_id, *prior, 0));
  }
  return block;
}

// Checks one data block at `position` after `prior` (null for the head): its link back, its
// priorHash and its entries.
Status VerifyBlock(const BlockId& header_id, const Value& block, const Value* prior,
                   size_t position) {
  const BlockId& id = chain::IdOf(block);
  if (prior != nullptr) {
    if (chain::LinkOf(block, chain::kPriorIdMember) != chain::IdOf(*prior)) {
      return Broken(header_id, id, position,
                    "priorId does not name the previous block " + chain::IdOf(*prior));
    }
    auto stamp = block.find(kPriorHashMember);
    if (stamp == block.end() || !stamp->is_string()) {
      return Broken(header_id, id, position, "missing priorHash");
    }
    if (*stamp->get_ptr<const std::string*>() != PriorHashOf(*prior)) {
      // Either this stamp or the predecessor's content was changed; the link is what broke.
      return Broken(header_id, id, position,
                    "priorHash mismatch (it is not the hash of block " + chain::IdOf(*prior) + ")");
    }
  }
  const Value& entries = chain::EntriesOf(block);
  for (size_t i = 0; i < entries.size(); ++i) {
    Result<LogEntry> entry = LogEntryFromValue(entries[i]);
    if (!entry) {
      return Broken(header_id, id, position,
                    "entry " + std::to_string(i) + ": " + std::string(entry.error().message()));
    }
  }
  return Status::Ok();
}

}  // namespace

std::string PriorHashOf(const Value& predecessor) {
  return block::ContentHash(chain::LinkFreePayload(predecessor));
}

chain::ChainOptions LogChainOptions(size_t entries_per_block) {
  chain::ChainOptions options;
  options.header_type = block::BlockType(kLogHeaderType);
  options.data_type = block::BlockType(kLogDataType);
  options.entries_per_block = entries_per_block;
  options.new_block = StampPriorHash;
  return options;
}

Result<Log> Log::Create(block::BlockStore& store, const std::optional<BlockId>& id,
                        size_t entries_per_block) {
  chain::CreateOptions create;
  create.new_id = id;
  Result<chain::Chain> chain =
      chain::Chain::Create(store, create, LogChainOptions(entries_per_block));
  if (!chain) {
    return chain.error().WithContext("create log");
  }
  return Log(std::move(*chain));
}

Result<std::optional<Log>> Log::Open(block::BlockStore& store, const BlockId& header_id,
                                     size_t entries_per_block) {
  Result<std::optional<chain::Chain>> chain =
      chain::Chain::Open(store, header_id, LogChainOptions(entries_per_block));
  if (!chain) {
    return chain.error().WithContext("open log " + header_id);
  }
  if (!chain->has_value()) {
    return std::optional<Log>();
  }
  return std::optional<Log>(Log(std::move(**chain)));
}

Result<AppendResult> Log::AddActions(std::vector<Value> actions, transactor::ActionId action_id,
                                     uint64_t rev,
                                     const std::function<std::vector<BlockId>()>& block_ids,
                                     std::vector<std::string> collection_ids,
                                     std::optional<std::vector<ReadDependency>> reads,
                                     int64_t timestamp_ms) const {
  LogEntry entry;
  entry.timestamp_ms = timestamp_ms;
  entry.rev = rev;
  entry.action = ActionEntry{
      std::move(action_id), std::move(actions), {}, std::move(collection_ids), std::move(reads)};
  // SPEC.md §4.2: append first, so that block_ids() sees the log blocks the append dirtied.
  Result<chain::ChainPath> path = chain_.Add({LogEntryToValue(entry)});
  if (!path) {
    return path.error().WithContext("log " + id());
  }
  if (block_ids) {
    entry.action->block_ids = block_ids();
  }
  path = chain_.UpdateAt(*path, LogEntryToValue(entry));
  if (!path) {
    return path.error().WithContext("log " + id());
  }
  return AppendResult{std::move(entry), path->block_id};
}

Result<AppendResult> Log::AddCheckpoint(std::vector<ActionRev> pendings, uint64_t rev,
                                        int64_t timestamp_ms) const {
  LogEntry entry;
  entry.timestamp_ms = timestamp_ms;
  entry.rev = rev;
  entry.checkpoint = CheckpointEntry{std::move(pendings)};
  Result<chain::ChainPath> path = chain_.Add({LogEntryToValue(entry)});
  if (!path) {
    return path.error().WithContext("log " + id());
  }
  return AppendResult{std::move(entry), path->block_id};
}

Result<std::optional<ActionContext>> Log::GetActionContext() const {
  Result<Recent> recent = WalkBack(chain_, std::nullopt);
  if (!recent) {
    return recent.error().WithContext("log " + id());
  }
  return std::move(recent->context);
}

Result<LogSince> Log::GetFrom(uint64_t start_rev) const {
  Result<Recent> recent = WalkBack(chain_, start_rev);
  if (!recent) {
    return recent.error().WithContext("log " + id());
  }
  LogSince out;
  out.context = std::move(recent->context);
  out.entries.assign(std::make_move_iterator(recent->entries.rbegin()),
                     std::make_move_iterator(recent->entries.rend()));
  return out;
}

Result<std::vector<LogEntry>> Log::Select(chain::Direction direction) const {
  std::vector<LogEntry> out;
  Status status = [&]() -> Status {
    OPTIMYSTIC_ASSIGN_OR_RETURN(chain::ChainCursor cursor, chain_.Select(direction));
    while (true) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<chain::ChainPath> path, cursor.Next());
      if (!path.has_value()) {
        return Status::Ok();
      }
      OPTIMYSTIC_ASSIGN_OR_RETURN(LogEntry entry, EntryAt(*path));
      out.push_back(std::move(entry));
    }
  }();
  if (!status.ok()) {
    return status.WithContext("log " + id());
  }
  return out;
}

Status VerifyLog(block::BlockStore& store, const BlockId& header_id) {
  Result<std::optional<Value>> header = store.TryGet(header_id, ReadPurpose::kValue);
  if (!header) {
    return header.error().WithContext("log " + header_id);
  }
  if (!header->has_value()) {
    return Status::NotFound("log " + header_id + ": no such block");
  }
  Result<std::optional<chain::ChainEnds>> ends = chain::EndsOf(**header);
  if (!ends) {
    return ends.error().WithContext("log " + header_id);
  }
  if (!ends->has_value()) {
    return Status::NotFound("log " + header_id + ": the block heads no chain");
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(Value block, FindHead(store, header_id, (*ends)->head_id));
  std::optional<Value> prior;
  std::set<BlockId> seen;
  for (size_t position = 0;; ++position) {
    if (!seen.insert(chain::IdOf(block)).second) {
      return Broken(header_id, chain::IdOf(block), position, "nextId links form a ring");
    }
    OPTIMYSTIC_RETURN_IF_ERROR(
        VerifyBlock(header_id, block, prior.has_value() ? &*prior : nullptr, position));
    std::optional<BlockId> next = chain::LinkOf(block, chain::kNextIdMember);
    if (!next.has_value()) {
      return Status::Ok();
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(Value successor,
                                LoadForVerify(store, header_id, *next, position + 1));
    prior = std::move(block);
    block = std::move(successor);
  }
}

}  // namespace optimystic::log
