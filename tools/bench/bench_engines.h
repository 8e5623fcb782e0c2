// SPDX-License-Identifier: Apache-2.0
// The storage the benchmarks run on: a temporary directory that removes itself, the three
// Optimystic storage engines opened in it (memory; file and rocksdb with sync on or off), and a
// raw RocksDB database with the same options as the rocksdb engine, for the baselines.
// Thread-safety: each object is used by one benchmark thread.
// Errors: opening returns a Status naming what failed; the benchmarks turn it into
// SkipWithError.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/logging/logger.h>
#include <optimystic/storage/storage_engine.h>

#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <string_view>

namespace optimystic::bench {

// A fresh directory made with mkdtemp under $TMPDIR (or /tmp), removed with everything in it
// when the object goes.
class TempDir final {
 public:
  static Result<std::unique_ptr<TempDir>> Make();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// The file engine wants a logger; the benchmarks have nothing to say.
class NullLogger final : public logging::Logger {
 public:
  void Log(logging::LogLevel level, std::string_view message) noexcept override {}
  bool Enabled(logging::LogLevel level) const noexcept override { return false; }
};

enum class EngineKind : uint8_t { kMemory = 0, kFile = 1, kRocksDb = 2 };

enum class Durability : uint8_t { kNoSync = 0, kSync = 1 };

// "memory", "file", "rocksdb": the suffix of the benchmark names.
std::string_view EngineName(EngineKind kind);

// An engine and the directory holding its files (none for memory). The engine is closed before
// the directory is removed.
class BenchEngine final {
 public:
  static Result<std::unique_ptr<BenchEngine>> Open(EngineKind kind, Durability durability);
  ~BenchEngine();
  BenchEngine(const BenchEngine&) = delete;
  BenchEngine& operator=(const BenchEngine&) = delete;

  storage::StorageEngine& engine() { return *engine_; }

 private:
  BenchEngine() = default;
  NullLogger logger_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<storage::StorageEngine> engine_;
};

// A plain RocksDB database in a temporary directory, opened with the options the rocksdb engine
// uses (create_if_missing, its default compression, 64 MiB LRU block cache, 10-bit bloom filter,
// keep_log_file_num 4), so that the only difference to the engine is the layer above.
class RawRocksDb final {
 public:
  static Result<std::unique_ptr<RawRocksDb>> Open();
  ~RawRocksDb();
  RawRocksDb(const RawRocksDb&) = delete;
  RawRocksDb& operator=(const RawRocksDb&) = delete;

  rocksdb::DB& db() { return *db_; }

 private:
  RawRocksDb() = default;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace optimystic::bench
