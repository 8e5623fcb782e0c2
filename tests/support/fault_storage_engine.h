// SPDX-License-Identifier: Apache-2.0
// FaultStorageEngine: a StorageEngine decorator for tests (like RocksDB's fault-injection FS). It
// forwards every call to a wrapped engine, counts the Write calls (and those asking for sync),
// and can be armed to fail the Nth Write from now and the ones after it: such a Write returns
// IOError "injected fault" and never reaches the wrapped engine, so it changes nothing. Reads can
// be made to fail the same way. Thread-safety: every method may be called concurrently, as the
// wrapped engine allows. Errors: the injected IOErrors, otherwise whatever the wrapped engine
// returns.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/storage/storage_engine.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace optimystic::test {

class FaultStorageEngine final : public storage::StorageEngine {
 public:
  // `base` must outlive this object.
  explicit FaultStorageEngine(storage::StorageEngine& base) noexcept : base_(base) {}

  // The `n`th Write from now (1: the next one) and the `count` - 1 after it fail; 0 disarms.
  void FailNthWrite(uint64_t n, uint64_t count = 1) noexcept {
    failing_.store(0);
    extra_failures_.store(count > 0 ? count - 1 : 0);
    write_countdown_.store(n);
  }
  // Every Get and Scan fails while set.
  void FailReads(bool fail) noexcept { fail_reads_.store(fail); }
  // Write calls seen (failed ones included) and Write calls failed on purpose.
  uint64_t writes() const noexcept { return writes_.load(); }
  // Write calls with WriteOptions::sync set.
  uint64_t synced_writes() const noexcept { return synced_writes_.load(); }
  uint64_t injected_failures() const noexcept { return injected_.load(); }

  Result<std::string> Get(std::string_view key) noexcept override {
    if (fail_reads_.load()) {
      return Injected();
    }
    return base_.Get(key);
  }
  Status Scan(const storage::ScanRange& range, storage::ScanSink& sink) noexcept override {
    if (fail_reads_.load()) {
      return Injected();
    }
    return base_.Scan(range, sink);
  }
  Status Write(const storage::WriteBatch& batch,
               const storage::WriteOptions& options) noexcept override {
    writes_.fetch_add(1);
    synced_writes_.fetch_add(options.sync ? 1 : 0);
    uint64_t more = failing_.load();
    while (more > 0 && !failing_.compare_exchange_weak(more, more - 1)) {
    }
    if (more > 0) {
      return Injected();
    }
    uint64_t left = write_countdown_.load();
    while (left > 0 && !write_countdown_.compare_exchange_weak(left, left - 1)) {
    }
    if (left == 1) {
      failing_.store(extra_failures_.load());
      return Injected();
    }
    return base_.Write(batch, options);
  }
  Status Flush() noexcept override { return base_.Flush(); }
  Status Close() noexcept override { return base_.Close(); }
  storage::StorageStats Stats() const noexcept override { return base_.Stats(); }

 private:
  Status Injected() noexcept {
    injected_.fetch_add(1);
    return Status::IOError("injected fault");
  }

  storage::StorageEngine& base_;
  std::atomic<uint64_t> write_countdown_{0};
  std::atomic<uint64_t> extra_failures_{0};  // how many follow the counted-down failure
  std::atomic<uint64_t> failing_{0};         // failures still to come in a row
  std::atomic<bool> fail_reads_{false};
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> synced_writes_{0};
  std::atomic<uint64_t> injected_{0};
};

}  // namespace optimystic::test
