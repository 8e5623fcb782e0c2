// SPDX-License-Identifier: Apache-2.0
// StorageCounters: the running totals a StorageEngine reports in the *_total fields of
// StorageStats (calls to Get, Scan and Write, bytes read and written, errors), kept in one place
// so that every engine counts the same way. An engine holds one as a member, counts as it works
// and copies the totals out with FillStats. Thread-safety: lock-free; every method may be called
// from any thread at any time (relaxed atomics: each total is exact, but a FillStats racing with
// calls may see one total updated and not yet another). Errors: none; CountError only counts the
// status it is given and hands it back.
#pragma once

#include <optimystic/base/status.h>
#include <optimystic/storage/storage_engine.h>

#include <atomic>
#include <cstdint>

namespace optimystic::storage {

class StorageCounters final {
 public:
  // One Get call, counted whatever its outcome.
  void CountRead() noexcept { reads_total_.fetch_add(1, std::memory_order_relaxed); }
  // One Scan call, counted whatever its outcome.
  void CountScan() noexcept { scans_total_.fetch_add(1, std::memory_order_relaxed); }
  // One Write call (a batch).
  void CountWrite() noexcept { writes_total_.fetch_add(1, std::memory_order_relaxed); }
  // Key and value bytes handed to a caller by Get or Scan.
  void CountBytesRead(uint64_t bytes) noexcept {
    bytes_read_total_.fetch_add(bytes, std::memory_order_relaxed);
  }
  // Key and value bytes of the puts of a batch that was written.
  void CountBytesWritten(uint64_t bytes) noexcept {
    bytes_written_total_.fetch_add(bytes, std::memory_order_relaxed);
  }
  // Counts `status` as an error unless it is OK or NotFound (an absent key is an answer, not a
  // failure), and returns it unchanged.
  Status CountError(Status status) const noexcept {
    if (!status.ok() && status.code() != StatusCode::kNotFound) {
      errors_total_.fetch_add(1, std::memory_order_relaxed);
    }
    return status;
  }

  // Sets the *_total fields of `stats`; leaves keys, live_bytes and disk_bytes alone.
  void FillStats(StorageStats& stats) const noexcept {
    stats.reads_total = reads_total_.load(std::memory_order_relaxed);
    stats.scans_total = scans_total_.load(std::memory_order_relaxed);
    stats.writes_total = writes_total_.load(std::memory_order_relaxed);
    stats.bytes_read_total = bytes_read_total_.load(std::memory_order_relaxed);
    stats.bytes_written_total = bytes_written_total_.load(std::memory_order_relaxed);
    stats.errors_total = errors_total_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<uint64_t> reads_total_{0};
  std::atomic<uint64_t> scans_total_{0};
  std::atomic<uint64_t> writes_total_{0};
  std::atomic<uint64_t> bytes_read_total_{0};
  std::atomic<uint64_t> bytes_written_total_{0};
  mutable std::atomic<uint64_t> errors_total_{0};  // counted by the const CountError
};

}  // namespace optimystic::storage
