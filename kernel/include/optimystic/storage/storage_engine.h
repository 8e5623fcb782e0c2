// SPDX-License-Identifier: Apache-2.0
// StorageEngine: the ordered key-value engine beneath the block repository (DESIGN.md §4).
// Keys and values are arbitrary bytes; keys order by unsigned byte-wise comparison (memcmp,
// shorter first on a common prefix). A WriteBatch applies atomically: after a crash either all
// of it or none of it is visible. With WriteOptions::sync a successful Write is durable, and so
// is every Write that returned before it: writes become durable in the order they were made
// (a write-ahead log's order), which the repository relies on to leave pends unsynced.
// All versioning logic lives in the repository, not here.
// Thread-safety: every method may be called concurrently from several threads; a Scan sees a
// consistent snapshot or at least never a half-applied batch.
// Errors: Get of an absent key is NotFound; storage failures are IOError, and bytes that fail
// their checks on read are Corruption, each naming the file/key where known.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/config/settings.h>
#include <optimystic/host/host_services.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::storage {

// An ordered list of puts and deletes applied as one atomic unit, in order.
class WriteBatch {
 public:
  enum class OpKind : uint8_t { kPut = 1, kDelete = 2 };
  struct Op {
    OpKind kind;
    std::string key;
    std::string value;  // empty for kDelete
  };

  void Put(std::string_view key, std::string_view value) {
    ops_.push_back({OpKind::kPut, std::string(key), std::string(value)});
  }
  void Delete(std::string_view key) { ops_.push_back({OpKind::kDelete, std::string(key), {}}); }
  void Clear() noexcept { ops_.clear(); }
  bool empty() const noexcept { return ops_.empty(); }
  size_t size() const noexcept { return ops_.size(); }
  const std::vector<Op>& ops() const noexcept { return ops_; }

 private:
  std::vector<Op> ops_;
};

struct WriteOptions {
  bool sync = false;  // flush to stable storage before returning
};

enum class ScanDirection : uint8_t { kForward = 0, kBackward = 1 };

// Keys k with start <= k < end; an empty `start` means from the first key, an empty `end` means
// to the last key. Backward scans visit the same keys in reverse order.
struct ScanRange {
  std::string start;
  std::string end;
  ScanDirection direction = ScanDirection::kForward;
  uint64_t limit = 0;  // 0: no limit

  // All keys starting with `prefix`.
  static ScanRange Prefix(std::string_view prefix,
                          ScanDirection direction = ScanDirection::kForward);
};

// Receives scanned entries. Host-owned: the plugin writes bulk data into it rather than handing
// back containers it allocated.
class ScanSink {
 public:
  // Returns false to stop the scan early. The views are valid only during the call.
  virtual bool OnEntry(std::string_view key, std::string_view value) noexcept = 0;

 protected:
  ~ScanSink() = default;
};

struct StorageStats {
  uint64_t keys = 0;             // live keys (estimate where the engine only estimates)
  uint64_t live_bytes = 0;       // bytes of live keys and values
  uint64_t disk_bytes = 0;       // bytes on disk, 0 for memory engines
  uint64_t reads_total = 0;      // Get calls
  uint64_t scans_total = 0;      // Scan calls
  uint64_t writes_total = 0;     // Write calls (batches)
  uint64_t bytes_read_total = 0;
  uint64_t bytes_written_total = 0;
  uint64_t errors_total = 0;
};

class StorageEngine {
 public:
  virtual ~StorageEngine() = default;

  virtual Result<std::string> Get(std::string_view key) noexcept = 0;
  virtual Status Scan(const ScanRange& range, ScanSink& sink) noexcept = 0;
  virtual Status Write(const WriteBatch& batch, const WriteOptions& options) noexcept = 0;
  // Makes every acknowledged write durable.
  virtual Status Flush() noexcept = 0;
  // Flushes and releases files. Later calls return Unavailable. Idempotent.
  virtual Status Close() noexcept = 0;
  virtual StorageStats Stats() const noexcept = 0;
};

class StorageEngineFactory {
 public:
  static constexpr const char* kInterface = "optimystic.storage.StorageEngineFactory";
  static constexpr uint32_t kVersion = 1;

  // Checks `settings` without touching disk: unknown keys, types, ranges.
  virtual Status Validate(const config::Settings& settings) const noexcept = 0;
  virtual Result<std::unique_ptr<StorageEngine>> Create(const config::Settings& settings,
                                                        host::HostServices& host) noexcept = 0;

 protected:
  ~StorageEngineFactory() = default;  // static object inside the plugin; never deleted
};

}  // namespace optimystic::storage
