// SPDX-License-Identifier: Apache-2.0
// Chain (SPEC.md §2): a doubly linked list of data blocks of Value entries plus a header block
// (layout in chain_format.h), used as a stack (Add/Pop at the tail), a queue (Add at the tail,
// Dequeue at the head) and as the substrate of logs. A Chain is a small handle (store, header id,
// options) over any BlockStore: a plain store, a Tracker, an Atomic or an AtomicProxy. It caches
// nothing, so every call reads the blocks it needs (all as `value` reads: the log tail is the
// commit-ordering arbiter, SPEC.md §2.4). Every mutation that touches more than one block runs
// in its own Atomic over the store and commits once, so the store sees all of it or none of it;
// inside an enclosing Atomic, Tracker or AtomicProxy scope that commit lands in the enclosing
// overlay. The header's headId/tailId are hints: reads walk the links to the real ends, and Add,
// Pop and Dequeue rewrite a hint that does not name the end they leave behind (or names a block
// they deleted). A ChainPath is a position (data block, index) together with a snapshot of the
// block as read when the path was made; paths go stale when the chain changes under them.
// Thread-safety: a Chain has no mutable state of its own; reads are as thread-safe as the store,
// and mutations of one chain must be serialized by the caller (one writer, e.g. in a
// transaction or an AtomicProxy scope). ChainPath and ChainCursor are values for one thread.
// Errors: store errors propagate with "chain <id>: " context; a missing linked data block is
// NotFound "Missing block (<id>)"; malformed chain blocks are Corruption; a failing NewBlockHook
// fails the Add, and nothing of that Add is written.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/block.h>
#include <optimystic/block/block_store.h>
#include <optimystic/block/value.h>
#include <optimystic/chain/chain_format.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace optimystic::chain {

enum class Direction : uint8_t {
  kForward = 0,   // head (oldest) to tail (newest), through nextId
  kBackward = 1,  // tail to head, through priorId
};

// Called by Add for every data block it appends, before the block is inserted, with the block
// immediately before it (the previous new block of the same Add, or the old tail for the first
// one; SPEC.md §10.7). At that moment `predecessor` holds its final entries and no nextId yet.
// The hook may add members to `new_block` (the log stamps priorHash) but must leave its header,
// entries and links alone (a changed header id or link fails the Add with InvalidArgument). A
// non-OK Status fails the Add; nothing of it is written. Create and Open make their first, empty
// block without calling the hook: it has no predecessor.
using NewBlockHook =
    std::function<Status(block::Value& new_block, const block::Value& predecessor)>;

struct ChainOptions {
  block::BlockType header_type{block::kChainHeaderType};  // for headers Create makes
  block::BlockType data_type{block::kChainDataType};      // for every data block
  size_t entries_per_block = kEntriesPerBlock;            // >= 1
  NewBlockHook new_block{};                               // optional
};

struct CreateOptions {
  // The id of the new header block (default: a fresh id from the store).
  std::optional<block::BlockId> new_id{};
  // Merge the chain into this existing block instead of creating a header: the chain sets its
  // headId/tailId and keeps every other member. Excludes new_id. A block that already heads a
  // chain is re-pointed at the new empty block; the old data blocks are not deleted.
  std::optional<block::BlockId> existing_header_id{};
};

// A position in a chain: entry `index` of data block `block_id`. `index` may be -1 or
// entries.size() (a "crack" before the first or after the last entry of the block), as Next and
// Prior return at the ends of the chain.
struct ChainPath {
  block::BlockId block_id;
  int64_t index = -1;
  // The data block as it was read when the path was made (null for a default path).
  std::shared_ptr<const block::Value> block;

  // True when the path is on an entry of its block snapshot: 0 <= index < entries.size().
  bool IsValid() const;
  // The entry at the path in the block snapshot, or nullptr when the path is not valid.
  const block::Value* At() const;
  // The number of entries in the block snapshot (0 for a default path).
  size_t block_size() const;

  // Same block and index (the snapshots are not compared).
  friend bool operator==(const ChainPath& a, const ChainPath& b) {
    return a.block_id == b.block_id && a.index == b.index;
  }
};

// Iterates the paths of a chain one entry at a time (SPEC.md §2.4 select). Made by
// Chain::Select/SelectFrom; it starts with the block snapshot of its start path and reads each
// further block when it gets there, skipping empty blocks.
// REQUIRES: the store outlives the cursor; the chain is not changed while it is iterated.
class ChainCursor final {
 public:
  // The next path, nullopt once the end is reached (and on every later call). Store errors and
  // malformed blocks are returned as errors, after which the cursor stays at the failing step.
  Result<std::optional<ChainPath>> Next();

 private:
  friend class Chain;
  ChainCursor(block::BlockStore* store, const ChainPath* start, Direction direction);

