// SPDX-License-Identifier: Apache-2.0
#include "runtime/conflict/resolver_registry.h"

#include <algorithm>
#include <array>
#include <utility>

namespace optimystic::runtime::conflict {

namespace {

using collections::Action;
using Kind = Resolution::Kind;

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

std::string UnknownMessage(std::string_view name, const std::vector<std::string>& available) {
  return "unknown conflict resolver '" + std::string(name) + "' (available: " + Join(available) +
         ")";
}

Resolution Replay() { return Resolution{Kind::kReplay, std::nullopt, {}}; }

class ReplayResolver final : public ConflictResolver {
 public:
  std::string_view name() const noexcept override { return kReplayResolver; }
  Resolution Resolve(const Action&, const std::vector<Action>&) const noexcept override {
    return Replay();
  }
};

class RejectResolver final : public ConflictResolver {
 public:
  std::string_view name() const noexcept override { return kRejectResolver; }
  // "reject: local 'replace' conflicts with 2 remote actions of type replace, add"
  Resolution Resolve(const Action& local,
                     const std::vector<Action>& remote) const noexcept override {
    std::vector<std::string> types;
    for (const Action& a : remote) {
      if (std::find(types.begin(), types.end(), a.type) == types.end()) types.push_back(a.type);
    }
    Resolution out{Kind::kReject, std::nullopt, {}};
    out.reason =
        "reject: local '" + local.type + "' conflicts with " + std::to_string(remote.size()) +
        (remote.size() == 1 ? " remote action" : " remote actions") + " of type " + Join(types);
    return out;
  }
};

class LastWriterWinsResolver final : public ConflictResolver {
 public:
  std::string_view name() const noexcept override { return kLastWriterWinsResolver; }
  // A tie goes to the remote action (see the header): it is committed already.
  Resolution Resolve(const Action& local,
                     const std::vector<Action>& remote) const noexcept override {
    for (const Action& a : remote) {
      if (a.timestamp_ms >= local.timestamp_ms) return Resolution{Kind::kDrop, std::nullopt, {}};
    }
    return Replay();
  }
};

constexpr std::array<Kind, 4> kKinds = {Kind::kReplay, Kind::kReplace, Kind::kDrop, Kind::kReject};

// The type's or collection's resolver name from YAML, with the view naming where it was set.
struct Configured {
  std::string name;
  optimystic::config::Settings where;
};

std::vector<Configured> ConfiguredNames(const config::NodeConfig& config) {
  std::vector<Configured> out;
  // Views are built member by member: type and collection names may contain dots.
  const optimystic::config::Settings types = config.View("collections").Get("types");
  for (const auto& [type, options] : config.collection_types) {
    if (options.resolver.empty()) continue;
    out.push_back({options.resolver, types.Get(type).Get("resolver")});
  }
  const optimystic::config::Settings resolvers = config.View("collections").Get("resolvers");
  for (const auto& [collection, resolver] : config.collection_resolvers) {
    out.push_back({resolver, resolvers.Get(collection)});
  }
  return out;
}

}  // namespace

std::string_view OutcomeName(Kind kind) noexcept {
  switch (kind) {
    case Kind::kReplay:
      return "replay";
    case Kind::kReplace:
      return "replace";
    case Kind::kDrop:
      return "drop";
    case Kind::kReject:
      return "reject";
  }
  return "unknown";
}

std::unique_ptr<ConflictResolver> MakeReplayResolver() {
  return std::make_unique<ReplayResolver>();
}
std::unique_ptr<ConflictResolver> MakeRejectResolver() {
  return std::make_unique<RejectResolver>();
}
std::unique_ptr<ConflictResolver> MakeLastWriterWinsResolver() {
  return std::make_unique<LastWriterWinsResolver>();
}

Status CheckConfiguredResolvers(const config::NodeConfig& config,
                                const std::vector<std::string>& available) {
  for (const Configured& c : ConfiguredNames(config)) {
    if (std::find(available.begin(), available.end(), c.name) == available.end()) {
      return c.where.Error(UnknownMessage(c.name, available));
    }
  }
  return Status::Ok();
}

// Wraps a resolver: counts each outcome, and refuses a kReplace that carries no action.
class ConflictResolverRegistry::CountingResolver final : public ConflictResolver {
 public:
  CountingResolver(std::unique_ptr<ConflictResolver> inner,
                   std::array<optimystic::metrics::Counter*, 4> counters)
      : inner_(std::move(inner)), name_(inner_->name()), counters_(counters) {}

  std::string_view name() const noexcept override { return name_; }
  Resolution Resolve(const Action& local,
                     const std::vector<Action>& remote) const noexcept override {
    Resolution out = inner_->Resolve(local, remote);
    if (out.kind == Kind::kReplace && !out.action.has_value()) {
      out = Resolution{Kind::kReject, std::nullopt,
                       "resolver '" + name_ + "' answered replace without an action"};
    }
    counters_[static_cast<size_t>(out.kind)]->Increment();
    return out;
  }

