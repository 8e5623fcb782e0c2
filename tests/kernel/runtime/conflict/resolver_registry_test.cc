// SPDX-License-Identifier: Apache-2.0
#include <optimystic/collections/action.h>
#include <optimystic/collections/collection_type.h>
#include <optimystic/conflict/conflict_resolver.h>

#include "runtime/config/node_config.h"
#include "runtime/conflict/resolver_registry.h"
#include "support/test_host.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace optimystic::runtime::conflict {
namespace {

using collections::Action;
using Kind = Resolution::Kind;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Action Act(std::string type, int64_t timestamp_ms = 0) {
  return Action{std::move(type), block::Value::object(), std::nullopt, timestamp_ms};
}

// Only name() and default_resolver() matter to the registry.
class FakeType final : public collections::CollectionType {
 public:
  FakeType(std::string name, std::string default_resolver)
      : name_(std::move(name)), default_(std::move(default_resolver)) {}
  std::string_view name() const noexcept override { return name_; }
  std::string_view header_block_type() const noexcept override { return "FAK"; }
  std::string_view default_resolver() const noexcept override { return default_; }
  Result<block::Value> CreateHeaderBlock(const block::BlockId&,
                                         block::BlockStore&) const noexcept override {
    return Status::NotSupported("fake");
  }
  Status ValidateAction(const Action&) const noexcept override { return Status::Ok(); }
  Status ApplyAction(const Action&, const block::BlockId&,
                     block::BlockStore&) const noexcept override {
    return Status::Ok();
  }
  bool Overlaps(const Action&, const Action&) const noexcept override { return true; }
  std::vector<std::string> query_names() const override { return {}; }
  Result<block::Value> Query(std::string_view, const block::Value&,
                             collections::CollectionReader&) const noexcept override {
    return Status::NotFound("fake");
  }

 private:
  std::string name_;
  std::string default_;
};

// A resolver a plugin might offer; answers whatever it is told to.
class FixedResolver final : public ConflictResolver {
 public:
  FixedResolver(std::string name, Resolution answer)
      : name_(std::move(name)), answer_(std::move(answer)) {}
  std::string_view name() const noexcept override { return name_; }
  Resolution Resolve(const Action&, const std::vector<Action>&) const noexcept override {
    return answer_;
  }

 private:
  std::string name_;
  Resolution answer_;
};

class FixedResolverFactory final : public ConflictResolverFactory {
 public:
  std::string_view name() const noexcept override { return "sum"; }
  Status Validate(const optimystic::config::Settings& settings) const noexcept override {
    return settings.CheckKeys(std::vector<std::string>{});
  }
  Result<std::unique_ptr<ConflictResolver>> Create(const optimystic::config::Settings&,
                                                   host::HostServices&) noexcept override {
    return std::unique_ptr<ConflictResolver>(
        std::make_unique<FixedResolver>("sum", Resolution{Kind::kReplay, std::nullopt, {}}));
  }
};

config::NodeConfig Config(const std::string& collections = "") {
  auto config = config::ParseNodeConfig(
      "node:\n  data_dir: /var/lib/optimystic\nstorage:\n  plugin: memory\n" + collections,
      "node.yaml", "/etc/optimystic", {});
  EXPECT_TRUE(config.has_value()) << config.error().ToString();
  return config.has_value() ? *config : config::NodeConfig();
}

class RegistryTest : public ::testing::Test {
 protected:
  void Make(const std::string& collections = "") {
    config_ = Config(collections);
    auto registry = ConflictResolverRegistry::Create(config_, host_.test_metrics());
    ASSERT_TRUE(registry.has_value()) << registry.error().ToString();
    registry_ = std::move(*registry);
  }
  const ConflictResolver& Get(std::string_view name) {
    auto found = registry_->Find(name);
    EXPECT_TRUE(found.has_value()) << found.error().ToString();
    return **found;
  }
  double Count(const std::string& resolver, const std::string& outcome) {
    auto* c = host_.test_metrics().FindCounter("optimystic_conflicts_resolved_total",
                                               {{"resolver", resolver}, {"outcome", outcome}});
    return c == nullptr ? -1 : c->Value();
  }
  std::string LookupName(const FakeType& type, std::string_view collection) {
    auto found = registry_->Lookup(type, collection);
    return found.has_value() ? std::string((*found)->name()) : found.error().ToString();
  }

