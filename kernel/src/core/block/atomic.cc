// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/atomic.h>

namespace optimystic::block {

Status Atomic::Commit() { return ApplyTransformsToStore(tracker_.Reset(), store_); }

BlockStore& AtomicProxy::Current() {
  std::lock_guard<std::mutex> lock(state_mutex_);
  if (active_ != nullptr && owner_ == std::this_thread::get_id()) {
    return *active_;
  }
  return base_;
}

Result<BlockHeader> AtomicProxy::CreateBlockHeader(const BlockType& type,
                                                   const std::optional<BlockId>& new_id) {
  return Current().CreateBlockHeader(type, new_id);
}

Result<std::optional<Value>> AtomicProxy::TryGet(const BlockId& id, ReadPurpose purpose) {
  return Current().TryGet(id, purpose);
}

Result<BlockRef> AtomicProxy::TryGetRef(const BlockId& id, ReadPurpose purpose) {
  return Current().TryGetRef(id, purpose);
}

Result<BlockId> AtomicProxy::GenerateId() { return Current().GenerateId(); }

Status AtomicProxy::Insert(const Value& block) { return Current().Insert(block); }

Status AtomicProxy::Update(const BlockId& id, const BlockOperation& op) {
  return Current().Update(id, op);
}

Status AtomicProxy::Delete(const BlockId& id) { return Current().Delete(id); }

Status AtomicProxy::Run(const std::function<Status(Atomic&)>& fn, Atomic* parent) {
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    const bool owns_scope = active_ != nullptr && owner_ == std::this_thread::get_id();
    if (parent != nullptr && (!owns_scope || parent != active_)) {
      return Status::InvalidArgument("atomic scope: parent is not the running scope");
    }
    if (parent == nullptr && owns_scope) {
      return Status::InvalidArgument(
          "atomic scope: nested scope without its parent would wait for itself");
    }
  }
  if (parent != nullptr) {
    return fn(*parent);  // joined: the enclosing Run commits or discards
  }
  std::lock_guard<std::mutex> scope(scope_mutex_);
  Atomic atomic(base_);
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    active_ = &atomic;
    owner_ = std::this_thread::get_id();
  }
  Status status = fn(atomic);
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    active_ = nullptr;
    owner_ = std::thread::id();
  }
  if (!status.ok()) {
    atomic.Rollback();
    return status;
  }
  return atomic.Commit();
}

}  // namespace optimystic::block
