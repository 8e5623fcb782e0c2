// SPDX-License-Identifier: Apache-2.0
// ConflictResolver: decides what happens to a collection's local pending actions when a sync
// finds that other writers committed first (SPEC.md §5.5). Resolvers are named ("replay",
// "reject", "last-writer-wins", plugin-provided ones such as "sum") and chosen per collection
// type or per collection in YAML. The host keeps them in a registry it owns.
// Thread-safety: a resolver may be called from several threads at once.
// Errors: Create returns InvalidArgument for bad settings.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/config/settings.h>
#include <optimystic/host/host_services.h>

#include <memory>
#include <string_view>

namespace optimystic::conflict {

class ConflictResolver {
 public:
  virtual ~ConflictResolver() = default;
  virtual std::string_view name() const noexcept = 0;
  // The resolution hook itself is added with the collection engine (TODO(#6)); until then a
  // resolver only carries its identity so configurations can name and validate it.
};

class ConflictResolverFactory {
 public:
  static constexpr const char* kInterface = "optimystic.conflict.ConflictResolverFactory";
  static constexpr uint32_t kVersion = 1;

  virtual std::string_view name() const noexcept = 0;
  virtual Status Validate(const config::Settings& settings) const noexcept = 0;
  virtual Result<std::unique_ptr<ConflictResolver>> Create(const config::Settings& settings,
                                                           host::HostServices& host) noexcept = 0;

 protected:
  ~ConflictResolverFactory() = default;
};

}  // namespace optimystic::conflict
