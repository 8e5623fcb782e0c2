// SPDX-License-Identifier: Apache-2.0
// BlockMeta: the per-block metadata record of the repository (the 'm' key of
// repository_format.h): the latest committed revision, the revision spans held locally, and how
// many revisions were committed here (the ordinal that places checkpoints).
// Thread-safety: value type and pure functions.
// Errors: DecodeBlockMeta returns Corruption naming what is malformed; the caller adds the block
// id and key.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/codec.h>
#include <optimystic/transactor/transactor_types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::core::repository {

// [start, end) of held revisions; no end: open-ended.
struct RevisionRange {
  uint64_t start = 0;
  std::optional<uint64_t> end;
  bool operator==(const RevisionRange&) const = default;
};

struct BlockMeta {
  std::optional<transactor::ActionRev> latest;
  std::vector<RevisionRange> ranges;
  uint64_t revisions = 0;  // committed revisions held; the tip's ordinal
  bool operator==(const BlockMeta&) const = default;

  // True when `rev` starts one of the ranges (its materialization is kept).
  bool IsRangeFloor(uint64_t rev) const;
};

std::string EncodeBlockMeta(const BlockMeta& meta);
// `mode` as for block::DecodeValue: kTrusted for the repository's own stored records.
Result<BlockMeta> DecodeBlockMeta(std::string_view bytes,
                                  block::DecodeMode mode = block::DecodeMode::kCanonical);

}  // namespace optimystic::core::repository
