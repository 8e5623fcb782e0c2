// SPDX-License-Identifier: Apache-2.0
#include <optimystic/storage/storage_engine.h>

#include "storage/file/file_storage_engine.h"
#include "storage/memory/memory_storage_engine.h"
#include "storage/rocksdb/rocksdb_storage_engine.h"
#include "support/temp_dir.h"
#include "support/test_host.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace optimystic::storage {
namespace {

// The StorageEngine contract, run against every engine. Each is built from its static library
// through a small open function; each plugin's settings parsing is tested beside the plugin.
using Entries = std::vector<std::pair<std::string, std::string>>;
using OpenFn = Result<std::unique_ptr<StorageEngine>> (*)(const std::string& dir,
                                                          logging::Logger& logger);

struct EngineParam {
  const char* name;
  bool persistent;
  OpenFn open;
};

void PrintTo(const EngineParam& param, std::ostream* os) { *os << param.name; }

Result<std::unique_ptr<StorageEngine>> OpenMemory(const std::string&, logging::Logger&) {
  return std::unique_ptr<StorageEngine>(
      std::make_unique<plugins::storage_memory::MemoryStorageEngine>());
}

Result<std::unique_ptr<StorageEngine>> OpenFile(const std::string& dir, logging::Logger& logger) {
  plugins::storage_file::FileStorageOptions options;
  options.path = dir + "/file";
  options.sync = false;                // the tests ask for sync where they need it
  options.segment_bytes = 1ull << 20;  // small, so that segments roll and compaction runs
  options.compaction_min_garbage_ratio = 0.5;
  OPTIMYSTIC_ASSIGN_OR_RETURN(auto engine,
                              plugins::storage_file::FileStorageEngine::Open(options, logger));
  return std::unique_ptr<StorageEngine>(std::move(engine));
}

Result<std::unique_ptr<StorageEngine>> OpenRocksDb(const std::string& dir, logging::Logger&) {
  plugins::storage_rocksdb::RocksDbOptions options;
  options.path = dir + "/rocksdb";
  options.sync = false;
  options.block_cache_mb = 8;
  OPTIMYSTIC_ASSIGN_OR_RETURN(auto engine,
                              plugins::storage_rocksdb::RocksDbStorageEngine::Open(options));
  return std::unique_ptr<StorageEngine>(std::move(engine));
}

// Collects every entry; stops after `max_entries` when that is not 0.
class CollectingSink final : public ScanSink {
 public:
  explicit CollectingSink(size_t max_entries = 0) : max_entries_(max_entries) {}
  bool OnEntry(std::string_view key, std::string_view value) noexcept override {
    entries_.emplace_back(std::string(key), std::string(value));
    return max_entries_ == 0 || entries_.size() < max_entries_;
  }
  Entries& entries() { return entries_; }

 private:
  size_t max_entries_;
  Entries entries_;
};

std::vector<std::string> KeysOf(const Entries& entries) {
  std::vector<std::string> keys;
  for (const auto& entry : entries) keys.push_back(entry.first);
  return keys;
}

ScanRange Range(std::string start, std::string end,
                ScanDirection direction = ScanDirection::kForward, uint64_t limit = 0) {
  ScanRange range;
  range.start = std::move(start);
  range.end = std::move(end);
  range.direction = direction;
  range.limit = limit;
  return range;
}

class StorageEngineConformance : public ::testing::TestWithParam<EngineParam> {
 protected:
  void SetUp() override {
    engine_ = Open();
    ASSERT_NE(engine_, nullptr);
  }

  std::unique_ptr<StorageEngine> Open() {
    Result<std::unique_ptr<StorageEngine>> engine = GetParam().open(dir_.path(), logger_);
    EXPECT_TRUE(engine.has_value()) << engine.status().ToString();
    return engine ? std::move(engine).value() : nullptr;
  }

  void Reopen() {
    ASSERT_TRUE(engine_->Close().ok());
    engine_.reset();
    engine_ = Open();
    ASSERT_NE(engine_, nullptr);
  }

  Status Put(std::string_view key, std::string_view value, bool sync = false) {
    WriteBatch batch;
    batch.Put(key, value);
    return engine_->Write(batch, WriteOptions{sync});
  }

  Status Delete(std::string_view key) {
    WriteBatch batch;
    batch.Delete(key);
    return engine_->Write(batch, WriteOptions{});
  }

  Entries Scan(const ScanRange& range, size_t max_entries = 0) {
    CollectingSink sink(max_entries);
    Status s = engine_->Scan(range, sink);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return std::move(sink.entries());
  }

