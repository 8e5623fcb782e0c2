// SPDX-License-Identifier: Apache-2.0
// RocksDbStorageEngine: the `storage.rocksdb` engine, one RocksDB database with the default
// bytewise comparator. A WriteBatch maps onto one rocksdb::WriteBatch, which RocksDB applies
// atomically; each Scan runs one iterator over the implicit snapshot taken when it starts.
// Thread-safety: every method may be called concurrently; RocksDB serializes writes itself, and
// a shared lock held by every call keeps Close from pulling the database from under them (so a
// scan's sink must not call Close).
// Errors: RocksDB statuses become Status codes of the same meaning (NotFound, Corruption,
// IOError, InvalidArgument, NotSupported, TimedOut, Aborted; Unavailable for busy, try-again and
// shutdown) with a message that says what was being done ("rocksdb open /data/rocksdb: IO error:
// ..."). Every call after Close is Unavailable. Nothing throws: RocksDB does not, and the
// filesystem calls use error_code overloads.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/storage/storage_counters.h>
#include <optimystic/storage/storage_engine.h>

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace rocksdb {
class DB;
}  // namespace rocksdb

namespace optimystic::plugins::storage_rocksdb {

struct RocksDbOptions {
  std::string path;              // the database directory; created (with parents) if missing
  bool sync = true;              // every Write syncs the WAL, as if WriteOptions::sync were set
  uint64_t block_cache_mb = 64;  // LRU block cache; 0 disables it
  std::string compression;       // none | snappy | lz4 | zstd; empty: DefaultCompression()
};

// The compression names this librocksdb supports, among none, snappy, lz4 and zstd.
std::vector<std::string> SupportedCompressions();
// "lz4" when the linked librocksdb supports it (Debian's 7.8 does), "none" otherwise.
std::string DefaultCompression();
// OK for a supported name; InvalidArgument for a name that is none of the four, NotSupported for
// one the linked librocksdb was built without. Messages list the choices.
Status CheckCompression(std::string_view name);

class RocksDbStorageEngine final : public storage::StorageEngine {
 public:
  // Opens or creates the database. Fails with the mapped RocksDB status, e.g. "IOError: rocksdb
  // open /x/db: IO error: While lock file: /x/db/LOCK: Resource temporarily unavailable".
  static Result<std::unique_ptr<RocksDbStorageEngine>> Open(const RocksDbOptions& options) noexcept;
  ~RocksDbStorageEngine() override;
  RocksDbStorageEngine(const RocksDbStorageEngine&) = delete;
  RocksDbStorageEngine& operator=(const RocksDbStorageEngine&) = delete;

  Result<std::string> Get(std::string_view key) noexcept override;
  Status Scan(const storage::ScanRange& range, storage::ScanSink& sink) noexcept override;
  Status Write(const storage::WriteBatch& batch,
               const storage::WriteOptions& options) noexcept override;
  // Syncs the WAL.
  Status Flush() noexcept override;
  // Syncs the WAL and closes the database. Idempotent.
  Status Close() noexcept override;
  // keys and live_bytes are RocksDB's estimates (rocksdb.estimate-num-keys,
  // rocksdb.estimate-live-data-size); disk_bytes is the SST files plus the WAL files.
  storage::StorageStats Stats() const noexcept override;

 private:
  RocksDbStorageEngine(std::string path, bool sync, rocksdb::DB* db) noexcept;

  Status ClosedError() const;
  uint64_t IntProperty(const char* name) const;  // REQUIRES: mu_ held and db_ open
  uint64_t WalBytes() const;                     // REQUIRES: mu_ held and db_ open

  const std::string path_;
  const bool sync_;
  mutable std::shared_mutex mu_;     // shared by every call; exclusive for Close
  std::unique_ptr<rocksdb::DB> db_;  // guarded by mu_; null once closed

  storage::StorageCounters counters_;
};

}  // namespace optimystic::plugins::storage_rocksdb
