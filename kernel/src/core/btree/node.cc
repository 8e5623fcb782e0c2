// SPDX-License-Identifier: Apache-2.0
#include <optimystic/btree/node.h>

#include <string>
#include <utility>

namespace optimystic::btree {

Result<block::Value> NewLeaf(block::BlockSource& store, block::Value entries) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      block::BlockHeader header,
      store.CreateBlockHeader(std::string(block::kTreeLeafType), std::nullopt));
  block::Value leaf = block::MakeBlock(header);
  leaf[kEntriesMember] = std::move(entries);
  return leaf;
}

Result<block::Value> NewBranch(block::BlockSource& store, block::Value partitions,
                               block::Value nodes) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      block::BlockHeader header,
      store.CreateBlockHeader(std::string(block::kTreeBranchType), std::nullopt));
  block::Value branch = block::MakeBlock(header);
  branch[kPartitionsMember] = std::move(partitions);
  branch[kNodesMember] = std::move(nodes);
  return branch;
}

}  // namespace optimystic::btree
