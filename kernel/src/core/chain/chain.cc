// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/atomic.h>
#include <optimystic/chain/chain.h>

#include <algorithm>
#include <iterator>
#include <set>
#include <string>
#include <utility>

namespace optimystic::chain {

namespace {

using block::BlockId;
using block::BlockOperation;
using block::BlockStore;
using block::ReadPurpose;
using block::Value;

enum class End : uint8_t { kHead, kTail };

// The header and the real block at one end of the chain.
struct Located {
  Value header;
  ChainEnds ends;
  Value end;
};

std::string Name(std::string_view member) { return std::string(member); }

Result<Value> LoadData(BlockStore& store, const BlockId& id) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(Value block, block::GetBlock(store, id, ReadPurpose::kValue));
  OPTIMYSTIC_RETURN_IF_ERROR(ValidateDataBlock(block));
  return block;
}

// Follows `link` from `block` to the block that has none. The header's end ids are hints that
// may lag (SPEC.md §2.4 getTail), so the real end is found by walking; a ring is Corruption.
Result<Value> WalkToEnd(BlockStore& store, Value block, std::string_view link) {
  std::set<BlockId> seen;
  for (std::optional<BlockId> id = LinkOf(block, link); id; id = LinkOf(block, link)) {
    if (!seen.insert(IdOf(block)).second) {
      return Status::Corruption("block " + IdOf(block) + ": " + Name(link) + " links form a ring");
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(block, LoadData(store, *id));
  }
  return block;
}

// Reads the header and walks to the real `end`; nullopt when the header is absent.
Result<std::optional<Located>> Locate(BlockStore& store, const BlockId& chain_id, End end) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Value> header,
                              store.TryGet(chain_id, ReadPurpose::kValue));
  if (!header.has_value()) {
    return std::optional<Located>();
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<ChainEnds> ends, EndsOf(*header));
  if (!ends.has_value()) {
    return Status::Corruption("header has no headId/tailId (open the chain to initialize it)");
  }
  const bool tail = end == End::kTail;
  OPTIMYSTIC_ASSIGN_OR_RETURN(Value first, LoadData(store, tail ? ends->tail_id : ends->head_id));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      Value real, WalkToEnd(store, std::move(first), tail ? kNextIdMember : kPriorIdMember));
  return std::optional<Located>(Located{std::move(*header), std::move(*ends), std::move(real)});
}

ChainPath PathIn(Value data_block, int64_t index) {
  ChainPath path;
  path.block_id = IdOf(data_block);
  path.index = index;
  path.block = std::make_shared<const Value>(std::move(data_block));
  return path;
}

int64_t LastIndex(const Value& data_block) {
  return static_cast<int64_t>(EntriesOf(data_block).size()) - 1;
}

// Moves entries[from, from+count) into a new array.
Value TakeRange(std::vector<Value>& entries, size_t from, size_t count) {
  Value out = Value::array();
  for (size_t i = from; i < from + count; ++i) {
    out.push_back(std::move(entries[i]));
  }
  return out;
}

Status AssignMember(BlockStore& store, Value& block, std::string_view member, const BlockId& id) {
  return block::ApplyAndRecord(store, block, BlockOperation::Assign(Name(member), id));
}

Status ValidateOptions(const ChainOptions& options) {
  if (options.entries_per_block == 0) {
    return Status::InvalidArgument("chain options: entries_per_block must be at least 1");
  }
  if (options.header_type.empty() || options.data_type.empty()) {
    return Status::InvalidArgument("chain options: block type codes must not be empty");
  }
  return Status::Ok();
}

// A new data block holding `entries`, with priorId `prior` when given and no nextId.
Result<Value> NewDataBlock(BlockStore& store, const ChainOptions& options, Value entries,
                           const std::optional<BlockId>& prior) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockHeader header,
                              store.CreateBlockHeader(options.data_type, std::nullopt));
  Value block = block::MakeBlock(header);
  block[Name(kEntriesMember)] = std::move(entries);
  if (prior.has_value()) {
    block[Name(kPriorIdMember)] = *prior;
  }
  return block;
}

