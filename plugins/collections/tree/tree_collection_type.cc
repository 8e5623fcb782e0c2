// SPDX-License-Identifier: Apache-2.0
#include "collections/tree/tree_collection_type.h"

#include <optimystic/block/block.h>
#include <optimystic/btree/btree.h>
#include <optimystic/btree/trunk.h>

#include "collections/tree/tree_key.h"

#include <memory>
#include <optional>
#include <set>
#include <utility>

namespace optimystic::plugins::collection_tree {

namespace {

using block::Value;
using Tree = btree::BTree<TreeEntryTraits>;

// The B+tree needs a BlockStore; a query only has a BlockSource. Writing through this view is a
// programmer error (a query that mutates), reported instead of silently dropped.
class ReadOnlyStore final : public block::BlockStore {
 public:
  explicit ReadOnlyStore(block::BlockSource& source) : source_(source) {}

  Result<block::BlockHeader> CreateBlockHeader(const block::BlockType& type,
                                               const std::optional<block::BlockId>& id) override {
    return source_.CreateBlockHeader(type, id);
  }
  Result<std::optional<Value>> TryGet(const block::BlockId& id,
                                      block::ReadPurpose purpose) override {
    return source_.TryGet(id, purpose);
  }
  Result<block::BlockRef> TryGetRef(const block::BlockId& id, block::ReadPurpose purpose) override {
    return source_.TryGetRef(id, purpose);
  }
  Result<block::BlockId> GenerateId() override { return source_.GenerateId(); }
  Status Insert(const Value&) override { return ReadOnly(); }
  Status Update(const block::BlockId&, const block::BlockOperation&) override { return ReadOnly(); }
  Status Delete(const block::BlockId&) override { return ReadOnly(); }

 private:
  static Status ReadOnly() { return Status::Internal("tree query: the read view is read-only"); }
  block::BlockSource& source_;
};

struct KeyLess {
  bool operator()(const Value& a, const Value& b) const { return CompareTreeKeys(a, b) < 0; }
};

std::string Prefix(std::string_view query) { return "tree " + std::string(query) + ": "; }

// The fan-out persisted in the header of tree `id` (pitfall 30: never the configured one).
Result<size_t> StoredCapacity(const Value& header, const block::BlockId& id) {
  auto it = header.find(kCapacityMember);
  Result<uint64_t> capacity = it == header.end()
                                  ? Result<uint64_t>(Status::InvalidArgument("missing"))
                                  : btree::ScalarFromValue<uint64_t>(*it);
  if (!capacity.has_value() || *capacity < btree::kMinNodeCapacity || *capacity > kMaxCapacity) {
    return Status::Corruption("tree " + id + ": header capacity: expected an integer from " +
                              std::to_string(btree::kMinNodeCapacity) + " to " +
                              std::to_string(kMaxCapacity));
  }
  return static_cast<size_t>(*capacity);
}

// A throwaway tree over `store` (an Atomic for actions, a read view for queries).
Result<Tree> BindTree(block::BlockStore& store, const block::BlockId& id) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockRef header, block::GetBlockRef(store, id));
  OPTIMYSTIC_ASSIGN_OR_RETURN(size_t capacity, StoredCapacity(*header, id));
  return Tree::Bind(store, std::make_unique<btree::CollectionTrunk>(store, id), TreeEntryTraits(),
                    btree::BTreeOptions{capacity});
}

// One [key] or [key, entry] pair of a replace action, at `index` in its data.
Status CheckPair(const Value& pair, size_t index) {
  const std::string where = "tree replace: data[" + std::to_string(index) + "]: ";
  if (!pair.is_array() || pair.empty() || pair.size() > 2) {
    return Status::InvalidArgument(where + "expected [key] or [key, entry]");
  }
  if (!IsTreeKey(pair[0])) {
    return Status::InvalidArgument(where + "key must be a string or a finite number");
  }
  return Status::Ok();
}

Status CheckReplaceData(const Value& data) {
  if (!data.is_array()) {
    return Status::InvalidArgument("tree replace: data must be an array of [key, entry] pairs");
  }
  for (size_t i = 0; i < data.size(); ++i) OPTIMYSTIC_RETURN_IF_ERROR(CheckPair(data[i], i));
  return Status::Ok();
}

