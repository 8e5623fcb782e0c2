// SPDX-License-Identifier: Apache-2.0
// ActionsEngine (SPEC.md §6.8): statements are the JSON of {collectionId, actions}; every
// malformed statement is refused naming its index.
#include "core/transaction/actions_engine.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace optimystic::core::transaction {
namespace {

using block::Value;

std::string ErrorOf(const std::vector<std::string>& statements) {
  Result<std::vector<CollectionActions>> out = ActionsEngine().Translate(statements);
  if (out) {
    return "translated";
  }
  EXPECT_EQ(out.error().code(), StatusCode::kInvalidArgument);
  return std::string(out.error().message());
}

TEST(ActionsEngine, TranslatesEachStatementInOrder) {
  EXPECT_EQ(ActionsEngine().id(), "actions@1.0.0");
  const std::vector<std::string> statements{
      R"({"collectionId": "a", "actions": [{"type": "set", "data": {"key": "k", "value": 1}}]})",
      R"({"collectionId": "b", "actions": []})",
  };
  Result<std::vector<CollectionActions>> out = ActionsEngine().Translate(statements);
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].collection_id, "a");
  ASSERT_EQ((*out)[0].actions.size(), 1u);
  EXPECT_EQ((*out)[0].actions[0].type, "set");
  EXPECT_EQ((*out)[0].actions[0].data, (Value{{"key", "k"}, {"value", 1}}));
  EXPECT_EQ((*out)[1].collection_id, "b");
  EXPECT_TRUE((*out)[1].actions.empty());
}

TEST(ActionsEngine, StatementRoundTrips) {
  CollectionActions batch{"users", {collections::Action{"set", Value{{"key", "x"}}, {}, 0}}};
  Result<std::vector<CollectionActions>> out = ActionsEngine().Translate({ActionsStatement(batch)});
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0], batch);
}

TEST(ActionsEngine, RefusesMalformedStatementsNamingTheIndex) {
  const std::string ok = R"({"collectionId": "a", "actions": []})";
  EXPECT_EQ(ErrorOf({ok, "{not json"}), "statement 1: invalid JSON");
  EXPECT_EQ(ErrorOf({"[1, 2]"}), "statement 0: expected an object {collectionId, actions}");
  EXPECT_EQ(ErrorOf({ok, ok, R"({"actions": []})"}), "statement 2: missing collectionId");
  EXPECT_EQ(ErrorOf({R"({"collectionId": 5, "actions": []})"}),
            "statement 0: missing collectionId");
  EXPECT_EQ(ErrorOf({R"({"collectionId": "", "actions": []})"}),
            "statement 0: missing collectionId");
  EXPECT_EQ(ErrorOf({R"({"collectionId": "a"})"}), "statement 0: actions must be an array");
  EXPECT_EQ(ErrorOf({R"({"collectionId": "a", "actions": {"type": "set"}})"}),
            "statement 0: actions must be an array");
  const std::string bad_action =
      ErrorOf({ok, R"({"collectionId": "a", "actions": [{"type": "set", "data": 1}, 7]})"});
  EXPECT_EQ(bad_action.rfind("statement 1: actions[1]: ", 0), 0u) << bad_action;
  EXPECT_EQ(ErrorOf({}), "translated");  // no statements: nothing to do
}

}  // namespace
}  // namespace optimystic::core::transaction
