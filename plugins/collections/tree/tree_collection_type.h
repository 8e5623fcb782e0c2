// SPDX-License-Identifier: Apache-2.0
// TreeCollectionType: the Tree collection (SPEC.md §5.7), a B+tree of JSON entries keyed by
// strings or numbers (tree_key.h gives the order), whose header block (type TRE) is also the
// tree's trunk: {header, rootId, capacity, headId?, tailId?}. The node capacity (fan-out) is
// chosen when a tree is created (setting `capacity`, default 64) and persisted in the header, so
// that a node configured differently later still reads and writes the tree with the fan-out it
// was built with (SPEC.md §10 pitfall 30).
//
// Action "replace", data [[key, entry], [key], ...]: a pair with an entry (not null) upserts
// {key, value: entry}; a pair without one ([key] or [key, null]) deletes the key (absent keys
// are fine). Pairs apply in order, so a later pair for the same key wins. Each call binds a
// throwaway B+tree to the store it is given (the engine's per-action Atomic), so nothing of a
// failed action outlives it (SPEC.md §10 pitfall 21).
//
// Queries (args are a JSON object; null counts as {}):
//   get   {key}                      -> the entry, or null
//   range {from?, to?, desc?, limit?} -> [[key, entry], ...]: keys k with from <= k < to, in
//          ascending key order, or descending when desc is true (the bounds are the same
//          interval either way); limit 0 or absent means no limit
//   count {}                         -> the number of entries
// Two replace actions overlap when they name a common key.
// Thread-safety: immutable after construction; every method may be called concurrently.
// Errors: see the messages in tree_collection_type.cc's header comment and the tests: every
// action error starts "tree replace: " and names the pair as data[i] (0-based); query errors
// start "tree <query>: ".
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/collections/collection_type.h>
#include <optimystic/config/settings.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::plugins::collection_tree {

inline constexpr std::string_view kTreeTypeName = "tree";
inline constexpr std::string_view kReplaceAction = "replace";
inline constexpr std::string_view kCapacityMember = "capacity";
inline constexpr size_t kMaxCapacity = 4096;  // a leaf of 4096 entries is already a large block

struct TreeOptions {
  size_t capacity = 64;  // the fan-out of new trees (existing trees keep theirs)

  // Keys: capacity (integer, 4..4096). Errors name the settings path.
  static Result<TreeOptions> FromSettings(const config::Settings& settings);
};

class TreeCollectionType final : public collections::CollectionType {
 public:
  explicit TreeCollectionType(TreeOptions options = {}) : options_(options) {}

  std::string_view name() const noexcept override { return kTreeTypeName; }
  std::string_view header_block_type() const noexcept override;
  std::string_view default_resolver() const noexcept override { return "replay"; }

  // Inserts the empty root leaf into `store` and returns {header, rootId, capacity}.
  Result<block::Value> CreateHeaderBlock(const block::BlockId& id,
                                         block::BlockStore& store) const noexcept override;
  Status ValidateAction(const collections::Action& action) const noexcept override;
  Status ApplyAction(const collections::Action& action, const block::BlockId& id,
                     block::BlockStore& store) const noexcept override;
  bool Overlaps(const collections::Action& local,
                const collections::Action& remote) const noexcept override;
  std::vector<std::string> query_names() const override { return {"get", "range", "count"}; }
  Result<block::Value> Query(std::string_view name, const block::Value& args,
                             collections::CollectionReader& reader) const noexcept override;

  const TreeOptions& options() const noexcept { return options_; }

 private:
  TreeOptions options_;
};

}  // namespace optimystic::plugins::collection_tree
