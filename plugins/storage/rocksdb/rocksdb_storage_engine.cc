// SPDX-License-Identifier: Apache-2.0
#include "storage/rocksdb/rocksdb_storage_engine.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/transaction_log.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <utility>

namespace optimystic::plugins::storage_rocksdb {

using storage::ScanDirection;
using storage::ScanRange;
using storage::ScanSink;
using storage::StorageStats;
using storage::WriteBatch;
using storage::WriteOptions;

namespace {

struct CompressionName {
  std::string_view name;
  rocksdb::CompressionType type;
};

constexpr CompressionName kCompressions[] = {
    {"none", rocksdb::kNoCompression},
    {"snappy", rocksdb::kSnappyCompression},
    {"lz4", rocksdb::kLZ4Compression},
    {"zstd", rocksdb::kZSTD},
};

bool Supported(rocksdb::CompressionType type) {
  if (type == rocksdb::kNoCompression) return true;
  std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  return std::find(supported.begin(), supported.end(), type) != supported.end();
}

// "rocksdb <context>: <RocksDB's own message>", with the matching code.
Status FromRocksDb(const rocksdb::Status& s, std::string_view context) {
  const std::string message = "rocksdb " + std::string(context) + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(message);
  if (s.IsCorruption()) return Status::Corruption(message);
  if (s.IsIOError()) return Status::IOError(message);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(message);
  if (s.IsNotSupported()) return Status::NotSupported(message);
  if (s.IsTimedOut()) return Status::TimedOut(message);
  if (s.IsBusy() || s.IsTryAgain() || s.IsShutdownInProgress() || s.IsIncomplete()) {
    return Status::Unavailable(message);
  }
  if (s.IsAborted()) return Status::Aborted(message);
  return Status::Internal(message);
}

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view ToView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

rocksdb::Options MakeOptions(const RocksDbOptions& options, rocksdb::CompressionType compression) {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.compression = compression;
  o.keep_log_file_num = 4;
  rocksdb::BlockBasedTableOptions table;
  if (options.block_cache_mb == 0) {
    table.no_block_cache = true;
  } else {
    table.block_cache = rocksdb::NewLRUCache(static_cast<size_t>(options.block_cache_mb) << 20);
  }
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return o;
}

}  // namespace

std::vector<std::string> SupportedCompressions() {
  std::vector<std::string> names;
  for (const CompressionName& c : kCompressions) {
    if (Supported(c.type)) names.emplace_back(c.name);
  }
  return names;
}

std::string DefaultCompression() { return Supported(rocksdb::kLZ4Compression) ? "lz4" : "none"; }

Status CheckCompression(std::string_view name) {
  std::string supported;
  for (const std::string& s : SupportedCompressions()) {
    supported += (supported.empty() ? "" : ", ") + s;
  }
  for (const CompressionName& c : kCompressions) {
    if (c.name != name) continue;
    if (Supported(c.type)) return Status::Ok();
    return Status::NotSupported(
        "compression '" + std::string(name) +
        "' is not built into the linked librocksdb (supported: " + supported + ")");
  }
  return Status::InvalidArgument("unknown compression '" + std::string(name) +
                                 "' (expected none, snappy, lz4 or zstd; this librocksdb " +
                                 "supports " + supported + ")");
}

RocksDbStorageEngine::RocksDbStorageEngine(std::string path, bool sync, rocksdb::DB* db) noexcept
    : path_(std::move(path)), sync_(sync), db_(db) {}

RocksDbStorageEngine::~RocksDbStorageEngine() { (void)Close(); }

Result<std::unique_ptr<RocksDbStorageEngine>> RocksDbStorageEngine::Open(
    const RocksDbOptions& options) noexcept {
  if (options.path.empty()) return Status::InvalidArgument("rocksdb open: empty path");
  const std::string context = "rocksdb open " + options.path;
  const std::string compression_name =
      options.compression.empty() ? DefaultCompression() : options.compression;
  OPTIMYSTIC_RETURN_IF_ERROR(CheckCompression(compression_name).WithContext(context));
  rocksdb::CompressionType compression = rocksdb::kNoCompression;
  for (const CompressionName& c : kCompressions) {
    if (c.name == compression_name) compression = c.type;
  }
  // RocksDB creates only the last directory of the path; create its parents too.
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) return Status::IOError(context + ": create directory: " + ec.message());
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(MakeOptions(options, compression), options.path, &db);
  if (!s.ok()) return FromRocksDb(s, "open " + options.path);
  return std::unique_ptr<RocksDbStorageEngine>(
      new RocksDbStorageEngine(options.path, options.sync, db));
}

Status RocksDbStorageEngine::ClosedError() const {
  return Status::Unavailable("rocksdb engine " + path_ + " is closed");
}