 private:
  std::unique_ptr<ConflictResolver> inner_;
  std::string name_;  // copied: the inner name's storage is the plugin's
  std::array<optimystic::metrics::Counter*, 4> counters_;  // indexed by Kind
};

ConflictResolverRegistry::ConflictResolverRegistry(const config::NodeConfig& config,
                                                   optimystic::metrics::MetricsRegistry& metrics)
    : config_(config), metrics_(metrics) {}

ConflictResolverRegistry::~ConflictResolverRegistry() = default;

Result<std::unique_ptr<ConflictResolverRegistry>> ConflictResolverRegistry::Create(
    const config::NodeConfig& config, optimystic::metrics::MetricsRegistry& metrics) {
  std::unique_ptr<ConflictResolverRegistry> registry(new ConflictResolverRegistry(config, metrics));
  OPTIMYSTIC_RETURN_IF_ERROR(registry->Add(MakeReplayResolver()));
  OPTIMYSTIC_RETURN_IF_ERROR(registry->Add(MakeRejectResolver()));
  OPTIMYSTIC_RETURN_IF_ERROR(registry->Add(MakeLastWriterWinsResolver()));
  return registry;
}

std::vector<std::string> ConflictResolverRegistry::BuiltinNames() {
  return {std::string(kReplayResolver), std::string(kRejectResolver),
          std::string(kLastWriterWinsResolver)};
}

Status ConflictResolverRegistry::Add(std::unique_ptr<ConflictResolver> resolver) {
  if (resolver == nullptr || resolver->name().empty()) {
    return Status::InvalidArgument("conflict resolver without a name");
  }
  const std::string name(resolver->name());
  if (resolvers_.count(name) != 0) {
    return Status::InvalidArgument("conflict resolver '" + name + "' is already registered");
  }
  std::array<optimystic::metrics::Counter*, 4> counters{};
  for (Kind kind : kKinds) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        counters[static_cast<size_t>(kind)],
        metrics_.AddCounter(kResolvedMetric, "Conflicts resolved, by resolver and outcome.",
                            {{"resolver", name}, {"outcome", std::string(OutcomeName(kind))}}));
  }
  resolvers_.emplace(name, std::make_unique<CountingResolver>(std::move(resolver), counters));
  return Status::Ok();
}

Status ConflictResolverRegistry::AddFromFactory(ConflictResolverFactory& factory,
                                                const optimystic::config::Settings& settings,
                                                optimystic::host::HostServices& host) {
  OPTIMYSTIC_RETURN_IF_ERROR(factory.Validate(settings));
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::unique_ptr<ConflictResolver> resolver,
                              factory.Create(settings, host));
  return Add(std::move(resolver));
}

std::vector<std::string> ConflictResolverRegistry::Names() const {
  std::vector<std::string> out = BuiltinNames();
  for (const auto& [name, resolver] : resolvers_) {  // a std::map: sorted
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

Result<const ConflictResolver*> ConflictResolverRegistry::Find(std::string_view name) const {
  auto it = resolvers_.find(name);
  if (it == resolvers_.end()) return Status::InvalidArgument(UnknownMessage(name, Names()));
  return static_cast<const ConflictResolver*>(it->second.get());
}

Result<const ConflictResolver*> ConflictResolverRegistry::Lookup(
    const collections::CollectionType& type, std::string_view collection) const {
  const optimystic::config::Settings collections = config_.View("collections");
  if (auto it = config_.collection_resolvers.find(std::string(collection));
      it != config_.collection_resolvers.end()) {
    Result<const ConflictResolver*> found = Find(it->second);
    if (!found.has_value()) {
      return collections.Get("resolvers")
          .Get(collection)
          .Error(UnknownMessage(it->second, Names()));
    }
    return found;
  }
  const std::string type_name(type.name());
  if (auto it = config_.collection_types.find(type_name);
      it != config_.collection_types.end() && !it->second.resolver.empty()) {
    Result<const ConflictResolver*> found = Find(it->second.resolver);
    if (!found.has_value()) {
      return collections.Get("types")
          .Get(type_name)
          .Get("resolver")
          .Error(UnknownMessage(it->second.resolver, Names()));
    }
    return found;
  }
  Result<const ConflictResolver*> found = Find(type.default_resolver());
  if (!found.has_value()) {
    return Status::InvalidArgument("collection type " + type_name + ": default resolver: " +
                                   UnknownMessage(type.default_resolver(), Names()));
  }
  return found;
}

Status ConflictResolverRegistry::ValidateConfig() const {
  return CheckConfiguredResolvers(config_, Names());
}

}  // namespace optimystic::runtime::conflict
