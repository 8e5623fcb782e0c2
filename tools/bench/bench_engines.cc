// SPDX-License-Identifier: Apache-2.0
#include "bench_engines.h"

#include "storage/file/file_storage_engine.h"
#include "storage/memory/memory_storage_engine.h"
#include "storage/rocksdb/rocksdb_storage_engine.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

namespace optimystic::bench {
namespace {

rocksdb::CompressionType CompressionType(std::string_view name) {
  if (name == "lz4") {
    return rocksdb::kLZ4Compression;
  }
  if (name == "snappy") {
    return rocksdb::kSnappyCompression;
  }
  if (name == "zstd") {
    return rocksdb::kZSTD;
  }
  return rocksdb::kNoCompression;
}

// The options of the rocksdb engine (plugins/storage/rocksdb, MakeOptions) at its defaults.
rocksdb::Options EngineLikeOptions() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.compression = CompressionType(plugins::storage_rocksdb::DefaultCompression());
  options.keep_log_file_num = 4;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(size_t{64} << 20);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

}  // namespace

Result<std::unique_ptr<TempDir>> TempDir::Make() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/optimystic-bench-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    return Status::IOError("mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  return std::unique_ptr<TempDir>(new TempDir(buffer.data()));
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string_view EngineName(EngineKind kind) {
  switch (kind) {
    case EngineKind::kMemory:
      return "memory";
    case EngineKind::kFile:
      return "file";
    case EngineKind::kRocksDb:
      return "rocksdb";
  }
  return "unknown";
}

Result<std::unique_ptr<BenchEngine>> BenchEngine::Open(EngineKind kind, Durability durability) {
  std::unique_ptr<BenchEngine> out(new BenchEngine());
  const bool sync = durability == Durability::kSync;
  if (kind == EngineKind::kMemory) {
    out->engine_ = std::make_unique<plugins::storage_memory::MemoryStorageEngine>();
    return out;
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(out->dir_, TempDir::Make());
  if (kind == EngineKind::kFile) {
    plugins::storage_file::FileStorageOptions options;
    options.path = out->dir_->path() + "/file";
    options.sync = sync;
    auto engine = plugins::storage_file::FileStorageEngine::Open(options, out->logger_);
    if (!engine) {
      return engine.error();
    }
    out->engine_ = std::move(*engine);
    return out;
  }
  plugins::storage_rocksdb::RocksDbOptions options;
  options.path = out->dir_->path() + "/rocksdb";
  options.sync = sync;
  auto engine = plugins::storage_rocksdb::RocksDbStorageEngine::Open(options);
  if (!engine) {
    return engine.error();
  }
  out->engine_ = std::move(*engine);
  return out;
}

BenchEngine::~BenchEngine() {
  if (engine_) {
    (void)engine_->Close();
    engine_.reset();
  }
}

Result<std::unique_ptr<RawRocksDb>> RawRocksDb::Open() {
  std::unique_ptr<RawRocksDb> out(new RawRocksDb());
  OPTIMYSTIC_ASSIGN_OR_RETURN(out->dir_, TempDir::Make());
  const std::string path = out->dir_->path() + "/raw-rocksdb";
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(EngineLikeOptions(), path, &db);
  if (!s.ok()) {
    return Status::IOError("raw rocksdb open " + path + ": " + s.ToString());
  }
  out->db_.reset(db);
  return out;
}

RawRocksDb::~RawRocksDb() {
  if (db_) {
    (void)db_->Close();
    db_.reset();
  }
}

}  // namespace optimystic::bench
