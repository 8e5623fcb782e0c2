// SPDX-License-Identifier: Apache-2.0
// DiaryCollectionType: the Diary collection (SPEC.md §5.8), an append-only list whose entries
// live only in the collection's log. Its header block (type DIH) is just {header} plus the log
// pointers the engine adds (headId, tailId). Action "append" carries any JSON value as its data
// and its handler does nothing: committing the action to the log is the append. Appends never
// overlap (their order is the log's), so a Diary never asks a conflict resolver.
// Query read {forward?: bool = true, limit?: integer >= 0 = 0 (all)} returns the data of the
// appended actions as an array, oldest first, or newest first when forward is false.
// Thread-safety: immutable; every method may be called concurrently.
// Errors: "diary: unknown action type '<t>' (known: append)"; query errors start
// "diary read: "; an unknown query is NotFound.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/collections/collection_type.h>

#include <string>
#include <string_view>
#include <vector>

namespace optimystic::plugins::collection_diary {

inline constexpr std::string_view kDiaryTypeName = "diary";
inline constexpr std::string_view kAppendAction = "append";

class DiaryCollectionType final : public collections::CollectionType {
 public:
  std::string_view name() const noexcept override { return kDiaryTypeName; }
  std::string_view header_block_type() const noexcept override;
  std::string_view default_resolver() const noexcept override { return "replay"; }

  Result<block::Value> CreateHeaderBlock(const block::BlockId& id,
                                         block::BlockStore& store) const noexcept override;
  Status ValidateAction(const collections::Action& action) const noexcept override;
  // Does nothing (after validating): the log is the diary.
  Status ApplyAction(const collections::Action& action, const block::BlockId& id,
                     block::BlockStore& store) const noexcept override;
  // Always false: appends commute.
  bool Overlaps(const collections::Action& local,
                const collections::Action& remote) const noexcept override {
    return false;
  }
  std::vector<std::string> query_names() const override { return {"read"}; }
  Result<block::Value> Query(std::string_view name, const block::Value& args,
                             collections::CollectionReader& reader) const noexcept override;
};

}  // namespace optimystic::plugins::collection_diary
