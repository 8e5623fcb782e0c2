// SPDX-License-Identifier: Apache-2.0
#include <optimystic/abi/plugin_entry.h>
#include <optimystic/collections/collection_type.h>

#include "collections/tree/tree_collection_type.h"

#include <memory>

namespace optimystic::plugins::collection_tree {
namespace {

class TreeCollectionTypeFactory final : public collections::CollectionTypeFactory {
 public:
  std::string_view name() const noexcept override { return kTreeTypeName; }
  Status Validate(const config::Settings& settings) const noexcept override {
    return TreeOptions::FromSettings(settings).status();
  }
  Result<std::unique_ptr<collections::CollectionType>> Create(
      const config::Settings& settings, host::HostServices&) noexcept override {
    OPTIMYSTIC_ASSIGN_OR_RETURN(TreeOptions options, TreeOptions::FromSettings(settings));
    return std::unique_ptr<collections::CollectionType>(
        std::make_unique<TreeCollectionType>(options));
  }
};

void* GetFactory(const char* iface, uint32_t iface_version) {
  static TreeCollectionTypeFactory factory;
  return abi::OfferFactory<collections::CollectionTypeFactory>(iface, iface_version, factory);
}

}  // namespace
}  // namespace optimystic::plugins::collection_tree

OPTIMYSTIC_DEFINE_PLUGIN(collection_tree, OPTIMYSTIC_KIND_COLLECTION, "collection.tree", "0.1.0",
                         &optimystic::plugins::collection_tree::GetFactory)
