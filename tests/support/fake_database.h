// SPDX-License-Identifier: Apache-2.0
// FakeDatabase: an in-memory runtime::services::Database for tests of the client service, the
// client library and the CLI. It knows the three example types with the actions and queries
// of the collection-type plugins: tree (action "replace" [[key, entry?], ...]; queries get
// {key} -> entry or null, range {from?, to?, desc?, limit?} -> [[key, entry], ...] for
// from <= key < to, count -> number), diary (action "append" any; query read {forward?,
// limit?} -> [entry, ...]) and counter (action "add" {delta}; query get -> {value}). Every act
// bumps the collection's revision by one; the actions of one act apply together or not at all.
// Verify answers {"ok": true, "revision": N} unless a report is set; Describe lists the
// collections; Transact applies ActionsEngine statements to existing collections. A test may make
// the next call fail with any Status (FailNext), make the next Transact answer a given outcome
// without applying anything (AnswerNextTransact, e.g. a partial landing) and may read every call
// made (calls()).
// Thread-safety: every method may be called from any thread (one mutex).
// Errors: those of database.h, with the messages it gives as examples.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/value.h>
#include <optimystic/collections/action.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/transaction/actions_engine.h"
#include "runtime/services/database.h"

namespace optimystic::test {

class FakeDatabase final : public runtime::services::Database {
 public:
  struct Call {
    std::string method;  // "Act", "Query", "Verify", "Describe" or "Transact"
    std::string name;
    std::string type;
    std::string query;
    block::Value args;
    std::vector<collections::Action> actions;
    bool create = false;
    std::vector<std::string> statements;  // Transact
  };

  // The next call of any method returns `error` (and does nothing else).
  void FailNext(Status error) {
    std::lock_guard lock(mu_);
    next_error_ = std::move(error);
  }
  // The next Transact answers `outcome` and applies nothing.
  void AnswerNextTransact(runtime::services::TransactOutcome outcome) {
    std::lock_guard lock(mu_);
    next_outcome_ = std::move(outcome);
  }
  // What Verify answers for `name` from now on.
  void SetReport(const std::string& name, block::Value report) {
    std::lock_guard lock(mu_);
    reports_[name] = std::move(report);
  }
  std::vector<Call> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

  Result<runtime::services::ActOutcome> Act(std::string_view name, std::string_view type,
                                            std::vector<collections::Action> actions,
                                            bool create) override {
    std::lock_guard lock(mu_);
    Record("Act", name, type, "", nullptr, actions, create);
    if (Status e = TakeError(); !e.ok()) return e;
    if (!IsKnownType(type)) return Status::NotFound("unknown collection type " + std::string(type));
    auto it = collections_.find(std::string(name));
    Collection next;
    if (it == collections_.end()) {
      if (!create) return Status::NotFound("collection " + std::string(name) + " not found");
      next.type = std::string(type);
    } else {
      if (Status e = CheckType(it->second, name, type); !e.ok()) return e;
      next = it->second;
    }
    for (const collections::Action& action : actions) {
      if (Status e = Apply(next, action); !e.ok()) return e;
    }
    ++next.revision;
    collections_[std::string(name)] = next;
    return runtime::services::ActOutcome{next.revision};
  }

  Result<block::Value> Query(std::string_view name, std::string_view type, std::string_view query,
                             const block::Value& args) override {
    std::lock_guard lock(mu_);
    Record("Query", name, type, query, args);
    if (Status e = TakeError(); !e.ok()) return e;
    auto it = collections_.find(std::string(name));
    if (it == collections_.end()) {
      return Status::NotFound("collection " + std::string(name) + " not found");
    }
    if (Status e = CheckType(it->second, name, type); !e.ok()) return e;
    const Collection& c = it->second;
    if (type == "tree") return TreeQuery(c, query, args);
    if (type == "diary" && query == "read") return DiaryRead(c, args);
    if (type == "counter" && query == "get") return block::Value{{"value", c.counter}};
    return Status::InvalidArgument("unknown query " + std::string(query) + " for " +
                                   std::string(type));
  }

