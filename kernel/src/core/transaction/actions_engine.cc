// SPDX-License-Identifier: Apache-2.0
#include "core/transaction/actions_engine.h"

#include <optimystic/block/value.h>

#include <utility>

namespace optimystic::core::transaction {

using block::Value;

namespace {

Status Invalid(size_t index, std::string_view why) {
  return Status::InvalidArgument("statement " + std::to_string(index) + ": " + std::string(why));
}

Result<CollectionActions> TranslateOne(size_t index, const std::string& statement) {
  // No exceptions (JSON_NOEXCEPTION): a parse error yields a discarded value.
  const Value parsed = Value::parse(statement, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Invalid(index, "invalid JSON");
  }
  if (!parsed.is_object()) {
    return Invalid(index, "expected an object {collectionId, actions}");
  }
  auto id = parsed.find("collectionId");
  if (id == parsed.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    return Invalid(index, "missing collectionId");
  }
  auto actions = parsed.find("actions");
  if (actions == parsed.end() || !actions->is_array()) {
    return Invalid(index, "actions must be an array");
  }
  CollectionActions out;
  out.collection_id = id->get<std::string>();
  for (size_t j = 0; j < actions->size(); ++j) {
    Result<collections::Action> action = collections::ActionFromValue((*actions)[j]);
    if (!action) {
      return Invalid(
          index, "actions[" + std::to_string(j) + "]: " + std::string(action.error().message()));
    }
    out.actions.push_back(std::move(*action));
  }
  return out;
}

}  // namespace

Result<std::vector<CollectionActions>> ActionsEngine::Translate(
    const std::vector<std::string>& statements) const {
  std::vector<CollectionActions> out;
  out.reserve(statements.size());
  for (size_t i = 0; i < statements.size(); ++i) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(CollectionActions one, TranslateOne(i, statements[i]));
    out.push_back(std::move(one));
  }
  return out;
}

std::string ActionsStatement(const CollectionActions& actions) {
  Value list = Value::array();
  for (const collections::Action& action : actions.actions) {
    list.push_back(collections::ActionToValue(action));
  }
  return Value{{"collectionId", actions.collection_id}, {"actions", std::move(list)}}.dump();
}

}  // namespace optimystic::core::transaction
