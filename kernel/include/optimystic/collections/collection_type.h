// SPDX-License-Identifier: Apache-2.0
// CollectionType: a kind of collection (tree, diary, counter, user-written) offered by a
// collection plugin. The collection engine knows no type; each comes from a plugin that makes
// its header block, applies its actions to the collection's blocks, says which actions touch
// the same data, answers its queries, and names its default conflict resolver (SPEC.md §5.10).
// A type never talks to storage or the network: the engine hands it a block store (an Atomic
// over the collection's local snapshot for actions, a read view for queries).
// Thread-safety: a CollectionType is immutable after Create; every method may be called from
// any thread at once.
// Errors: Create returns InvalidArgument for bad settings; ValidateAction returns
// InvalidArgument naming what is wrong with an action ("tree replace: entry 3: key must be a
// string or a number"); ApplyAction returns store errors and InvalidArgument for actions it
// cannot apply (nothing of a failed action is kept: the engine discards its Atomic); Query
// returns NotFound for an unknown query name and InvalidArgument for bad arguments.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/block.h>
#include <optimystic/block/block_store.h>
#include <optimystic/block/value.h>
#include <optimystic/collections/action.h>
#include <optimystic/config/settings.h>
#include <optimystic/host/host_services.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::collections {

// What a query reads: the collection's blocks as the querying node sees them (committed state
// at `revision()` plus this node's unsynced local actions) and its log.
class CollectionReader {
 public:
  virtual const block::BlockId& collection_id() const noexcept = 0;
  // The collection's committed revision this view is at (0 for a collection not yet synced).
  virtual uint64_t revision() const noexcept = 0;
  virtual block::BlockSource& blocks() noexcept = 0;
  // The actions of every committed log entry, oldest first (forward) or newest first, with each
  // entry's actions reversed when backward (SPEC.md §5.6 selectLog). `limit` 0 = all.
  virtual Result<std::vector<Action>> SelectLog(bool forward, size_t limit) = 0;

 protected:
  ~CollectionReader() = default;
};

class CollectionType {
 public:
  virtual ~CollectionType() = default;
  // The type name clients use, e.g. "tree".
  virtual std::string_view name() const noexcept = 0;
  // The short code of the collection header block type (SPEC.md §1.3), e.g. "TRE".
  virtual std::string_view header_block_type() const noexcept = 0;
  // The resolver used when YAML names none.
  virtual std::string_view default_resolver() const noexcept = 0;

  // Makes the header block of a new collection `id` (type header_block_type(), header id `id`)
  // and inserts into `store` any other block it needs at birth (the Tree's root leaf). The
  // engine inserts the returned header; the log pointers (headId/tailId) are added after.
  virtual Result<block::Value> CreateHeaderBlock(const block::BlockId& id,
                                                 block::BlockStore& store) const noexcept = 0;
  // Checks an action from a client before it is acted: known type, well-formed data.
  virtual Status ValidateAction(const Action& action) const noexcept = 0;
  // Applies a validated action to collection `id` through `store` only.
  virtual Status ApplyAction(const Action& action, const block::BlockId& id,
                             block::BlockStore& store) const noexcept = 0;
  // Whether `remote` (committed by another writer) touches data `local` also touches, so that
  // the conflict resolver must decide about `local`. A Diary's appends never overlap.
  virtual bool Overlaps(const Action& local, const Action& remote) const noexcept = 0;
  // The names of the queries Query answers, e.g. {"get", "range", "count"}.
  virtual std::vector<std::string> query_names() const = 0;
  // Answers query `name` with `args` (a JSON object) over `reader`.
  virtual Result<block::Value> Query(std::string_view name, const block::Value& args,
                                     CollectionReader& reader) const noexcept = 0;
};

class CollectionTypeFactory {
 public:
  static constexpr const char* kInterface = "optimystic.collections.CollectionTypeFactory";
  static constexpr uint32_t kVersion = 2;

  virtual std::string_view name() const noexcept = 0;
  virtual Status Validate(const config::Settings& settings) const noexcept = 0;
  virtual Result<std::unique_ptr<CollectionType>> Create(const config::Settings& settings,
                                                         host::HostServices& host) noexcept = 0;

 protected:
  ~CollectionTypeFactory() = default;
};

}  // namespace optimystic::collections
