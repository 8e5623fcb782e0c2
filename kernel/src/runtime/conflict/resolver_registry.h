// SPDX-License-Identifier: Apache-2.0
// ConflictResolverRegistry: the node's named conflict resolvers (SPEC.md §5.5 filterConflict,
// DESIGN.md §3) and the choice of one per collection. An ordinary object owned by the Server,
// not a singleton. It holds three built-ins, registered by Create:
//   "replay"            kReplay: keep the local action; the engine re-applies it on the new
//                       state (the default of most types).
//   "reject"            kReject: fail the local action back to its caller, with a reason
//                       naming the remote actions' types.
//   "last-writer-wins"  kDrop when some overlapping remote action has a later timestamp_ms than
//                       the local one; otherwise kReplay. A tie drops the local action: the
//                       remote one is already committed, and only the writer that lost the
//                       commit race ever asks, so every node settles ties the same way without
//                       a second commit. Unknown timestamps are 0, so they lose to known ones.
//                       The unit is the action: a local replace of keys a and b is dropped
//                       whole even if only a was written later elsewhere.
// and every resolver a conflict plugin's factory makes (e.g. "sum").
// Lookup(type, collection) picks, in this order: collections.resolvers.<collection>, then
// collections.types.<type>.resolver, then type.default_resolver().
// Every resolver handed out counts what it decides in
// optimystic_conflicts_resolved_total{resolver, outcome} (outcome: replay, replace, drop,
// reject). A resolver answering kReplace without an action is turned into kReject (the engine
// could not apply it), with a reason saying so.
// Thread-safety: Add* only while the node starts, from one thread; afterwards Find, Lookup,
// Names and the resolvers' Resolve may be called from any thread at once.
// Errors: an unknown name is InvalidArgument naming the YAML path when YAML named it
// ("node.yaml:9:12: collections.resolvers.users: unknown conflict resolver 'sum2' (available:
// replay, reject, last-writer-wins, sum)") or the type when its default is missing; a duplicate
// name is InvalidArgument; metric registration failures propagate.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/collections/collection_type.h>
#include <optimystic/config/settings.h>
#include <optimystic/conflict/conflict_resolver.h>
#include <optimystic/host/host_services.h>
#include <optimystic/metrics/metrics.h>

#include "runtime/config/node_config.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::runtime::conflict {

using optimystic::conflict::ConflictResolver;
using optimystic::conflict::ConflictResolverFactory;
using optimystic::conflict::Resolution;

inline constexpr std::string_view kReplayResolver = "replay";
inline constexpr std::string_view kRejectResolver = "reject";
inline constexpr std::string_view kLastWriterWinsResolver = "last-writer-wins";
inline constexpr std::string_view kResolvedMetric = "optimystic_conflicts_resolved_total";

// "replay", "replace", "drop", "reject": the outcome label of kResolvedMetric.
std::string_view OutcomeName(Resolution::Kind kind) noexcept;

// The built-in resolvers, unregistered and uncounted (for tests and for Create).
std::unique_ptr<ConflictResolver> MakeReplayResolver();
std::unique_ptr<ConflictResolver> MakeRejectResolver();
std::unique_ptr<ConflictResolver> MakeLastWriterWinsResolver();

// Checks that every resolver name the config gives (collections.types.<t>.resolver,
// collections.resolvers.<c>) is in `available`. Used by the Server before anything is created
// (with the built-in names and the loaded conflict plugins' names) and by the registry.
Status CheckConfiguredResolvers(const config::NodeConfig& config,
                                const std::vector<std::string>& available);

class ConflictResolverRegistry {
 public:
  // A registry holding the built-ins. OWNERSHIP: `config` and `metrics` must outlive it.
  static Result<std::unique_ptr<ConflictResolverRegistry>> Create(
      const config::NodeConfig& config, optimystic::metrics::MetricsRegistry& metrics);

  // The built-in names, in the order above: the one list the Server checks YAML against.
  static std::vector<std::string> BuiltinNames();

  ~ConflictResolverRegistry();
  ConflictResolverRegistry(const ConflictResolverRegistry&) = delete;
  ConflictResolverRegistry& operator=(const ConflictResolverRegistry&) = delete;

  // Registers `resolver` under its name(). InvalidArgument when the name is empty or taken.
  Status Add(std::unique_ptr<ConflictResolver> resolver);
  // Validates `settings` with `factory`, creates its resolver and registers it.
  // OWNERSHIP: `host` must outlive the registry (the resolver may keep it).
  Status AddFromFactory(ConflictResolverFactory& factory,
                        const optimystic::config::Settings& settings,
                        optimystic::host::HostServices& host);

  // Built-ins first in their order, then the others sorted.
  std::vector<std::string> Names() const;
  // The named resolver (counting its resolutions), or InvalidArgument "unknown conflict
  // resolver '<name>' (available: ...)". The pointer lives as long as the registry.
  Result<const ConflictResolver*> Find(std::string_view name) const;
  // The resolver for collection `collection` of `type` (see the file comment for the order).
  Result<const ConflictResolver*> Lookup(const collections::CollectionType& type,
                                         std::string_view collection) const;
  // CheckConfiguredResolvers against Names().
  Status ValidateConfig() const;

 private:
  class CountingResolver;
  ConflictResolverRegistry(const config::NodeConfig& config,
                           optimystic::metrics::MetricsRegistry& metrics);

  const config::NodeConfig& config_;
  optimystic::metrics::MetricsRegistry& metrics_;
  std::map<std::string, std::unique_ptr<CountingResolver>, std::less<>> resolvers_;
};

}  // namespace optimystic::runtime::conflict
