// SPDX-License-Identifier: Apache-2.0
// BTree<Traits>: a B+tree of blocks (SPEC.md §3), generic over entry and key types through a
// traits object (traits.h: key extractor, comparator, Value codec). Data lives only in leaves;
// leaves have no sibling links, so navigation climbs the Path (path.h). Node capacity is
// configurable (default 64, at least 4); non-root nodes hold at least capacity / 2.
// Paths carry the tree version; every successful mutation bumps it and every failed one too
// (a failure may leave path copies unlike the store), and an operation given a stale path fails
// with InvalidArgument "Path is invalid due to mutation of the tree".
// BTree::Create wraps the store in an AtomicProxy so that each public mutation is all-or-nothing
// (one commit per mutation, merge's update included); BTree::Bind uses the store as given (the
// caller, e.g. the Tree collection, supplies atomicity).
// Thread-safety: not thread-safe; one tree object is used from one thread at a time. A Cursor
// refers to its tree, which must outlive it and stay where it is.
// Errors: store errors propagate; malformed nodes, entries or keys read back are Corruption
// naming the block; nothing throws.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/atomic.h>
#include <optimystic/block/block_store.h>
#include <optimystic/btree/navigator.h>
#include <optimystic/btree/node.h>
#include <optimystic/btree/path.h>
#include <optimystic/btree/traits.h>
#include <optimystic/btree/trunk.h>
#include <optimystic/btree/verifier.h>
#include <optimystic/btree/writer.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace optimystic::btree {

struct BTreeOptions {
  size_t capacity = kDefaultNodeCapacity;  // entries per leaf, children per branch; >= 4
};

// Inserts an empty root leaf into `store` and returns its id (SPEC.md `createRoot`), for callers
// that build the trunk themselves (the Tree collection's header).
inline Result<block::BlockId> CreateEmptyRoot(block::BlockStore& store) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::Value root, NewLeaf(store, block::Value::array()));
  OPTIMYSTIC_RETURN_IF_ERROR(store.Insert(root));
  return NodeId(root);
}

inline constexpr const char kInvalidPathMessage[] = "Path is invalid due to mutation of the tree";

template <TreeTraits T>
class Cursor;

template <TreeTraits T>
class BTree final {
 public:
  using Entry = typename T::Entry;
  using Key = typename T::Key;

  struct UpdateResult {
    Path path;
    bool was_update = false;
  };

