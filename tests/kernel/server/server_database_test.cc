// SPDX-License-Identifier: Apache-2.0
// The node's collection stack as Server wires it: memory storage, the LocalTransactor, the
// tree/diary/counter plugins through real dlopen, the resolver registry (sum for counters) and
// the EngineDatabase behind Server::database().
#include "server/server.h"

#include "runtime/config/node_config.h"
#include "runtime/logging/spdlog_logger.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace optimystic::server {
namespace {

using block::Value;
using collections::Action;

class ServerDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string yaml = std::string() +
                             "node:\n"
                             "  data_dir: " +
                             dir_.path() +
                             "\n"
                             "plugins:\n"
                             "  include_builtin: false\n"
                             "  dirs: [\"" +
                             OPTIMYSTIC_PLUGIN_OUTPUT_DIR +
                             "\"]\n"
                             "storage:\n"
                             "  plugin: memory\n"
                             "metrics:\n"
                             "  enabled: false\n"
                             "collections:\n"
                             "  types:\n"
                             "    tree: {resolver: replay}\n"
                             "    diary: {}\n"
                             "    counter: {resolver: sum}\n";
    Result<runtime::config::NodeConfig> config =
        runtime::config::ParseNodeConfig(yaml, "test.yaml", dir_.path(), {});
    ASSERT_TRUE(config.has_value()) << config.error().ToString();
    server_ = std::make_unique<Server>(std::move(*config), log_);
    // Every library in the plugin folder must be current (a stale one is refused).
    Status loaded = server_->LoadPlugins();
    ASSERT_TRUE(loaded.ok()) << loaded.ToString();
    Status valid = server_->ValidateConfig();
    ASSERT_TRUE(valid.ok()) << valid.ToString();
    EXPECT_EQ(server_->database(), nullptr);
    Result<StartInfo> started = server_->Start();
    ASSERT_TRUE(started.has_value()) << started.error().ToString();
    ASSERT_NE(server_->database(), nullptr);
  }

  test::TempDir dir_;
  runtime::logging::LogOutput log_{logging::LogLevel::kOff};
  std::unique_ptr<Server> server_;
};

TEST_F(ServerDatabaseTest, TreePutGetAndDescribe) {
  runtime::services::Database& db = *server_->database();
  Action put{"replace", Value::array({Value::array({"alice", {{"name", "Alice"}}})})};
  Result<runtime::services::ActOutcome> acted = db.Act("users", "tree", {put}, true);
  ASSERT_TRUE(acted.has_value()) << acted.error().ToString();
  EXPECT_EQ(acted->revision, 1u);
  Result<Value> got = db.Query("users", "tree", "get", Value{{"key", "alice"}});
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ((*got)["name"], "Alice") << got->dump();
  Result<Value> count = db.Query("users", "tree", "count", Value::object());
  ASSERT_TRUE(count.has_value()) << count.error().ToString();
  EXPECT_EQ(*count, 1);

  Result<runtime::services::ActOutcome> wrong =
      db.Act("users", "diary", {Action{"append", "x"}}, true);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().message(), "collection users is a tree, not a diary");

  Result<Value> described = db.Describe();
  ASSERT_TRUE(described.has_value());
  EXPECT_EQ((*described)["collections"][0]["name"], "users");
  EXPECT_EQ((*described)["collections"][0]["resolver"], "replay");
  EXPECT_EQ((*described)["types"].size(), 3u);

  Result<Value> verified = db.Verify("users");
  ASSERT_TRUE(verified.has_value()) << verified.error().ToString();
  EXPECT_EQ((*verified)["ok"], true);
  EXPECT_EQ((*verified)["entries"], 1);
}

TEST_F(ServerDatabaseTest, CounterAddsFromFourThreadsSumExactly) {
  runtime::services::Database& db = *server_->database();
  ASSERT_TRUE(db.Act("hits", "counter", {}, true).has_value());
  std::vector<std::thread> threads;
  std::vector<Status> failures(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        Result<runtime::services::ActOutcome> r =
            db.Act("hits", "counter", {Action{"add", Value{{"delta", t + 1}}}}, false);
        if (!r) {
          failures[t] = r.error();
          return;
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (const Status& s : failures) {
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  Result<Value> value = db.Query("hits", "counter", "get", Value::object());
  ASSERT_TRUE(value.has_value()) << value.error().ToString();
  EXPECT_EQ((*value)["value"], 100);  // 10 * (1 + 2 + 3 + 4)
}

TEST_F(ServerDatabaseTest, DiaryAppendsReadBack) {
  runtime::services::Database& db = *server_->database();
  ASSERT_TRUE(
      db.Act("events", "diary", {Action{"append", "a"}, Action{"append", "b"}}, true).has_value());
  ASSERT_TRUE(db.Act("events", "diary", {Action{"append", "c"}}, false).has_value());
  Result<Value> described = db.Describe();
  ASSERT_TRUE(described.has_value());
  EXPECT_EQ((*described)["collections"][0]["revision"], 2);
  Result<Value> verified = db.Verify("events");
  ASSERT_TRUE(verified.has_value());
  EXPECT_EQ((*verified)["entries"], 2);
}

}  // namespace
}  // namespace optimystic::server