Result<std::string> RocksDbStorageEngine::Get(std::string_view key) noexcept {
  counters_.CountRead();
  std::shared_lock lock(mu_);
  if (!db_) return counters_.CountError(ClosedError());
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), ToSlice(key), &value);
  if (s.IsNotFound()) return Status::NotFound("rocksdb get " + path_ + ": key not found");
  if (!s.ok()) return counters_.CountError(FromRocksDb(s, "get " + path_));
  counters_.CountBytesRead(value.size());
  return value;
}

Status RocksDbStorageEngine::Scan(const ScanRange& range, ScanSink& sink) noexcept {
  counters_.CountScan();
  std::shared_lock lock(mu_);
  if (!db_) return counters_.CountError(ClosedError());
  const bool forward = range.direction == ScanDirection::kForward;
  const rocksdb::Slice start = ToSlice(range.start);
  const rocksdb::Slice end = ToSlice(range.end);
  rocksdb::ReadOptions read_options;  // the iterator reads one implicit snapshot
  if (forward && !range.end.empty()) read_options.iterate_upper_bound = &end;
  if (!forward && !range.start.empty()) read_options.iterate_lower_bound = &start;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options));
  if (forward && range.start.empty()) {
    it->SeekToFirst();
  } else if (forward) {
    it->Seek(start);
  } else if (range.end.empty()) {
    it->SeekToLast();
  } else {
    it->SeekForPrev(end);
    if (it->Valid() && it->key() == end) it->Prev();
  }
  for (uint64_t n = 0; it->Valid() && (range.limit == 0 || n < range.limit); ++n) {
    const std::string_view key = ToView(it->key());
    if (forward && !range.end.empty() && key >= range.end) break;
    if (!forward && !range.start.empty() && key < range.start) break;
    const std::string_view value = ToView(it->value());
    counters_.CountBytesRead(key.size() + value.size());
    if (!sink.OnEntry(key, value)) break;
    if (forward) {
      it->Next();
    } else {
      it->Prev();
    }
  }
  if (!it->status().ok()) return counters_.CountError(FromRocksDb(it->status(), "scan " + path_));
  return Status::Ok();
}

Status RocksDbStorageEngine::Write(const WriteBatch& batch, const WriteOptions& options) noexcept {
  counters_.CountWrite();
  std::shared_lock lock(mu_);
  if (!db_) return counters_.CountError(ClosedError());
  if (batch.empty()) return Status::Ok();
  rocksdb::WriteBatch rocks_batch;
  uint64_t bytes = 0;
  for (const WriteBatch::Op& op : batch.ops()) {
    rocksdb::Status s = op.kind == WriteBatch::OpKind::kPut
                            ? rocks_batch.Put(ToSlice(op.key), ToSlice(op.value))
                            : rocks_batch.Delete(ToSlice(op.key));
    if (!s.ok()) return counters_.CountError(FromRocksDb(s, "write " + path_));
    bytes += op.key.size() + op.value.size();
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = options.sync || sync_;
  rocksdb::Status s = db_->Write(write_options, &rocks_batch);
  if (!s.ok()) return counters_.CountError(FromRocksDb(s, "write " + path_));
  counters_.CountBytesWritten(bytes);
  return Status::Ok();
}

Status RocksDbStorageEngine::Flush() noexcept {
  std::shared_lock lock(mu_);
  if (!db_) return counters_.CountError(ClosedError());
  rocksdb::Status s = db_->FlushWAL(/*sync=*/true);
  if (!s.ok()) return counters_.CountError(FromRocksDb(s, "flush " + path_));
  return Status::Ok();
}

Status RocksDbStorageEngine::Close() noexcept {
  std::unique_lock lock(mu_);
  if (!db_) return Status::Ok();
  const rocksdb::Status flushed = db_->FlushWAL(/*sync=*/true);
  const rocksdb::Status closed = db_->Close();
  db_.reset();
  if (!flushed.ok()) return counters_.CountError(FromRocksDb(flushed, "close " + path_));
  if (!closed.ok()) return counters_.CountError(FromRocksDb(closed, "close " + path_));
  return Status::Ok();
}

uint64_t RocksDbStorageEngine::IntProperty(const char* name) const {
  uint64_t value = 0;
  return db_->GetIntProperty(name, &value) ? value : 0;
}

uint64_t RocksDbStorageEngine::WalBytes() const {
  rocksdb::VectorLogPtr files;
  if (!db_->GetSortedWalFiles(files).ok()) return 0;
  uint64_t bytes = 0;
  for (const auto& file : files) bytes += file->SizeFileBytes();
  return bytes;
}

StorageStats RocksDbStorageEngine::Stats() const noexcept {
  StorageStats stats;
  {
    std::shared_lock lock(mu_);
    if (db_) {
      stats.keys = IntProperty("rocksdb.estimate-num-keys");
      stats.live_bytes = IntProperty("rocksdb.estimate-live-data-size");
      stats.disk_bytes = IntProperty("rocksdb.total-sst-files-size") + WalBytes();
    }
  }
  counters_.FillStats(stats);
  return stats;
}

}  // namespace optimystic::plugins::storage_rocksdb
