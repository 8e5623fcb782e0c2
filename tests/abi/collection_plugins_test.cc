// SPDX-License-Identifier: Apache-2.0
// The collection-type plugins (collection.tree, collection.diary, collection.counter) and the
// conflict plugin conflict.sum, loaded through real dlopen by the node's plugin registry and
// used across the boundary: the descriptors pass every check, the factories are found by kind
// and name, and the objects they make work.
#include <optimystic/block/block.h>
#include <optimystic/collections/action.h>
#include <optimystic/collections/collection_type.h>
#include <optimystic/config/settings.h>
#include <optimystic/conflict/conflict_resolver.h>

#include "runtime/plugin/plugin_registry.h"
#include "support/fake_collection_reader.h"
#include "support/memory_block_store.h"
#include "support/test_host.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace optimystic::runtime::plugin {
namespace {

using block::Value;
using collections::Action;

std::string PluginFile(const std::string& kind, const std::string& name) {
  return std::string(OPTIMYSTIC_PLUGIN_OUTPUT_DIR) + "/liboptimystic_" + kind + "_" + name + ".so";
}

class CollectionPluginsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& [kind, name] :
         std::vector<std::pair<std::string, std::string>>{{"collection", "tree"},
                                                          {"collection", "diary"},
                                                          {"collection", "counter"},
                                                          {"conflict", "sum"}}) {
      Status s = registry_.LoadFile(PluginFile(kind, name));
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }
  std::unique_ptr<collections::CollectionType> Type(const std::string& name) {
    auto factory =
        registry_.Factory<collections::CollectionTypeFactory>(PluginKind::kCollection, name);
    EXPECT_TRUE(factory.has_value()) << factory.error().ToString();
    if (!factory.has_value()) return nullptr;
    EXPECT_EQ((*factory)->name(), name);
    EXPECT_TRUE((*factory)->Validate(none_).ok());
    auto type = (*factory)->Create(none_, host_);
    EXPECT_TRUE(type.has_value()) << type.error().ToString();
    return type.has_value() ? std::move(*type) : nullptr;
  }

  // Declared first, destroyed last: the objects below run plugin code.
  PluginRegistry registry_;
  test::TestHost host_;
  config::Settings none_{nullptr, "collections.types.x.settings", "abi_test.yaml"};
};

TEST_F(CollectionPluginsTest, AllFourLoadWithTheirIdsAndKinds) {
  EXPECT_EQ(registry_.Names(PluginKind::kCollection),
            (std::vector<std::string>{"counter", "diary", "tree"}));
  EXPECT_EQ(registry_.Names(PluginKind::kConflict), std::vector<std::string>{"sum"});
  const PluginInfo* tree = registry_.Find(PluginKind::kCollection, "tree");
  ASSERT_NE(tree, nullptr);
  EXPECT_EQ(tree->id, "collection.tree");
  EXPECT_EQ(registry_.Find(PluginKind::kConflict, "sum")->id, "conflict.sum");
  // A collection plugin offers no resolver factory and the other way round.
  EXPECT_FALSE(
      registry_.Factory<conflict::ConflictResolverFactory>(PluginKind::kCollection, "counter")
          .has_value());
}

TEST_F(CollectionPluginsTest, TheTypesWorkAcrossTheBoundary) {
  auto tree = Type("tree");
  auto diary = Type("diary");
  auto counter = Type("counter");
  ASSERT_TRUE(tree && diary && counter);
  EXPECT_EQ(tree->header_block_type(), "TRE");
  EXPECT_EQ(diary->header_block_type(), "DIH");
  EXPECT_EQ(counter->header_block_type(), "CNT");
  EXPECT_EQ(counter->default_resolver(), "sum");

  test::MemoryBlockStore store;
  ASSERT_TRUE(store.Insert(tree->CreateHeaderBlock("users", store).value()).ok());
  ASSERT_TRUE(tree->ApplyAction(
                      Action{"replace", Value::parse(R"([["alice", {"n": 1}]])"), std::nullopt, 0},
                      "users", store)
                  .ok());
  test::FakeCollectionReader users(store, "users");
  EXPECT_EQ(tree->Query("get", {{"key", "alice"}}, users).value(), Value::parse(R"({"n": 1})"));
  EXPECT_EQ(tree->ValidateAction(Action{"replace", Value(1), std::nullopt, 0}).ToString(),
            "InvalidArgument: tree replace: data must be an array of [key, entry] pairs");

  ASSERT_TRUE(store.Insert(counter->CreateHeaderBlock("hits", store).value()).ok());
  ASSERT_TRUE(
      counter->ApplyAction(Action{"add", {{"delta", 3}}, std::nullopt, 0}, "hits", store).ok());
  test::FakeCollectionReader hits(store, "hits");
  EXPECT_EQ(counter->Query("get", Value::object(), hits).value(), Value::parse(R"({"value": 3})"));
}

TEST_F(CollectionPluginsTest, TheSumResolverComesFromItsPlugin) {
  auto factory = registry_.Factory<conflict::ConflictResolverFactory>(PluginKind::kConflict, "sum");
  ASSERT_TRUE(factory.has_value()) << factory.error().ToString();
  EXPECT_EQ((*factory)->name(), "sum");
  auto resolver = (*factory)->Create(none_, host_);
  ASSERT_TRUE(resolver.has_value()) << resolver.error().ToString();
  Action add{"add", {{"delta", 1}}, std::nullopt, 0};
  EXPECT_EQ((*resolver)->Resolve(add, {add}).kind, conflict::Resolution::Kind::kReplay);
  EXPECT_EQ((*resolver)->Resolve(Action{"replace", Value::array(), std::nullopt, 0}, {add}).kind,
            conflict::Resolution::Kind::kReject);
}

}  // namespace
}  // namespace optimystic::runtime::plugin