// Appends new blocks holding entries[from..] after `tail` (SPEC.md §2.4 add, step 2); `tail`
// ends as the last of them.
Status AppendBlocks(BlockStore& store, const ChainOptions& options, Value& tail,
                    std::vector<Value>& entries, size_t from) {
  for (size_t pos = from; pos < entries.size();) {
    const size_t count = std::min(options.entries_per_block, entries.size() - pos);
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        Value next, NewDataBlock(store, options, TakeRange(entries, pos, count), IdOf(tail)));
    const BlockId next_id = IdOf(next);
    if (options.new_block) {
      // The predecessor is the running tail, never the tail the Add started from (§10.7).
      Status hooked = options.new_block(next, tail);
      if (!hooked.ok()) {
        return hooked.WithContext("new block hook");
      }
      if (!ValidateDataBlock(next).ok() || IdOf(next) != next_id ||
          LinkOf(next, kPriorIdMember) != IdOf(tail) || LinkOf(next, kNextIdMember)) {
        return Status::InvalidArgument("new block hook changed the block's header or links");
      }
    }
    OPTIMYSTIC_RETURN_IF_ERROR(store.Insert(next));
    OPTIMYSTIC_RETURN_IF_ERROR(AssignMember(store, tail, kNextIdMember, next_id));
    tail = std::move(next);
    pos += count;
  }
  return Status::Ok();
}

// What Pop/Dequeue took off one end.
struct Removal {
  Value end;                               // the block now at that end
  std::vector<std::vector<Value>> chunks;  // taken entries per block, in the order taken
  std::set<BlockId> deleted;               // blocks emptied and deleted
};

// Takes up to `n` entries off `end` of the chain, starting at its real end block `end_block`
// (SPEC.md §2.4 pop/dequeue): a block with more entries than still wanted is spliced and the walk
// stops; otherwise the whole block is taken and, when it has a neighbour inward, deleted (the
// neighbour's outward link is cleared and it becomes the end), else emptied.
Result<Removal> TakeEntries(BlockStore& store, Value end_block, uint64_t n, End end) {
  const bool tail = end == End::kTail;
  const std::string_view inward = tail ? kPriorIdMember : kNextIdMember;
  const std::string_view outward = tail ? kNextIdMember : kPriorIdMember;
  Removal out{std::move(end_block), {}, {}};
  for (uint64_t remaining = n; remaining > 0;) {
    const Value& entries = EntriesOf(out.end);
    const uint64_t size = entries.size();
    if (size > remaining) {
      const uint64_t at = tail ? size - remaining : 0;
      const auto first = entries.begin() + static_cast<std::ptrdiff_t>(at);
      out.chunks.emplace_back(first, first + static_cast<std::ptrdiff_t>(remaining));
      OPTIMYSTIC_RETURN_IF_ERROR(block::ApplyAndRecord(
          store, out.end,
          BlockOperation::Splice(Name(kEntriesMember), at, remaining, Value::array())));
      break;
    }
    out.chunks.emplace_back(entries.begin(), entries.end());
    remaining -= size;
    std::optional<BlockId> neighbour = LinkOf(out.end, inward);
    if (!neighbour.has_value()) {
      if (size > 0) {  // the last block stays, empty
        OPTIMYSTIC_RETURN_IF_ERROR(block::ApplyAndRecord(
            store, out.end, BlockOperation::Splice(Name(kEntriesMember), 0, size, Value::array())));
      }
      break;
    }
    BlockId consumed = IdOf(out.end);
    OPTIMYSTIC_RETURN_IF_ERROR(store.Delete(consumed));
    out.deleted.insert(std::move(consumed));
    OPTIMYSTIC_ASSIGN_OR_RETURN(out.end, LoadData(store, *neighbour));
    OPTIMYSTIC_RETURN_IF_ERROR(
        block::ApplyAndRecord(store, out.end, BlockOperation::Clear(Name(outward))));
  }
  return out;
}

