// SPDX-License-Identifier: Apache-2.0
// Trunks (SPEC.md §3.3): where a B+tree keeps the id of its root node. A Trunk reads and repoints
// the root id stored in some block's `rootId` member. IndependentTrunk owns a standalone TR block
// {header, rootId}; CollectionTrunk uses the Tree collection's header block (type TRE), which
// also carries the collection's log pointers. Both read the holding block on every call (nothing
// is cached), so a trunk always sees the store it is bound to, including an Atomic's overlay.
// Thread-safety: as the store the trunk is bound to; a trunk has no state of its own but ids.
// Errors: a missing holding block is NotFound "Missing block (<id>)"; a holding block without a
// string `rootId` is Corruption; store errors propagate with the block id as context.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/block.h>
#include <optimystic/block/block_store.h>

#include <functional>
#include <memory>
#include <optional>
#include <utility>

namespace optimystic::btree {

inline constexpr const char kRootIdMember[] = "rootId";

class Trunk {
 public:
  virtual ~Trunk() = default;
  // The id of the tree's root node.
  virtual Result<block::BlockId> GetRootId() = 0;
  // Repoints the tree at `root_id` (SPEC.md `set(node)`).
  virtual Status SetRootId(const block::BlockId& root_id) = 0;
  // The id of the block that holds the root pointer.
  virtual const block::BlockId& block_id() const = 0;
};

// Makes the trunk of a new tree whose (already inserted) root node is `root_id`, bound to
// `store`; `new_id` names the trunk block when the trunk creates one.
using TrunkFactory = std::function<Result<std::unique_ptr<Trunk>>(
    block::BlockStore& store, const block::BlockId& root_id,
    const std::optional<block::BlockId>& new_id)>;
// Opens the trunk of an existing tree, bound to `store`.
using TrunkOpener = std::function<Result<std::unique_ptr<Trunk>>(block::BlockStore& store)>;

class IndependentTrunk final : public Trunk {
 public:
  // Binds to the existing TR block `trunk_id`. OWNERSHIP: `store` must outlive the trunk.
  IndependentTrunk(block::BlockStore& store, block::BlockId trunk_id)
      : store_(store), id_(std::move(trunk_id)) {}

  // Inserts a new TR block {header, rootId: root_id} (id `new_id` or a fresh one) and binds to
  // it. OWNERSHIP: `store` must outlive the trunk.
  static Result<std::unique_ptr<IndependentTrunk>> Create(
      block::BlockStore& store, const block::BlockId& root_id,
      const std::optional<block::BlockId>& new_id = std::nullopt);
  // A TrunkFactory that creates IndependentTrunks.
  static TrunkFactory Factory();
  // A TrunkOpener for the existing TR block `trunk_id`.
  static TrunkOpener Opener(block::BlockId trunk_id);

  Result<block::BlockId> GetRootId() override;
  Status SetRootId(const block::BlockId& root_id) override;
  const block::BlockId& block_id() const override { return id_; }

  // Deletes the TR block only; BTree::Drop removes the nodes.
  Status Drop();

 private:
  block::BlockStore& store_;
  block::BlockId id_;
};

class CollectionTrunk final : public Trunk {
 public:
  // Binds to the collection header block `collection_id` (it must exist and carry `rootId`).
  // OWNERSHIP: `store` must outlive the trunk.
  CollectionTrunk(block::BlockStore& store, block::BlockId collection_id)
      : store_(store), id_(std::move(collection_id)) {}

  Result<block::BlockId> GetRootId() override;
  Status SetRootId(const block::BlockId& root_id) override;
  const block::BlockId& block_id() const override { return id_; }

 private:
  block::BlockStore& store_;
  block::BlockId id_;
};

}  // namespace optimystic::btree
