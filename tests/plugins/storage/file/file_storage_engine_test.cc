// SPDX-License-Identifier: Apache-2.0
#include "storage/file/file_storage_engine.h"

#include <optimystic/abi/plugin_abi.h>
#include <optimystic/base/crc32c.h>
#include <optimystic/config/settings.h>
#include <optimystic/storage/storage_engine.h>

#include "storage/file/segment_file.h"
#include "storage/file/segment_format.h"
#include "support/temp_dir.h"
#include "support/test_host.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace optimystic::plugins::storage_file {
namespace {

using storage::ScanRange;
using storage::ScanSink;
using storage::WriteBatch;
using storage::WriteOptions;
using Model = std::map<std::string, std::string>;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

uint64_t FileBytes(const std::string& path) {
  std::error_code ec;
  return std::filesystem::file_size(path, ec);
}

class ModelSink final : public ScanSink {
 public:
  bool OnEntry(std::string_view key, std::string_view value) noexcept override {
    entries.emplace(std::string(key), std::string(value));
    return true;
  }
  Model entries;
};

// Everything in the engine, as a map.
Model Contents(storage::StorageEngine& engine) {
  ModelSink sink;
  Status s = engine.Scan(ScanRange{}, sink);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return std::move(sink.entries);
}

class FileStorageEngineTest : public ::testing::Test {
 protected:
  FileStorageOptions Options(std::string subdir = "db") const {
    FileStorageOptions options;
    options.path = dir_.Sub(subdir);
    options.sync = true;
    options.background_compaction = false;
    return options;
  }

  std::unique_ptr<FileStorageEngine> OpenOrDie(const FileStorageOptions& options) {
    Result<std::unique_ptr<FileStorageEngine>> engine = FileStorageEngine::Open(options, logger_);
    EXPECT_TRUE(engine.has_value()) << engine.status().ToString();
    return engine ? std::move(engine).value() : nullptr;
  }

  // Writes batch i of the standard sequence: key "k<i>" and an overwrite of "shared".
  static Status WriteNumbered(FileStorageEngine& engine, int i) {
    WriteBatch batch;
    batch.Put("k" + std::to_string(i), "value " + std::to_string(i));
    batch.Put("shared", std::to_string(i));
    return engine.Write(batch, WriteOptions{true});
  }

  static Model NumberedModel(int batches) {
    Model model;
    for (int i = 0; i < batches; ++i) model["k" + std::to_string(i)] = "value " + std::to_string(i);
    if (batches > 0) model["shared"] = std::to_string(batches - 1);
    return model;
  }

  // Writes `batches` numbered batches into a fresh engine at options.path and returns the size of
  // the first segment after each batch (offsets[i] is where batch i starts).
  std::vector<uint64_t> WriteNumberedFile(const FileStorageOptions& options, int batches) {
    std::vector<uint64_t> offsets;
    auto engine = OpenOrDie(options);
    if (!engine) return offsets;
    for (int i = 0; i < batches; ++i) {
      offsets.push_back(FileBytes(options.path + "/00000001.seg"));
      EXPECT_TRUE(WriteNumbered(*engine, i).ok());
    }
    offsets.push_back(FileBytes(options.path + "/00000001.seg"));
    EXPECT_TRUE(engine->Close().ok());
    return offsets;
  }