// Pop (End::kTail) or Dequeue (End::kHead) in one atomic commit; entries in chain order.
Result<std::vector<Value>> Remove(BlockStore& base, const BlockId& chain_id, int64_t n, End end) {
  if (n <= 0) {
    return std::vector<Value>();
  }
  block::Atomic atomic(base);
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Located> located, Locate(atomic, chain_id, end));
  if (!located.has_value()) {
    return std::vector<Value>();
  }
  const bool tail = end == End::kTail;
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      Removal removal, TakeEntries(atomic, std::move(located->end), static_cast<uint64_t>(n), end));
  const BlockId& end_id = IdOf(removal.end);
  const BlockId& hint = tail ? located->ends.tail_id : located->ends.head_id;
  if (end_id != hint) {
    OPTIMYSTIC_RETURN_IF_ERROR(
        AssignMember(atomic, located->header, tail ? kTailIdMember : kHeadIdMember, end_id));
  }
  // A lagging hint for the other end may name a block deleted here; the walk from this end's
  // block finds the real other end again.
  const BlockId& other_hint = tail ? located->ends.head_id : located->ends.tail_id;
  if (removal.deleted.count(other_hint) != 0) {
    OPTIMYSTIC_RETURN_IF_ERROR(
        AssignMember(atomic, located->header, tail ? kHeadIdMember : kTailIdMember, end_id));
  }
  OPTIMYSTIC_RETURN_IF_ERROR(atomic.Commit());
  size_t total = 0;
  for (const std::vector<Value>& chunk : removal.chunks) {
    total += chunk.size();
  }
  std::vector<Value> out;
  out.reserve(total);
  auto append = [&out](std::vector<Value>& chunk) {
    std::move(chunk.begin(), chunk.end(), std::back_inserter(out));
  };
  if (tail) {  // taken newest block first; return oldest first
    std::for_each(removal.chunks.rbegin(), removal.chunks.rend(), append);
  } else {
    std::for_each(removal.chunks.begin(), removal.chunks.end(), append);
  }
  return out;
}

Status RequirePathBlock(const ChainPath& path) {
  if (path.block == nullptr || path.block_id.empty()) {
    return Status::InvalidArgument("chain path: no block");
  }
  return Status::Ok();
}

}  // namespace

// ---- ChainPath -----------------------------------------------------------------------------

size_t ChainPath::block_size() const { return block == nullptr ? 0 : EntriesOf(*block).size(); }

bool ChainPath::IsValid() const {
  return index >= 0 && static_cast<uint64_t>(index) < block_size();
}

const Value* ChainPath::At() const {
  if (block == nullptr || index < 0) {
    return nullptr;
  }
  const Value& entries = EntriesOf(*block);
  return static_cast<uint64_t>(index) < entries.size() ? &entries[static_cast<size_t>(index)]
                                                       : nullptr;
}

// ---- ChainCursor ---------------------------------------------------------------------------

ChainCursor::ChainCursor(BlockStore* store, const ChainPath* start, Direction direction)
    : store_(store), direction_(direction) {
  if (start == nullptr) {
    return;  // nothing to iterate
  }
  block_ = start->block;
  block_id_ = start->block_id;
  size_ = static_cast<int64_t>(start->block_size());
  index_ = direction == Direction::kForward ? std::max<int64_t>(start->index, 0)
                                            : std::min<int64_t>(start->index, size_ - 1);
}

