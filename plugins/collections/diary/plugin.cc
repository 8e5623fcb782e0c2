// SPDX-License-Identifier: Apache-2.0
#include <optimystic/abi/plugin_entry.h>
#include <optimystic/collections/collection_type.h>

#include "collections/diary/diary_collection_type.h"

#include <memory>
#include <string>
#include <vector>

namespace optimystic::plugins::collection_diary {
namespace {

class DiaryCollectionTypeFactory final : public collections::CollectionTypeFactory {
 public:
  std::string_view name() const noexcept override { return kDiaryTypeName; }
  // The diary has no settings.
  Status Validate(const config::Settings& settings) const noexcept override {
    return settings.CheckKeys(std::vector<std::string>{});
  }
  Result<std::unique_ptr<collections::CollectionType>> Create(
      const config::Settings& settings, host::HostServices&) noexcept override {
    OPTIMYSTIC_RETURN_IF_ERROR(Validate(settings));
    return std::unique_ptr<collections::CollectionType>(std::make_unique<DiaryCollectionType>());
  }
};

void* GetFactory(const char* iface, uint32_t iface_version) {
  static DiaryCollectionTypeFactory factory;
  return abi::OfferFactory<collections::CollectionTypeFactory>(iface, iface_version, factory);
}

}  // namespace
}  // namespace optimystic::plugins::collection_diary

OPTIMYSTIC_DEFINE_PLUGIN(collection_diary, OPTIMYSTIC_KIND_COLLECTION, "collection.diary", "0.1.0",
                         &optimystic::plugins::collection_diary::GetFactory)