  // A new tree: wraps `store` in an AtomicProxy, inserts an empty root leaf, makes the trunk
  // with `make_trunk` (bound to the proxy) — all in one atomic scope. InvalidArgument when the
  // capacity is below 4. OWNERSHIP: `store` must outlive the tree.
  static Result<BTree> Create(block::BlockStore& store, const TrunkFactory& make_trunk,
                              T traits = T(), BTreeOptions options = {},
                              const std::optional<block::BlockId>& new_id = std::nullopt) {
    OPTIMYSTIC_RETURN_IF_ERROR(CheckOptions(options));
    auto proxy = std::make_unique<block::AtomicProxy>(store);
    block::AtomicProxy* bound = proxy.get();
    std::unique_ptr<Trunk> trunk;
    OPTIMYSTIC_RETURN_IF_ERROR(bound->Run([&](block::BlockStore&) -> Status {
      OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockId root, CreateEmptyRoot(*bound));
      OPTIMYSTIC_ASSIGN_OR_RETURN(trunk, make_trunk(*bound, root, new_id));
      return Status::Ok();
    }));
    return BTree(bound, std::move(proxy), std::move(trunk), std::move(traits), options);
  }

  // An existing tree, with atomic mutations as for Create; `open_trunk` binds to the proxy.
  static Result<BTree> Open(block::BlockStore& store, const TrunkOpener& open_trunk, T traits = T(),
                            BTreeOptions options = {}) {
    OPTIMYSTIC_RETURN_IF_ERROR(CheckOptions(options));
    auto proxy = std::make_unique<block::AtomicProxy>(store);
    block::AtomicProxy* bound = proxy.get();
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::unique_ptr<Trunk> trunk, open_trunk(*bound));
    return BTree(bound, std::move(proxy), std::move(trunk), std::move(traits), options);
  }

  // A tree over `store` as given, without atomicity. REQUIRES: `trunk` is bound to `store`.
  // OWNERSHIP: `store` must outlive the tree.
  static Result<BTree> Bind(block::BlockStore& store, std::unique_ptr<Trunk> trunk, T traits = T(),
                            BTreeOptions options = {}) {
    OPTIMYSTIC_RETURN_IF_ERROR(CheckOptions(options));
    return BTree(&store, nullptr, std::move(trunk), std::move(traits), options);
  }

  BTree(BTree&&) noexcept = default;
  BTree& operator=(BTree&&) noexcept = default;

  // --- Reads (SPEC.md §3.5) ---

  // The first / last entry; off when the tree is empty.
  Result<Path> First() { return Stamp(Nav().First()); }
  Result<Path> Last() { return Stamp(Nav().Last()); }
  // On the key's entry, or off at the crack where it would be inserted.
  Result<Path> Find(const Key& key) { return Stamp(Nav().Find(key)); }
  // A point lookup (interior nodes read as navigation, the leaf as value).
  Result<std::optional<Entry>> Get(const Key& key) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(Path path, Nav().Find(key, internal::Lookup::kPoint));
    return EntryAt(path);
  }
  // The entry under `path`, or nullopt when it is off.
  Result<std::optional<Entry>> At(const Path& path) const {
    OPTIMYSTIC_RETURN_IF_ERROR(Validate(path));
    return EntryAt(path);
  }
  // The key under `path`, or nullopt when it is off.
  Result<std::optional<Key>> KeyAt(const Path& path) const {
    OPTIMYSTIC_RETURN_IF_ERROR(Validate(path));
    if (!path.on) return std::optional<Key>();
    OPTIMYSTIC_ASSIGN_OR_RETURN(Key key, ConstNav().KeyAt(path));
    return std::optional<Key>(std::move(key));
  }
  // A copy of `path` moved one entry forward / back; off past either end.
  Result<Path> Next(const Path& path) {
    Path moved = path;
    OPTIMYSTIC_RETURN_IF_ERROR(MoveNext(moved));
    return moved;
  }
  Result<Path> Prior(const Path& path) {
    Path moved = path;
    OPTIMYSTIC_RETURN_IF_ERROR(MovePrior(moved));
    return moved;
  }
  // Moves `path` itself.
  Status MoveNext(Path& path) {
    OPTIMYSTIC_RETURN_IF_ERROR(Validate(path));
    return Nav().MoveNext(path);
  }
  Status MovePrior(Path& path) {
    OPTIMYSTIC_RETURN_IF_ERROR(Validate(path));
    return Nav().MovePrior(path);
  }
  // Iterates from `path` (inclusive) to the end / the start while on; each step re-validates.
  Result<Cursor<T>> Ascending(const Path& path);
  Result<Cursor<T>> Descending(const Path& path);
  // Iterates a KeyRange (SPEC.md §3.5 range).
  Result<Cursor<T>> Range(const KeyRange<Key>& range);
  // The number of entries (visits every leaf).
  Result<size_t> GetCount() {
    OPTIMYSTIC_ASSIGN_OR_RETURN(Path path, Nav().First());
    return CountFrom(std::move(path), Direction::kAscending);
  }
  // Ascending: entries from `from` (inclusive) to the end; descending: from the start to `from`
  // (inclusive). 0 when `from` is off.
  Result<size_t> GetCount(const Path& from, Direction direction = Direction::kAscending) {
    OPTIMYSTIC_RETURN_IF_ERROR(Validate(from));
    return CountFrom(from, direction);
  }

  bool IsValid(const Path& path) const { return path.version == version_; }
  // Invalidates every outstanding path (after the data changed through another binding).
  void InvalidatePaths() { ++version_; }
  uint64_t version() const { return version_; }

  // --- Mutations (SPEC.md §3.6) ---

  // Inserts `entry`: on at the new entry; when the key exists, off at the existing entry and
  // nothing changes (the version stays).
  Result<Path> Insert(const Entry& entry) {
    return Mutate<Path>([&]() -> Result<Path> { return InsertUnscoped(entry); });
  }
  // Inserts or replaces. Quirk kept from the SPEC: the path is on when the key existed and off
  // (at the new entry) when it was new.
  Result<Path> Upsert(const Entry& entry) {
    return Mutate<Path>([&]() -> Result<Path> {
      OPTIMYSTIC_ASSIGN_OR_RETURN(Path path, Nav().Find(Ctx().traits.KeyOf(entry)));
      block::Value encoded = Ctx().traits.EncodeEntry(entry);
      if (path.on) {
        OPTIMYSTIC_RETURN_IF_ERROR(Writer().ReplaceAt(path, std::move(encoded)));
      } else {
        OPTIMYSTIC_RETURN_IF_ERROR(Writer().InsertAt(path, std::move(encoded)));
      }
      return Bumped(std::move(path));
    });
  }
  // Replaces the entry under `path`: off -> no-op, {path, true}; same key -> replaced,
  // {on path, true}; new key that exists -> nothing changes, {off path at it, false}; new key
  // -> inserted, the old one deleted, {on path at the new key, false}.
  Result<UpdateResult> UpdateAt(Path path, const Entry& entry) {
    OPTIMYSTIC_RETURN_IF_ERROR(Validate(path));
    if (!path.on) return UpdateResult{std::move(path), true};
    return Mutate<UpdateResult>([&]() { return UpdateUnscoped(std::move(path), entry); });
  }
  // Existing key -> UpdateAt(its path, get_updated(existing)) in the same atomic scope; else
  // inserts `entry`, {on path, false}. `get_updated`: Entry(const Entry&), must not mutate the
  // tree.
  template <class F>
  requires std::is_invocable_r_v<Entry, F&, const Entry&> Result<UpdateResult> Merge(
      const Entry& entry, F&& get_updated) {
    return Mutate<UpdateResult>([&]() -> Result<UpdateResult> {
      OPTIMYSTIC_ASSIGN_OR_RETURN(Path path, Nav().Find(Ctx().traits.KeyOf(entry)));
      if (path.on) {
        OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Entry> existing, EntryAt(path));
        path.version = version_;
        return UpdateUnscoped(std::move(path), get_updated(*existing));
      }
      OPTIMYSTIC_RETURN_IF_ERROR(Writer().InsertAt(path, Ctx().traits.EncodeEntry(entry)));
      path.on = true;
      return UpdateResult{Bumped(std::move(path)), false};
    });
  }
  // Deletes the entry under `path`; false (nothing changes) when the path is off.
  Result<bool> DeleteAt(Path path) {
    OPTIMYSTIC_RETURN_IF_ERROR(Validate(path));
    if (!path.on) return false;
    return Mutate<bool>([&]() -> Result<bool> {
      OPTIMYSTIC_RETURN_IF_ERROR(Writer().RemoveAt(path));
      ++version_;
      return true;
    });
  }
  // Deletes every node (the trunk block stays, pointing at the deleted root).
  Status Drop() {
    return Mutate<bool>([&]() -> Result<bool> {
             OPTIMYSTIC_RETURN_IF_ERROR(Writer().Drop());
             ++version_;
             return true;
           })
        .status();
  }

  // Walks the whole tree checking every invariant (verifier.h); `visit` sees each entry.
  Result<TreeShape> Verify(const EntryVisitor& visit = nullptr) {
    return internal::Verifier<T>(Ctx(), visit).Run();
  }

  Trunk& trunk() { return *trunk_; }
  // The store the tree reads and writes (the AtomicProxy when made by Create or Open).
  block::BlockStore& store() { return *ctx_->store; }
  const T& traits() const { return ctx_->traits; }
  size_t capacity() const { return ctx_->capacity; }

 private:
  friend class Cursor<T>;

  // `store` is the proxy when there is one.
  BTree(block::BlockStore* store, std::unique_ptr<block::AtomicProxy> proxy,
        std::unique_ptr<Trunk> trunk, T traits, BTreeOptions options)
      : proxy_(std::move(proxy)),
        trunk_(std::move(trunk)),
        ctx_(std::make_unique<internal::TreeContext<T>>()) {
    ctx_->store = store;
    ctx_->trunk = trunk_.get();
    ctx_->traits = std::move(traits);
    ctx_->capacity = options.capacity;
  }

  static Status CheckOptions(const BTreeOptions& options) {
    if (options.capacity < kMinNodeCapacity) {
      return Status::InvalidArgument("btree: capacity " + std::to_string(options.capacity) +
                                     " is below the minimum of " +
                                     std::to_string(kMinNodeCapacity));
    }
    return Status::Ok();
  }

  internal::TreeContext<T>& Ctx() const { return *ctx_; }
  internal::Navigator<T> Nav() { return internal::Navigator<T>(*ctx_); }
  internal::Navigator<T> ConstNav() const { return internal::Navigator<T>(*ctx_); }
  internal::Writer<T> Writer() { return internal::Writer<T>(*ctx_); }

  Status Validate(const Path& path) const {
    if (!IsValid(path)) return Status::InvalidArgument(kInvalidPathMessage);
    return Status::Ok();
  }
  Result<Path> Stamp(Result<Path> path) const {
    if (path.has_value()) path->version = version_;
    return path;
  }
  Path Bumped(Path path) {
    path.version = ++version_;
    return path;
  }

  Result<std::optional<Entry>> EntryAt(const Path& path) const {
    if (!path.on) return std::optional<Entry>();
    const block::Value& encoded = Entries(*path.leaf)[path.leaf_index];
    Result<Entry> entry = ctx_->traits.DecodeEntry(encoded);
    if (!entry.has_value()) {
      return internal::NodeCorruption(*path.leaf, kEntriesMember, path.leaf_index, entry.error());
    }
    return std::optional<Entry>(std::move(entry).value());
  }

  // Runs `fn` as one mutation: in an atomic scope when the tree owns a proxy. Any failure
  // invalidates every path (node copies in paths may no longer match the store).
  template <class R, class Fn>
  Result<R> Mutate(Fn&& fn) {
    std::optional<Result<R>> out;
    auto body = [&]() -> Status {
      out.emplace(fn());
      return out->status();
    };
    Status status = proxy_ ? proxy_->Run([&](block::BlockStore&) { return body(); }) : body();
    if (!status.ok()) {
      ++version_;
      return status;
    }
    return std::move(*out);
  }

  Result<Path> InsertUnscoped(const Entry& entry) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(Path path, Nav().Find(Ctx().traits.KeyOf(entry)));
    if (path.on) {
      path.on = false;
      path.version = version_;
      return path;
    }
    OPTIMYSTIC_RETURN_IF_ERROR(Writer().InsertAt(path, Ctx().traits.EncodeEntry(entry)));
    path.on = true;
    return Bumped(std::move(path));
  }

  Result<UpdateResult> UpdateUnscoped(Path path, const Entry& entry) {
    if (!path.on) return UpdateResult{std::move(path), true};
    OPTIMYSTIC_ASSIGN_OR_RETURN(Key old_key, Nav().KeyAt(path));
    const Key new_key = Ctx().traits.KeyOf(entry);
    if (Ctx().traits.Compare(old_key, new_key) == 0) {
      OPTIMYSTIC_RETURN_IF_ERROR(Writer().ReplaceAt(path, Ctx().traits.EncodeEntry(entry)));
      return UpdateResult{Bumped(std::move(path)), true};
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(Path inserted, InsertUnscoped(entry));
    if (!inserted.on) return UpdateResult{std::move(inserted), false};
    OPTIMYSTIC_ASSIGN_OR_RETURN(Path old_path, Nav().Find(old_key));  // re-found: paths moved
    if (old_path.on) OPTIMYSTIC_RETURN_IF_ERROR(Writer().RemoveAt(old_path));
    OPTIMYSTIC_ASSIGN_OR_RETURN(Path new_path, Nav().Find(new_key));
    new_path.version = version_;
    return UpdateResult{std::move(new_path), false};
  }

  Result<size_t> CountFrom(Path path, Direction direction) {
    size_t count = 0;
    internal::Navigator<T> nav = Nav();
    while (path.on) {
      const size_t entries = Entries(*path.leaf).size();
      if (direction == Direction::kAscending) {
        count += entries - path.leaf_index;
        path.leaf_index = entries - 1;
        OPTIMYSTIC_RETURN_IF_ERROR(nav.MoveNext(path));
      } else {
        count += path.leaf_index + 1;
        path.leaf_index = 0;
        OPTIMYSTIC_RETURN_IF_ERROR(nav.MovePrior(path));
      }
    }
    return count;
  }

  Result<Path> RangeStart(const KeyRange<Key>& range);
  Result<Path> RangeEnd(const KeyRange<Key>& range);

  std::unique_ptr<block::AtomicProxy> proxy_;  // null when bound without atomicity
  std::unique_ptr<Trunk> trunk_;
  std::unique_ptr<internal::TreeContext<T>> ctx_;
  uint64_t version_ = 1;  // starts above 0 so that a default-constructed Path is never valid
};

