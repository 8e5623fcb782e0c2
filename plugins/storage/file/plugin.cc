// SPDX-License-Identifier: Apache-2.0
#include <optimystic/abi/plugin_entry.h>
#include <optimystic/config/settings.h>
#include <optimystic/host/host_services.h>
#include <optimystic/storage/storage_engine.h>

#include "storage/file/file_storage_engine.h"

#include <filesystem>
#include <memory>
#include <string>

namespace optimystic::plugins::storage_file {
namespace {

constexpr uint64_t kMinSegmentBytes = 64ull << 10;  // 64 KiB
constexpr uint64_t kMaxSegmentBytes = 64ull << 30;  // 64 GiB

// Reads `settings` into options; a relative path is resolved below `data_dir`. Errors name the
// YAML location of the bad value.
Result<FileStorageOptions> ParseOptions(const config::Settings& settings,
                                        std::string_view data_dir) {
  OPTIMYSTIC_RETURN_IF_ERROR(
      settings.CheckKeys({"path", "sync", "segment_bytes", "compaction_min_garbage_ratio"}));
  FileStorageOptions options;
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::string path, settings.GetString("path", "file"));
  if (path.empty()) return settings.Get("path").Error("must not be empty");
  std::filesystem::path resolved(path);
  if (resolved.is_relative() && !data_dir.empty()) {
    resolved = std::filesystem::path(data_dir) / resolved;
  }
  options.path = resolved.lexically_normal().string();
  OPTIMYSTIC_ASSIGN_OR_RETURN(options.sync, settings.GetBool("sync", true));
  OPTIMYSTIC_ASSIGN_OR_RETURN(options.segment_bytes,
                              settings.GetUint("segment_bytes", options.segment_bytes));
  if (options.segment_bytes < kMinSegmentBytes || options.segment_bytes > kMaxSegmentBytes) {
    return settings.Get("segment_bytes")
        .Error("must be between " + std::to_string(kMinSegmentBytes) + " and " +
               std::to_string(kMaxSegmentBytes));
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      options.compaction_min_garbage_ratio,
      settings.GetDouble("compaction_min_garbage_ratio", options.compaction_min_garbage_ratio));
  if (!(options.compaction_min_garbage_ratio > 0.0 &&
        options.compaction_min_garbage_ratio <= 1.0)) {
    return settings.Get("compaction_min_garbage_ratio")
        .Error("must be greater than 0 and at most 1");
  }
  return options;
}

class FileStorageEngineFactory final : public storage::StorageEngineFactory {
 public:
  Status Validate(const config::Settings& settings) const noexcept override {
    return ParseOptions(settings, "").status();
  }

  Result<std::unique_ptr<storage::StorageEngine>> Create(
      const config::Settings& settings, host::HostServices& host) noexcept override {
    OPTIMYSTIC_ASSIGN_OR_RETURN(FileStorageOptions options,
                                ParseOptions(settings, host.data_dir()));
    const std::string path = options.path;
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::unique_ptr<FileStorageEngine> engine,
                                FileStorageEngine::Open(std::move(options), host.logger()));
    host.logger().Log(logging::LogLevel::kInfo, "storage.file: opened " + path);
    return std::unique_ptr<storage::StorageEngine>(std::move(engine));
  }
};

void* GetFactory(const char* iface, uint32_t iface_version) {
  static FileStorageEngineFactory factory;
  return abi::OfferFactory(iface, iface_version, factory);
}

}  // namespace
}  // namespace optimystic::plugins::storage_file

OPTIMYSTIC_DEFINE_PLUGIN(storage_file, OPTIMYSTIC_KIND_STORAGE, "storage.file", "0.1.0",
                         &optimystic::plugins::storage_file::GetFactory)