bool IsUpsert(const Value& pair) { return pair.size() == 2 && !pair[1].is_null(); }

// Query arguments: an object (null counts as {}) whose members are all in `known`.
Status CheckArgs(std::string_view query, const Value& args,
                 std::initializer_list<std::string_view> known) {
  if (args.is_null()) return Status::Ok();
  if (!args.is_object()) return Status::InvalidArgument(Prefix(query) + "args must be an object");
  for (const auto& [member, value] : args.items()) {
    bool found = false;
    std::string list;
    for (std::string_view k : known) {
      found = found || member == k;
      list += (list.empty() ? "" : ", ") + std::string(k);
    }
    if (!found) {
      return Status::InvalidArgument(Prefix(query) + "unknown argument '" + member +
                                     "' (known: " + (list.empty() ? "none" : list) + ")");
    }
  }
  return Status::Ok();
}

// The optional key argument `member`; null or absent is nullopt.
Result<std::optional<Value>> KeyArg(std::string_view query, const Value& args,
                                    std::string_view member) {
  if (!args.is_object()) return std::optional<Value>();
  auto it = args.find(member);
  if (it == args.end() || it->is_null()) return std::optional<Value>();
  if (!IsTreeKey(*it)) {
    return Status::InvalidArgument(Prefix(query) + std::string(member) +
                                   " must be a string or a finite number");
  }
  return std::optional<Value>(*it);
}

Result<Value> QueryGet(Tree& tree, const Value& args) {
  OPTIMYSTIC_RETURN_IF_ERROR(CheckArgs("get", args, {"key"}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Value> key, KeyArg("get", args, "key"));
  if (!key.has_value()) {
    return Status::InvalidArgument("tree get: key must be a string or a finite number");
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Value> stored, tree.Get(*key));
  if (!stored.has_value()) return Value(nullptr);
  return (*stored)[std::string(kValueMember)];
}

struct RangeArgs {
  std::optional<Value> from;  // inclusive
  std::optional<Value> to;    // exclusive
  bool descending = false;
  uint64_t limit = 0;  // 0: no limit
};

Result<RangeArgs> ParseRangeArgs(const Value& args) {
  OPTIMYSTIC_RETURN_IF_ERROR(CheckArgs("range", args, {"from", "to", "desc", "limit"}));
  RangeArgs out;
  OPTIMYSTIC_ASSIGN_OR_RETURN(out.from, KeyArg("range", args, "from"));
  OPTIMYSTIC_ASSIGN_OR_RETURN(out.to, KeyArg("range", args, "to"));
  if (!args.is_object()) return out;
  if (auto it = args.find("desc"); it != args.end() && !it->is_null()) {
    if (!it->is_boolean()) return Status::InvalidArgument("tree range: desc must be a boolean");
    out.descending = it->get<bool>();
  }
  if (auto it = args.find("limit"); it != args.end() && !it->is_null()) {
    Result<uint64_t> limit = btree::ScalarFromValue<uint64_t>(*it);
    if (!limit.has_value()) {
      return Status::InvalidArgument("tree range: limit must be a non-negative integer");
    }
    out.limit = *limit;
  }
  return out;
}

Result<Value> QueryRange(Tree& tree, const Value& args) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(RangeArgs range, ParseRangeArgs(args));
  Value out = Value::array();
  if (range.from && range.to && CompareTreeKeys(*range.from, *range.to) >= 0) return out;
  // [from, to) either way; descending starts at the high (exclusive) end.
  btree::KeyRange<Value> keys;
  std::optional<btree::KeyBound<Value>> low, high;
  if (range.from) low = btree::KeyBound<Value>{*range.from, true};
  if (range.to) high = btree::KeyBound<Value>{*range.to, false};
  keys.direction = range.descending ? btree::Direction::kDescending : btree::Direction::kAscending;
  keys.first = range.descending ? high : low;
  keys.last = range.descending ? low : high;
  OPTIMYSTIC_ASSIGN_OR_RETURN(btree::Cursor<TreeEntryTraits> cursor, tree.Range(keys));
  while (cursor.on() && (range.limit == 0 || out.size() < range.limit)) {
    // tree.At rather than cursor.entry(): the latter's move out of an optional trips GCC 12's
    // -Wmaybe-uninitialized (a false positive) in every user of the template.
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Value> stored, tree.At(cursor.path()));
    if (!stored.has_value()) break;
    out.push_back(Value::array(
        {(*stored)[std::string(kKeyMember)], std::move((*stored)[std::string(kValueMember)])}));
    OPTIMYSTIC_RETURN_IF_ERROR(cursor.Next());
  }
  return out;
}

