// SPDX-License-Identifier: Apache-2.0
// Model-based property tests: seeded random sequences of insert, upsert, updateAt (with and
// without key changes), merge, deleteAt, range, getCount, get and next/prior against std::map,
// at capacities 4, 8 and 64. After every step the whole tree is walked: order, fill bounds,
// partitions equal to the lowest key on their right, every node reachable once, the entries
// equal to the model's, and the store holding exactly the reachable nodes plus the trunk.
// The live set grows to a cap and shrinks again (sometimes to empty), so trees repeatedly grow
// and collapse through every split, borrow and merge.
// The per-step walk is an independent checker over a mirror of the store (mirror_store.h), so it
// copies no blocks; every kFullCheckEvery steps and at the end the tree's own Verify walks the
// real store and the mirror is compared with it block by block.
// A failure prints its seed; OPTIMYSTIC_BTREE_SEED=<seed> replays it. For soaks,
// OPTIMYSTIC_BTREE_STEPS=<n> changes the number of steps and OPTIMYSTIC_BTREE_MAX_LIVE=<n> the
// live-set cap (larger caps reach deeper trees at capacity 64).
#include <optimystic/base/seeded_random.h>
#include <optimystic/btree/btree.h>

#include "kernel/core/btree/btree_test_util.h"
#include "kernel/core/btree/mirror_store.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <ostream>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::btree {
namespace {

using test::Record;
using Model = std::map<int64_t, int64_t>;

constexpr int64_t kValueSpan = int64_t{1} << 20;  // values are below this

// Records (entry != key, so upsert, updateAt and merge change something) packed into one integer,
// key * kValueSpan + value: copying a 64-entry leaf then allocates nothing per entry, which keeps
// 300k checked steps fast in Debug and sanitizer builds. The [key, value] array form of
// RecordTraits is what the unit tests use.
struct PackedRecordTraits {
  using Entry = Record;
  using Key = int64_t;
  int64_t KeyOf(const Record& r) const { return r.key; }
  int Compare(int64_t a, int64_t b) const { return a < b ? -1 : (b < a ? 1 : 0); }
  block::Value EncodeEntry(const Record& r) const { return r.key * kValueSpan + r.value; }
  Result<Record> DecodeEntry(const block::Value& v) const {
    OPTIMYSTIC_ASSIGN_OR_RETURN(int64_t packed, ScalarFromValue<int64_t>(v));
    return Record{packed / kValueSpan, packed % kValueSpan};
  }
  block::Value EncodeKey(int64_t k) const { return k; }
  Result<int64_t> DecodeKey(const block::Value& v) const { return ScalarFromValue<int64_t>(v); }
  Result<int64_t> KeyOfEncoded(const block::Value& v) const {
    OPTIMYSTIC_ASSIGN_OR_RETURN(int64_t packed, ScalarFromValue<int64_t>(v));
    return packed / kValueSpan;
  }
};

using Tree = BTree<PackedRecordTraits>;

std::optional<uint64_t> EnvNumber(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  return std::strtoull(text, nullptr, 10);
}

std::string Show(const std::optional<Record>& r) {
  return r.has_value() ? "{" + std::to_string(r->key) + "," + std::to_string(r->value) + "}"
                       : "none";
}

Status Mismatch(const std::string& what, const std::string& expected, const std::string& got) {
  return Status::Internal(what + ": expected " + expected + ", got " + got);
}

constexpr size_t kFullCheckEvery = 1000;

// The invariants of SPEC.md §3, checked on the mirror of the store independently of the tree's
// own code: well-formed nodes, leaves all at one depth, fill bounds for non-root nodes (a root
// branch has at least two children), keys strictly increasing across the leaves and equal to
// the model's entries, each partition equal to the lowest key of the subtree to its right, each
// node reachable once, and nothing else in the store but the trunk.
class MirrorCheck final {
 public:
  MirrorCheck(const test::MirrorStore& store, size_t capacity, const Model& model)
      : blocks_(store.blocks()), capacity_(capacity), model_(model), next_(model.begin()) {}

