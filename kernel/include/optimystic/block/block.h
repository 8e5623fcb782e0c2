// SPDX-License-Identifier: Apache-2.0
// Blocks (SPEC.md §1.1–1.3): a block is a Value object with a mandatory `header` member
// {id, type, collectionId} plus type-specific members. Block ids are 32 CSPRNG bytes in base32
// (52 characters); a collection's header block id is the collection's name. Block types are
// short codes registered in a BlockTypeRegistry, an ordinary object (no process global).
// Thread-safety: free functions are pure; BlockTypeRegistry is safe for concurrent reads after
// registration, and Register must not race with reads.
// Errors: InvalidArgument naming the block id (where known) and the malformed member.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/value.h>

#include <map>
#include <string>
#include <string_view>

namespace optimystic::block {

using BlockId = std::string;
using BlockType = std::string;

struct BlockHeader {
  BlockId id;
  BlockType type;
  BlockId collection_id;
  bool operator==(const BlockHeader&) const = default;
};

// A new block object holding only `header`.
Value MakeBlock(const BlockHeader& header);
// The header of `block`; InvalidArgument when `block` is not an object with a well-formed
// header (three strings, id and type non-empty).
Result<BlockHeader> HeaderOf(const Value& block);
// OK when HeaderOf succeeds.
Status ValidateBlock(const Value& block);

// Short code -> human name, e.g. "TL" -> "TreeLeaf".
class BlockTypeRegistry {
 public:
  // InvalidArgument when `code` is empty or already registered ("already registered").
  Status Register(std::string_view code, std::string_view name);
  bool Contains(std::string_view code) const;
  // The name of `code`, or NotFound.
  Result<std::string> NameOf(std::string_view code) const;

 private:
  std::map<std::string, std::string, std::less<>> names_;
};

// The codes the database core uses (SPEC.md §1.3).
inline constexpr std::string_view kChainDataType = "CHD";
inline constexpr std::string_view kChainHeaderType = "CHH";
inline constexpr std::string_view kLogDataType = "LGD";
inline constexpr std::string_view kLogHeaderType = "LGH";
inline constexpr std::string_view kTreeLeafType = "TL";
inline constexpr std::string_view kTreeBranchType = "TB";
inline constexpr std::string_view kTreeRootType = "TR";
inline constexpr std::string_view kTreeHeaderType = "TRE";
inline constexpr std::string_view kDiaryHeaderType = "DIH";

}  // namespace optimystic::block