  Result<block::Value> Verify(std::string_view name) override {
    std::lock_guard lock(mu_);
    Record("Verify", name);
    if (Status e = TakeError(); !e.ok()) return e;
    auto it = collections_.find(std::string(name));
    if (it == collections_.end()) {
      return Status::NotFound("collection " + std::string(name) + " not found");
    }
    auto report = reports_.find(std::string(name));
    if (report != reports_.end()) return report->second;
    return block::Value{{"ok", true}, {"revision", it->second.revision}};
  }

  // ActionsEngine statements over existing collections, all or nothing; every touched
  // collection's revision goes up by one. Transaction ids are "tx:fake-<n>".
  Result<runtime::services::TransactOutcome> Transact(
      std::vector<std::string> statements) override {
    std::lock_guard lock(mu_);
    Record("Transact");
    calls_.back().statements = statements;
    if (Status e = TakeError(); !e.ok()) return e;
    if (next_outcome_) {
      runtime::services::TransactOutcome outcome = std::move(*next_outcome_);
      next_outcome_.reset();
      return outcome;
    }
    if (statements.empty()) return Status::InvalidArgument("transaction has no statements");
    Result<std::vector<core::transaction::CollectionActions>> batches =
        core::transaction::ActionsEngine().Translate(statements);
    if (!batches) return batches.error();
    std::map<std::string, Collection> next;
    for (const core::transaction::CollectionActions& batch : *batches) {
      if (next.count(batch.collection_id) == 0) {
        auto it = collections_.find(batch.collection_id);
        if (it == collections_.end()) {
          return Status::NotFound("Collection not found: " + batch.collection_id);
        }
        next[batch.collection_id] = it->second;
      }
      for (const collections::Action& action : batch.actions) {
        if (Status e = Apply(next[batch.collection_id], action); !e.ok()) return e;
      }
    }
    runtime::services::TransactOutcome outcome;
    outcome.success = true;
    outcome.transaction_id = "tx:fake-" + std::to_string(++transactions_);
    for (auto& [name, c] : next) {
      ++c.revision;
      collections_[name] = c;
      outcome.committed.push_back(name);
    }
    return outcome;
  }

  Result<block::Value> Describe() override {
    std::lock_guard lock(mu_);
    Record("Describe");
    if (Status e = TakeError(); !e.ok()) return e;
    block::Value collections = block::Value::object();
    for (const auto& [name, c] : collections_) {
      collections[name] = {{"type", c.type}, {"revision", c.revision}};
    }
    return block::Value{{"collections", collections},
                        {"types", block::Value::array({"counter", "diary", "tree"})}};
  }

 private:
  struct Collection {
    std::string type;
    uint64_t revision = 0;
    std::map<block::Value, block::Value> tree;
    std::vector<block::Value> diary;
    int64_t counter = 0;
  };

  void Record(std::string method, std::string_view name = "", std::string_view type = "",
              std::string_view query = "", block::Value args = nullptr,
              std::vector<collections::Action> actions = {}, bool create = false) {
    Call call;
    call.method = std::move(method);
    call.name = std::string(name);
    call.type = std::string(type);
    call.query = std::string(query);
    call.args = std::move(args);
    call.actions = std::move(actions);
    call.create = create;
    calls_.push_back(std::move(call));
  }

  static bool IsKnownType(std::string_view type) {
    return type == "tree" || type == "diary" || type == "counter";
  }
  static bool IsKey(const block::Value& key) { return key.is_string() || key.is_number(); }

  Status TakeError() {
    Status e = std::move(next_error_);
    next_error_ = Status::Ok();
    return e;
  }

  static Status CheckType(const Collection& c, std::string_view name, std::string_view type) {
    if (c.type == type) return Status::Ok();
    return Status::InvalidArgument("collection " + std::string(name) + " is a " + c.type +
                                   ", not a " + std::string(type));
  }