// Iterates a tree from a path, forward or backward, optionally up to an end key (inclusive).
// Usage: while (cursor.on()) { use cursor.entry() or cursor.path(); RETURN_IF_ERROR(cursor.Next());
// } Each Next re-validates the path: a mutation of the tree during iteration makes it fail with
// "Path is invalid".
template <TreeTraits T>
class Cursor final {
 public:
  using Entry = typename T::Entry;
  using Key = typename T::Key;

  bool on() const { return path_.on && !done_; }
  const Path& path() const { return path_; }
  // The entry under the cursor. REQUIRES: on().
  Result<Entry> entry() const {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Entry> entry, tree_->At(path_));
    return std::move(*entry);
  }
  // The key under the cursor. REQUIRES: on().
  Result<Key> key() const { return tree_->Nav().KeyAt(path_); }
  // Steps once in the cursor's direction.
  Status Next() {
    if (direction_ == Direction::kAscending) {
      OPTIMYSTIC_RETURN_IF_ERROR(tree_->MoveNext(path_));
    } else {
      OPTIMYSTIC_RETURN_IF_ERROR(tree_->MovePrior(path_));
    }
    return CheckEnd();
  }

 private:
  friend class BTree<T>;

  Cursor(BTree<T>& tree, Path path, Direction direction, std::optional<Key> end)
      : tree_(&tree), path_(std::move(path)), direction_(direction), end_(std::move(end)) {}

  // Stops once the key passes the end key in the iteration direction.
  Status CheckEnd() {
    if (!path_.on || !end_.has_value()) return Status::Ok();
    OPTIMYSTIC_ASSIGN_OR_RETURN(Key current, key());
    const int c = tree_->Ctx().traits.Compare(current, *end_);
    done_ = direction_ == Direction::kAscending ? c > 0 : c < 0;
    return Status::Ok();
  }

  BTree<T>* tree_;
  Path path_;
  Direction direction_;
  std::optional<Key> end_;
  bool done_ = false;
};

