// SPDX-License-Identifier: Apache-2.0
// ConflictResolver: decides what happens to one of a collection's local pending actions when an
// update finds that other writers committed actions touching the same data first (SPEC.md §5.5
// filterConflict). Resolvers are named ("replay", "reject", "last-writer-wins", plugin-provided
// ones such as "sum") and chosen per collection type or per collection in YAML. The host keeps
// them in a registry it owns.
// Thread-safety: Resolve may be called from several threads at once.
// Errors: Create returns InvalidArgument for bad settings.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/collections/action.h>
#include <optimystic/config/settings.h>
#include <optimystic/host/host_services.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::conflict {

struct Resolution {
  enum class Kind : uint8_t {
    kReplay = 0,   // keep the local action as is; it is re-applied on the new state
    kReplace = 1,  // keep `action` instead (e.g. a merged action)
    kDrop = 2,     // forget the local action silently (the remote one wins)
    kReject = 3,   // fail the local action back to its caller with `reason`
  };
  Kind kind = Kind::kReplay;
  std::optional<collections::Action> action;  // set for kReplace
  std::string reason;                         // set for kReject
};

class ConflictResolver {
 public:
  virtual ~ConflictResolver() = default;
  virtual std::string_view name() const noexcept = 0;
  // `remote` holds the newly committed actions that overlap `local` (never empty), in log order.
  virtual Resolution Resolve(const collections::Action& local,
                             const std::vector<collections::Action>& remote) const noexcept = 0;
};

class ConflictResolverFactory {
 public:
  static constexpr const char* kInterface = "optimystic.conflict.ConflictResolverFactory";
  static constexpr uint32_t kVersion = 2;

  virtual std::string_view name() const noexcept = 0;
  virtual Status Validate(const config::Settings& settings) const noexcept = 0;
  virtual Result<std::unique_ptr<ConflictResolver>> Create(const config::Settings& settings,
                                                           host::HostServices& host) noexcept = 0;

 protected:
  ~ConflictResolverFactory() = default;
};

}  // namespace optimystic::conflict