  test::TempDir dir_{"optimystic-file-engine"};
  test::TestLogger logger_;
};

TEST(SegmentFileName, FormatsAndParses) {
  EXPECT_EQ(SegmentFileName(42), "00000042.seg");
  EXPECT_EQ(SegmentFileName(7, kCompactionSuffix), "00000007.compact");
  EXPECT_EQ(ParseSegmentFileName("00000042.seg"), 42u);
  EXPECT_EQ(ParseSegmentFileName("4294967295.seg"), 4294967295u);
  EXPECT_FALSE(ParseSegmentFileName("4294967296.seg"));
  EXPECT_FALSE(ParseSegmentFileName("0042.seg"));
  EXPECT_FALSE(ParseSegmentFileName("0000004x.seg"));
  EXPECT_FALSE(ParseSegmentFileName("00000042.compact"));
  EXPECT_FALSE(ParseSegmentFileName("LOCK"));
}

TEST_F(FileStorageEngineTest, TornTailIsTruncatedOnReopen) {
  FileStorageOptions options = Options();
  std::vector<uint64_t> offsets = WriteNumberedFile(options, 10);
  const std::string segment = options.path + "/00000001.seg";
  std::filesystem::resize_file(segment, offsets[9] + 10);  // cut batch 9 after 10 bytes
  {
    auto engine = OpenOrDie(options);
    ASSERT_NE(engine, nullptr);
    EXPECT_EQ(Contents(*engine), NumberedModel(9));
    EXPECT_TRUE(logger_.Contains("truncated a torn tail of 10 bytes")) << logger_.lines().size();
    EXPECT_EQ(FileBytes(segment), offsets[9]);
    ASSERT_TRUE(WriteNumbered(*engine, 9).ok());
  }
  // Garbage appended after the last record (no record header in it) is a torn tail too.
  {
    std::ofstream out(segment, std::ios::binary | std::ios::app);
    out << std::string(100, '\xab');
  }
  auto engine = OpenOrDie(options);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(Contents(*engine), NumberedModel(10));
  EXPECT_EQ(FileBytes(segment), offsets[10]);
}

TEST_F(FileStorageEngineTest, DamagedRecordBeforeTheTailFailsOpenWithCorruption) {
  FileStorageOptions options = Options();
  std::vector<uint64_t> offsets = WriteNumberedFile(options, 5);
  const std::string segment = options.path + "/00000001.seg";
  const std::string original = ReadFile(segment);
  // A byte flipped in the middle of batch 2's payload, and one in its length field.
  for (uint64_t at : {offsets[2] + (offsets[3] - offsets[2]) / 2, offsets[2] + 8}) {
    std::string damaged = original;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
    WriteFile(segment, damaged);
    Result<std::unique_ptr<FileStorageEngine>> engine = FileStorageEngine::Open(options, logger_);
    ASSERT_FALSE(engine.has_value());
    EXPECT_EQ(engine.error().code(), StatusCode::kCorruption);
    const std::string message(engine.error().message());
    EXPECT_NE(message.find(segment + ": offset " + std::to_string(offsets[2]) + ":"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("not a torn tail"), std::string::npos) << message;
    EXPECT_EQ(FileBytes(segment), original.size());  // nothing was truncated
  }
  WriteFile(segment, original);
  auto engine = OpenOrDie(options);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(Contents(*engine), NumberedModel(5));
}

TEST_F(FileStorageEngineTest, DamageAtTheEndOfASealedSegmentIsCorruption) {
  FileStorageOptions options = Options();
  options.segment_bytes = 64 << 10;
  {
    auto engine = OpenOrDie(options);
    ASSERT_NE(engine, nullptr);
    for (int i = 0; engine->SegmentNumbers().size() < 2; ++i) {
      WriteBatch batch;
      batch.Put("key" + std::to_string(i), std::string(1000, 'v'));
      ASSERT_TRUE(engine->Write(batch, WriteOptions{}).ok());
    }
  }
  const std::string sealed = options.path + "/00000001.seg";
  std::filesystem::resize_file(sealed, FileBytes(sealed) - 1);
  Result<std::unique_ptr<FileStorageEngine>> engine = FileStorageEngine::Open(options, logger_);
  ASSERT_FALSE(engine.has_value());
  EXPECT_EQ(engine.error().code(), StatusCode::kCorruption);
  EXPECT_NE(engine.error().message().find(sealed + ": offset "), std::string::npos)
      << engine.error().ToString();
}

TEST_F(FileStorageEngineTest, TruncationAnywhereInTheLastRecordKeepsExactlyTheEarlierOnes) {
  FileStorageOptions options = Options("original");
  std::vector<uint64_t> offsets = WriteNumberedFile(options, 3);
  const std::string bytes = ReadFile(options.path + "/00000001.seg");
  ASSERT_EQ(bytes.size(), offsets[3]);
  for (uint64_t cut = offsets[2]; cut < offsets[3]; ++cut) {
    FileStorageOptions copy = Options("cut" + std::to_string(cut));
    std::filesystem::create_directories(copy.path);
    WriteFile(copy.path + "/00000001.seg", std::string_view(bytes).substr(0, cut));
    auto engine = OpenOrDie(copy);
    ASSERT_NE(engine, nullptr) << "cut at " << cut;
    EXPECT_EQ(Contents(*engine), NumberedModel(2)) << "cut at " << cut;
    EXPECT_EQ(FileBytes(copy.path + "/00000001.seg"), offsets[2]) << "cut at " << cut;
    ASSERT_TRUE(engine->Close().ok());
    std::filesystem::remove_all(copy.path);
  }
}

TEST_F(FileStorageEngineTest, GetVerifiesTheBytesItReads) {
  FileStorageOptions options = Options();
  auto engine = OpenOrDie(options);
  ASSERT_NE(engine, nullptr);
  WriteBatch batch;
  batch.Put("key", "a value that will rot");
  ASSERT_TRUE(engine->Write(batch, WriteOptions{}).ok());
  const std::string segment = options.path + "/00000001.seg";
  std::string bytes = ReadFile(segment);
  bytes[bytes.size() - 3] ^= 0x01;  // inside the value
  {
    std::fstream out(segment, std::ios::binary | std::ios::in | std::ios::out);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  Result<std::string> value = engine->Get("key");
  ASSERT_FALSE(value.has_value());
  EXPECT_EQ(value.error().code(), StatusCode::kCorruption);
  EXPECT_NE(
      value.error().message().find(segment + ": offset " + std::to_string(kRecordHeaderBytes)),
      std::string::npos)
      << value.error().ToString();
  EXPECT_EQ(engine->Stats().errors_total, 1u);
}

TEST_F(FileStorageEngineTest, SecondOpenOfTheSameDirectoryFails) {
  FileStorageOptions options = Options();
  auto first = OpenOrDie(options);
  ASSERT_NE(first, nullptr);
  Result<std::unique_ptr<FileStorageEngine>> second = FileStorageEngine::Open(options, logger_);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), StatusCode::kIOError);
  EXPECT_NE(second.error().message().find("in use"), std::string::npos);
  ASSERT_TRUE(first->Close().ok());
  EXPECT_NE(OpenOrDie(options), nullptr);  // Close released the lock
}

TEST_F(FileStorageEngineTest, BadDirectoryIsAClearIOError) {
  WriteFile(dir_.Sub("regular"), "not a directory");
  FileStorageOptions options = Options("regular/db");
  Result<std::unique_ptr<FileStorageEngine>> engine = FileStorageEngine::Open(options, logger_);
  ASSERT_FALSE(engine.has_value());
  EXPECT_EQ(engine.error().code(), StatusCode::kIOError);
  EXPECT_NE(engine.error().message().find("file engine open " + options.path), std::string::npos)
      << engine.error().ToString();
  EXPECT_NE(engine.error().message().find("Not a directory"), std::string::npos)
      << engine.error().ToString();
}

// Writes `rounds` overwrites of `keys` keys plus some deletes, mirroring them in `model`.
void Churn(FileStorageEngine& engine, Model& model, int keys, int rounds) {
  for (int round = 0; round < rounds; ++round) {
    for (int begin = 0; begin < keys; begin += 50) {
      WriteBatch batch;
      for (int k = begin; k < begin + 50 && k < keys; ++k) {
        std::string key = "key" + std::to_string(k);
        if ((k + round) % 7 == 0) {
          batch.Delete(key);
          model.erase(key);
        } else {
          std::string value =
              std::to_string(round) + std::string(100, static_cast<char>('a' + k % 26));
          batch.Put(key, value);
          model[key] = value;
        }
      }
      ASSERT_TRUE(engine.Write(batch, WriteOptions{}).ok());
    }
  }
}

TEST_F(FileStorageEngineTest, CompactionReclaimsSpaceAndKeepsData) {
  FileStorageOptions options = Options();
  options.sync = false;
  options.segment_bytes = 64 << 10;
  auto engine = OpenOrDie(options);
  ASSERT_NE(engine, nullptr);
  Model model;
  Churn(*engine, model, 1000, 6);
  const std::vector<uint32_t> before_segments = engine->SegmentNumbers();
  ASSERT_GE(before_segments.size(), 5u);
  const std::string first_segment = options.path + "/" + SegmentFileName(before_segments[0]);
  const std::string stale_copy = ReadFile(first_segment);
  const uint64_t disk_before = engine->Stats().disk_bytes;
  ASSERT_TRUE(engine->Compact().ok());
  const uint64_t disk_after = engine->Stats().disk_bytes;
  EXPECT_LT(disk_after * 3, disk_before) << disk_before << " -> " << disk_after;
  EXPECT_LE(engine->SegmentNumbers().size(), 2u);
  EXPECT_FALSE(std::filesystem::exists(first_segment));
  EXPECT_EQ(Contents(*engine), model);
  EXPECT_EQ(engine->Get("key1").value(), model["key1"]);
  EXPECT_EQ(engine->Stats().keys, model.size());
  // Writes after a compaction, then a reopen that replays the compacted segment.
  Churn(*engine, model, 200, 1);
  ASSERT_TRUE(engine->Close().ok());
  // As if the crash came before the old segments were deleted: a superseded segment is back.
  WriteFile(first_segment, stale_copy);
  engine = OpenOrDie(options);
  ASSERT_NE(engine, nullptr);
  EXPECT_FALSE(std::filesystem::exists(first_segment));
  EXPECT_EQ(Contents(*engine), model);
  // Compacting again, including the earlier output, changes nothing visible.
  ASSERT_TRUE(engine->Compact().ok());
  EXPECT_EQ(Contents(*engine), model);
}

TEST_F(FileStorageEngineTest, UnfinishedCompactionOutputIsDiscardedOnOpen) {
  FileStorageOptions options = Options();
  {
    auto engine = OpenOrDie(options);
    ASSERT_NE(engine, nullptr);
    ASSERT_TRUE(WriteNumbered(*engine, 0).ok());
  }
  const std::string leftover = options.path + "/00000001.compact";
  WriteFile(leftover, "half a compaction");
  auto engine = OpenOrDie(options);
  ASSERT_NE(engine, nullptr);
  EXPECT_FALSE(std::filesystem::exists(leftover));
  EXPECT_EQ(Contents(*engine), NumberedModel(1));
}

TEST_F(FileStorageEngineTest, BackgroundCompactionRunsOnceGarbageCrossesTheThreshold) {
  FileStorageOptions options = Options();
  options.sync = false;
  options.segment_bytes = 64 << 10;
  options.background_compaction = true;
  options.compaction_min_garbage_ratio = 0.5;
  auto engine = OpenOrDie(options);
  ASSERT_NE(engine, nullptr);
  Model model;
  Churn(*engine, model, 200, 40);  // ~40 overwrites per key: nearly everything is garbage
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!logger_.Contains("compacted") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(logger_.Contains("compacted"));
  EXPECT_LT(engine->Stats().disk_bytes, 40u * 200u * 120u / 2u);
  EXPECT_EQ(Contents(*engine), model);
}

TEST_F(FileStorageEngineTest, CompactionRunsConcurrentlyWithReadersAndAWriter) {
  FileStorageOptions options = Options();
  options.sync = false;
  options.segment_bytes = 64 << 10;
  options.background_compaction = true;
  options.compaction_min_garbage_ratio = 0.3;
  auto engine = OpenOrDie(options);
  ASSERT_NE(engine, nullptr);
  constexpr int kPairs = 64;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<int> compactions{0};
  std::thread writer([&] {
    for (int i = 0; i < 1500; ++i) {
      WriteBatch batch;
      const std::string value = std::to_string(i) + std::string(200, 'p');
      for (int p = i % 4; p < kPairs; p += 4) {
        batch.Put("a/" + std::to_string(p), value);
        batch.Put("b/" + std::to_string(p), value);
      }
      if (!engine->Write(batch, WriteOptions{}).ok()) failures.fetch_add(1);
    }
    done.store(true);
  });
  std::thread compactor([&] {
    while (!done.load()) {
      if (!engine->Compact().ok()) failures.fetch_add(1);
      compactions.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      while (!done.load()) {
        // One scan over both halves must see each pair equal.
        ModelSink both;
        if (!engine->Scan(ScanRange{}, both).ok()) failures.fetch_add(1);
        for (int p = 0; p < kPairs; ++p) {
          auto ia = both.entries.find("a/" + std::to_string(p));
          auto ib = both.entries.find("b/" + std::to_string(p));
          if ((ia == both.entries.end()) != (ib == both.entries.end())) failures.fetch_add(1);
          if (ia != both.entries.end() && ib != both.entries.end() && ia->second != ib->second) {
            failures.fetch_add(1);
          }
        }
        Result<std::string> value = engine->Get("a/" + std::to_string(r));
        if (value && value->size() < 200) failures.fetch_add(1);
        if (!value && value.error().code() != StatusCode::kNotFound) failures.fetch_add(1);
        std::this_thread::yield();
      }
    });
  }
  writer.join();
  compactor.join();
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(compactions.load(), 0);
  Model expected = Contents(*engine);
  ASSERT_EQ(expected.size(), 2u * kPairs);
  for (int p = 0; p < kPairs; ++p) {
    EXPECT_EQ(expected["a/" + std::to_string(p)], expected["b/" + std::to_string(p)]);
  }
  ASSERT_TRUE(engine->Close().ok());
  engine = OpenOrDie(options);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(Contents(*engine), expected);
}

// ---- The plugin, loaded as the node loads it ------------------------------------------------

class FilePluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path =
        std::string(OPTIMYSTIC_PLUGIN_OUTPUT_DIR) + "/liboptimystic_storage_file.so";
    handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << ::dlerror();
    auto entry = reinterpret_cast<optimystic_plugin_entry_fn>(
        ::dlsym(handle_, "optimystic_plugin_entry_storage_file"));
    ASSERT_NE(entry, nullptr);
    const optimystic_plugin_descriptor* descriptor = entry();
    EXPECT_STREQ(descriptor->id, "storage.file");
    EXPECT_EQ(descriptor->kind, OPTIMYSTIC_KIND_STORAGE);
    factory_ = static_cast<storage::StorageEngineFactory*>(descriptor->get_factory(
        storage::StorageEngineFactory::kInterface, storage::StorageEngineFactory::kVersion));
    ASSERT_NE(factory_, nullptr);
  }
  void TearDown() override {
    if (handle_ != nullptr) ::dlclose(handle_);
  }

  static config::SettingsNode Map(std::vector<std::pair<std::string, std::string>> entries) {
    config::SettingsNode root;
    root.kind = config::SettingsNode::Kind::kMap;
    root.line = 1;
    root.column = 1;
    uint32_t line = 2;
    for (auto& [key, value] : entries) {
      config::SettingsNode scalar;
      scalar.kind = config::SettingsNode::Kind::kScalar;
      scalar.scalar = value;
      scalar.line = line++;
      scalar.column = 3;
      root.children.emplace_back(key, std::move(scalar));
    }
    return root;
  }

  void* handle_ = nullptr;
  storage::StorageEngineFactory* factory_ = nullptr;
  test::TempDir dir_{"optimystic-file-plugin"};
};