Result<std::optional<ChainPath>> ChainCursor::Next() {
  const bool forward = direction_ == Direction::kForward;
  while (block_ != nullptr) {
    if (index_ >= 0 && index_ < size_) {
      ChainPath path{block_id_, index_, block_};
      index_ += forward ? 1 : -1;
      return std::optional<ChainPath>(std::move(path));
    }
    std::optional<BlockId> link = LinkOf(*block_, forward ? kNextIdMember : kPriorIdMember);
    if (!link.has_value()) {
      block_ = nullptr;
      break;
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(Value next, LoadData(*store_, *link));
    size_ = static_cast<int64_t>(EntriesOf(next).size());
    index_ = forward ? 0 : size_ - 1;
    block_id_ = std::move(*link);
    block_ = std::make_shared<const Value>(std::move(next));
  }
  return std::optional<ChainPath>();
}

// ---- Chain: creation -----------------------------------------------------------------------

Result<Chain> Chain::Create(BlockStore& store, const CreateOptions& create, ChainOptions options) {
  OPTIMYSTIC_RETURN_IF_ERROR(ValidateOptions(options));
  if (create.new_id.has_value() && create.existing_header_id.has_value()) {
    return Status::InvalidArgument(
        "chain create: new_id and existing_header_id exclude each other");
  }
  block::Atomic atomic(store);
  OPTIMYSTIC_ASSIGN_OR_RETURN(Value tail,
                              NewDataBlock(atomic, options, Value::array(), std::nullopt));
  const BlockId tail_id = IdOf(tail);
  Value header;
  if (create.existing_header_id.has_value()) {
    const BlockId& id = *create.existing_header_id;
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Value> existing,
                                atomic.TryGet(id, ReadPurpose::kValue));
    if (!existing.has_value()) {
      return Status::NotFound("chain create: existing header block " + id + " not found");
    }
    header = std::move(*existing);
    OPTIMYSTIC_RETURN_IF_ERROR(block::ValidateBlock(header));
    OPTIMYSTIC_RETURN_IF_ERROR(atomic.Insert(tail));
    OPTIMYSTIC_RETURN_IF_ERROR(AssignMember(atomic, header, kHeadIdMember, tail_id));
    OPTIMYSTIC_RETURN_IF_ERROR(AssignMember(atomic, header, kTailIdMember, tail_id));
  } else {
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockHeader made,
                                atomic.CreateBlockHeader(options.header_type, create.new_id));
    if (create.new_id.has_value()) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Value> clash,
                                  atomic.TryGet(made.id, ReadPurpose::kValue));
      if (clash.has_value()) {
        return Status::InvalidArgument("chain create: block " + made.id + " already exists");
      }
    }
    header = block::MakeBlock(made);
    header[Name(kHeadIdMember)] = tail_id;
    header[Name(kTailIdMember)] = tail_id;
    OPTIMYSTIC_RETURN_IF_ERROR(atomic.Insert(header));
    OPTIMYSTIC_RETURN_IF_ERROR(atomic.Insert(tail));
  }
  OPTIMYSTIC_RETURN_IF_ERROR(atomic.Commit());
  return Chain(store, IdOf(header), std::move(options));
}

Result<std::optional<Chain>> Chain::Open(BlockStore& store, const BlockId& header_id,
                                         ChainOptions options) {
  OPTIMYSTIC_RETURN_IF_ERROR(ValidateOptions(options));
  block::Atomic atomic(store);
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Value> header,
                              atomic.TryGet(header_id, ReadPurpose::kValue));
  if (!header.has_value()) {
    return std::optional<Chain>();  // no chain
  }
  Result<std::optional<ChainEnds>> ends = EndsOf(*header);
  if (!ends.has_value()) {
    return ends.error().WithContext("chain " + header_id);
  }
  if (!ends->has_value()) {
    // A header the chain was never initialized in (e.g. a fresh collection header).
    OPTIMYSTIC_ASSIGN_OR_RETURN(Value tail,
                                NewDataBlock(atomic, options, Value::array(), std::nullopt));
    OPTIMYSTIC_RETURN_IF_ERROR(atomic.Insert(tail));
    OPTIMYSTIC_RETURN_IF_ERROR(AssignMember(atomic, *header, kHeadIdMember, IdOf(tail)));
    OPTIMYSTIC_RETURN_IF_ERROR(AssignMember(atomic, *header, kTailIdMember, IdOf(tail)));
    OPTIMYSTIC_RETURN_IF_ERROR(atomic.Commit());
  }
  return std::optional<Chain>(Chain(store, header_id, std::move(options)));
}

// ---- Chain: mutations ----------------------------------------------------------------------

Result<ChainPath> Chain::Add(std::vector<Value> entries) const {
  block::Atomic atomic(*store_);
  Result<std::optional<Located>> located = Locate(atomic, id_, End::kTail);
  if (!located.has_value()) {
    return Context(located.error());
  }
  if (!located->has_value()) {
    return Context(Status::NotFound("no chain"));
  }
  Located& at = **located;
  Value tail = std::move(at.end);
  const size_t size = EntriesOf(tail).size();
  const size_t room = size < options_.entries_per_block ? options_.entries_per_block - size : 0;
  const size_t fill = std::min(room, entries.size());
  Status status;
  if (fill > 0) {
    status = block::ApplyAndRecord(
        atomic, tail,
        BlockOperation::Splice(Name(kEntriesMember), size, 0, TakeRange(entries, 0, fill)));
  }
  if (status.ok()) {
    status = AppendBlocks(atomic, options_, tail, entries, fill);
  }
  if (status.ok() && IdOf(tail) != at.ends.tail_id) {
    status = AssignMember(atomic, at.header, kTailIdMember, IdOf(tail));
  }
  if (status.ok()) {
    status = atomic.Commit();
  }
  if (!status.ok()) {
    return Context(status);
  }
  const int64_t last = LastIndex(tail);
  return PathIn(std::move(tail), last);
}