  static Status Apply(Collection& c, const collections::Action& action) {
    if (c.type == "tree" && action.type == "replace") {
      if (!action.data.is_array()) return Status::InvalidArgument("replace: expected an array");
      for (const block::Value& pair : action.data) {
        if (!pair.is_array() || pair.empty() || pair.size() > 2 || !IsKey(pair[0])) {
          return Status::InvalidArgument("replace: expected [key, entry?] pairs");
        }
        if (pair.size() == 2) {
          c.tree[pair[0]] = pair[1];
        } else {
          c.tree.erase(pair[0]);
        }
      }
      return Status::Ok();
    }
    if (c.type == "diary" && action.type == "append") {
      c.diary.push_back(action.data);
      return Status::Ok();
    }
    if (c.type == "counter" && action.type == "add") {
      auto delta = action.data.is_object() ? action.data.find("delta") : action.data.end();
      if (!action.data.is_object() || delta == action.data.end() || !delta->is_number_integer()) {
        return Status::InvalidArgument("add: expected {\"delta\": integer}");
      }
      c.counter += delta->get<int64_t>();
      return Status::Ok();
    }
    return Status::InvalidArgument("unknown action type '" + action.type + "' for " + c.type);
  }

  static std::optional<uint64_t> Limit(const block::Value& args) {
    auto it = args.is_object() ? args.find("limit") : args.end();
    if (!args.is_object() || it == args.end() || !it->is_number_unsigned()) return std::nullopt;
    return it->get<uint64_t>();
  }
  static bool Flag(const block::Value& args, const char* key, bool fallback) {
    auto it = args.is_object() ? args.find(key) : args.end();
    if (!args.is_object() || it == args.end() || !it->is_boolean()) return fallback;
    return it->get<bool>();
  }

  static Result<block::Value> TreeQuery(const Collection& c, std::string_view query,
                                        const block::Value& args) {
    if (query == "count") return block::Value(c.tree.size());
    if (query == "get") {
      auto key = args.is_object() ? args.find("key") : args.end();
      if (!args.is_object() || key == args.end() || !IsKey(*key)) {
        return Status::InvalidArgument("get: expected {\"key\": key}");
      }
      auto it = c.tree.find(*key);
      return it == c.tree.end() ? block::Value(nullptr) : it->second;
    }
    if (query != "range") return Status::InvalidArgument("unknown query " + std::string(query));
    block::Value out = block::Value::array();
    auto from = args.is_object() ? args.find("from") : args.end();
    auto to = args.is_object() ? args.find("to") : args.end();
    std::vector<std::pair<block::Value, block::Value>> selected;
    for (const auto& [k, e] : c.tree) {
      if (args.is_object() && from != args.end() && k < *from) continue;
      if (args.is_object() && to != args.end() && !(k < *to)) continue;
      selected.emplace_back(k, e);
    }
    if (Flag(args, "desc", false)) std::reverse(selected.begin(), selected.end());
    const uint64_t limit = Limit(args).value_or(selected.size());
    for (size_t i = 0; i < selected.size() && i < limit; ++i) {
      out.push_back(block::Value::array({selected[i].first, selected[i].second}));
    }
    return out;
  }

  static block::Value DiaryRead(const Collection& c, const block::Value& args) {
    std::vector<block::Value> entries = c.diary;
    if (!Flag(args, "forward", true)) std::reverse(entries.begin(), entries.end());
    const uint64_t limit = Limit(args).value_or(entries.size());
    block::Value out = block::Value::array();
    for (size_t i = 0; i < entries.size() && i < limit; ++i) out.push_back(entries[i]);
    return out;
  }

  mutable std::mutex mu_;
  std::map<std::string, Collection> collections_;
  std::map<std::string, block::Value> reports_;
  std::vector<Call> calls_;
  Status next_error_;
  std::optional<runtime::services::TransactOutcome> next_outcome_;
  uint64_t transactions_ = 0;
};

}  // namespace optimystic::test
