// SPDX-License-Identifier: Apache-2.0
// Chain block layout (SPEC.md §2.1). A chain is one header block plus a doubly linked list of
// data blocks. The header holds `headId` (the oldest data block) and `tailId` (the newest); it
// may be any pre-existing block (a "merged header", e.g. a collection header that doubles as its
// log's chain header), in which case the chain owns only these two members and leaves every
// other member alone. A data block holds `entries` (an array of at most entries-per-block
// Values, 32 by default), `priorId` (toward the head; absent on the head) and `nextId` (toward
// the tail; absent on the tail). A block is appended only once the tail is full, so under one
// entries-per-block setting every data block but the head and the tail is exactly full. Links are
// cleared by removing the member, never by storing null; a null link read back is treated as
// absent. Hashes over a data block (the log's `priorHash`) must leave out `priorId` and `nextId`,
// which are rewritten after the block is first written (SPEC.md §10.7).
// Thread-safety: constants and pure functions over values.
// Errors: Corruption naming the block id and the malformed member.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/block.h>
#include <optimystic/block/value.h>

#include <cstddef>
#include <optional>
#include <string_view>

namespace optimystic::chain {

inline constexpr size_t kEntriesPerBlock = 32;

inline constexpr std::string_view kHeadIdMember = "headId";
inline constexpr std::string_view kTailIdMember = "tailId";
inline constexpr std::string_view kEntriesMember = "entries";
inline constexpr std::string_view kPriorIdMember = "priorId";
inline constexpr std::string_view kNextIdMember = "nextId";

// The two ends a chain header names.
struct ChainEnds {
  block::BlockId head_id;
  block::BlockId tail_id;
  bool operator==(const ChainEnds&) const = default;
};

// OK when `block` is a block with an `entries` array and with `priorId`/`nextId`, where present
// and not null, non-empty strings; Corruption naming the block and the member otherwise.
Status ValidateDataBlock(const block::Value& block);

// The ends named by `header`; nullopt when `headId` or `tailId` is absent (or null), which is a
// header the chain has not been initialized in yet; Corruption when either is present but not a
// non-empty string, or `header` is not a block.
Result<std::optional<ChainEnds>> EndsOf(const block::Value& header);

// The `entries` array of a data block. REQUIRES: ValidateDataBlock(data_block).ok().
const block::Value& EntriesOf(const block::Value& data_block);

// The id held by link `member` (kPriorIdMember or kNextIdMember), nullopt when absent or null.
// REQUIRES: ValidateDataBlock(data_block).ok().
std::optional<block::BlockId> LinkOf(const block::Value& data_block, std::string_view member);

// The id of a block. REQUIRES: block::ValidateBlock(block).ok().
const block::BlockId& IdOf(const block::Value& block);

// A copy of `data_block` without `priorId` and `nextId`: the part of a data block that does not
// change once the block has a successor, for hashing (SPEC.md §10.7).
block::Value LinkFreePayload(const block::Value& data_block);

}  // namespace optimystic::chain
