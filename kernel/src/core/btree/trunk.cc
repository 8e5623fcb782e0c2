// SPDX-License-Identifier: Apache-2.0
#include <optimystic/btree/trunk.h>

#include <string>
#include <utility>

namespace optimystic::btree {

namespace {

// The `rootId` member of the block `holder`.
Result<block::BlockId> ReadRootId(block::BlockStore& store, const block::BlockId& holder) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef block, block::GetBlockRef(store, holder));
  auto root = block->find(kRootIdMember);
  if (root == block->end() || !root->is_string() || root->get_ref<const std::string&>().empty()) {
    return Status::Corruption("tree trunk " + holder + ": rootId: expected a block id");
  }
  return root->get_ref<const std::string&>();
}

// Assigns `root_id` to the `rootId` member of the block `holder`.
Status WriteRootId(block::BlockStore& store, const block::BlockId& holder,
                   const block::BlockId& root_id) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::Value block, block::GetBlock(store, holder));
  return block::ApplyAndRecord(store, block, block::BlockOperation::Assign(kRootIdMember, root_id));
}

}  // namespace

Result<std::unique_ptr<IndependentTrunk>> IndependentTrunk::Create(
    block::BlockStore& store, const block::BlockId& root_id,
    const std::optional<block::BlockId>& new_id) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockHeader header,
                              store.CreateBlockHeader(std::string(block::kTreeRootType), new_id));
  block::Value trunk = block::MakeBlock(header);
  trunk[kRootIdMember] = root_id;
  OPTIMYSTIC_RETURN_IF_ERROR(store.Insert(trunk));
  return std::make_unique<IndependentTrunk>(store, header.id);
}

TrunkFactory IndependentTrunk::Factory() {
  return [](block::BlockStore& store, const block::BlockId& root_id,
            const std::optional<block::BlockId>& new_id) -> Result<std::unique_ptr<Trunk>> {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::unique_ptr<IndependentTrunk> trunk,
                                Create(store, root_id, new_id));
    return std::unique_ptr<Trunk>(std::move(trunk));
  };
}

TrunkOpener IndependentTrunk::Opener(block::BlockId trunk_id) {
  return
      [trunk_id = std::move(trunk_id)](block::BlockStore& store) -> Result<std::unique_ptr<Trunk>> {
        return std::unique_ptr<Trunk>(std::make_unique<IndependentTrunk>(store, trunk_id));
      };
}

Result<block::BlockId> IndependentTrunk::GetRootId() { return ReadRootId(store_, id_); }

Status IndependentTrunk::SetRootId(const block::BlockId& root_id) {
  return WriteRootId(store_, id_, root_id);
}

Status IndependentTrunk::Drop() { return store_.Delete(id_); }

Result<block::BlockId> CollectionTrunk::GetRootId() { return ReadRootId(store_, id_); }

Status CollectionTrunk::SetRootId(const block::BlockId& root_id) {
  return WriteRootId(store_, id_, root_id);
}

}  // namespace optimystic::btree