  Result<size_t> Run(const block::BlockId& trunk_id) {
    auto trunk = blocks_.find(trunk_id);
    if (trunk == blocks_.end() || !trunk->second.contains("rootId")) {
      return Status::Internal("trunk missing");
    }
    OPTIMYSTIC_RETURN_IF_ERROR(Walk(trunk->second["rootId"].get<std::string>(), 1).status());
    if (next_ != model_.end()) return Status::Internal("the tree lacks entries of the model");
    if (seen_.size() + 1 != blocks_.size()) {
      return Mismatch("blocks in the store (reachable nodes + trunk)",
                      std::to_string(seen_.size() + 1), std::to_string(blocks_.size()));
    }
    return height_;
  }

 private:
  Status Broken(const std::string& id, const std::string& what) {
    return Status::Internal("node " + id + ": " + what);
  }

  // Checks the subtree `id` at `depth` (root = 1); returns its lowest key (none: empty root).
  Result<std::optional<int64_t>> Walk(const std::string& id, size_t depth) {
    auto it = blocks_.find(id);
    if (it == blocks_.end()) return Broken(id, "missing from the store");
    if (!seen_.insert(it->first).second) return Broken(id, "reachable twice");
    const block::Value& node = it->second;
    OPTIMYSTIC_ASSIGN_OR_RETURN(NodeKind kind, CheckNode(node));
    const size_t fill = kind == NodeKind::kLeaf ? Entries(node).size() : Nodes(node).size();
    const size_t low = depth > 1 ? capacity_ / 2 : (kind == NodeKind::kLeaf ? 0 : 2);
    if (fill < low || fill > capacity_) return Broken(id, "fill " + std::to_string(fill));
    if (kind == NodeKind::kLeaf) return WalkLeaf(id, node, depth);
    std::optional<int64_t> lowest;
    for (size_t i = 0; i < fill; ++i) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<int64_t> child, Walk(ChildId(node, i), depth + 1));
      if (!child.has_value()) return Broken(id, "empty child");
      if (i == 0) {
        lowest = child;
      } else if (Partitions(node)[i - 1] != *child) {
        return Broken(id, "partitions[" + std::to_string(i - 1) + "] is " +
                              Partitions(node)[i - 1].dump() + ", lowest key on its right " +
                              std::to_string(*child));
      }
    }
    return lowest;
  }

  Result<std::optional<int64_t>> WalkLeaf(const std::string& id, const block::Value& leaf,
                                          size_t depth) {
    if (height_ == 0) height_ = depth;
    if (height_ != depth) return Broken(id, "leaf at depth " + std::to_string(depth));
    std::optional<int64_t> lowest;
    for (const block::Value& entry : Entries(leaf)) {
      if (next_ == model_.end()) return Broken(id, "entry beyond the model: " + entry.dump());
      if (entry != next_->first * kValueSpan + next_->second) {
        return Broken(id, "entry " + entry.dump() + ", model [" + std::to_string(next_->first) +
                              "," + std::to_string(next_->second) + "]");
      }
      if (!lowest.has_value()) lowest = next_->first;
      ++next_;
    }
    return lowest;
  }

  const std::map<block::BlockId, block::Value>& blocks_;
  const size_t capacity_;
  const Model& model_;
  Model::const_iterator next_;
  std::set<std::string_view> seen_;
  size_t height_ = 0;
};

class ModelRun final {
 public:
  ModelRun(size_t capacity, size_t max_live, uint64_t seed)
      : capacity_(capacity), max_live_(max_live), key_space_(max_live * 4), rng_(seed) {}