  std::vector<std::string> ScanKeys(const ScanRange& range) { return KeysOf(Scan(range)); }

  test::TempDir dir_{"optimystic-conformance"};
  test::TestLogger logger_;
  std::unique_ptr<StorageEngine> engine_;  // declared last: destroyed before the logger and dir
};

TEST_P(StorageEngineConformance, GetOfAbsentKeyIsNotFound) {
  Result<std::string> value = engine_->Get("absent");
  ASSERT_FALSE(value.has_value());
  EXPECT_EQ(value.error().code(), StatusCode::kNotFound) << value.error().ToString();
}

TEST_P(StorageEngineConformance, PutGetOverwriteDelete) {
  ASSERT_TRUE(Put("k", "v1").ok());
  EXPECT_EQ(engine_->Get("k").value(), "v1");
  ASSERT_TRUE(Put("k", "v2").ok());
  EXPECT_EQ(engine_->Get("k").value(), "v2");
  ASSERT_TRUE(Put("empty", "").ok());
  EXPECT_EQ(engine_->Get("empty").value(), "");
  ASSERT_TRUE(Delete("k").ok());
  EXPECT_EQ(engine_->Get("k").error().code(), StatusCode::kNotFound);
  ASSERT_TRUE(Delete("never-written").ok());
  EXPECT_EQ(ScanKeys(Range("", "")), std::vector<std::string>{"empty"});
}

// Keys are arbitrary bytes, so the empty key is a key; it sorts first.
TEST_P(StorageEngineConformance, EmptyKeyIsAKey) {
  ASSERT_TRUE(Put("", "empty key").ok());
  ASSERT_TRUE(Put("a", "a").ok());
  EXPECT_EQ(engine_->Get("").value(), "empty key");
  EXPECT_EQ(ScanKeys(Range("", "")), (std::vector<std::string>{"", "a"}));
  EXPECT_EQ(ScanKeys(Range("", "", ScanDirection::kBackward)), (std::vector<std::string>{"a", ""}));
  ASSERT_TRUE(Delete("").ok());
  EXPECT_EQ(engine_->Get("").error().code(), StatusCode::kNotFound);
}

TEST_P(StorageEngineConformance, KeysOrderByUnsignedBytes) {
  using namespace std::string_literals;
  const std::vector<std::string> sorted = {"\0"s,   "\0\0"s,   "a"s,    "a\0"s,
                                           "a\0b"s, "ab"s,     "b"s,    "\x7f"s,
                                           "\x80"s, "\x80\0"s, "\xff"s, "\xff\xff"s};
  std::vector<std::string> shuffled = sorted;
  std::reverse(shuffled.begin(), shuffled.end());
  std::swap(shuffled[1], shuffled[7]);
  WriteBatch batch;
  for (const std::string& key : shuffled) batch.Put(key, "value of " + key);
  ASSERT_TRUE(engine_->Write(batch, WriteOptions{}).ok());
  EXPECT_EQ(ScanKeys(Range("", "")), sorted);
  std::vector<std::string> reversed(sorted.rbegin(), sorted.rend());
  EXPECT_EQ(ScanKeys(Range("", "", ScanDirection::kBackward)), reversed);
  for (const std::string& key : sorted) EXPECT_EQ(engine_->Get(key).value(), "value of " + key);
  // Embedded NULs are part of the key, not terminators.
  EXPECT_EQ(engine_->Get("a\0c"s).error().code(), StatusCode::kNotFound);
}

TEST_P(StorageEngineConformance, ScansHonourBoundsDirectionAndLimit) {
  WriteBatch batch;
  for (int i = 0; i < 20; ++i) {
    char key[8];
    std::snprintf(key, sizeof key, "k%02d", i);
    batch.Put(key, std::string("v") + key);
  }
  ASSERT_TRUE(engine_->Write(batch, WriteOptions{}).ok());
  using V = std::vector<std::string>;
  EXPECT_EQ(ScanKeys(Range("k05", "k10")), (V{"k05", "k06", "k07", "k08", "k09"}));
  EXPECT_EQ(ScanKeys(Range("k05", "k10", ScanDirection::kBackward)),
            (V{"k09", "k08", "k07", "k06", "k05"}));
  EXPECT_EQ(ScanKeys(Range("k05", "k10", ScanDirection::kForward, 3)), (V{"k05", "k06", "k07"}));
  EXPECT_EQ(ScanKeys(Range("k05", "k10", ScanDirection::kBackward, 3)), (V{"k09", "k08", "k07"}));
  EXPECT_EQ(ScanKeys(Range("", "k03")), (V{"k00", "k01", "k02"}));
  EXPECT_EQ(ScanKeys(Range("", "k03", ScanDirection::kBackward)), (V{"k02", "k01", "k00"}));
  EXPECT_EQ(ScanKeys(Range("k17", "")), (V{"k17", "k18", "k19"}));
  EXPECT_EQ(ScanKeys(Range("k17", "", ScanDirection::kBackward)), (V{"k19", "k18", "k17"}));
  EXPECT_EQ(ScanKeys(Range("", "", ScanDirection::kBackward, 2)), (V{"k19", "k18"}));
  EXPECT_EQ(ScanKeys(Range("k05a", "k07a")), (V{"k06", "k07"}));
  EXPECT_EQ(ScanKeys(Range("k05a", "k07a", ScanDirection::kBackward)), (V{"k07", "k06"}));
  EXPECT_TRUE(ScanKeys(Range("k10", "k05")).empty());
  EXPECT_TRUE(ScanKeys(Range("k10", "k05", ScanDirection::kBackward)).empty());
  EXPECT_TRUE(ScanKeys(Range("k07", "k07")).empty());
  EXPECT_TRUE(ScanKeys(Range("z", "")).empty());
  EXPECT_TRUE(ScanKeys(Range("", "a", ScanDirection::kBackward)).empty());
  // A sink that returns false stops the scan.
  EXPECT_EQ(KeysOf(Scan(Range("", ""), 2)), (V{"k00", "k01"}));
  EXPECT_EQ(KeysOf(Scan(Range("", "", ScanDirection::kBackward), 1)), (V{"k19"}));
  Entries entries = Scan(Range("k11", "k12"));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].second, "vk11");
}

