// SPDX-License-Identifier: Apache-2.0
#include "storage/rocksdb/rocksdb_storage_engine.h"

#include <optimystic/abi/plugin_abi.h>
#include <optimystic/config/settings.h>
#include <optimystic/storage/storage_engine.h>

#include "support/temp_dir.h"
#include "support/test_host.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace optimystic::plugins::storage_rocksdb {
namespace {

using storage::WriteBatch;
using storage::WriteOptions;

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

TEST(RocksDbStorageEngine, PathUnderARegularFileIsAClearIOError) {
  test::TempDir dir("optimystic-rocksdb");
  std::ofstream(dir.Sub("regular")) << "not a directory";
  RocksDbOptions options;
  options.path = dir.Sub("regular/db");
  Result<std::unique_ptr<RocksDbStorageEngine>> engine = RocksDbStorageEngine::Open(options);
  ASSERT_FALSE(engine.has_value());
  EXPECT_EQ(engine.error().code(), StatusCode::kIOError);
  EXPECT_TRUE(Contains(engine.error().message(), "rocksdb open " + options.path + ": "))
      << engine.error().ToString();
  EXPECT_TRUE(Contains(engine.error().message(), "Not a directory")) << engine.error().ToString();
}

TEST(RocksDbStorageEngine, SecondOpenOfTheSameDatabaseIsAnIOErrorFromRocksDb) {
  test::TempDir dir("optimystic-rocksdb");
  RocksDbOptions options;
  options.path = dir.Sub("db");
  auto first = RocksDbStorageEngine::Open(options);
  ASSERT_TRUE(first.has_value()) << first.status().ToString();
  auto second = RocksDbStorageEngine::Open(options);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), StatusCode::kIOError);
  EXPECT_TRUE(Contains(second.error().message(), "rocksdb open " + options.path + ": IO error:"))
      << second.error().ToString();
  EXPECT_TRUE(Contains(second.error().message(), "LOCK")) << second.error().ToString();
}

TEST(RocksDbStorageEngine, CompressionNamesAreCheckedAgainstTheLinkedLibrary) {
  EXPECT_TRUE(CheckCompression("none").ok());
  std::vector<std::string> supported = SupportedCompressions();
  EXPECT_EQ(supported.front(), "none");
  for (const std::string& name : supported) EXPECT_TRUE(CheckCompression(name).ok()) << name;
  Status unknown = CheckCompression("gzip");
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(unknown.message(), "unknown compression 'gzip'")) << unknown.ToString();
  const std::string fallback = DefaultCompression();
  EXPECT_TRUE(fallback == "lz4" || fallback == "none") << fallback;
  // Debian's librocksdb 7.8 is built with snappy, lz4 and zstd.
  EXPECT_EQ(supported, (std::vector<std::string>{"none", "snappy", "lz4", "zstd"}));
}

TEST(RocksDbStorageEngine, EveryCompressionRoundTrips) {
  test::TempDir dir("optimystic-rocksdb");
  for (const std::string& name : SupportedCompressions()) {
    RocksDbOptions options;
    options.path = dir.Sub(name);
    options.compression = name;
    options.block_cache_mb = 0;
    auto engine = RocksDbStorageEngine::Open(options);
    ASSERT_TRUE(engine.has_value()) << name << ": " << engine.status().ToString();
    WriteBatch batch;
    batch.Put("k", std::string(10000, 'z'));
    ASSERT_TRUE((*engine)->Write(batch, WriteOptions{}).ok());
    EXPECT_EQ((*engine)->Get("k").value(), std::string(10000, 'z'));
    storage::StorageStats stats = (*engine)->Stats();
    EXPECT_GE(stats.keys, 1u);
    EXPECT_GT(stats.disk_bytes, 0u);
  }
}

// ---- The plugin, loaded as the node loads it ------------------------------------------------

class RocksDbPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path =
        std::string(OPTIMYSTIC_PLUGIN_OUTPUT_DIR) + "/liboptimystic_storage_rocksdb.so";
    handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << ::dlerror();
    auto entry = reinterpret_cast<optimystic_plugin_entry_fn>(
        ::dlsym(handle_, "optimystic_plugin_entry_storage_rocksdb"));
    ASSERT_NE(entry, nullptr);
    const optimystic_plugin_descriptor* descriptor = entry();
    EXPECT_STREQ(descriptor->id, "storage.rocksdb");
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

  Status Validate(const config::SettingsNode& node) {
    return factory_->Validate(config::Settings(&node, "storage.settings", "node.yaml"));
  }

  void* handle_ = nullptr;
  storage::StorageEngineFactory* factory_ = nullptr;
  test::TempDir dir_{"optimystic-rocksdb-plugin"};
};

TEST_F(RocksDbPluginTest, RejectsUnknownKeysAndBadValuesWithTheirLocation) {
  Status s = Validate(Map({{"path", "x"}, {"cache_mb", "8"}}));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s.message(), "node.yaml:3:3: storage.settings.cache_mb: unknown key"))
      << s.ToString();
  s = Validate(Map({{"compression", "brotli"}}));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s.message(),
                       "node.yaml:2:3: storage.settings.compression: unknown "
                       "compression 'brotli'"))
      << s.ToString();
  s = Validate(Map({{"block_cache_mb", "-1"}}));
  EXPECT_TRUE(Contains(s.message(), "storage.settings.block_cache_mb")) << s.ToString();
  s = Validate(Map({{"sync", "perhaps"}}));
  EXPECT_TRUE(Contains(s.message(), "storage.settings.sync")) << s.ToString();
  EXPECT_TRUE(Validate(Map({{"path", "/x"},
                            {"sync", "false"},
                            {"block_cache_mb", "16"},
                            {"compression", "zstd"}}))
                  .ok());
}

TEST_F(RocksDbPluginTest, CreatesTheDatabaseBelowTheDataDirectory) {
  test::TestHost host(dir_.path());
  config::SettingsNode none;
  auto engine = factory_->Create(config::Settings(&none, "storage.settings", ""), host);
  ASSERT_TRUE(engine.has_value()) << engine.status().ToString();
  WriteBatch batch;
  batch.Put("k", "v");
  ASSERT_TRUE((*engine)->Write(batch, WriteOptions{}).ok());
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("rocksdb/CURRENT")));
  EXPECT_TRUE(host.test_logger().Contains("storage.rocksdb: opened " + dir_.Sub("rocksdb")));
  EXPECT_TRUE((*engine)->Close().ok());
}

}  // namespace
}  // namespace optimystic::plugins::storage_rocksdb
