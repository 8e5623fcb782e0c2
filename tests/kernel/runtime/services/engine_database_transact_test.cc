// SPDX-License-Identifier: Apache-2.0
// EngineDatabase::Transact end to end: ActionsEngine statements over two kv collections through
// the TransactionCoordinator over LocalTransactor over the repository over the memory engine.
#include <optimystic/base/seeded_random.h>

#include "core/repository/repository.h"
#include "core/transaction/actions_engine.h"
#include "core/transactor/local_transactor.h"
#include "runtime/services/engine_database.h"
#include "storage/memory/memory_storage_engine.h"
#include "support/intercept_transactor.h"
#include "support/test_collection_types.h"
#include "support/test_host.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace optimystic::runtime::services {
namespace {

using block::Value;
using collections::Action;

Action Set(const std::string& key, Value value) {
  return Action{"set", Value{{"key", key}, {"value", std::move(value)}}, std::nullopt, 0};
}

std::string Statement(const std::string& id, std::vector<Action> actions) {
  return core::transaction::ActionsStatement({id, std::move(actions)});
}

class EngineDatabaseTransactTest : public ::testing::Test {
 protected:
  EngineDatabaseTransactTest() {
    types_["kv"] = &kv_;
    core::collection::CollectionServices services;
    services.clock = &clock_;
    services.random = &random_;
    services.latches = &latches_;
    services.sleep_ms = [this](int64_t ms) {
      sleeps_.push_back(ms);
      clock_.Advance(ms);
    };
    db_ = std::make_unique<EngineDatabase>(
        transactor_, types_,
        [](std::string_view, std::string_view) -> Result<const conflict::ConflictResolver*> {
          return static_cast<const conflict::ConflictResolver*>(nullptr);
        },
        services);
  }

  Value Get(const std::string& name, const std::string& key) {
    Result<Value> got = db_->Query(name, "kv", "get", Value{{"key", key}});
    EXPECT_TRUE(got.has_value()) << got.error().ToString();
    return got ? *got : Value("error");
  }

  plugins::storage_memory::MemoryStorageEngine engine_;
  core::repository::Repository repository_{engine_, core::repository::RepositoryOptions{false}};
  transactor::LocalTransactor local_{repository_};
  test::InterceptTransactor transactor_{local_};
  test::TestClock clock_;
  base::SeededRandom random_{3};
  core::collection::LatchTable latches_;
  std::vector<int64_t> sleeps_;
  test::KeyValueType kv_;
  CollectionTypeMap types_;
  std::unique_ptr<EngineDatabase> db_;
};

TEST_F(EngineDatabaseTransactTest, CommitsEveryStatementUnderOneTransaction) {
  ASSERT_TRUE(db_->Act("users", "kv", {Set("alice", 1)}, true).has_value());
  ASSERT_TRUE(db_->Act("orders", "kv", {Set("o1", 1)}, true).has_value());
  Result<TransactOutcome> outcome =
      db_->Transact({Statement("users", {Set("bob", 2)}), Statement("orders", {Set("o2", "bob")}),
                     Statement("users", {Set("carol", 3)})});
  ASSERT_TRUE(outcome.has_value()) << outcome.error().ToString();
  EXPECT_TRUE(outcome->success);
  EXPECT_TRUE(outcome->error.ok());
  EXPECT_EQ(outcome->transaction_id.rfind("tx:", 0), 0u);
  EXPECT_EQ(outcome->committed, (std::vector<std::string>{"orders", "users"}));
  EXPECT_TRUE(outcome->failed.empty());
  // The shared engines (opened by Act) see the transaction on their next query.
  EXPECT_EQ(Get("users", "bob"), 2);
  EXPECT_EQ(Get("users", "carol"), 3);
  EXPECT_EQ(Get("orders", "o2"), "bob");
  // And their next act follows it.
  Result<ActOutcome> acted = db_->Act("users", "kv", {Set("dave", 4)}, false);
  ASSERT_TRUE(acted.has_value()) << acted.error().ToString();
  EXPECT_EQ(acted->revision, 3u);
}

TEST_F(EngineDatabaseTransactTest, ErrorsMeanNothingCommitted) {
  ASSERT_TRUE(db_->Act("users", "kv", {Set("alice", 1)}, true).has_value());
  Result<TransactOutcome> outcome = db_->Transact({});
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().message(), "transaction has no statements");

  outcome = db_->Transact({Statement("users", {Set("x", 1)}), "not json"});
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(outcome.error().message(), "statement 1: invalid JSON");

  outcome = db_->Transact({Statement("users", {Set("x", 1)}), Statement("ghost", {Set("y", 1)})});
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(outcome.error().message(), "Collection not found: ghost");

  outcome = db_->Transact({Statement("users", {Action{"nope", Value::object(), std::nullopt, 0}})});
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code(), StatusCode::kInvalidArgument);

  transactor::StaleFailure behind;
  behind.reason = "behind";
  behind.conflict = true;
  transactor_.FailPends(100, behind);
  outcome = db_->Transact({Statement("users", {Set("x", 1)})});
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code(), StatusCode::kAborted);
  EXPECT_NE(outcome.error().message().find("lost 10 times"), std::string_view::npos)
      << outcome.error().message();
  transactor_.FailPends(0, behind);
  EXPECT_EQ(Get("users", "x"), Value());
  EXPECT_EQ(Get("users", "alice"), 1);
}

}  // namespace
}  // namespace optimystic::runtime::services