  Status Run(size_t steps) {
    auto tree = Tree::Create(store_, IndependentTrunk::Factory(), PackedRecordTraits(),
                             BTreeOptions{capacity_});
    OPTIMYSTIC_RETURN_IF_ERROR(tree.status());
    tree_.emplace(std::move(tree).value());
    for (step_ = 0; step_ < steps; ++step_) {
      Status status = Step();
      if (status.ok()) status = CheckTree();
      if (!status.ok()) {
        return status.WithContext("step " + std::to_string(step_) + " (" + op_ + ", " +
                                  std::to_string(model_.size()) + " entries)");
      }
    }
    return FullCheck();
  }

  size_t max_height() const { return max_height_; }

 private:
  uint64_t Uniform(uint64_t bound) { return rng_.Uniform(bound); }
  bool Chance(uint64_t percent) { return Uniform(100) < percent; }
  int64_t RandomKey() { return static_cast<int64_t>(Uniform(key_space_)); }
  int64_t ExistingKey() {
    if (model_.empty()) return RandomKey();
    auto it = model_.lower_bound(RandomKey());
    return it == model_.end() ? model_.begin()->first : it->first;
  }
  int64_t RandomValue() { return static_cast<int64_t>(Uniform(kValueSpan - 1)); }
  std::optional<Record> ModelGet(int64_t key) const {
    auto it = model_.find(key);
    if (it == model_.end()) return std::nullopt;
    return Record{it->first, it->second};
  }

  // Grow to max_live_, then shrink to a quarter of it or (every other time) to empty.
  void SteerPhase() {
    if (growing_ && model_.size() >= max_live_) {
      growing_ = false;
      shrink_to_ = (++cycles_ % 2 == 0) ? 0 : max_live_ / 4;
    } else if (!growing_ && model_.size() <= shrink_to_) {
      growing_ = true;
    }
  }

  Status Step() {
    SteerPhase();
    const uint64_t roll = Uniform(100);
    const uint64_t deletes = growing_ ? 10 : 45;
    if (roll < deletes) return DoDelete();
    const uint64_t r = (roll - deletes) * 100 / (100 - deletes);
    if (r < 22) return DoInsert();
    if (r < 36) return DoUpsert();
    if (r < 50) return DoMerge();
    if (r < 66) return DoUpdateAt();
    if (r < 78) return DoRange();
    if (r < 84) return DoCount();
    if (r < 92) return DoGet();
    return DoNavigate();
  }

  Result<std::optional<Record>> At(const Path& path) { return tree_->At(path); }

  // The entry a path reaches with one Next (for off paths that sit at an entry).
  Result<std::optional<Record>> AtAfterNext(Path path) {
    OPTIMYSTIC_RETURN_IF_ERROR(tree_->MoveNext(path));
    return tree_->At(path);
  }

  Status ExpectEntry(const std::string& what, const std::optional<Record>& expected,
                     const std::optional<Record>& got) {
    if (expected == got) return Status::Ok();
    return Mismatch(what, Show(expected), Show(got));
  }

  Status DoInsert() {
    const Record record{RandomKey(), RandomValue()};
    op_ = "insert " + Show(record);
    const std::optional<Record> existing = ModelGet(record.key);
    OPTIMYSTIC_ASSIGN_OR_RETURN(Path path, tree_->Insert(record));
    if (!tree_->IsValid(path)) return Status::Internal("insert returned a stale path");
    if (existing.has_value()) {
      if (path.on) return Status::Internal("insert of an existing key returned an on path");
      OPTIMYSTIC_ASSIGN_OR_RETURN(auto at, AtAfterNext(std::move(path)));
      return ExpectEntry("insert of an existing key: position", existing, at);
    }
    if (!path.on) return Status::Internal("insert of a new key returned an off path");
    model_[record.key] = record.value;
    OPTIMYSTIC_ASSIGN_OR_RETURN(auto at, At(path));
    return ExpectEntry("insert: entry at path", record, at);
  }