TEST_P(StorageEngineConformance, PrefixScans) {
  using namespace std::string_literals;
  const std::vector<std::string> keys = {"o\xff"s, "p"s,        "p\0"s,         "pa"s,
                                         "pb"s,    "pb\xff"s,   "pc"s,          "q"s,
                                         "\xff"s,  "\xff\xff"s, "\xff\xff\x01"s};
  WriteBatch batch;
  for (const std::string& key : keys) batch.Put(key, "x");
  ASSERT_TRUE(engine_->Write(batch, WriteOptions{}).ok());
  using V = std::vector<std::string>;
  EXPECT_EQ(ScanKeys(ScanRange::Prefix("p")), (V{"p", "p\0"s, "pa", "pb", "pb\xff"s, "pc"}));
  EXPECT_EQ(ScanKeys(ScanRange::Prefix("p", ScanDirection::kBackward)),
            (V{"pc", "pb\xff"s, "pb", "pa", "p\0"s, "p"}));
  EXPECT_EQ(ScanKeys(ScanRange::Prefix("pb")), (V{"pb", "pb\xff"s}));
  EXPECT_EQ(ScanKeys(ScanRange::Prefix("\xff\xff"s)), (V{"\xff\xff"s, "\xff\xff\x01"s}));
  EXPECT_EQ(ScanKeys(ScanRange::Prefix("\xff\xff"s, ScanDirection::kBackward)),
            (V{"\xff\xff\x01"s, "\xff\xff"s}));
  EXPECT_EQ(ScanKeys(ScanRange::Prefix("")).size(), keys.size());
  EXPECT_TRUE(ScanKeys(ScanRange::Prefix("r")).empty());
  ScanRange limited = ScanRange::Prefix("p", ScanDirection::kBackward);
  limited.limit = 2;
  EXPECT_EQ(ScanKeys(limited), (V{"pc", "pb\xff"s}));
}

TEST_P(StorageEngineConformance, BatchOpsApplyInOrder) {
  ASSERT_TRUE(Put("deleted-after-put", "old").ok());
  WriteBatch batch;
  batch.Put("deleted-after-put", "new");
  batch.Delete("deleted-after-put");
  batch.Delete("put-after-delete");
  batch.Put("put-after-delete", "alive");
  batch.Put("put-twice", "first");
  batch.Put("put-twice", "second");
  ASSERT_TRUE(engine_->Write(batch, WriteOptions{}).ok());
  EXPECT_EQ(engine_->Get("deleted-after-put").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->Get("put-after-delete").value(), "alive");
  EXPECT_EQ(engine_->Get("put-twice").value(), "second");
  EXPECT_EQ(ScanKeys(Range("", "")), (std::vector<std::string>{"put-after-delete", "put-twice"}));
  // An empty batch is accepted and changes nothing.
  ASSERT_TRUE(engine_->Write(WriteBatch(), WriteOptions{}).ok());
  EXPECT_EQ(ScanKeys(Range("", "")).size(), 2u);
}

