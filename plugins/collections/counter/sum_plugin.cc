// SPDX-License-Identifier: Apache-2.0
// The plugin module conflict.sum (liboptimystic_conflict_sum.so): the counter's resolver, in a
// module of its own because one library exports one plugin. It offers a
// ConflictResolverFactory; the node adds the resolver it makes to its conflict registry, where
// YAML and the counter's default_resolver() find it by name.
#include <optimystic/abi/plugin_entry.h>
#include <optimystic/conflict/conflict_resolver.h>

#include "collections/counter/sum_resolver.h"

#include <memory>
#include <string>
#include <vector>

namespace optimystic::plugins::conflict_sum {
namespace {

class SumResolverFactory final : public conflict::ConflictResolverFactory {
 public:
  std::string_view name() const noexcept override { return kSumResolverName; }
  Status Validate(const config::Settings& settings) const noexcept override {
    return settings.CheckKeys(std::vector<std::string>{});  // no settings
  }
  Result<std::unique_ptr<conflict::ConflictResolver>> Create(
      const config::Settings& settings, host::HostServices&) noexcept override {
    OPTIMYSTIC_RETURN_IF_ERROR(Validate(settings));
    return std::unique_ptr<conflict::ConflictResolver>(std::make_unique<SumResolver>());
  }
};

void* GetFactory(const char* iface, uint32_t iface_version) {
  static SumResolverFactory factory;
  return abi::OfferFactory<conflict::ConflictResolverFactory>(iface, iface_version, factory);
}

}  // namespace
}  // namespace optimystic::plugins::conflict_sum

OPTIMYSTIC_DEFINE_PLUGIN(conflict_sum, OPTIMYSTIC_KIND_CONFLICT, "conflict.sum", "0.1.0",
                         &optimystic::plugins::conflict_sum::GetFactory)
