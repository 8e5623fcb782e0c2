// SPDX-License-Identifier: Apache-2.0
#include <optimystic/abi/plugin_entry.h>
#include <optimystic/storage/storage_engine.h>

#include "storage/memory/memory_storage_engine.h"

#include <memory>
#include <string>

namespace optimystic::plugins::storage_memory {
namespace {

class MemoryStorageEngineFactory final : public storage::StorageEngineFactory {
 public:
  Status Validate(const config::Settings& settings) const noexcept override {
    return MemoryStorageOptions::FromSettings(settings).status();
  }

  Result<std::unique_ptr<storage::StorageEngine>> Create(
      const config::Settings& settings, host::HostServices& host) noexcept override {
    OPTIMYSTIC_ASSIGN_OR_RETURN(MemoryStorageOptions options,
                                MemoryStorageOptions::FromSettings(settings));
    if (host.logger().Enabled(logging::LogLevel::kInfo)) {
      host.logger().Log(logging::LogLevel::kInfo, "memory storage engine opened (max_bytes=" +
                                                      std::to_string(options.max_bytes) +
                                                      ", 0 = unlimited)");
    }
    return std::unique_ptr<storage::StorageEngine>(std::make_unique<MemoryStorageEngine>(options));
  }
};

void* GetFactory(const char* iface, uint32_t iface_version) {
  static MemoryStorageEngineFactory factory;
  return abi::OfferFactory<storage::StorageEngineFactory>(iface, iface_version, factory);
}

}  // namespace
}  // namespace optimystic::plugins::storage_memory

OPTIMYSTIC_DEFINE_PLUGIN(storage_memory, OPTIMYSTIC_KIND_STORAGE, "storage.memory", "0.1.0",
                         &optimystic::plugins::storage_memory::GetFactory)
