// SPDX-License-Identifier: Apache-2.0
// Transaction engines (SPEC.md §6.8): what turns a transaction's statements into the actions
// of each collection. An engine only translates; the coordinator applies the result once. The
// built-in ActionsEngine ("actions@1.0.0") reads each statement as the JSON text of one
// {collectionId, actions: [action, ...]}, every action in the log's form {type, data,
// transaction?, timestamp?} (collections::ActionFromValue); the coordinator stamps the
// transaction and the time when it applies them. (The SQL engines of the reference are out of
// scope: SPEC.md "Deliberate differences".)
// Thread-safety: engines are immutable; Translate may be called from any thread.
// Errors: InvalidArgument naming the statement's index: "statement <i>: invalid JSON",
// "statement <i>: expected an object {collectionId, actions}", "statement <i>: missing
// collectionId", "statement <i>: actions must be an array", "statement <i>: actions[<j>]:
// <why>".
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/collections/action.h>

#include <string>
#include <string_view>
#include <vector>

namespace optimystic::core::transaction {

inline constexpr std::string_view kActionsEngineId = "actions@1.0.0";

// The actions of one statement for one collection.
struct CollectionActions {
  std::string collection_id;
  std::vector<collections::Action> actions;
  bool operator==(const CollectionActions&) const = default;
};

class TransactionEngine {
 public:
  virtual ~TransactionEngine() = default;
  // The stamp's engineId of transactions this engine translates.
  virtual std::string_view id() const = 0;
  // One CollectionActions per statement, in statement order; all or nothing.
  virtual Result<std::vector<CollectionActions>> Translate(
      const std::vector<std::string>& statements) const = 0;
};

class ActionsEngine final : public TransactionEngine {
 public:
  std::string_view id() const override { return kActionsEngineId; }
  Result<std::vector<CollectionActions>> Translate(
      const std::vector<std::string>& statements) const override;
};

// The ActionsEngine statement for `actions`: the JSON text of {collectionId, actions}.
std::string ActionsStatement(const CollectionActions& actions);

}  // namespace optimystic::core::transaction