TEST_F(FilePluginTest, RejectsUnknownKeysAndBadValuesWithTheirLocation) {
  config::SettingsNode unknown = Map({{"path", "x"}, {"segment_size", "1"}});
  Status s = factory_->Validate(config::Settings(&unknown, "storage.settings", "node.yaml"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("node.yaml:3:3: storage.settings.segment_size: unknown key"),
            std::string::npos)
      << s.ToString();
  config::SettingsNode small = Map({{"segment_bytes", "100"}});
  s = factory_->Validate(config::Settings(&small, "storage.settings", "node.yaml"));
  EXPECT_NE(s.message().find("storage.settings.segment_bytes: must be between"), std::string::npos)
      << s.ToString();
  config::SettingsNode ratio = Map({{"compaction_min_garbage_ratio", "1.5"}});
  s = factory_->Validate(config::Settings(&ratio, "storage.settings", "node.yaml"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  config::SettingsNode sync = Map({{"sync", "sometimes"}});
  s = factory_->Validate(config::Settings(&sync, "storage.settings", "node.yaml"));
  EXPECT_NE(s.message().find("storage.settings.sync"), std::string::npos) << s.ToString();
  config::SettingsNode good = Map({{"path", "/x"},
                                   {"sync", "false"},
                                   {"segment_bytes", "1048576"},
                                   {"compaction_min_garbage_ratio", "0.25"}});
  EXPECT_TRUE(factory_->Validate(config::Settings(&good, "storage.settings", "node.yaml")).ok());
  EXPECT_TRUE(factory_->Validate(config::Settings(nullptr, "storage.settings", "")).ok());
}

TEST_F(FilePluginTest, CreatesTheEngineBelowTheDataDirectory) {
  test::TestHost host(dir_.path());
  {
    config::SettingsNode none;
    auto engine = factory_->Create(config::Settings(&none, "storage.settings", ""), host);
    ASSERT_TRUE(engine.has_value()) << engine.status().ToString();
    EXPECT_TRUE(std::filesystem::exists(dir_.Sub("file/00000001.seg")));
    EXPECT_TRUE((*engine)->Close().ok());
  }
  config::SettingsNode relative = Map({{"path", "elsewhere/db"}});
  auto engine = factory_->Create(config::Settings(&relative, "storage.settings", ""), host);
  ASSERT_TRUE(engine.has_value()) << engine.status().ToString();
  WriteBatch batch;
  batch.Put("k", "v");
  ASSERT_TRUE((*engine)->Write(batch, WriteOptions{}).ok());
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("elsewhere/db/00000001.seg")));
  EXPECT_TRUE(host.test_logger().Contains("storage.file: opened " + dir_.Sub("elsewhere/db")));
}

}  // namespace
}  // namespace optimystic::plugins::storage_file