  Status DoUpsert() {
    const Record record{Chance(50) ? ExistingKey() : RandomKey(), RandomValue()};
    op_ = "upsert " + Show(record);
    const bool existed = model_.count(record.key) != 0;
    OPTIMYSTIC_ASSIGN_OR_RETURN(Path path, tree_->Upsert(record));
    model_[record.key] = record.value;
    if (path.on != existed) return Status::Internal("upsert: path.on != key existed");
    OPTIMYSTIC_ASSIGN_OR_RETURN(auto at, existed ? At(path) : AtAfterNext(std::move(path)));
    return ExpectEntry("upsert: entry at path", record, at);
  }

  // The model's side of an update of `old_key` to `updated`; returns whether it changes the key
  // and the new key was free (the tree must then report wasUpdate = false, on).
  Status ExpectUpdate(const std::string& what, int64_t old_key, const Record& updated,
                      const Tree::UpdateResult& result) {
    if (updated.key == old_key) {
      if (!result.was_update || !result.path.on) {
        return Status::Internal(what + ": same-key update must be {on, true}");
      }
      model_[old_key] = updated.value;
    } else if (model_.count(updated.key) != 0) {
      if (result.was_update || result.path.on) {
        return Status::Internal(what + ": update to an existing key must be {off, false}");
      }
      return Status::Ok();
    } else {
      if (result.was_update || !result.path.on) {
        return Status::Internal(what + ": key-changing update must be {on, false}");
      }
      model_.erase(old_key);
      model_[updated.key] = updated.value;
    }
    if (!tree_->IsValid(result.path)) return Status::Internal(what + ": stale result path");
    OPTIMYSTIC_ASSIGN_OR_RETURN(auto at, At(result.path));
    return ExpectEntry(what + ": entry at path", updated, at);
  }