  block::BlockStore* store_;
  std::shared_ptr<const block::Value> block_;  // null: finished
  block::BlockId block_id_;
  int64_t size_ = 0;  // entries in block_
  int64_t index_ = 0;
  Direction direction_;
};

class Chain final {
 public:
  // Creates a chain (SPEC.md §2.2) with one empty data block that is both head and tail, and
  // either a new header (type options.header_type, id create.new_id or fresh) or, with
  // create.existing_header_id, the given block as its header. One atomic commit.
  // Errors: InvalidArgument for entries_per_block 0, empty type codes, both new_id and
  // existing_header_id, or a new_id that is already a block; NotFound "existing header block
  // <id> not found".
  // OWNERSHIP: `store` must outlive the Chain and every cursor made from it.
  static Result<Chain> Create(block::BlockStore& store, const CreateOptions& create = {},
                              ChainOptions options = {});

  // Opens the chain whose header is `header_id`; nullopt when there is no such block ("no
  // chain"). A header without headId or tailId (a freshly made collection header) gets an empty
  // data block as head and tail, in one atomic commit. Errors: InvalidArgument for bad options;
  // Corruption for a header whose headId/tailId is not a block id.
  static Result<std::optional<Chain>> Open(block::BlockStore& store,
                                           const block::BlockId& header_id,
                                           ChainOptions options = {});

  // The chain's id: the id of its header block.
  const block::BlockId& id() const { return id_; }
  const ChainOptions& options() const { return options_; }

  // Appends `entries` at the tail (SPEC.md §2.4 add): fills the tail block, then appends new
  // blocks of up to entries_per_block entries, calling the NewBlockHook for each; one atomic
  // commit. Returns the path to the last added entry, or the tail path (index size-1, -1 when
  // empty) when `entries` is empty, which writes nothing. Errors: NotFound when the header is
  // absent; the hook's error.
  Result<ChainPath> Add(std::vector<block::Value> entries) const;

  // Replaces the entry at `path` and returns the path with a fresh snapshot. The block is read
  // again first, so a stale snapshot never makes the splice land elsewhere. Errors:
  // InvalidArgument "Invalid path" when the path is not on an entry (of its snapshot or of the
  // block as now stored).
  Result<ChainPath> UpdateAt(const ChainPath& path, block::Value entry) const;

  // Removes up to `n` entries from the tail and returns them in chain order, oldest first
  // ([t1,t2,t3].Pop(2) == [t2,t3]). Emptied blocks are deleted, except the head, which is left
  // empty; one atomic commit. n <= 0, an empty chain or an absent header: [] and no writes.
  Result<std::vector<block::Value>> Pop(int64_t n = 1) const;

  // Removes up to `n` entries from the head and returns them in FIFO order. Emptied blocks are
  // deleted, except the tail, which is left empty; one atomic commit. n <= 0, an empty chain or
  // an absent header: [] and no writes.
  Result<std::vector<block::Value>> Dequeue(int64_t n = 1) const;

  // The first entry's path (index 0 of the head block, not valid when the chain is empty);
  // nullopt when the header is absent. The
  // header's headId is only a hint: the walk follows priorId to the real head.
  Result<std::optional<ChainPath>> Head() const;
  // The last entry's path (index size-1 of the tail block, -1 when it is empty); nullopt when
  // the header is absent. Follows nextId from the header's tailId to the real tail.
  Result<std::optional<ChainPath>> Tail() const;

  // The path after `path`: index+1 in the same block when that is not past the block's last
  // entry or the block has no successor (so possibly a crack past the end); else index 0 of the
  // successor, which is read. InvalidArgument for a default path.
  Result<ChainPath> Next(const ChainPath& path) const;
  // The path before `path`: index-1 in the same block when index > 0 or the block has no
  // predecessor (so possibly -1); else the predecessor's last index. InvalidArgument for a
  // default path.
  Result<ChainPath> Prior(const ChainPath& path) const;

  // Iterates every entry from the head (kForward) or from the tail (kBackward). An absent
  // header iterates nothing.
  Result<ChainCursor> Select(Direction direction = Direction::kForward) const;
  // Iterates from `start` inclusive. A start before its block's first entry (forward) or after
  // its last (backward) begins at the nearest entry of that block, so only valid paths are ever
  // returned. InvalidArgument for a default path.
  Result<ChainCursor> SelectFrom(const ChainPath& start,
                                 Direction direction = Direction::kForward) const;

 private:
  Chain(block::BlockStore& store, block::BlockId id, ChainOptions options)
      : store_(&store), id_(std::move(id)), options_(std::move(options)) {}

  // `status` with "chain <id>: " before its message.
  Status Context(const Status& status) const;

  block::BlockStore* store_;
  block::BlockId id_;
  ChainOptions options_;
};

}  // namespace optimystic::chain