Result<ChainPath> Chain::UpdateAt(const ChainPath& path, Value entry) const {
  if (!path.IsValid()) {
    return Context(Status::InvalidArgument("Invalid path"));
  }
  Result<Value> current = LoadData(*store_, path.block_id);
  if (!current.has_value()) {
    return Context(current.error());
  }
  if (static_cast<uint64_t>(path.index) >= EntriesOf(*current).size()) {
    return Context(Status::InvalidArgument("Invalid path (the block has fewer entries now)"));
  }
  Value replacement = Value::array();
  replacement.push_back(std::move(entry));
  Status status = block::ApplyAndRecord(
      *store_, *current,
      BlockOperation::Splice(Name(kEntriesMember), static_cast<uint64_t>(path.index), 1,
                             std::move(replacement)));
  if (!status.ok()) {
    return Context(status);
  }
  return PathIn(std::move(current).value(), path.index);
}

Result<std::vector<Value>> Chain::Pop(int64_t n) const {
  Result<std::vector<Value>> taken = Remove(*store_, id_, n, End::kTail);
  if (!taken.has_value()) {
    return Context(taken.error());
  }
  return taken;
}

Result<std::vector<Value>> Chain::Dequeue(int64_t n) const {
  Result<std::vector<Value>> taken = Remove(*store_, id_, n, End::kHead);
  if (!taken.has_value()) {
    return Context(taken.error());
  }
  return taken;
}

// ---- Chain: navigation ---------------------------------------------------------------------

Result<std::optional<ChainPath>> Chain::Head() const {
  Result<std::optional<Located>> located = Locate(*store_, id_, End::kHead);
  if (!located.has_value()) {
    return Context(located.error());
  }
  if (!located->has_value()) {
    return std::optional<ChainPath>();
  }
  return std::optional<ChainPath>(PathIn(std::move((*located)->end), 0));
}

Result<std::optional<ChainPath>> Chain::Tail() const {
  Result<std::optional<Located>> located = Locate(*store_, id_, End::kTail);
  if (!located.has_value()) {
    return Context(located.error());
  }
  if (!located->has_value()) {
    return std::optional<ChainPath>();
  }
  Value& tail = (*located)->end;
  const int64_t last = LastIndex(tail);
  return std::optional<ChainPath>(PathIn(std::move(tail), last));
}

Result<ChainPath> Chain::Next(const ChainPath& path) const {
  OPTIMYSTIC_RETURN_IF_ERROR(RequirePathBlock(path));
  std::optional<BlockId> next = LinkOf(*path.block, kNextIdMember);
  if (path.index < LastIndex(*path.block) || !next.has_value()) {
    return ChainPath{path.block_id, path.index + 1, path.block};
  }
  Result<Value> block = LoadData(*store_, *next);
  if (!block.has_value()) {
    return Context(block.error());
  }
  return PathIn(std::move(block).value(), 0);
}

Result<ChainPath> Chain::Prior(const ChainPath& path) const {
  OPTIMYSTIC_RETURN_IF_ERROR(RequirePathBlock(path));
  std::optional<BlockId> prior = LinkOf(*path.block, kPriorIdMember);
  if (path.index > 0 || !prior.has_value()) {
    return ChainPath{path.block_id, path.index - 1, path.block};
  }
  Result<Value> block = LoadData(*store_, *prior);
  if (!block.has_value()) {
    return Context(block.error());
  }
  const int64_t last = LastIndex(*block);
  return PathIn(std::move(block).value(), last);
}

Result<ChainCursor> Chain::Select(Direction direction) const {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<ChainPath> start,
                              direction == Direction::kForward ? Head() : Tail());
  return ChainCursor(store_, start.has_value() ? &*start : nullptr, direction);
}

Result<ChainCursor> Chain::SelectFrom(const ChainPath& start, Direction direction) const {
  OPTIMYSTIC_RETURN_IF_ERROR(RequirePathBlock(start));
  return ChainCursor(store_, &start, direction);
}

Status Chain::Context(const Status& status) const { return status.WithContext("chain " + id_); }

}  // namespace optimystic::chain
