// SPDX-License-Identifier: Apache-2.0
// The plugin module collection.counter (liboptimystic_collection_counter.so). A plugin library
// exports exactly one C function, defined by OPTIMYSTIC_DEFINE_PLUGIN at the bottom; the node
// calls it, checks the descriptor it returns (ABI version, toolchain, SDK hash, kind, id) and
// then asks get_factory for the interface it needs: here a CollectionTypeFactory.
#include <optimystic/abi/plugin_entry.h>
#include <optimystic/collections/collection_type.h>

#include "collections/counter/counter_collection_type.h"

#include <memory>
#include <string>
#include <vector>

namespace optimystic::plugins::collection_counter {
namespace {

// Makes CounterCollectionType objects. It lives as a static object inside the plugin; the host
// never deletes it.
class CounterCollectionTypeFactory final : public collections::CollectionTypeFactory {
 public:
  std::string_view name() const noexcept override { return kCounterTypeName; }
  // `settings` is collections.types.counter.settings from the YAML. The counter has none, so
  // any key is refused, and the error names its YAML path.
  Status Validate(const config::Settings& settings) const noexcept override {
    return settings.CheckKeys(std::vector<std::string>{});
  }
  Result<std::unique_ptr<collections::CollectionType>> Create(
      const config::Settings& settings, host::HostServices&) noexcept override {
    OPTIMYSTIC_RETURN_IF_ERROR(Validate(settings));
    return std::unique_ptr<collections::CollectionType>(std::make_unique<CounterCollectionType>());
  }
};

// Hands out the factory when the host asks for CollectionTypeFactory at its version, and
// nullptr for anything else.
void* GetFactory(const char* iface, uint32_t iface_version) {
  static CounterCollectionTypeFactory factory;
  return abi::OfferFactory<collections::CollectionTypeFactory>(iface, iface_version, factory);
}

}  // namespace
}  // namespace optimystic::plugins::collection_counter

// Entry symbol optimystic_plugin_entry_collection_counter; the id must match the file name
// liboptimystic_collection_counter.so, or the loader refuses the library.
OPTIMYSTIC_DEFINE_PLUGIN(collection_counter, OPTIMYSTIC_KIND_COLLECTION, "collection.counter",
                         "0.1.0", &optimystic::plugins::collection_counter::GetFactory)
