// SPDX-License-Identifier: Apache-2.0
// Atomic and AtomicProxy (SPEC.md §1.7): all-or-nothing groups of block mutations.
// Atomic is a Tracker over a BlockStore: mutations collect in the overlay, Commit() writes them
// to the store (deletes, then inserts, then updates) and Rollback() forgets them.
// AtomicProxy is a BlockStore that forwards to a base store, and runs scopes: Run(fn) gives fn
// a fresh Atomic, commits it when fn returns OK and discards it when fn fails. Top-level scopes
// are serialized (SPEC.md §10.5): a second scope waits until the first has finished, whether it
// committed or failed. A scope nests only explicitly: Run(fn, &parent) joins the running scope
// `parent` (no second commit, no deadlock). While a scope runs, the proxy's own BlockStore
// methods, called on the scope's thread, go to the scope's Atomic, so a structure built on the
// proxy (a B+tree) mutates inside the scope without knowing it; calls from other threads go to
// the base store.
// Thread-safety: Atomic is not thread-safe. AtomicProxy::Run may be called from any thread;
// the proxy's BlockStore methods are as thread-safe as the base store (outside scopes).
// Errors: a failed fn's Status is returned unchanged and nothing is written; a failed commit
// returns the store's error (what was written before it stays, see ApplyTransformsToStore);
// Run with a parent that is not the running scope, or a nested Run without a parent on the
// scope's own thread (it would wait for itself), is InvalidArgument.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/block_store.h>
#include <optimystic/block/tracker.h>

#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace optimystic::block {

class Atomic final : public BlockStore {
 public:
  // OWNERSHIP: `store` must outlive the Atomic.
  explicit Atomic(BlockStore& store) : store_(store), tracker_(store) {}

  Result<BlockHeader> CreateBlockHeader(const BlockType& type,
                                        const std::optional<BlockId>& new_id) override {
    return tracker_.CreateBlockHeader(type, new_id);
  }
  Result<std::optional<Value>> TryGet(const BlockId& id, ReadPurpose purpose) override {
    return tracker_.TryGet(id, purpose);
  }
  Result<BlockRef> TryGetRef(const BlockId& id, ReadPurpose purpose) override {
    return tracker_.TryGetRef(id, purpose);
  }
  Result<BlockId> GenerateId() override { return tracker_.GenerateId(); }
  Status Insert(const Value& block) override { return tracker_.Insert(block); }
  Status Update(const BlockId& id, const BlockOperation& op) override {
    return tracker_.Update(id, op);
  }
  Status Delete(const BlockId& id) override { return tracker_.Delete(id); }

  // Empties the overlay and writes what it held to the store.
  Status Commit();
  // Empties the overlay without writing anything.
  void Rollback() { tracker_.Reset(); }
  const Transforms& transforms() const { return tracker_.transforms(); }

 private:
  BlockStore& store_;
  Tracker tracker_;
};

class AtomicProxy final : public BlockStore {
 public:
  // OWNERSHIP: `base` must outlive the proxy.
  explicit AtomicProxy(BlockStore& base) : base_(base) {}

  Result<BlockHeader> CreateBlockHeader(const BlockType& type,
                                        const std::optional<BlockId>& new_id) override;
  Result<std::optional<Value>> TryGet(const BlockId& id, ReadPurpose purpose) override;
  Result<BlockRef> TryGetRef(const BlockId& id, ReadPurpose purpose) override;
  Result<BlockId> GenerateId() override;
  Status Insert(const Value& block) override;
  Status Update(const BlockId& id, const BlockOperation& op) override;
  Status Delete(const BlockId& id) override;

  // Runs `fn` in a scope (see the file comment). With `parent` == the running scope's Atomic,
  // `fn` runs in that scope and its Status is returned; the outer Run decides about the
  // commit. `fn` gets the scope's Atomic (a lambda taking BlockStore& fits too), which is what
  // a nested call passes as `parent`.
  // REQUIRES: `parent`, when given, is the Atomic handed to an enclosing fn.
  Status Run(const std::function<Status(Atomic&)>& fn, Atomic* parent = nullptr);

 private:
  // The running scope's Atomic when called on the scope's thread, else the base store.
  BlockStore& Current();

  BlockStore& base_;
  std::mutex scope_mutex_;  // held for the whole of a top-level scope
  std::mutex state_mutex_;  // guards active_ and owner_
  Atomic* active_ = nullptr;
  std::thread::id owner_;
};

}  // namespace optimystic::block
