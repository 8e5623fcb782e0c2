// SPDX-License-Identifier: Apache-2.0
// The engine test fixture: the memory storage engine, a Repository, one LocalTransactor shared
// by every collection instance (wrapped in an InterceptTransactor to record and bend requests),
// a seeded random source, a test clock that moves only when the engine "sleeps", and the test
// collection types of tests/support/test_collection_types.h.
// Thread-safety: one test thread, except where a test starts its own threads (it then gives
// each its own random source).
// Errors: through gtest.
#pragma once

#include <optimystic/base/seeded_random.h>

#include "core/collection/collection.h"
#include "core/repository/repository.h"
#include "core/transactor/local_transactor.h"
#include "storage/memory/memory_storage_engine.h"
#include "support/intercept_transactor.h"
#include "support/test_collection_types.h"
#include "support/test_host.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace optimystic::core::collection::test_util {

using block::Value;
using collections::Action;

inline Action Set(const std::string& key, Value value) {
  return Action{"set", Value{{"key", key}, {"value", std::move(value)}}, std::nullopt, 0};
}
inline Action Add(const std::string& key, int64_t delta) {
  return Action{"add", Value{{"key", key}, {"delta", delta}}, std::nullopt, 0};
}
inline Action Append(Value data) { return Action{"append", std::move(data), std::nullopt, 0}; }

class EngineFixture : public ::testing::Test {
 protected:
  CollectionServices Services() {
    CollectionServices services;
    services.clock = &clock_;
    services.random = &random_;
    services.latches = &latches_;
    services.sleep_ms = [this](int64_t ms) {
      sleeps_.push_back(ms);
      clock_.Advance(ms);
    };
    services.on_conflict = [this](std::string_view resolver, std::string_view outcome) {
      conflicts_[std::string(resolver) + "/" + std::string(outcome)]++;
    };
    return services;
  }

  std::unique_ptr<Collection> Create(const std::string& id,
                                     const conflict::ConflictResolver* resolver = nullptr) {
    Result<std::unique_ptr<Collection>> c =
        Collection::CreateOrOpen(transactor_, kv_, resolver, id, Services());
    EXPECT_TRUE(c.has_value()) << c.error().ToString();
    return c ? std::move(*c) : nullptr;
  }
  std::unique_ptr<Collection> Open(const std::string& id,
                                   const conflict::ConflictResolver* resolver = nullptr) {
    Result<std::unique_ptr<Collection>> c =
        Collection::Open(transactor_, kv_, resolver, id, Services());
    EXPECT_TRUE(c.has_value()) << c.error().ToString();
    return c ? std::move(*c) : nullptr;
  }
  static Value Get(Collection& c, const std::string& key) {
    Result<Value> v = c.Query("get", Value{{"key", key}});
    EXPECT_TRUE(v.has_value()) << v.error().ToString();
    return v ? *v : Value();
  }
  static Value All(Collection& c) {
    Result<Value> v = c.Query("all", Value::object());
    EXPECT_TRUE(v.has_value()) << v.error().ToString();
    return v ? *v : Value();
  }

  plugins::storage_memory::MemoryStorageEngine engine_;
  repository::Repository repository_{engine_, repository::RepositoryOptions{false}};
  transactor::LocalTransactor local_{repository_};
  test::InterceptTransactor transactor_{local_};
  base::SeededRandom random_{42};
  test::TestClock clock_;
  LatchTable latches_;
  std::vector<int64_t> sleeps_;
  std::map<std::string, int> conflicts_;
  test::KeyValueType kv_;
  test::AppendType append_;
};

}  // namespace optimystic::core::collection::test_util