  Status DoMerge() {
    const Record record{Chance(60) ? ExistingKey() : RandomKey(), RandomValue()};
    const bool change_key = Chance(20);
    const int64_t other_key = RandomKey();
    op_ = "merge " + Show(record) + (change_key ? " to key " + std::to_string(other_key) : "");
    const std::optional<Record> existing = ModelGet(record.key);
    std::optional<Record> updated;
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        Tree::UpdateResult result, tree_->Merge(record, [&](const Record& old) {
          updated = Record{change_key ? other_key : old.key, (old.value + 1) % kValueSpan};
          return *updated;
        }));
    if (!existing.has_value()) {
      if (updated.has_value()) return Status::Internal("merge called getUpdated for a new key");
      if (result.was_update || !result.path.on) {
        return Status::Internal("merge of a new key must be {on, false}");
      }
      model_[record.key] = record.value;
      OPTIMYSTIC_ASSIGN_OR_RETURN(auto at, At(result.path));
      return ExpectEntry("merge insert: entry at path", record, at);
    }
    if (!updated.has_value()) return Status::Internal("merge did not call getUpdated");
    return ExpectUpdate("merge update", record.key, *updated, result);
  }

  Status DoUpdateAt() {
    const int64_t key = Chance(90) ? ExistingKey() : RandomKey();
    const Record updated{Chance(50) ? key : RandomKey(), RandomValue()};
    op_ = "updateAt " + std::to_string(key) + " -> " + Show(updated);
    OPTIMYSTIC_ASSIGN_OR_RETURN(Path path, tree_->Find(key));
    const bool found = path.on;
    OPTIMYSTIC_ASSIGN_OR_RETURN(Tree::UpdateResult result,
                                tree_->UpdateAt(std::move(path), updated));
    if (model_.count(key) == 0) {
      if (found) return Status::Internal("find of a missing key returned an on path");
      if (!result.was_update || result.path.on) {
        return Status::Internal("updateAt of an off path must be {off, true}");
      }
      return Status::Ok();
    }
    return ExpectUpdate("updateAt", key, updated, result);
  }

  Status DoDelete() {
    const int64_t key = Chance(85) ? ExistingKey() : RandomKey();
    op_ = "deleteAt " + std::to_string(key);
    OPTIMYSTIC_ASSIGN_OR_RETURN(Path path, tree_->Find(key));
    OPTIMYSTIC_ASSIGN_OR_RETURN(bool removed, tree_->DeleteAt(std::move(path)));
    const bool existed = model_.erase(key) != 0;
    if (removed != existed) return Mismatch("deleteAt", existed ? "true" : "false", "other");
    return Status::Ok();
  }

  std::optional<KeyBound<int64_t>> RandomBound() {
    if (Chance(20)) return std::nullopt;
    return KeyBound<int64_t>{Chance(70) ? ExistingKey() : RandomKey(), Chance(50)};
  }

  static bool Within(int64_t key, const std::optional<KeyBound<int64_t>>& low,
                     const std::optional<KeyBound<int64_t>>& high) {
    if (low.has_value() && (key < low->key || (key == low->key && !low->inclusive))) return false;
    if (high.has_value() && (key > high->key || (key == high->key && !high->inclusive))) {
      return false;
    }
    return true;
  }

  Status DoRange() {
    KeyRange<int64_t> range{RandomBound(), RandomBound(),
                            Chance(50) ? Direction::kAscending : Direction::kDescending};
    const bool ascending = range.direction == Direction::kAscending;
    op_ = std::string("range ") + (ascending ? "asc" : "desc");
    std::vector<Record> expected;
    const auto& low = ascending ? range.first : range.last;
    const auto& high = ascending ? range.last : range.first;
    for (const auto& [key, value] : model_) {
      if (Within(key, low, high)) expected.push_back(Record{key, value});
    }
    if (!ascending) std::reverse(expected.begin(), expected.end());
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<Record> got, test::Collect(tree_->Range(range)));
    if (got != expected) {
      return Mismatch("range", std::to_string(expected.size()) + " entries",
                      std::to_string(got.size()) + " entries (or different ones)");
    }
    return Status::Ok();
  }

  Status DoCount() {
    if (Chance(40)) {
      op_ = "getCount";
      OPTIMYSTIC_ASSIGN_OR_RETURN(size_t count, tree_->GetCount());
      if (count != model_.size()) {
        return Mismatch("getCount", std::to_string(model_.size()), std::to_string(count));
      }
      return Status::Ok();
    }
    const int64_t key = Chance(80) ? ExistingKey() : RandomKey();
    const Direction direction = Chance(50) ? Direction::kAscending : Direction::kDescending;
    op_ = "getCount from " + std::to_string(key);
    OPTIMYSTIC_ASSIGN_OR_RETURN(Path path, tree_->Find(key));
    OPTIMYSTIC_ASSIGN_OR_RETURN(size_t count, tree_->GetCount(path, direction));
    size_t expected = 0;
    if (model_.count(key) != 0) {
      expected = direction == Direction::kAscending
                     ? static_cast<size_t>(std::distance(model_.lower_bound(key), model_.end()))
                     : static_cast<size_t>(std::distance(model_.begin(), model_.upper_bound(key)));
    }
    if (count != expected) {
      return Mismatch("getCount from a path", std::to_string(expected), std::to_string(count));
    }
    return Status::Ok();
  }

  Status DoGet() {
    const int64_t key = Chance(60) ? ExistingKey() : RandomKey();
    op_ = "get " + std::to_string(key);
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Record> got, tree_->Get(key));
    return ExpectEntry("get", ModelGet(key), got);
  }

  Status DoNavigate() {
    const int64_t key = RandomKey();
    op_ = "next/prior from " + std::to_string(key);
    OPTIMYSTIC_ASSIGN_OR_RETURN(Path path, tree_->Find(key));
    OPTIMYSTIC_ASSIGN_OR_RETURN(Path next, tree_->Next(path));
    OPTIMYSTIC_ASSIGN_OR_RETURN(Path prior, tree_->Prior(path));
    auto after = model_.upper_bound(key);
    auto before = model_.lower_bound(key);
    std::optional<Record> expected_next;
    std::optional<Record> expected_prior;
    if (!path.on) after = model_.lower_bound(key);
    if (after != model_.end()) expected_next = Record{after->first, after->second};
    if (before != model_.begin()) {
      --before;
      expected_prior = Record{before->first, before->second};
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(auto got_next, At(next));
    OPTIMYSTIC_RETURN_IF_ERROR(ExpectEntry("next", expected_next, got_next));
    OPTIMYSTIC_ASSIGN_OR_RETURN(auto got_prior, At(prior));
    return ExpectEntry("prior", expected_prior, got_prior);
  }

  // The whole-tree check after every step, on the mirror; periodically also the tree's own
  // Verify over the real store, and the mirror against the store.
  Status CheckTree() {
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        size_t height, MirrorCheck(store_, capacity_, model_).Run(tree_->trunk().block_id()));
    max_height_ = std::max(max_height_, height);
    if ((step_ + 1) % kFullCheckEvery != 0) return Status::Ok();
    return FullCheck();
  }

  Status FullCheck() {
    OPTIMYSTIC_RETURN_IF_ERROR(store_.CheckMirror());
    OPTIMYSTIC_ASSIGN_OR_RETURN(TreeShape shape, tree_->Verify());
    if (shape.entries != model_.size() || store_.size() != shape.node_ids.size() + 1) {
      return Status::Internal("Verify disagrees with the mirror check");
    }
    return Status::Ok();
  }

  const size_t capacity_;
  const size_t max_live_;
  const uint64_t key_space_;
  base::SeededRandom rng_;
  test::MirrorStore store_;
  std::optional<Tree> tree_;
  Model model_;
  size_t step_ = 0;
  std::string op_;
  bool growing_ = true;
  size_t shrink_to_ = 0;
  size_t cycles_ = 0;
  size_t max_height_ = 0;
};

