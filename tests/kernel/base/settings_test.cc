// SPDX-License-Identifier: Apache-2.0
#include <optimystic/config/settings.h>

#include <gtest/gtest.h>

namespace optimystic::config {
namespace {

SettingsNode Scalar(std::string text, uint32_t line, bool quoted = false) {
  SettingsNode n;
  n.kind = SettingsNode::Kind::kScalar;
  n.scalar = std::move(text);
  n.quoted = quoted;
  n.line = line;
  n.column = 3;
  return n;
}

SettingsNode Sample() {
  SettingsNode root;
  root.kind = SettingsNode::Kind::kMap;
  root.line = 1;
  root.column = 1;
  root.children.emplace_back("path", Scalar("/tmp/x", 2));
  root.children.emplace_back("sync", Scalar("maybe", 3));
  root.children.emplace_back("cache_mb", Scalar("64", 4));
  root.children.emplace_back("label", Scalar("64", 5, /*quoted=*/true));
  return root;
}

TEST(Settings, TypedGettersAndFallbacks) {
  SettingsNode root = Sample();
  Settings s(&root, "storage.settings", "node.yaml");
  EXPECT_EQ(*s.GetString("path", ""), "/tmp/x");
  EXPECT_EQ(*s.GetInt("cache_mb", 0), 64);
  EXPECT_EQ(*s.GetInt("absent", 7), 7);
  EXPECT_EQ(*s.GetString("label", ""), "64");
}

TEST(Settings, ErrorsNameFileLineAndPath) {
  SettingsNode root = Sample();
  Settings s(&root, "storage.settings", "node.yaml");
  auto sync = s.GetBool("sync", true);
  ASSERT_FALSE(sync);
  EXPECT_EQ(sync.error().message(),
            "node.yaml:3:3: storage.settings.sync: expected true or false, got 'maybe'");
  auto quoted = s.GetInt("label", 0);
  ASSERT_FALSE(quoted);
  EXPECT_NE(quoted.error().message().find("storage.settings.label: expected an integer"),
            std::string::npos);
  auto missing = s.RequireString("engine");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            "node.yaml:1:1: storage.settings.engine: missing required key");
}

TEST(Settings, CheckKeysNamesTheUnknownKey) {
  SettingsNode root = Sample();
  Settings s(&root, "storage.settings", "node.yaml");
  EXPECT_TRUE(s.CheckKeys({"path", "sync", "cache_mb", "label"}).ok());
  Status st = s.CheckKeys({"path", "sync", "label"});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "node.yaml:4:3: storage.settings.cache_mb: unknown key 'cache_mb' (allowed: path, "
            "sync, label)");
}

}  // namespace
}  // namespace optimystic::config
