// SPDX-License-Identifier: Apache-2.0
#include <optimystic/abi/plugin_entry.h>
#include <optimystic/config/settings.h>
#include <optimystic/host/host_services.h>
#include <optimystic/storage/storage_engine.h>

#include "storage/rocksdb/rocksdb_storage_engine.h"

#include <filesystem>
#include <memory>
#include <string>

namespace optimystic::plugins::storage_rocksdb {
namespace {

constexpr uint64_t kMaxBlockCacheMb = 1ull << 20;  // 1 TiB

// Reads `settings` into options; a relative path is resolved below `data_dir`. Errors name the
// YAML location of the bad value.
Result<RocksDbOptions> ParseOptions(const config::Settings& settings, std::string_view data_dir) {
  OPTIMYSTIC_RETURN_IF_ERROR(settings.CheckKeys({"path", "sync", "block_cache_mb", "compression"}));
  RocksDbOptions options;
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::string path, settings.GetString("path", "rocksdb"));
  if (path.empty()) return settings.Get("path").Error("must not be empty");
  std::filesystem::path resolved(path);
  if (resolved.is_relative() && !data_dir.empty()) {
    resolved = std::filesystem::path(data_dir) / resolved;
  }
  options.path = resolved.lexically_normal().string();
  OPTIMYSTIC_ASSIGN_OR_RETURN(options.sync, settings.GetBool("sync", true));
  OPTIMYSTIC_ASSIGN_OR_RETURN(options.block_cache_mb,
                              settings.GetUint("block_cache_mb", options.block_cache_mb));
  if (options.block_cache_mb > kMaxBlockCacheMb) {
    return settings.Get("block_cache_mb")
        .Error("must be at most " + std::to_string(kMaxBlockCacheMb));
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(options.compression,
                              settings.GetString("compression", DefaultCompression()));
  Status compression = CheckCompression(options.compression);
  if (!compression.ok()) {
    return Status(compression.code(),
                  settings.Get("compression").Where() + ": " + std::string(compression.message()));
  }
  return options;
}

class RocksDbStorageEngineFactory final : public storage::StorageEngineFactory {
 public:
  Status Validate(const config::Settings& settings) const noexcept override {
    return ParseOptions(settings, "").status();
  }

  Result<std::unique_ptr<storage::StorageEngine>> Create(
      const config::Settings& settings, host::HostServices& host) noexcept override {
    OPTIMYSTIC_ASSIGN_OR_RETURN(RocksDbOptions options, ParseOptions(settings, host.data_dir()));
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::unique_ptr<RocksDbStorageEngine> engine,
                                RocksDbStorageEngine::Open(options));
    host.logger().Log(logging::LogLevel::kInfo, "storage.rocksdb: opened " + options.path +
                                                    " (sync " + (options.sync ? "on" : "off") +
                                                    ", compression " + options.compression + ")");
    return std::unique_ptr<storage::StorageEngine>(std::move(engine));
  }
};

void* GetFactory(const char* iface, uint32_t iface_version) {
  static RocksDbStorageEngineFactory factory;
  return abi::OfferFactory(iface, iface_version, factory);
}

}  // namespace
}  // namespace optimystic::plugins::storage_rocksdb

OPTIMYSTIC_DEFINE_PLUGIN(storage_rocksdb, OPTIMYSTIC_KIND_STORAGE, "storage.rocksdb", "0.1.0",
                         &optimystic::plugins::storage_rocksdb::GetFactory)