// The part of the contract only engines that keep data on disk promise.
class PersistentStorageEngineConformance : public StorageEngineConformance {};

TEST_P(PersistentStorageEngineConformance, SyncedWritesSurviveReopen) {
  ASSERT_TRUE(Put("a", "1", /*sync=*/true).ok());
  ASSERT_TRUE(Put("b", "2", /*sync=*/true).ok());
  WriteBatch batch;
  batch.Put("c", "3");
  batch.Delete("a");
  batch.Put("b", "22");
  ASSERT_TRUE(engine_->Write(batch, WriteOptions{true}).ok());
  ASSERT_TRUE(Put("d", "unsynced then flushed").ok());
  ASSERT_TRUE(engine_->Flush().ok());
  Reopen();
  EXPECT_EQ(engine_->Get("a").error().code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->Get("b").value(), "22");
  EXPECT_EQ(engine_->Get("c").value(), "3");
  EXPECT_EQ(engine_->Get("d").value(), "unsynced then flushed");
  EXPECT_EQ(ScanKeys(Range("", "")), (std::vector<std::string>{"b", "c", "d"}));
  // Writes after a reopen land after the replayed state and survive the next one.
  ASSERT_TRUE(Put("e", "5", /*sync=*/true).ok());
  Reopen();
  EXPECT_EQ(ScanKeys(Range("", "")), (std::vector<std::string>{"b", "c", "d", "e"}));
}

TEST_P(StorageEngineConformance, LargeValues) {
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  ASSERT_TRUE(Put("big", big).ok());
  ASSERT_TRUE(Put("small", "s").ok());
  Result<std::string> value = engine_->Get("big");
  ASSERT_TRUE(value.has_value()) << value.status().ToString();
  EXPECT_TRUE(*value == big);
  Entries entries = Scan(Range("", ""));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_TRUE(entries[0].second == big);
  if (GetParam().persistent) {
    Reopen();
    EXPECT_TRUE(engine_->Get("big").value() == big);
  }
}

TEST_P(StorageEngineConformance, ManyKeysInBatches) {
  constexpr int kKeys = 100'000;
  constexpr int kBatch = 1'000;
  auto key_of = [](int i) {
    char key[16];
    std::snprintf(key, sizeof key, "key%08d", i);
    return std::string(key);
  };
  for (int begin = 0; begin < kKeys; begin += kBatch) {
    WriteBatch batch;
    for (int i = begin; i < begin + kBatch; ++i) batch.Put(key_of(i), "value-" + key_of(i));
    ASSERT_TRUE(engine_->Write(batch, WriteOptions{}).ok());
  }
  Entries all = Scan(Range("", ""));
  ASSERT_EQ(all.size(), static_cast<size_t>(kKeys));
  for (int i = 0; i < kKeys; i += 997) {
    EXPECT_EQ(all[i].first, key_of(i));
    EXPECT_EQ(all[i].second, "value-" + key_of(i));
    EXPECT_EQ(engine_->Get(key_of(i)).value(), "value-" + key_of(i));
  }
  // Delete the even keys, in batches.
  for (int begin = 0; begin < kKeys; begin += kBatch) {
    WriteBatch batch;
    for (int i = begin; i < begin + kBatch; i += 2) batch.Delete(key_of(i));
    ASSERT_TRUE(engine_->Write(batch, WriteOptions{}).ok());
  }
  Entries odd = Scan(Range("", "", ScanDirection::kBackward));
  ASSERT_EQ(odd.size(), static_cast<size_t>(kKeys / 2));
  EXPECT_EQ(odd.front().first, key_of(kKeys - 1));
  EXPECT_EQ(odd.back().first, key_of(1));
  EXPECT_EQ(engine_->Get(key_of(500)).error().code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->Get(key_of(501)).value(), "value-" + key_of(501));
  StorageStats stats = engine_->Stats();
  EXPECT_GE(stats.writes_total, static_cast<uint64_t>(2 * kKeys / kBatch));
  if (std::string_view(GetParam().name) != "rocksdb") {  // rocksdb only estimates
    EXPECT_EQ(stats.keys, static_cast<uint64_t>(kKeys / 2));
  }
}