struct PropertyCase {
  size_t capacity;
  size_t max_live;    // the live set grows to this many entries, then shrinks
  size_t min_height;  // the run must reach at least this height
  uint64_t seed;      // default seed (OPTIMYSTIC_BTREE_SEED overrides)
};

std::ostream& operator<<(std::ostream& out, const PropertyCase& c) {
  return out << "capacity " << c.capacity << ", live set up to " << c.max_live << ", seed "
             << c.seed;
}

class BTreeModel : public ::testing::TestWithParam<PropertyCase> {};

constexpr size_t kSteps = 100000;

TEST_P(BTreeModel, MatchesStdMapAfterEveryStep) {
  const PropertyCase& c = GetParam();
  const uint64_t seed = EnvNumber("OPTIMYSTIC_BTREE_SEED").value_or(c.seed);
  const size_t steps = EnvNumber("OPTIMYSTIC_BTREE_STEPS").value_or(kSteps);
  const size_t max_live = EnvNumber("OPTIMYSTIC_BTREE_MAX_LIVE").value_or(c.max_live);
  ModelRun run(c.capacity, max_live, seed);
  Status status = run.Run(steps);
  ASSERT_TRUE(status.ok()) << "capacity " << c.capacity << ", seed " << seed << ": "
                           << status.ToString() << "\nreplay: OPTIMYSTIC_BTREE_SEED=" << seed
                           << " btree_test --gtest_filter='*BTreeModel*'";
  EXPECT_GE(run.max_height(), c.min_height) << "seed " << seed;
  RecordProperty("max_height", static_cast<int>(run.max_height()));
  std::printf("capacity %zu: %zu steps, seed %llu, live set up to %zu, height up to %zu\n",
              c.capacity, steps, static_cast<unsigned long long>(seed), max_live, run.max_height());
}

INSTANTIATE_TEST_SUITE_P(BPlusTree, BTreeModel,
                         ::testing::Values(PropertyCase{4, 32, 4, 4004},
                                           PropertyCase{8, 64, 3, 8008},
                                           PropertyCase{64, 160, 2, 6464}),
                         [](const ::testing::TestParamInfo<PropertyCase>& info) {
                           return "Capacity" + std::to_string(info.param.capacity);
                         });

}  // namespace
}  // namespace optimystic::btree