  test::TestHost host_;
  config::NodeConfig config_;
  std::unique_ptr<ConflictResolverRegistry> registry_;
};

// --- built-ins ---

TEST_F(RegistryTest, HoldsTheBuiltInsInOrder) {
  Make();
  EXPECT_EQ(ConflictResolverRegistry::BuiltinNames(),
            (std::vector<std::string>{"replay", "reject", "last-writer-wins"}));
  EXPECT_EQ(registry_->Names(), ConflictResolverRegistry::BuiltinNames());
  EXPECT_EQ(Get("replay").name(), "replay");
}

TEST_F(RegistryTest, ReplayKeepsTheLocalAction) {
  Make();
  Resolution r = Get("replay").Resolve(Act("replace"), {Act("replace")});
  EXPECT_EQ(r.kind, Kind::kReplay);
  EXPECT_FALSE(r.action.has_value());
}

TEST_F(RegistryTest, RejectNamesTheRemoteActionsTypes) {
  Make();
  Resolution one = Get("reject").Resolve(Act("add"), {Act("add")});
  EXPECT_EQ(one.kind, Kind::kReject);
  EXPECT_EQ(one.reason, "reject: local 'add' conflicts with 1 remote action of type add");
  Resolution three =
      Get("reject").Resolve(Act("replace"), {Act("replace"), Act("append"), Act("replace")});
  EXPECT_EQ(three.reason,
            "reject: local 'replace' conflicts with 3 remote actions of type replace, append");
}

TEST_F(RegistryTest, LastWriterWinsDropsTheLocalActionWhenARemoteOneIsLater) {
  Make();
  const ConflictResolver& lww = Get("last-writer-wins");
  EXPECT_EQ(lww.Resolve(Act("replace", 100), {Act("replace", 50)}).kind, Kind::kReplay);
  EXPECT_EQ(lww.Resolve(Act("replace", 100), {Act("replace", 50), Act("replace", 150)}).kind,
            Kind::kDrop);
  // Ties go to the remote action, which is already committed.
  EXPECT_EQ(lww.Resolve(Act("replace", 100), {Act("replace", 100)}).kind, Kind::kDrop);
  EXPECT_EQ(lww.Resolve(Act("replace", 0), {Act("replace", 0)}).kind, Kind::kDrop);
  // An unknown (0) timestamp loses to a known one.
  EXPECT_EQ(lww.Resolve(Act("replace", 10), {Act("replace", 0)}).kind, Kind::kReplay);
  EXPECT_EQ(lww.Resolve(Act("replace", 0), {Act("replace", 10)}).kind, Kind::kDrop);
}

// --- registration ---

TEST_F(RegistryTest, AddsPluginResolversAfterTheBuiltInsAndRefusesDuplicates) {
  Make();
  FixedResolverFactory factory;
  optimystic::config::Settings none(nullptr, "conflict.sum", "node.yaml");
  ASSERT_TRUE(registry_->AddFromFactory(factory, none, host_).ok());
  ASSERT_TRUE(registry_
                  ->Add(std::make_unique<FixedResolver>(
                      "first", Resolution{Kind::kReplay, std::nullopt, {}}))
                  .ok());
  EXPECT_EQ(registry_->Names(),
            (std::vector<std::string>{"replay", "reject", "last-writer-wins", "first", "sum"}));
  EXPECT_EQ(registry_
                ->Add(std::make_unique<FixedResolver>("reject",
                                                      Resolution{Kind::kReplay, std::nullopt, {}}))
                .ToString(),
            "InvalidArgument: conflict resolver 'reject' is already registered");
  EXPECT_EQ(registry_->AddFromFactory(factory, none, host_).ToString(),
            "InvalidArgument: conflict resolver 'sum' is already registered");
}

TEST_F(RegistryTest, AFactoryRefusingItsSettingsAddsNothing) {
  Make();
  FixedResolverFactory factory;
  config::SettingsNode map;
  map.kind = config::SettingsNode::Kind::kMap;
  map.children.emplace_back("weight", config::SettingsNode{});
  optimystic::config::Settings settings(&map, "conflict.sum", "node.yaml");
  Status s = registry_->AddFromFactory(factory, settings, host_);
  EXPECT_THAT(s.ToString(), HasSubstr("conflict.sum.weight: unknown key 'weight'"));
  EXPECT_EQ(registry_->Names(), ConflictResolverRegistry::BuiltinNames());
}

TEST_F(RegistryTest, FindNamesWhatIsAvailable) {
  Make();
  EXPECT_EQ(registry_->Find("sum").error().ToString(),
            "InvalidArgument: unknown conflict resolver 'sum' (available: replay, reject, "
            "last-writer-wins)");
}

// --- lookup precedence ---

TEST_F(RegistryTest, LookupPrefersTheCollectionThenTheTypeThenTheDefault) {
  Make(
      "collections:\n"
      "  types:\n"
      "    tree: {resolver: reject}\n"
      "    counter: {}\n"
      "  resolvers:\n"
      "    users: last-writer-wins\n"
      "    audit.log: replay\n");
  ASSERT_TRUE(
      registry_
          ->Add(std::make_unique<FixedResolver>("sum", Resolution{Kind::kReplay, std::nullopt, {}}))
          .ok());
  FakeType tree("tree", "replay");
  FakeType counter("counter", "sum");
  FakeType diary("diary", "replay");
  EXPECT_EQ(LookupName(tree, "users"), "last-writer-wins");  // collections.resolvers.users
  EXPECT_EQ(LookupName(tree, "orders"), "reject");           // collections.types.tree.resolver
  EXPECT_EQ(LookupName(counter, "hits"), "sum");             // counter's default
  EXPECT_EQ(LookupName(counter, "users"), "last-writer-wins");
  EXPECT_EQ(LookupName(diary, "events"), "replay");  // a type YAML does not mention
  EXPECT_EQ(LookupName(tree, "audit.log"), "replay");
  EXPECT_TRUE(registry_->ValidateConfig().ok());
}

TEST_F(RegistryTest, UnknownNamesAreErrorsNamingTheConfigPath) {
  Make(
      "collections:\n"
      "  types:\n"
      "    tree: {resolver: newest}\n"
      "  resolvers:\n"
      "    users: sum2\n");
  FakeType tree("tree", "replay");
  EXPECT_EQ(LookupName(tree, "users"),
            "InvalidArgument: node.yaml:9:12: collections.resolvers.users: unknown conflict "
            "resolver 'sum2' (available: replay, reject, last-writer-wins)");
  EXPECT_EQ(LookupName(tree, "orders"),
            "InvalidArgument: node.yaml:7:22: collections.types.tree.resolver: unknown conflict "
            "resolver 'newest' (available: replay, reject, last-writer-wins)");
  EXPECT_THAT(registry_->ValidateConfig().ToString(),
              HasSubstr("collections.types.tree.resolver: unknown conflict resolver 'newest'"));
  FakeType counter("counter", "sum");
  EXPECT_EQ(LookupName(counter, "hits"),
            "InvalidArgument: collection type counter: default resolver: unknown conflict "
            "resolver 'sum' (available: replay, reject, last-writer-wins)");
}

TEST(CheckConfiguredResolvers, AcceptsOnlyAvailableNames) {
  config::NodeConfig config = Config(
      "collections:\n"
      "  resolvers:\n"
      "    audit.log: sum\n");
  EXPECT_TRUE(CheckConfiguredResolvers(config, {"replay", "sum"}).ok());
  EXPECT_EQ(CheckConfiguredResolvers(config, {"replay"}).ToString(),
            "InvalidArgument: node.yaml:7:16: collections.resolvers.audit.log: unknown conflict "
            "resolver 'sum' (available: replay)");
  EXPECT_TRUE(CheckConfiguredResolvers(Config(), {}).ok());
}

// --- metrics ---

TEST_F(RegistryTest, CountsResolutionsByResolverAndOutcome) {
  Make();
  EXPECT_EQ(Count("replay", "replay"), 0);  // registered up front, so scrapes show zeros
  EXPECT_EQ(Count("last-writer-wins", "drop"), 0);
  Get("replay").Resolve(Act("add"), {Act("add")});
  Get("replay").Resolve(Act("add"), {Act("add")});
  Get("reject").Resolve(Act("add"), {Act("add")});
  Get("last-writer-wins").Resolve(Act("add", 1), {Act("add", 2)});
  Get("last-writer-wins").Resolve(Act("add", 3), {Act("add", 2)});
  EXPECT_EQ(Count("replay", "replay"), 2);
  EXPECT_EQ(Count("replay", "reject"), 0);
  EXPECT_EQ(Count("reject", "reject"), 1);
  EXPECT_EQ(Count("last-writer-wins", "drop"), 1);
  EXPECT_EQ(Count("last-writer-wins", "replay"), 1);
  EXPECT_EQ(Count("last-writer-wins", "replace"), 0);
}

TEST_F(RegistryTest, AReplaceWithoutAnActionBecomesAReject) {
  Make();
  ASSERT_TRUE(registry_
                  ->Add(std::make_unique<FixedResolver>(
                      "broken", Resolution{Kind::kReplace, std::nullopt, {}}))
                  .ok());
  Action merged = Act("add");
  ASSERT_TRUE(
      registry_
          ->Add(std::make_unique<FixedResolver>("merging", Resolution{Kind::kReplace, merged, {}}))
          .ok());
  Resolution r = Get("broken").Resolve(Act("add"), {Act("add")});
  EXPECT_EQ(r.kind, Kind::kReject);
  EXPECT_EQ(r.reason, "resolver 'broken' answered replace without an action");
  EXPECT_EQ(Count("broken", "reject"), 1);
  EXPECT_EQ(Count("broken", "replace"), 0);
  Resolution ok = Get("merging").Resolve(Act("add"), {Act("add")});
  EXPECT_EQ(ok.kind, Kind::kReplace);
  EXPECT_EQ(ok.action, merged);
  EXPECT_EQ(Count("merging", "replace"), 1);
}

}  // namespace
}  // namespace optimystic::runtime::conflict