Result<Value> QueryCount(Tree& tree, const Value& args) {
  OPTIMYSTIC_RETURN_IF_ERROR(CheckArgs("count", args, {}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(size_t count, tree.GetCount());
  return Value(static_cast<uint64_t>(count));
}

}  // namespace

Result<TreeOptions> TreeOptions::FromSettings(const config::Settings& settings) {
  OPTIMYSTIC_RETURN_IF_ERROR(settings.CheckKeys({"capacity"}));
  TreeOptions options;
  OPTIMYSTIC_ASSIGN_OR_RETURN(uint64_t capacity, settings.GetUint("capacity", options.capacity));
  if (capacity < btree::kMinNodeCapacity || capacity > kMaxCapacity) {
    return settings.Get("capacity")
        .Error("must be from " + std::to_string(btree::kMinNodeCapacity) + " to " +
               std::to_string(kMaxCapacity) + ", got " + std::to_string(capacity));
  }
  options.capacity = static_cast<size_t>(capacity);
  return options;
}

std::string_view TreeCollectionType::header_block_type() const noexcept {
  return block::kTreeHeaderType;
}

Result<Value> TreeCollectionType::CreateHeaderBlock(const block::BlockId& id,
                                                    block::BlockStore& store) const noexcept {
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockId root, btree::CreateEmptyRoot(store));
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockHeader header,
                              store.CreateBlockHeader(std::string(block::kTreeHeaderType), id));
  Value block = block::MakeBlock(header);
  block[btree::kRootIdMember] = root;
  block[std::string(kCapacityMember)] = static_cast<uint64_t>(options_.capacity);
  return block;
}

Status TreeCollectionType::ValidateAction(const collections::Action& action) const noexcept {
  if (action.type != kReplaceAction) {
    return Status::InvalidArgument("tree: unknown action type '" + action.type +
                                   "' (known: replace)");
  }
  return CheckReplaceData(action.data);
}

Status TreeCollectionType::ApplyAction(const collections::Action& action, const block::BlockId& id,
                                       block::BlockStore& store) const noexcept {
  OPTIMYSTIC_RETURN_IF_ERROR(ValidateAction(action));
  OPTIMYSTIC_ASSIGN_OR_RETURN(Tree tree, BindTree(store, id));
  for (size_t i = 0; i < action.data.size(); ++i) {
    const Value& pair = action.data[i];
    Status status;
    if (IsUpsert(pair)) {
      status = tree.Upsert(MakeStoredEntry(pair[0], pair[1])).status();
    } else {
      Result<btree::Path> path = tree.Find(pair[0]);
      status = path.status();
      if (path.has_value() && path->on) status = tree.DeleteAt(*path).status();
    }
    if (!status.ok()) return status.WithContext("tree replace: data[" + std::to_string(i) + "]");
  }
  return Status::Ok();
}

bool TreeCollectionType::Overlaps(const collections::Action& local,
                                  const collections::Action& remote) const noexcept {
  // Anything this type cannot read counts as overlapping: the resolver decides, not chance.
  if (!ValidateAction(local).ok() || !ValidateAction(remote).ok()) return true;
  std::set<Value, KeyLess> keys;
  for (const Value& pair : local.data) keys.insert(pair[0]);
  for (const Value& pair : remote.data) {
    if (keys.count(pair[0]) != 0) return true;
  }
  return false;
}

Result<Value> TreeCollectionType::Query(std::string_view name, const Value& args,
                                        collections::CollectionReader& reader) const noexcept {
  if (name != "get" && name != "range" && name != "count") {
    return Status::NotFound("tree: unknown query '" + std::string(name) +
                            "' (known: get, range, count)");
  }
  ReadOnlyStore view(reader.blocks());
  OPTIMYSTIC_ASSIGN_OR_RETURN(Tree tree, BindTree(view, reader.collection_id()));
  if (name == "get") return QueryGet(tree, args);
  if (name == "range") return QueryRange(tree, args);
  return QueryCount(tree, args);
}

}  // namespace optimystic::plugins::collection_tree