template <TreeTraits T>
Result<Cursor<T>> BTree<T>::Ascending(const Path& path) {
  OPTIMYSTIC_RETURN_IF_ERROR(Validate(path));
  return Cursor<T>(*this, path, Direction::kAscending, std::nullopt);
}

template <TreeTraits T>
Result<Cursor<T>> BTree<T>::Descending(const Path& path) {
  OPTIMYSTIC_RETURN_IF_ERROR(Validate(path));
  return Cursor<T>(*this, path, Direction::kDescending, std::nullopt);
}

// Start: find(first); off or exclusive -> one step in the iteration direction; absent -> the
// first (ascending) or last (descending) entry.
template <TreeTraits T>
Result<Path> BTree<T>::RangeStart(const KeyRange<Key>& range) {
  const bool ascending = range.direction == Direction::kAscending;
  internal::Navigator<T> nav = Nav();
  if (!range.first.has_value()) return ascending ? nav.First() : nav.Last();
  OPTIMYSTIC_ASSIGN_OR_RETURN(Path path, nav.Find(range.first->key));
  if (!path.on || !range.first->inclusive) {
    OPTIMYSTIC_RETURN_IF_ERROR(ascending ? nav.MoveNext(path) : nav.MovePrior(path));
  }
  return path;
}

// End: find(last); off or exclusive -> one step against the iteration direction.
template <TreeTraits T>
Result<Path> BTree<T>::RangeEnd(const KeyRange<Key>& range) {
  const bool ascending = range.direction == Direction::kAscending;
  internal::Navigator<T> nav = Nav();
  OPTIMYSTIC_ASSIGN_OR_RETURN(Path path, nav.Find(range.last->key));
  if (!path.on || !range.last->inclusive) {
    OPTIMYSTIC_RETURN_IF_ERROR(ascending ? nav.MovePrior(path) : nav.MoveNext(path));
  }
  return path;
}

// SPEC.md §3.5 range. Without `last` the scan runs to the end, which is what stopping at the
// last (or first) entry amounts to.
template <TreeTraits T>
Result<Cursor<T>> BTree<T>::Range(const KeyRange<Key>& range) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(Path start, RangeStart(range));
  start.version = version_;
  std::optional<Key> end_key;
  if (range.last.has_value()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(Path end, RangeEnd(range));
    if (!end.on) {  // nothing at or before the end bound: empty
      start.on = false;
      return Cursor<T>(*this, std::move(start), range.direction, std::nullopt);
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(Key key, Nav().KeyAt(end));
    end_key = std::move(key);
  }
  Cursor<T> cursor(*this, std::move(start), range.direction, std::move(end_key));
  OPTIMYSTIC_RETURN_IF_ERROR(cursor.CheckEnd());
  return cursor;
}

}  // namespace optimystic::btree