// Every batch sets all pairs to one new value, or deletes every pair: a reader must always see
// each pair's two halves equal, and all pairs from the same batch.
TEST_P(StorageEngineConformance, ReadersNeverSeeHalfAppliedBatches) {
  constexpr int kPairs = 8;
  constexpr int kBatches = 1500;
  constexpr int kReaders = 4;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<uint64_t> scans{0};
  auto writer = [&] {
    for (int i = 0; i < kBatches; ++i) {
      WriteBatch batch;
      const std::string value = "v" + std::to_string(i) + std::string(100, 'x');
      for (int p = 0; p < kPairs; ++p) {
        if (i % 10 == 9) {
          batch.Delete("pair/a/" + std::to_string(p));
          batch.Delete("pair/b/" + std::to_string(p));
        } else {
          batch.Put("pair/a/" + std::to_string(p), value);
          batch.Put("pair/b/" + std::to_string(p), value);
        }
      }
      if (!engine_->Write(batch, WriteOptions{}).ok()) failures.fetch_add(1);
    }
    done.store(true);
  };
  auto reader = [&](int id) {
    while (!done.load() || scans.load() < 4 * kReaders) {
      CollectingSink sink;
      ScanDirection direction = id % 2 ? ScanDirection::kBackward : ScanDirection::kForward;
      if (!engine_->Scan(ScanRange::Prefix("pair/", direction), sink).ok()) failures.fetch_add(1);
      scans.fetch_add(1);
      const Entries& entries = sink.entries();
      if (entries.size() != 0 && entries.size() != 2 * kPairs) failures.fetch_add(1);
      for (const auto& entry : entries) {
        if (entry.second != entries.front().second) failures.fetch_add(1);
      }
      Result<std::string> one = engine_->Get("pair/a/3");
      if (!one && one.error().code() != StatusCode::kNotFound) failures.fetch_add(1);
      if (one && one->size() < 100) failures.fetch_add(1);
      std::this_thread::yield();  // leave the writer a chance under reader-preferring locks
    }
  };
  std::vector<std::thread> threads;
  threads.emplace_back(writer);
  for (int r = 0; r < kReaders; ++r) threads.emplace_back(reader, r);
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(scans.load(), static_cast<uint64_t>(4 * kReaders));
  Entries final_state = Scan(ScanRange::Prefix("pair/"));
  ASSERT_EQ(final_state.size(), 0u);  // batch 1499 deletes everything
}

TEST_P(StorageEngineConformance, CloseMakesLaterCallsUnavailable) {
  ASSERT_TRUE(Put("k", "v").ok());
  ASSERT_TRUE(engine_->Close().ok());
  ASSERT_TRUE(engine_->Close().ok());  // idempotent
  EXPECT_EQ(engine_->Get("k").error().code(), StatusCode::kUnavailable);
  CollectingSink sink;
  EXPECT_EQ(engine_->Scan(Range("", ""), sink).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(sink.entries().empty());
  WriteBatch batch;
  batch.Put("k", "v2");
  EXPECT_EQ(engine_->Write(batch, WriteOptions{}).code(), StatusCode::kUnavailable);
  EXPECT_EQ(engine_->Flush().code(), StatusCode::kUnavailable);
}

TEST_P(StorageEngineConformance, StatsCountOperations) {
  ASSERT_TRUE(Put("a", "12345").ok());
  ASSERT_TRUE(Put("b", "678").ok());
  ASSERT_TRUE(engine_->Get("a").has_value());
  EXPECT_FALSE(engine_->Get("zz").has_value());
  Scan(Range("", ""));
  StorageStats stats = engine_->Stats();
  EXPECT_EQ(stats.writes_total, 2u);
  EXPECT_EQ(stats.reads_total, 2u);
  EXPECT_EQ(stats.scans_total, 1u);
  EXPECT_EQ(stats.bytes_written_total, 10u);
  EXPECT_GE(stats.bytes_read_total, 5u);
  EXPECT_EQ(stats.errors_total, 0u);
  if (std::string_view(GetParam().name) != "rocksdb") {
    EXPECT_EQ(stats.keys, 2u);
    EXPECT_EQ(stats.live_bytes, 10u);
  }
  if (GetParam().persistent) {
    EXPECT_GT(stats.disk_bytes, 0u);
  }
}

std::string EngineName(const ::testing::TestParamInfo<EngineParam>& info) {
  return info.param.name;
}

constexpr EngineParam kMemory{"memory", false, &OpenMemory};
constexpr EngineParam kFile{"file", true, &OpenFile};
constexpr EngineParam kRocksDb{"rocksdb", true, &OpenRocksDb};

INSTANTIATE_TEST_SUITE_P(Engines, StorageEngineConformance,
                         ::testing::Values(kMemory, kFile, kRocksDb), EngineName);
INSTANTIATE_TEST_SUITE_P(Engines, PersistentStorageEngineConformance,
                         ::testing::Values(kFile, kRocksDb), EngineName);

}  // namespace
}  // namespace optimystic::storage
