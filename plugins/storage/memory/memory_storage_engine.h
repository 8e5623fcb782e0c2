// SPDX-License-Identifier: Apache-2.0
// MemoryStorageEngine: the `storage.memory` engine, an ordered map in process memory for tests
// and caches. Nothing survives the process; WriteOptions::sync is accepted and has no effect.
// A batch is applied under one exclusive lock, so readers never see half of it; Scan copies its
// range out under a shared lock and calls the sink after releasing it, so a sink may call back
// into the engine. Thread-safety: every method may be called concurrently.
// Errors: Get of an absent key is NotFound; a Write that would take the live bytes (keys plus
// values) past `max_bytes` is IOError "memory engine full" and changes nothing; every call after
// Close is Unavailable.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/config/settings.h>
#include <optimystic/storage/storage_counters.h>
#include <optimystic/storage/storage_engine.h>

#include <cstdint>
#include <functional>
#include <map>
#include <shared_mutex>
#include <string>
#include <string_view>

namespace optimystic::plugins::storage_memory {

// The engine's settings (the `storage.settings` map of a node's YAML).
struct MemoryStorageOptions {
  uint64_t max_bytes = 0;  // cap on live key + value bytes; 0: unlimited

  // Reads `settings`: only `max_bytes` (unsigned integer) is allowed. Errors name the YAML path.
  static Result<MemoryStorageOptions> FromSettings(const config::Settings& settings);
};

class MemoryStorageEngine final : public storage::StorageEngine {
 public:
  explicit MemoryStorageEngine(MemoryStorageOptions options = {}) noexcept;
  ~MemoryStorageEngine() override = default;
  MemoryStorageEngine(const MemoryStorageEngine&) = delete;
  MemoryStorageEngine& operator=(const MemoryStorageEngine&) = delete;

  Result<std::string> Get(std::string_view key) noexcept override;
  Status Scan(const storage::ScanRange& range, storage::ScanSink& sink) noexcept override;
  Status Write(const storage::WriteBatch& batch,
               const storage::WriteOptions& options) noexcept override;
  Status Flush() noexcept override;
  // Drops every entry. Idempotent.
  Status Close() noexcept override;
  storage::StorageStats Stats() const noexcept override;

 private:
  using Map = std::map<std::string, std::string, std::less<>>;

  // The live bytes after `batch` would be applied. REQUIRES: mu_ held.
  uint64_t LiveBytesAfter(const storage::WriteBatch& batch) const;
  // REQUIRES: mu_ held exclusively.
  void Apply(const storage::WriteBatch& batch);
  Status ClosedError() const;

  const MemoryStorageOptions options_;
  mutable std::shared_mutex mu_;
  Map map_;                  // guarded by mu_
  uint64_t live_bytes_ = 0;  // guarded by mu_: sum of key and value sizes in map_
  bool closed_ = false;      // guarded by mu_

  storage::StorageCounters counters_;
};

}  // namespace optimystic::plugins::storage_memory
